"""Side effects while tracing, stale captured values, recursion, Keras's own functions,
and TensorFlow's generic retracing warning: real tf.functions, real Keras models."""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest
import tensorflow as tf

import graphlab
from graphlab.tracing.api import RetraceError

external_list: list = []
scale = 2.0
calls = 0


def effects_of(event):
    return [(e.kind, e.where.rsplit(":", 1)[0]) for e in event.side_effects]


def line_of(fn, text):
    """The line number of the first line of ``fn``'s source containing ``text``."""
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def test_print_random_mutation_and_global_are_reported_at_their_line(capsys):
    def body(x):
        global calls
        print("tracing body")
        noise = np.random.normal()
        jitter = random.random()
        external_list.append(x)
        calls += 1
        return x + noise + jitter

    fn = graphlab.function(body)
    fn(tf.constant(1.0))
    fn(tf.constant(2.0))  # no trace: no effects run again
    assert capsys.readouterr().out == "tracing body\n"
    (event,) = fn.traces
    where = {e.kind: e.where for e in event.side_effects}
    assert sorted(where) == ["global", "mutation", "print", "random"]
    assert where["print"] == f"tests/test_effects.py:{line_of(body, 'print(')}"
    assert [e.where for e in event.side_effects if e.kind == "random"] == [
        f"tests/test_effects.py:{line_of(body, 'np.random')}",
        f"tests/test_effects.py:{line_of(body, 'random.random')}",
    ]
    assert where["mutation"] == f"tests/test_effects.py:{line_of(body, 'append')}"
    assert where["global"] == f"tests/test_effects.py:{line_of(body, 'calls +=')}"
    messages = {e.kind: e.message for e in event.side_effects}
    assert "tf.print" in messages["print"]
    randoms = [e.message for e in event.side_effects if e.kind == "random"]
    assert randoms[0].startswith("np.random.normal() ran while tracing")
    assert randoms[1].startswith("random.random() ran while tracing")
    assert messages["mutation"].startswith("external_list (a list from outside the function)")
    assert messages["global"].startswith("calls was assigned while tracing")
    # The wrapped function computes exactly what tf.function computes.
    assert len(external_list) >= 1
    del external_list[:]


def test_no_side_effects_reported_for_clean_functions_and_local_containers():
    @graphlab.function
    def clean(x):
        parts = []
        for _ in range(3):
            parts.append(x)
        totals = {}
        totals["sum"] = tf.add_n(parts)
        return totals["sum"] * scale

    clean(tf.constant(1.0))
    assert clean.traces[0].side_effects == ()


def test_nonlocal_attribute_and_autograph_print():
    class Box:
        pass

    box = Box()
    box.count = 0
    seen = 0

    @graphlab.function
    def step(x):
        nonlocal seen
        seen += 1
        box.count += 1
        if x > 0:  # AutoGraph: the print runs inside a converted branch
            print("positive")
        return x

    step(tf.constant(1.0))
    kinds = dict((e.kind, e.where) for e in step.traces[0].side_effects)
    assert set(kinds) == {"global", "mutation", "print"}
    line = line_of(test_nonlocal_attribute_and_autograph_print, "print(" + '"positive')
    assert kinds["print"] == f"tests/test_effects.py:{line}"
    assert any(e.message.startswith("box.count was assigned") for e in step.traces[0].side_effects)
    assert any(e.message.startswith("seen was assigned") for e in step.traces[0].side_effects)


def test_effects_in_called_user_code_count_at_their_own_line():
    def helper(x):
        print("in helper")
        return x * 2

    @graphlab.function
    def outer(x):
        return helper(x) + 1

    outer(tf.constant(1.0))
    (effect,) = outer.traces[0].side_effects
    assert effect.where == f"tests/test_effects.py:{line_of(helper, 'print(')}"


def test_expect_traces_can_fail_on_side_effects():
    @tf.function
    def noisy(x):
        print("tracing")
        return x

    with graphlab.expect_traces(noisy, max=1):  # allowed by default
        noisy(tf.constant(1.0))
    with pytest.raises(RetraceError, match="ran Python side effects while tracing"):
        with graphlab.expect_traces(noisy, max=1, allow_side_effects=False):
            noisy(tf.constant([1.0]))


# ---------------------------------------------------------------------------
# Stale captured values


factor = 2.0


def test_a_changed_global_read_while_tracing_is_a_stale_capture():
    global factor
    factor = 2.0

    @tf.function
    def times(x):
        return x * factor

    with graphlab.watch() as w:
        assert times(tf.constant(1.0)).numpy() == 2.0
        factor = 3.0
        assert times(tf.constant(1.0)).numpy() == 2.0  # TensorFlow's behaviour: baked in
    (finding,) = w.report().findings
    assert (finding.kind, finding.function, finding.name) == ("stale_capture", "times", "factor")
    assert (finding.traced_value, finding.current_value) == ("2.0", "3.0")
    assert finding.where == f"tests/test_effects.py:{line_of(times.python_function, 'factor')}"
    assert "tf.Variable" in finding.message
    factor = 2.0


