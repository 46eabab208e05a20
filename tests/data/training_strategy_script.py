"""bench_training_step under MirroredStrategy over two logical CPUs (own process)."""

import keras
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

from graphlab import training  # noqa: E402


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

# Same weights and batch: the distributed first loss equals the single-device one.
reference = training._Factories(model_fn, lambda: keras.optimizers.SGD(0.1), mse, None, 0, None)
plan_single = training._Plan(reference, tf.constant(x), tf.constant(y), 16, 8, 64, 0.05, 0.5, 1, {})
factories = training._Factories(model_fn, lambda: keras.optimizers.SGD(0.1), mse, None, 0, strategy)
plan_dist = training._Plan(factories, tf.constant(x), tf.constant(y), 16, 8, 64, 0.05, 0.5, 1, {})
a, b = plan_single._custom_losses("eager")[0], plan_dist._custom_losses("graph")[0]
print(f"first loss matches single-device: {abs(a - b) < 1e-5} ({a:.6f} vs {b:.6f})")
