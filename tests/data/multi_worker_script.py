"""A real two-worker job for `graphlab watch` under MultiWorkerMirroredStrategy: each
process is told its place by TF_CONFIG; the training step all-reduces its gradients
over gRPC on 127.0.0.1. Worker 1 also preprocesses a last, shorter batch with a local
tf.function (no collective in it): a retrace only that worker makes."""

import json
import os

import tensorflow as tf

strategy = tf.distribute.MultiWorkerMirroredStrategy()
index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]

with strategy.scope():
    weight = tf.Variable(1.0)
optimizer = tf.keras.optimizers.SGD(0.1)


@tf.function
def preprocess(batch):
    return batch / 2.0


@tf.function
def train_step(batch):
    def replica_step(batch):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((batch * weight - 1.0) ** 2)
        grads = tape.gradient(loss, [weight])
        optimizer.apply_gradients(zip(grads, [weight]))
        return loss

    losses = strategy.run(replica_step, args=(batch,))
    return strategy.reduce(tf.distribute.ReduceOp.MEAN, losses, axis=None)


for _ in range(3):
    loss = train_step(preprocess(tf.ones([8])))
if index == 1:
    preprocess(tf.ones([5]))
print(json.dumps({"index": index, "weight": float(weight.numpy())}))
