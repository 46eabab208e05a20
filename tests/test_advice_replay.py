"""Advice that works when applied: record a program's calls, apply the change the report
suggests, replay the same calls, and check that nothing retraces and nothing fails."""

from __future__ import annotations

import pytest
import tensorflow as tf

import graphlab
from graphlab.tracing.explain import SIGNATURE_ADVICE


def _advice_of(report, name: str) -> str:
    (summary,) = [s for s in report.summaries if s.function == name]
    return summary.advice


def _signature_in(advice: str, **names) -> list[tf.TensorSpec]:
    lines = advice.splitlines()
    headings = [i for i, line in enumerate(lines) if line.startswith(SIGNATURE_ADVICE)]
    assert len(headings) == 1, advice  # one signature per function
    decorator = lines[headings[0] + 1]
    assert decorator.startswith("@tf.function(input_signature=")
    return eval(decorator.removeprefix("@tf.function(input_signature=")[:-1], {"tf": tf, **names})


def _replay(fn, calls) -> None:
    """Call ``fn`` (the tf.function re-created with the advice applied: graphlab rightly
    calls it a new function object of the same code)."""
    for args in calls:
        fn(*args)


def _record(py_fn, calls, **options):
    with graphlab.watch() as watch:
        _replay(tf.function(py_fn, **options), calls)
    return watch.report()


def _mul(x, n=1):
    return x * n


def _add(a, b):
    return a + b


def _identity(x):
    return x + 0


VARIABLE = None


def _signature_programs():
    return {
        "shapes, Python ints and a float tensor (one parameter with a default)": (
            _mul,
            [
                (tf.ones([2]),),
                (tf.ones([3]),),
                (tf.ones([3]), 2),
                (tf.ones([3]), tf.constant(2.0)),
                (tf.ones([7]),),
            ],
            "[tf.TensorSpec(shape=[None], dtype=tf.float32), "
            "tf.TensorSpec(shape=[], dtype=tf.float32)]",
        ),
        "2-D shapes in two dimensions": (
            _identity,
            [(tf.ones(s),) for s in [(1, 1), (3, 1), (2, 1), (1, 2), (3, 2)]],
            "[tf.TensorSpec(shape=[None, None], dtype=tf.float32)]",
        ),
        "a batch dimension only": (
            _add,
            [(tf.ones([b, 3]), tf.ones([b, 1])) for b in (4, 5, 2)],
            "[tf.TensorSpec(shape=[None, 3], dtype=tf.float32), "
            "tf.TensorSpec(shape=[None, 1], dtype=tf.float32)]",
        ),
        "Python ints multiplying a float tensor": (
            _mul,
            [(tf.ones([2]), 1), (tf.ones([3]), 2)],
            "[tf.TensorSpec(shape=[None], dtype=tf.float32), "
            "tf.TensorSpec(shape=[], dtype=tf.float32)]",
        ),
    }


@pytest.mark.parametrize("name", list(_signature_programs()))
def test_the_suggested_signature_accepts_every_call_and_traces_once(name):
    py_fn, calls, expected = _signature_programs()[name]
    report = _record(py_fn, calls)
    advice = _advice_of(report, py_fn.__name__)
    signature = _signature_in(advice)
    assert repr(signature).count("TensorSpec") == expected.count("TensorSpec")
    assert f"input_signature={expected})" in advice
    fixed = tf.function(py_fn, input_signature=signature)
    with graphlab.watch() as watch:
        _replay(fixed, calls)
    assert fixed.experimental_get_tracing_count() == 1
    assert len(watch.report().events) == 1


def test_ranks_that_differ_get_an_unknown_rank_signature_the_guide_example():
    """TensorFlow's tf.function guide: a matrix, a scalar variable, a matrix again."""
    v = tf.Variable(1.0)
    calls = [
        (tf.ones([2, 2]), tf.ones([2, 2])),
        (v, 1.0),
        (tf.matmul(tf.ones([2, 2]), tf.ones([2, 2])), tf.ones([2, 2])),
    ]
    advice = _advice_of(_record(_add, calls), "_add")
    assert "no single input_signature" not in advice
    assert "reduce_retracing" not in advice
    assert "(removes 1 trace in this run)" in advice  # the third call hits the first trace
    signature = _signature_in(advice)
    assert [s.shape.rank for s in signature] == [None, None]
    fixed = tf.function(_add, input_signature=signature)
    _replay(fixed, calls)
    assert fixed.experimental_get_tracing_count() == 1


