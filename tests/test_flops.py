"""FLOPs in ``graphlab.inspect``: exact figures for MatMul and Conv2D, per-line sums,
nested calls, and None with a reason where a per-call count cannot be known."""

from __future__ import annotations

import pytest
import tensorflow as tf

import graphlab
from graphlab.graphs.render import render


def summary_of(fn, *args):
    (summary,) = graphlab.inspect(fn, *args).concrete_functions
    return summary


@pytest.mark.parametrize(("m", "k", "n"), [(3, 4, 5), (1, 7, 2), (16, 8, 32)])
def test_matmul_is_exactly_2mnk(m, k, n):
    def matmul(a, b):
        return tf.matmul(a, b)

    summary = summary_of(matmul, tf.TensorSpec([m, k]), tf.TensorSpec([k, n]))
    assert summary.flops == 2 * m * n * k
    assert dict(summary.flops_by_type) == {"MatMul": 2 * m * n * k}


def test_transposed_matmul_counts_the_shared_dimension():
    def matmul_t(a, b):
        return tf.matmul(a, b, transpose_a=True)

    assert summary_of(matmul_t, tf.TensorSpec([4, 3]), tf.TensorSpec([4, 5])).flops == 2 * 3 * 5 * 4


@pytest.mark.parametrize(("stride", "padding"), [(1, "SAME"), (2, "VALID")])
def test_conv2d_matches_its_closed_form(stride, padding):
    def conv(x, kernel):
        return tf.nn.conv2d(x, kernel, strides=stride, padding=padding)

    batch, height, width, cin, kh, kw, cout = 2, 9, 9, 3, 3, 3, 4
    summary = summary_of(
        conv, tf.TensorSpec([batch, height, width, cin]), tf.TensorSpec([kh, kw, cin, cout])
    )
    if padding == "SAME":
        out_h, out_w = -(-height // stride), -(-width // stride)
    else:
        out_h, out_w = (height - kh) // stride + 1, (width - kw) // stride + 1
    assert summary.flops == 2 * batch * out_h * out_w * cout * kh * kw * cin


def test_per_line_flops_sum_to_the_total_and_name_the_line():
    def dense(x, w, b):
        y = tf.matmul(x, w)  # line A
        z = y + b  # line B
        return tf.reduce_sum(z * z)

    summary = summary_of(dense, tf.TensorSpec([8, 4]), tf.TensorSpec([4, 2]), tf.TensorSpec([2]))
    assert sum(line.flops for line in summary.lines) == summary.flops
    by_source = {line.source: line.flops for line in summary.lines}
    assert by_source["y = tf.matmul(x, w)  # line A"] == 2 * 8 * 2 * 4
    assert by_source["z = y + b  # line B"] == 8 * 2


def test_a_nested_function_counts_once_per_call():
    @tf.function
    def inner(a, b):
        return tf.matmul(a, b)

    def outer(a, b):
        return inner(a, b) - inner(a, b)

    summary = summary_of(outer, tf.TensorSpec([3, 4]), tf.TensorSpec([4, 5]))
    assert dict(summary.flops_by_type) == {"MatMul": 2 * 120, "Sub": 15}
    assert sum(line.flops for line in summary.lines) == summary.flops


def test_unknown_shapes_and_loops_give_none_with_the_reason():
    def matmul(a, b):
        return tf.matmul(a, b)

    unknown = summary_of(matmul, tf.TensorSpec([None, 4]), tf.TensorSpec([4, 5]))
    assert unknown.flops is None and unknown.flops_by_type == ()
    assert "shapes not fully known" in unknown.flops_note
    assert all(line.flops is None for line in unknown.lines)

    def loop(a):
        for _ in tf.range(3):
            a = tf.matmul(a, a)
        return a

    looped = summary_of(loop, tf.TensorSpec([4, 4]))
    assert looped.flops is None and "while" in looped.flops_note


def test_inspect_json_and_text_carry_flops():
    def matmul(a, b):
        return tf.matmul(a, b)

    inspection = graphlab.inspect(matmul, tf.TensorSpec([3, 4]), tf.TensorSpec([4, 5]))
    (data,) = inspection.to_dict()["concrete_functions"]
    assert data["flops"] == 120 and data["flops_by_type"] == {"MatMul": 120}
    assert "FLOPs per call: 120 (MatMul 120)" in render(inspection)
