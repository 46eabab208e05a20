"""The seed chapter's functions, eager vs graph (vs XLA with --graphlab-modes)."""

from __future__ import annotations

import tensorflow as tf

from graphlab import examples


def test_cube_scalar(graph_benchmark):
    """Tiny work: dispatch overhead dominates, graph mode is slower."""
    graph_benchmark(examples.cube, tf.constant(2.0))


def test_cube_large_tensor(graph_benchmark):
    x = tf.random.stateless_uniform([1000, 1000], seed=(1, 2))
    graph_benchmark(examples.cube, x)


def test_add_10_python_range(graph_benchmark):
    """Unrolled into ten AddV2 ops."""
    graph_benchmark(examples.add_10_range, tf.constant(5))


def test_add_10_tf_range(graph_benchmark):
    """One While op: the loop runs inside the graph."""
    graph_benchmark(examples.add_10_tf_range, tf.constant(5))


def test_shrink_with_input_signature(graph_benchmark):
    images = tf.random.stateless_uniform([32, 28, 28], seed=(3, 4))
    graph_benchmark(examples.shrink, images)
