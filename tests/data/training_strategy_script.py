"""bench_training_step under MirroredStrategy over two logical CPUs (own process)."""

import keras
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

from graphlab.bench import training  # noqa: E402
from graphlab.bench.settings import TrainingSettings  # noqa: E402


def model_fn():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


def mse(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


rng = np.random.default_rng(0)
x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 3)).astype("float32")
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
options = {"max_time": 0.05, "precision": 0.5, "check_steps": 2}
distributed = training.bench_training_step(
    model_fn,
    lambda: keras.optimizers.SGD(0.1),
    mse,
    (x, y),
    16,
    modes=["eager", "graph"],
    strategy=strategy,
    **options,
)
single = training.bench_training_step(
    model_fn, lambda: keras.optimizers.SGD(0.1), mse, (x, y), 16, modes=["eager"], **options
)
meta = distributed.metadata
print(f"replicas={meta['replicas']} per_replica_batch={meta['per_replica_batch']}")
print(
    "parity "
    + " ".join(
        f"{r.mode}:{r.parity_ok if r.parity_ok is not None else r.parity}" for r in distributed.rows
    )
)
print("errors", [r.error for r in distributed.rows])

# Same weights and batches, an uneven last batch included (33 examples, batch 16: the
# third batch has 1 example, so one replica gets none): the distributed losses equal the
# single-device ones.
x33, y33 = (
    tf.constant(rng.normal(size=(33, 4)), tf.float32),
    tf.constant(rng.normal(size=(33, 3)), tf.float32),
)
sgd = lambda: keras.optimizers.SGD(0.1)  # noqa: E731
settings = TrainingSettings(
    steps_per_execution=8, fit_steps=64, max_time=0.05, precision=0.5, check_steps=3
)
single_plan = training._Plan(
    training._Factories(model_fn, sgd, mse, None, 0, None), x33, y33, 16, settings, {}
)
dist_plan = training._Plan(
    training._Factories(model_fn, sgd, mse, None, 0, strategy), x33, y33, 16, settings, {}
)
a, b = single_plan._custom_losses("eager"), dist_plan._custom_losses("graph")
same = all(abs(p - q) < 1e-5 for p, q in zip(a, b))
print(f"uneven batches match single-device: {same} ({a} vs {b})")
