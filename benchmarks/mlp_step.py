"""A bench target: one training step of the seed chapter's MLP (Flatten, Dense(100),
Dense(10) on 28x28 inputs, batch 64), for comparing Python environments:

    python -m graphlab bench benchmarks/mlp_step.py:train_step \\
        --python tf216=.venv-compat/tf-2.16 --python newest=.venv-compat/tf-newest

Model, optimizer variables and the batch are made at import, so that every mode's fresh
``tf.function`` only reads and updates them (a function may create variables on its
first call only). The learning rate is 0: Adam does all its work (moments, update), the
weights stay put, and every call returns the same loss, so that bench's output parity
check between modes holds.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from graphlab import examples

model = examples.make_mlp()
optimizer = keras.optimizers.Adam(learning_rate=0.0)
optimizer.build(model.trainable_variables)
loss_fn = keras.losses.SparseCategoricalCrossentropy()
x, y = examples.fashion_mnist_like(64)


def train_step() -> tf.Tensor:
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(grads, model.trainable_variables)
    return loss
