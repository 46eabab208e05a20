"""graphlab.function under MirroredStrategy over two logical CPU devices (own process:
logical devices must be configured before TensorFlow initializes)."""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import graphlab  # noqa: E402

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    weight = tf.Variable(2.0)


@graphlab.function
def step(x):
    def replica_fn(v):
        return v * weight

    per_replica = strategy.run(replica_fn, args=(x,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


plain = tf.function(step.python_function)
x = tf.constant([1.0, 2.0])
results = [step(x).numpy().tolist(), step(x).numpy().tolist()]
print(
    json.dumps(
        {
            "results": results,
            "plain": plain(x).numpy().tolist(),
            "replicas": strategy.num_replicas_in_sync,
            "traces": len(step.traces),
            "tf_count": step.experimental_get_tracing_count(),
            "plain_count": plain.experimental_get_tracing_count(),
            "kinds": [e.cause.kind for e in step.traces],
        }
    )
)

replica_step = graphlab.function(lambda v: v * weight)
with graphlab.watch() as watch:
    per_replica = strategy.run(replica_step, args=(x,))
print(
    json.dumps(
        {
            "replica_values": [t.numpy().tolist() for t in per_replica.values],
            "replica_tf_count": replica_step.experimental_get_tracing_count(),
            "watched": [(e.function, e.cause.kind, e.actionable) for e in watch.events],
        }
    )
)

# Keras fit with validation data, evaluate and predict under the strategy: Keras's own
# functions and TensorFlow's distributed input pipeline, nothing avoidable.
import keras  # noqa: E402
import numpy as np  # noqa: E402

with strategy.scope():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
features, targets = np.ones((64, 4), "float32"), np.ones((64, 1), "float32")
with graphlab.watch() as watch:
    model.fit(
        features,
        targets,
        batch_size=16,
        epochs=2,
        validation_data=(features[:16], targets[:16]),
        verbose=0,
    )
    model.evaluate(features, targets, verbose=0)
    model.predict(features, verbose=0)
print(
    json.dumps(
        {
            "actionable": [e.message for e in watch.events if e.actionable],
            "functions": sorted({e.function for e in watch.user_events}),
        }
    )
)