def test_attribute_of_an_argument_baked_in_the_guide_evaluate_example():
    # TensorFlow's tf.function guide: "Didn't change :(".
    class SimpleModel(tf.Module):
        def __init__(self):
            self.bias = 0.0
            self.weight = 2.0

    @tf.function
    def evaluate(model, x):
        return model.weight * x + model.bias

    simple_model = SimpleModel()
    x = tf.constant(10.0)
    with graphlab.watch() as w:
        assert evaluate(simple_model, x).numpy() == 20.0
        simple_model.bias += 5.0
        assert evaluate(simple_model, x).numpy() == 20.0  # Didn't change :(
    findings = w.report().findings
    assert [(f.name, f.traced_value, f.current_value) for f in findings] == [
        ("model.bias", "0.0", "5.0")
    ]
    assert "evaluate still uses model.bias = 0.0" in findings[0].message


def test_unchanged_values_and_retraced_values_are_not_stale():
    global factor
    factor = 2.0

    @tf.function
    def times(x):
        return x * factor

    with graphlab.watch() as w:
        times(tf.constant(1.0))
        factor = 3.0
        times(tf.constant([1.0]))  # a new trace reads 3.0: the newest trace is current
    assert w.report().findings == ()
    factor = 2.0


# ---------------------------------------------------------------------------
# Recursion


def test_recursion_is_named_and_advised_as_a_loop():
    # The guide's recursive_fn: one trace per recursion level, not a Python-value problem.
    @tf.function
    def recursive_fn(n):
        if n > 0:
            return recursive_fn(n - 1)
        return 1

    with graphlab.watch() as w:
        recursive_fn(5)
    events = [e for e in w.events if e.function == "recursive_fn"]
    assert len(events) == 6 == recursive_fn.experimental_get_tracing_count()
    assert events[0].cause.kind == "first_trace"
    assert {e.cause.kind for e in events[1:]} == {"recursion"}
    assert "tf.while_loop" in events[1].cause.advice
    assert "Pass a tensor" not in "".join(e.cause.advice for e in events)
    assert "called itself while tracing" in events[1].message


# ---------------------------------------------------------------------------
# Keras's own functions


def tiny_model():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_keras_validation_evaluate_predict_and_on_batch_calls_are_not_avoidable():
    model = tiny_model()
    x, y = np.ones((32, 4), "float32"), np.ones((32, 2), "float32")
    with graphlab.watch() as w:
        model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:8], y[:8]), verbose=0)
        model.evaluate(x, y, verbose=0)
        model.predict(x, verbose=0)
        model.train_on_batch(x[:4], y[:4])
        model.test_on_batch(x[:4], y[:4])
        model.predict_on_batch(x[:4])
    assert [e.message for e in w.events if e.actionable] == []
    names = {e.function for e in w.user_events}
    assert {
        "Sequential.train_function (one_step_on_data)",
        "Sequential.test_function (one_step_on_data)",
        "Sequential.test_function (multi_step_on_iterator)",
        "Sequential.predict_function (one_step_on_data_distributed)",
    } <= names
    first_test = next(e for e in w.events if e.function.startswith("Sequential.test_function"))
    assert first_test.cause.kind == "first_trace"


def test_keras_model_compiled_every_epoch_is_still_re_created():
    model = tiny_model()
    x, y = np.ones((8, 4), "float32"), np.ones((8, 2), "float32")
    with graphlab.watch() as w:
        for _ in range(3):
            model.compile(optimizer="sgd", loss="mse")
            model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    recreated = [e for e in w.events if e.actionable]
    assert len(recreated) == 4  # epochs 2 and 3, both of Keras's train functions
    assert {e.cause.kind for e in recreated} == {"new_function_object"}
    assert all("re-created" in e.cause.detail for e in recreated)
    assert all(e.function.startswith("Sequential.train_function") for e in recreated)


def test_keras_predict_in_a_loop_with_varying_batch_sizes():
    model = tiny_model()
    with graphlab.watch() as w:
        for n in (3, 5, 7, 9):
            model.predict(np.ones((n, 4), "float32"), batch_size=16, verbose=0)
    predict = [e for e in w.user_events]
    assert [e.trace_index for e in predict] == [1, 2]  # reduce_retracing: one generalization
    assert predict[1].cause.kind == "generalized" and not predict[1].actionable


# ---------------------------------------------------------------------------
# TensorFlow's generic retracing warning


def test_tf_generic_retracing_warning_is_held_back_while_watching(caplog):
    # TensorFlow warns once per function about "N out of the last N calls"; each half of
    # the test retraces its own function.
    @tf.function
    def muted_fn(x):
        return x + 1

    @tf.function
    def kept_fn(x):
        return x + 1

    def retracing(messages):
        return [m for m in messages if "triggered tf.function retracing" in m]

    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        with graphlab.watch():
            for n in range(1, 8):
                muted_fn(tf.ones([n]))
        muted = retracing(caplog.messages)
        caplog.clear()
        with graphlab.watch(keep_tf_warning=True):
            for n in range(1, 8):
                kept_fn(tf.ones([n]))
        kept = retracing(caplog.messages)
    assert muted == []
    assert kept and "kept_fn" in kept[0]  # TensorFlow warns when asked to keep it
