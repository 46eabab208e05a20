"""The shape of keras-io's "Writing a training loop from scratch in TensorFlow" guide
(guides/writing_a_custom_training_loop_in_tensorflow.py): @tf.function train_step(x, y)
and test_step(x, y) over batched datasets whose last batch is smaller. Synthetic data,
tiny sizes, seeded."""

import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x_train = rng.random((40, 16), dtype=np.float32)
y_train = rng.integers(0, 10, 40)
x_val = rng.random((12, 16), dtype=np.float32)
y_val = rng.integers(0, 10, 12)

batch_size = 16
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(batch_size)
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(8)

inputs = keras.Input(shape=(16,), name="digits")
hidden = keras.layers.Dense(8, activation="relu")(inputs)
outputs = keras.layers.Dense(10, name="predictions")(hidden)
model = keras.Model(inputs=inputs, outputs=outputs)

optimizer = keras.optimizers.Adam(learning_rate=1e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply(grads, model.trainable_weights)
    train_acc_metric.update_state(y, logits)
    return loss_value


@tf.function
def test_step(x, y):
    val_logits = model(x, training=False)
    val_acc_metric.update_state(y, val_logits)


epochs = 2
for epoch in range(epochs):
    for x_batch_train, y_batch_train in train_dataset:
        loss_value = train_step(x_batch_train, y_batch_train)
    print(
        f"epoch {epoch}: loss {float(loss_value):.4f}, acc {float(train_acc_metric.result()):.4f}"
    )
    train_acc_metric.reset_state()
    for x_batch_val, y_batch_val in val_dataset:
        test_step(x_batch_val, y_batch_val)
    print(f"Validation acc: {float(val_acc_metric.result()):.4f}")
    val_acc_metric.reset_state()
