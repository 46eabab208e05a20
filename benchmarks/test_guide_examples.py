"""TensorFlow's tf.function guide examples: where graph mode pays, and where it does not."""

from __future__ import annotations

import tensorflow as tf

from graphlab import examples


def test_power_100(graph_benchmark):
    """100 small matmuls: Python overhead dominates eager; the guide reports ~5x."""
    graph_benchmark(examples.power, examples.power_input(), 100)


def test_conv2d(graph_benchmark):
    """One big convolution: the op itself dominates, graph mode gains little."""
    conv_fn = examples.make_conv_fn(filters=32)
    image = tf.zeros([1, 64, 64, 32])
    graph_benchmark(conv_fn, image)
