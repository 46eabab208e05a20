"""The seed chapter's examples and TensorFlow's guide examples, as plain Python.

The demo, the tests, the benchmarks and the docs all use these, so that every figure
graphlab shows can be reproduced from one place. Functions are undecorated: callers
wrap them in ``tf.function`` / ``graphlab.function`` or run them eagerly as they need.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf


def cube(x: Any) -> Any:
    """The seed chapter's first function: one ``Pow`` op in graph mode."""
    return x**3


def add_10_range(x: Any) -> Any:
    """A Python ``for`` loop: unrolled into ten ``AddV2`` ops when traced."""
    for _ in range(10):
        x += 1
    return x


def add_10_tf_range(x: Any) -> Any:
    """A ``tf.range`` loop: AutoGraph turns it into one ``While`` op."""
    for _ in tf.range(10):
        x += 1
    return x


def add_10_while_loop(x: Any) -> Any:
    """The explicit form of the same loop."""
    _, result = tf.while_loop(lambda i, _: i < 10, lambda i, v: (i + 1, v + 1), [0, x])
    return result


#: ``shrink``'s input signature: a batch of 28x28 images of any size.
SHRINK_SIGNATURE = [tf.TensorSpec([None, 28, 28], tf.float32)]


def shrink(images: Any) -> Any:
    """Halve the resolution; traced once thanks to its ``None`` batch dimension."""
    return images[:, ::2, ::2]


def increment(counter: Any, c: Any = 1) -> Any:
    """Variables passed as arguments (no capture)."""
    return counter.assign_add(c)


def make_increment_captured() -> tuple[Any, Any]:
    """A function that captures a variable instead of taking it: ``(fn, variable)``."""
    counter = tf.Variable(0)

    def increment_captured(c: Any = 1) -> Any:
        return counter.assign_add(c)

    return increment_captured, counter


def relu_if(x: Any) -> Any:
    """An ``if`` on a tensor: AutoGraph makes a ``cond`` with both branches."""
    if tf.reduce_sum(x) > 0:
        return x
    return -x


def power(x: Any, y: int) -> Any:
    """TensorFlow's guide example: ``y`` matmuls, ~5x faster in graph mode."""
    result = tf.eye(10, dtype=tf.dtypes.int32)
    for _ in range(y):
        result = tf.matmul(x, result)
    return result


def power_input() -> Any:
    """The guide's input for :func:`power`: a 10x10 int32 matrix."""
    return tf.random.uniform(shape=[10, 10], minval=-1, maxval=2, dtype=tf.dtypes.int32, seed=1)


def make_conv_fn(filters: int = 100) -> Any:
    """The guide's Conv2D example, where graph mode gains little: one big op."""
    import keras

    conv_layer = keras.layers.Conv2D(filters, 3)

    def conv_fn(image: Any) -> Any:
        return conv_layer(image)

    return conv_fn


def make_mlp() -> Any:
    """The seed chapter's Fashion-MNIST classifier: Flatten, Dense(100), Dense(10)."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def fashion_mnist_like(n: int = 256, seed: int = 0) -> tuple[Any, Any]:
    """Synthetic data shaped like Fashion-MNIST: ``(n, 28, 28)`` floats, ``(n,)`` labels."""
    rng = tf.random.Generator.from_seed(seed)
    x = rng.uniform((n, 28, 28), dtype=tf.float32)
    y = rng.uniform((n,), maxval=10, dtype=tf.int32)
    return x, y
