"""bench_training_step and the seed chapter's training step, on tiny real Keras models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from graphlab.bench import training
from graphlab.bench.fit import StepStamps

FAST = {"max_time": 0.05, "precision": 0.5, "check_steps": 2}


def tiny_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


def mse(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 3)).astype("float32")


def test_modes_agree_and_the_frame_has_step_columns():
    comparison = training.bench_training_step(
        tiny_model,
        lambda: keras.optimizers.SGD(0.1),
        mse,
        data(32),
        16,
        modes=["eager", "graph", "fit"],
        **FAST,
    )
    assert [row.mode for row in comparison.rows] == ["eager", "graph", "fit"]
    assert all(row.ok for row in comparison.rows), [row.error for row in comparison.rows]
    assert [row.parity_ok for row in comparison.rows] == [None, True, True]
    frame = comparison.to_frame()
    for column in (
        "mode",
        "first_step_ms",
        "median_step_us",
        "examples_per_s",
        "speedup_vs_eager",
        "retraces",
    ):
        assert column in frame.columns
    graph = frame[frame["mode"] == "graph"].iloc[0]
    assert graph["examples_per_s"] == pytest.approx(16 * 1e6 / graph["median_step_us"])
    assert graph["retraces"] == 0  # 32 examples, batch 16: no smaller last batch
    assert comparison.metadata["unit"] == "training step"
    assert "one training step of batch 16" in str(comparison)


def test_a_smaller_last_batch_retrace_is_reported_with_its_cause():
    comparison = training.bench_training_step(
        tiny_model,
        lambda: keras.optimizers.SGD(0.1),
        mse,
        data(40),
        16,
        modes=["eager", "graph"],
        **FAST,
    )
    graph = comparison.row("train_step", "graph").measurement
    assert graph.retraces == 1
    assert "x changed shape (16, 4) -> (8, 4)" in graph.retrace_causes[0]
    assert any("retraced 1x while timing" in n for n in comparison.notes(comparison.rows[1]))


def test_a_mode_computing_something_else_is_a_parity_mismatch():
    built = []

    def drifting_model():  # each build starts from different weights
        built.append(1)
        init = keras.initializers.Constant(0.1 * len(built))
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, kernel_initializer=init)])

    comparison = training.bench_training_step(
        drifting_model,
        lambda: keras.optimizers.SGD(0.1),
        mse,
        data(32),
        16,
        modes=["eager", "graph"],
        **FAST,
    )
    graph = comparison.row("train_step", "graph")
    assert graph.parity_ok is False
    assert graph.parity.startswith("mismatch: step 1 loss")


def test_train_step_honours_losses_constraints_metrics_and_training_flag():
    seen = []

    class Spy(keras.layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    model = keras.Sequential(
        [
            keras.Input((4,)),
            Spy(),
            keras.layers.Dense(
                3,
                kernel_regularizer=keras.regularizers.L2(10.0),
                kernel_constraint=keras.constraints.NonNeg(),
            ),
        ]
    )
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.build(model.trainable_variables)
    metric = keras.metrics.MeanSquaredError()
    step = training.make_train_step(model, optimizer, mse, [metric])
    x, y = data(8)
    main_loss = float(tf.reduce_mean(mse(y, model(x))))
    loss = float(step(tf.constant(x), tf.constant(y)))
    assert loss > main_loss  # the L2 penalty from model.losses is added
    assert seen[-1] is True
    assert float(tf.reduce_min(model.layers[-1].kernel)) >= 0.0  # constraint applied
    assert float(metric.result()) > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_fn": lambda: "not a model"}, "model_fn must return a keras.Model, got str"),
        ({"optimizer_fn": lambda: "sgd"}, "optimizer_fn must return a keras.optimizers.Optimizer"),
        (
            {"data": (np.ones((8, 5), "float32"), np.ones((8, 3), "float32"))},
            "data does not fit the model",
        ),
        (
            {"loss_fn": lambda y, p: tf.reduce_mean(y - p, axis=0)},
            "loss_fn must return a scalar or losses whose first dimension is the batch (8)",
        ),
        ({"check_steps": 0}, "check_steps must be a positive int"),
        ({"data": ({"a": np.ones((8, 4))}, np.ones((8, 3)))}, "data must be (x, y) with x and y"),
        ({"modes": ["eager", "jit"]}, "modes: unknown mode(s) 'jit'"),
        ({"batch_size": 0}, "batch_size must be a positive int"),
        (
            {"data": (np.ones((8, 4), "float32"), np.ones((7, 3), "float32"))},
            "x and y need the same number of examples",
        ),
    ],
)
def test_bad_arguments_fail_before_timing_and_name_the_argument(kwargs, message):
    arguments = {
        "model_fn": tiny_model,
        "optimizer_fn": lambda: keras.optimizers.SGD(0.1),
        "loss_fn": mse,
        "data": data(16),
        "batch_size": 8,
        **kwargs,
    }
    options = {"max_time": 0.01, **{k: arguments.pop(k) for k in ["check_steps"] if k in arguments}}
    with pytest.raises(training.TrainingSetupError) as error:
        training.bench_training_step(**arguments, **options)
    assert message in str(error.value)


@pytest.mark.slow
def test_mirrored_strategy_two_cpus():
    script = Path(__file__).parent / "data" / "training_strategy_script.py"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "replicas=2 per_replica_batch=8" in result.stdout
    assert "parity eager:reference graph:True" in result.stdout
    assert "uneven batches match single-device: True" in result.stdout


def test_per_element_losses_are_accepted_like_keras_does():
    comparison = training.bench_training_step(
        tiny_model,
        lambda: keras.optimizers.SGD(0.1),
        lambda y, p: tf.square(y - p),
        data(32),
        16,
        modes=["eager", "graph"],
        **FAST,
    )
    assert [row.parity_ok for row in comparison.rows] == [None, True]


def test_fit_steps_are_timed_between_step_ends_inside_fit():
    ticks = iter([0.0, 0.100, 0.110, 0.120, 0.130, 1.0, 1.016, 1.024, 1.032])
    stamps = StepStamps(lambda: next(ticks))
    stamps.start()  # fit called at 0.0; setup, tracing and step 1 end at 0.100
    for batch in range(4):
        stamps.callback.on_train_batch_end(batch)
    assert stamps.first_step(steady=0.010) == pytest.approx(0.100)
    times, calls = zip(*stamps.steady_steps())
    assert times == pytest.approx([0.010, 0.010, 0.010])
    assert calls == (1, 1, 1)
    assert stamps.steps_time() == pytest.approx(0.040)  # 4 steps at the steady rate
    # steps_per_execution=8: one stamp per execution, at batches 7, 15, 23
    stamps.start()  # fit called at 1.0
    for batch in (7, 15, 23):
        stamps.callback.on_train_batch_end(batch)
    # the first execution ran 8 steps: the other 7 at the steady 1 ms are taken off
    assert stamps.first_step(steady=0.001) == pytest.approx(0.016 - 7 * 0.001)
    times, calls = zip(*stamps.steady_steps())
    assert times == pytest.approx([0.008, 0.008])
    assert calls == (8, 8)
