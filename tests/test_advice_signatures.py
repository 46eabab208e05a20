"""Signatures for every argument TensorFlow can sign: nested structures, unknown ranks,
ragged and sparse tensors. Each case records real calls, applies the printed signature
and replays the same calls: one trace, the same outputs."""

from __future__ import annotations

import collections

import numpy as np
import tensorflow as tf

import graphlab
from graphlab.tracing.explain import LAST_BATCH_ADVICE, SIGNATURE_ADVICE

Pair = collections.namedtuple("Pair", ["images", "labels"])


def _record(py_fn, calls):
    fn = tf.function(py_fn)
    with graphlab.watch() as watch:
        outputs = [fn(*args) for args in calls]
    (summary,) = [s for s in watch.report().summaries if s.function == py_fn.__name__]
    return summary, outputs


def _apply(advice: str, py_fn, calls, outputs) -> int:
    """Apply the printed signature, replay the calls, compare outputs; the traces."""
    lines = advice.splitlines()
    (heading,) = [i for i, line in enumerate(lines) if line.startswith(SIGNATURE_ADVICE)]
    decorator = lines[heading + 1]
    fixed = eval(decorator.removeprefix("@"), {"tf": tf, "Pair": Pair})(py_fn)
    for args, before in zip(calls, outputs):
        after = fixed(*args)
        np.testing.assert_allclose(np.asarray(after), np.asarray(before))
    return fixed.experimental_get_tracing_count()


def _batch_sum(batch):
    images, labels = batch
    return tf.reduce_sum(images) + tf.reduce_sum(tf.cast(labels, tf.float32))


def test_a_tuple_from_a_dataset_with_a_smaller_last_batch():
    images = np.ones([10, 8, 8, 1], np.float32)
    labels = np.arange(10, dtype=np.uint8)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
    calls = [(batch,) for batch in dataset]  # 4, 4, 2
    summary, outputs = _record(_batch_sum, calls)
    assert summary.traces == 2
    assert "no single input_signature" not in summary.advice
    assert "reduce_retracing" not in summary.advice  # two shapes: it would save nothing
    assert (
        "@tf.function(input_signature=[(tf.TensorSpec(shape=[None, 8, 8, 1], "
        "dtype=tf.float32), tf.TensorSpec(shape=[None], dtype=tf.uint8))])"
    ) in summary.advice
    assert "(removes 1 trace in this run)" in summary.advice
    assert (
        f"{LAST_BATCH_ADVICE} dataset.batch(4, drop_remainder=True) skips the final batch of 2"
    ) in summary.advice
    assert _apply(summary.advice, _batch_sum, calls, outputs) == 1
    dropped = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4, drop_remainder=True)
    once = tf.function(_batch_sum)
    for batch in dropped:
        once(batch)
    assert once.experimental_get_tracing_count() == 1


def _relu(x):
    return tf.maximum(0.0, x)


def test_my_relu_on_a_scalar_a_list_and_a_vector_the_intro_to_graphs_guide():
    calls = [(tf.constant(5.5),), ([1, -1],), (tf.constant([3.0, -3.0]),)]
    summary, outputs = _record(_relu, calls)
    assert summary.traces == 3
    assert "@tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])" in (
        summary.advice
    )
    assert "(removes 2 traces in this run)" in summary.advice
    assert "reduce_retracing" not in summary.advice
    assert _apply(summary.advice, _relu, calls, outputs) == 1


def _weighted(inputs):
    return tf.reduce_sum(inputs["x"]) * inputs["w"] + tf.reduce_sum(inputs["pair"].images)


def test_dicts_named_tuples_and_python_numbers_inside():
    calls = [
        ({"x": tf.ones([n, 3]), "w": w, "pair": Pair(tf.ones([n]), tf.zeros([n], tf.int64))},)
        for n, w in ((2, 1.0), (5, 2.0), (3, 0.5))
    ]
    summary, outputs = _record(_weighted, calls)
    assert summary.traces == 3
    assert (
        "'pair': Pair(images=tf.TensorSpec(shape=[None], dtype=tf.float32), "
        "labels=tf.TensorSpec(shape=[None], dtype=tf.int64))"
    ) in summary.advice.replace("\n", "")
    assert _apply(summary.advice, _weighted, calls, outputs) == 1


def _ragged_total(rows, sparse):
    return tf.reduce_sum(rows) + tf.sparse.reduce_sum(sparse)


def test_ragged_and_sparse_tensors():
    calls = [
        (tf.ragged.constant([[1.0, 2.0], [3.0]]), tf.sparse.from_dense(tf.ones([2, 3]))),
        (tf.ragged.constant([[1.0], [2.0], [3.0, 4.0]]), tf.sparse.from_dense(tf.ones([4, 3]))),
    ]
    summary, outputs = _record(_ragged_total, calls)
    assert summary.traces == 2
    assert (
        "tf.RaggedTensorSpec(shape=[None, None], dtype=tf.float32, ragged_rank=1, "
        "row_splits_dtype=tf.int64)"
    ) in summary.advice
    assert "tf.SparseTensorSpec(shape=[None, 3], dtype=tf.float32)" in summary.advice
    assert _apply(summary.advice, _ragged_total, calls, outputs) == 1


def test_python_values_keep_python_value_advice():
    summary, _ = _record(lambda x, n: x * n, [(tf.ones([2]), 1), (tf.ones([2]), 2)])
    assert "Pass a tensor instead of a Python value for n" in summary.advice
    assert SIGNATURE_ADVICE not in summary.advice


def test_the_signature_names_the_dataset_the_loop_iterates():
    images = np.ones([10, 8, 8, 1], np.float32)
    labels = np.arange(10, dtype=np.uint8)
    train_dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
    test_dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(3)
    step = tf.function(_batch_sum)
    with graphlab.watch() as watch:
        for batch in train_dataset:
            step(batch)
    (summary,) = watch.report().summaries
    assert "input_signature=[train_dataset.element_spec]" in summary.advice
    named = tf.function(_batch_sum, input_signature=[train_dataset.element_spec])
    for batch in [*train_dataset, *test_dataset]:
        named(batch)
    assert named.experimental_get_tracing_count() == 1


def test_tensor_like_types_render_with_their_kind():
    """How a trace's argument types read in reports (and in the causes of retraces)."""
    from graphlab._types import TypeNode, render_type

    shape = (2, None)
    assert render_type(TypeNode(kind="tensor", dtype="float32", shape=shape)) == "float32[2,None]"
    assert render_type(TypeNode(kind="variable", dtype="float32", shape=shape)) == (
        "Variable(float32[2,None])"
    )
    assert render_type(TypeNode(kind="ragged", dtype="int64", shape=None)) == (
        "RaggedTensor(int64[*])"
    )
    assert render_type(TypeNode(kind="sparse", dtype="float32", shape=(3,))) == (
        "SparseTensor(float32[3])"
    )
