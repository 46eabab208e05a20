"""What looking for side effects and captured values costs while tracing: the figure
for the side-effect issue (goal: at most 1.20x the tracing time without it).

Run: ``.venv/bin/python benchmarks/bench_effects.py [--rounds N] [--resnet]``

One figure per program, each a median of per-round ratios: the wall time of tracing a
fresh ``tf.function`` (``get_concrete_function``) under ``graphlab.watch()`` with the
observer on, over the same with it off (``RECORDER.observe_effects``), the two
alternated in each round (on/off, then off/on) so that drift hits both alike.

Programs: the seed chapter's custom training step (its MyModel/MyDense with prints, a
custom loss), and a ResNet50 training step (keras.applications, 32x32 inputs).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

import graphlab
from graphlab.tracing.recorder import RECORDER


def seed_step():
    class MyDense(keras.layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[1], self.units))
            self.biases = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, X):
            print("Tracing MyDense.call()")
            return self.activation(X @ self.kernel + self.biases)

    class MyModel(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden1 = MyDense(30, activation="relu")
            self.hidden2 = MyDense(30, activation="relu")
            self.output_ = MyDense(1)

        def call(self, inputs):
            print("Tracing MyModel.call()")
            concat = keras.layers.concatenate([inputs, self.hidden2(self.hidden1(inputs))])
            return self.output_(concat)

    def my_mse(y_true, y_pred):
        print("Tracing loss my_mse()")
        return tf.reduce_mean(tf.square(y_pred - y_true))

    return _step(MyModel(), my_mse, tf.random.normal((32, 8)), tf.random.normal((32, 1)))


def resnet_step():
    model = keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = tf.random.normal((8, 32, 32, 3))
    y = tf.random.uniform((8,), maxval=10, dtype=tf.int32)
    return _step(model, loss, x, y)


def _step(model, loss_fn, x, y):
    optimizer = keras.optimizers.SGD()

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    tf.function(train_step)(x, y)  # variables and optimizer slots exist from here on
    return train_step, (x, y)


def trace_time(step, args, observe: bool) -> float:
    RECORDER.observe_effects = observe
    fn = tf.function(step)
    with graphlab.watch():
        start = time.perf_counter()
        fn.get_concrete_function(*args)
        elapsed = time.perf_counter() - start
    RECORDER.observe_effects = True
    return elapsed


def measure(name: str, step, args, rounds: int) -> str:
    ratios, on, off = [], [], []
    for index in range(rounds):
        order = (True, False) if index % 2 == 0 else (False, True)
        times = {observe: trace_time(step, args, observe) for observe in order}
        on.append(times[True])
        off.append(times[False])
        ratios.append(times[True] / times[False])
    return (
        f"{name}: tracing with the observer {statistics.median(on) * 1e3:.1f} ms, without "
        f"{statistics.median(off) * 1e3:.1f} ms; median per-round ratio "
        f"{statistics.median(ratios):.3f} (rounds: {', '.join(f'{r:.3f}' for r in ratios)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--resnet", action="store_true", help="also ResNet50 (slow)")
    args = parser.parse_args(argv)
    logging.getLogger("graphlab").setLevel(logging.ERROR)  # it rightly says: re-created
    with contextlib.redirect_stdout(io.StringIO()):  # the model's own trace-time prints
        step, inputs = seed_step()
        lines = [measure("seed chapter training step", step, inputs, args.rounds)]
        if args.resnet:
            step, inputs = resnet_step()
            lines.append(measure("ResNet50 training step", step, inputs, max(2, args.rounds // 2)))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
