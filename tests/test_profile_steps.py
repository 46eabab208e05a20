"""A first call's phases and a steady state's top ops, from real profiles of tiny
functions (graph and XLA); the readings on synthetic events."""

from __future__ import annotations

import time

import pytest
import tensorflow as tf

from graphlab._types import Event
from graphlab.graphs.summarize import op_table
from graphlab.profiling import steps
from graphlab.profiling.records import FirstCallBreakdown, TopOp
from graphlab.profiling.session import Profile


def make_step(jit: bool):
    @tf.function(jit_compile=jit)
    def step(x, w):
        y = tf.matmul(x, w)  # the matmul line
        return tf.reduce_sum(tf.nn.relu(y))

    return step


@pytest.mark.parametrize("jit", [False, True], ids=["graph", "xla"])
def test_first_call_phases_sum_to_its_wall_time(jit):
    step = make_step(jit)
    x, w = tf.ones([32, 32]), tf.ones([32, 32])
    with Profile() as profile:
        start = time.perf_counter()
        result = float(step(x, w))
        wall = time.perf_counter() - start
    assert result == 32 * 32 * 32  # profiling changes nothing
    breakdown = steps.first_call_breakdown(profile.events, wall)
    assert breakdown.total == pytest.approx(wall, rel=0.10)
    assert breakdown.tracing > 0 and breakdown.first_run > 0
    assert (breakdown.xla_compile > 0) is jit
    assert FirstCallBreakdown.from_dict(breakdown.to_dict()).to_dict() == breakdown.to_dict()


@pytest.mark.parametrize("jit", [False, True], ids=["graph", "xla"])
def test_top_ops_name_the_matmul_and_its_line(jit):
    step = make_step(jit)
    x, w = tf.ones([64, 64]), tf.ones([64, 64])
    step(x, w)
    with Profile() as profile:
        for _ in range(5):
            step(x, w)
    ops = op_table(step.get_concrete_function(x, w))
    found = steps.top_ops(profile.events, calls=5, step_time=1e-3, ops=ops)
    matmul = next(op for op in found if "MatMul" in op.op_type)
    assert matmul.op_type == ("XLA MatMul" if jit else "MatMul")
    assert matmul.where.endswith(f":{make_step.__code__.co_firstlineno + 3}")
    assert matmul.self_time > 0 and matmul.share == pytest.approx(matmul.self_time / 1e-3)
    assert TopOp.from_dict(matmul.to_dict()).to_dict() == matmul.to_dict()


def ev(event_name, start, duration, line="t", **stats):
    return Event(line, event_name, start * 10**9, duration * 10**9, stats)


def test_self_time_leaves_nested_events_out_and_call_ops_are_skipped():
    events = [
        ev("StatefulPartitionedCall:StatefulPartitionedCall", 0, 50),
        ev("MatMul:MatMul", 0, 10, line="u"),
        ev("MatMul:MatMul", 20, 10, line="u"),
        ev("Inner:Inner", 22, 4, line="u"),
        ev("fusion", 40, 6, line="u", hlo_op="add_fusion"),
    ]
    found = steps.top_ops(events, calls=2, step_time=0.02, ops={"MatMul": ("MatMul", "a.py:3")})
    assert [(op.op_type, op.name, op.where) for op in found] == [
        ("MatMul", "MatMul", "a.py:3"),
        ("XLA fusion", "add_fusion", ""),
        ("Inner", "Inner", ""),
    ]
    assert found[0].self_time == pytest.approx(0.008)  # (10 + 10 - 4) ms over 2 calls
    assert found[0].share == pytest.approx(0.4)


def test_ops_rewritten_by_onednn_keep_the_user_s_type():
    # On CPUs oneDNN optimizes for (AVX-512, AMX), TF runs MatMul as `MatMul:_MklMatMul`
    events = [
        ev("MatMul:_MklMatMul", 0, 10),
        ev("Conv:_MklNativeConv2D", 20, 6),
        ev("Relu_1:_MklRelu", 30, 2),
        ev("x:_Retval", 40, 1),
    ]
    found = steps.top_ops(events, calls=1, step_time=0.02, ops={"MatMul": ("MatMul", "a.py:3")})
    assert [(op.op_type, op.name, op.where) for op in found] == [
        ("MatMul", "MatMul", "a.py:3"),
        ("Conv2D", "Conv", ""),
        ("Relu", "Relu_1", ""),
    ]