def _scaled(x, mode):
    return x * 2 if mode == "double" else x


def test_reduce_retracing_is_advised_only_where_it_removes_traces():
    three = [(tf.ones([n]), "double") for n in (2, 3, 4)]
    advice = _advice_of(_record(_scaled, three), "_scaled")
    assert "no single input_signature accepts every call (mode is Python str 'double'" in advice
    assert "reduce_retracing=True" in advice and "(removes 1 trace in this run)" in advice
    fixed = tf.function(_scaled, reduce_retracing=True)
    _replay(fixed, three)
    assert fixed.experimental_get_tracing_count() == 2  # as the advice said
    two = three[:2]  # two shapes: TensorFlow would trace both anyway
    advice = _advice_of(_record(_scaled, two), "_scaled")
    assert "reduce_retracing=True would not remove any trace" in advice
    fixed = tf.function(_scaled, reduce_retracing=True)
    _replay(fixed, two)
    assert fixed.experimental_get_tracing_count() == 2


def test_python_value_advice_applied_traces_once():
    calls = [(tf.ones([2]), n) for n in (1, 2, 3)]
    advice = _advice_of(_record(_mul, calls), "_mul")
    assert "Pass a tensor instead of a Python value for n (tf.constant(n, dtype=tf.float32))" in (
        advice
    )
    fixed = tf.function(_mul)
    _replay(fixed, [(x, tf.constant(n, dtype=tf.float32)) for x, n in calls])
    assert fixed.experimental_get_tracing_count() == 1


def _ones(n):
    return tf.ones([n])


def test_python_value_used_as_a_size_is_advised_as_int32():
    calls = [(1,), (2,), (3,)]
    advice = _advice_of(_record(_ones, calls), "_ones")
    assert "(tf.constant(n, dtype=tf.int32))" in advice
    fixed = tf.function(_ones)
    _replay(fixed, [(tf.constant(n, dtype=tf.int32),) for (n,) in calls])
    assert fixed.experimental_get_tracing_count() == 1


def test_dtype_advice_applied_traces_once():
    calls = [(tf.ones([2], tf.float32),), (tf.ones([2], tf.float64),)]
    advice = _advice_of(_record(_identity, calls), "_identity")
    assert "Cast inputs to one dtype" in advice
    fixed = tf.function(_identity)
    _replay(fixed, [(tf.cast(x, tf.float32),) for (x,) in calls])
    assert fixed.experimental_get_tracing_count() == 1


class _Box:
    def __init__(self, value):
        self.value = value


def _unbox(box):
    return box.value * 2


def test_object_identity_advice_applied_traces_once():
    boxes = [_Box(tf.constant(float(i))) for i in range(3)]
    advice = _advice_of(_record(_unbox, [(b,) for b in boxes]), "_unbox")
    assert "Reuse one instance" in advice
    fixed = tf.function(lambda value: value * 2)  # "pass its tensors instead"
    _replay(fixed, [(b.value,) for b in boxes])
    assert fixed.experimental_get_tracing_count() == 1


def test_structure_advice_applied_traces_once():
    calls = [({"a": tf.ones([2])},), ({"a": tf.ones([2]), "b": tf.ones([2])},)]
    advice = _advice_of(_record(lambda d: d["a"] * 2, calls), "<lambda>")
    assert "Keep the same dict keys" in advice
    fixed = tf.function(lambda d: d["a"] * 2)
    _replay(fixed, [({"a": d["a"], "b": d.get("b", tf.zeros([2]))},) for (d,) in calls])
    assert fixed.experimental_get_tracing_count() == 1


def test_recreated_function_advice_applied_traces_once():
    with graphlab.watch() as watch:
        for _ in range(3):
            tf.function(_identity)(tf.ones([2]))
    advice = "\n".join(s.advice for s in watch.report().summaries)
    assert "Create the tf.function once" in advice
    once = tf.function(_identity)
    with graphlab.watch() as watch:
        for _ in range(3):
            once(tf.ones([2]))
    assert len(watch.report().events) == 1
