"""The seed chapter's "TensorFlow Functions and Graphs" section, run as one program.

Hands-On Machine Learning (3rd ed.), chapter 12: cube / tf_cube with its print, shrink,
the three add_10, increment, Counter, then a custom loss, metric, layer and model
trained with fit(..., validation_data=...), evaluate, predict, and a run_eagerly fit.
Sizes are shrunk (California housing -> random data) so that it runs in seconds.
tests/test_corpus.py runs it under `python -m graphlab watch` and checks the report.
"""

import keras
import numpy as np
import tensorflow as tf


def cube(x):
    return x**3


cube(2)
cube(tf.constant(2.0))
tf_cube = tf.function(cube)
tf_cube(2)
tf_cube(tf.constant(2.0))


@tf.function
def tf_cube(x):  # noqa: F811 - the book redefines it
    print(f"x = {x}")
    return x**3


result = tf_cube(tf.constant(2.0))
result = tf_cube(2)
result = tf_cube(3)
result = tf_cube(tf.constant([[1.0, 2.0]]))  # New shape: trace!
result = tf_cube(tf.constant([[3.0, 4.0], [5.0, 6.0]]))  # New shape: trace!
result = tf_cube(tf.constant([[7.0, 8.0], [9.0, 10.0]]))  # Same shape: no trace


@tf.function(input_signature=[tf.TensorSpec([None, 28, 28], tf.float32)])
def shrink(images):
    print("Tracing", images)
    return images[:, ::2, ::2]


img_batch_1 = tf.random.uniform(shape=[100, 28, 28])
img_batch_2 = tf.random.uniform(shape=[50, 28, 28])
preprocessed_images = shrink(img_batch_1)  # Traces the function.
preprocessed_images = shrink(img_batch_2)  # Reuses the same concrete function.


@tf.function
def add_10(x):
    for i in range(10):
        x += 1
    return x


add_10(tf.constant(5))


@tf.function
def add_10(x):  # noqa: F811
    condition = lambda i, x: tf.less(i, 10)  # noqa: E731
    body = lambda i, x: (tf.add(i, 1), tf.add(x, 1))  # noqa: E731
    final_i, final_x = tf.while_loop(condition, body, [tf.constant(0), x])
    return final_x


add_10(tf.constant(5))


@tf.function
def add_10(x):  # noqa: F811
    for i in tf.range(10):
        x = x + 1
    return x


add_10(tf.constant(5))

counter = tf.Variable(0)


@tf.function
def increment(counter, c=1):
    return counter.assign_add(c)


increment(counter)  # counter is now equal to 1
increment(counter)  # counter is now equal to 2

counter = tf.Variable(0)


@tf.function
def increment(c=1):  # noqa: F811
    return counter.assign_add(c)


increment()
increment()


class Counter:
    def __init__(self):
        self.counter = tf.Variable(0)

    @tf.function
    def increment(self, c=1):
        return self.counter.assign_add(c)


c = Counter()
c.increment()
c.increment()

# Custom loss, metric, layer and model: each prints while it is traced.
rng = np.random.default_rng(42)
X_train, y_train = rng.normal(size=(200, 8)).astype("float32"), rng.normal(size=(200, 1))
X_valid, y_valid = rng.normal(size=(50, 8)).astype("float32"), rng.normal(size=(50, 1))
X_test, y_test = rng.normal(size=(50, 8)).astype("float32"), rng.normal(size=(50, 1))


def my_mse(y_true, y_pred):
    print("Tracing loss my_mse()")
    return tf.reduce_mean(tf.square(y_pred - y_true))


def my_mae(y_true, y_pred):
    print("Tracing metric my_mae()")
    return tf.reduce_mean(tf.abs(y_pred - y_true))


class MyDense(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[1], self.units), initializer="uniform"
        )
        self.biases = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, X):
        print("Tracing MyDense.call()")
        return self.activation(X @ self.kernel + self.biases)


class MyModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = MyDense(30, activation="relu")
        self.hidden2 = MyDense(30, activation="relu")
        self.output_ = MyDense(1)

    def call(self, input):
        print("Tracing MyModel.call()")
        hidden1 = self.hidden1(input)
        hidden2 = self.hidden2(hidden1)
        concat = keras.layers.concatenate([input, hidden2])
        output = self.output_(concat)
        return output


model = MyModel()
model.compile(loss=my_mse, optimizer="nadam", metrics=[my_mae])
model.fit(X_train, y_train, epochs=2, batch_size=32, validation_data=(X_valid, y_valid), verbose=0)
model.evaluate(X_test, y_test, verbose=0)
model.predict(X_test[:3], verbose=0)

model = MyModel()
model.compile(loss=my_mse, optimizer="nadam", metrics=[my_mae], run_eagerly=True)
model.fit(X_train, y_train, epochs=1, batch_size=32, verbose=0)
