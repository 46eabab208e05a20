"""A tiny Keras fit with validation data, as in keras.io's "Training & evaluation with
the built-in methods": a functional MLP on random data, compiled with a metric, fitted
for two epochs with validation_data, then evaluated and used to predict.

tests/test_text_goldens.py watches it, inspects ``forward`` and benches ``forward``.
"""

import keras
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
x_train = rng.random((64, 8), dtype=np.float32)
y_train = rng.integers(0, 3, 64)
x_val = rng.random((16, 8), dtype=np.float32)
y_val = rng.integers(0, 3, 16)

inputs = keras.Input(shape=(8,), name="features")
hidden = keras.layers.Dense(16, activation="relu", name="dense_1")(inputs)
outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(hidden)
model = keras.Model(inputs=inputs, outputs=outputs)

model.compile(
    optimizer=keras.optimizers.RMSprop(),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)
history = model.fit(
    x_train, y_train, batch_size=16, epochs=2, validation_data=(x_val, y_val), verbose=0
)
results = model.evaluate(x_val, y_val, batch_size=16, verbose=0)
predictions = model.predict(x_val[:3], verbose=0)


@tf.function
def forward(x):
    """The model's forward pass as a tf.function (what inspect and bench look at)."""
    return model(x, training=False)
