"""The trace recorder with real TensorFlow: causes, drop-in behaviour, guards."""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
import weakref

import numpy as np
import pytest
import tensorflow as tf

import graphlab
from graphlab import examples
from graphlab.tracing import recorder as tracing
from graphlab.tracing.options import OptionError, WatchOptions


def kinds(events):
    return [e.cause.kind for e in events]


def only_change(event):
    (change,) = event.cause.changes
    return change.param, change.what, change.before, change.after


# ---------------------------------------------------------------------------
# Causes: the tf.function guide's and the seed chapter's retracing examples


def test_seed_chapter_tf_cube():
    tf_cube = graphlab.function(examples.cube)
    tf_cube(tf.constant(2.0))
    tf_cube(2)
    tf_cube(3)
    tf_cube(tf.constant([[1.0, 2.0]]))
    tf_cube(tf.constant([[3.0, 4.0], [5.0, 6.0]]))
    tf_cube(tf.constant([[7.0, 8.0], [9.0, 10.0]]))
    events = tf_cube.traces
    assert tf_cube.experimental_get_tracing_count() == 5
    assert [e.trace_index for e in events] == [1, 2, 3, 4, 5]
    # The first trace is "first_trace", or "new_function_object" (expected) when another
    # test already wrapped examples.cube in its own tf.function.
    assert events[0].cause.expected
    assert kinds(events)[1:] == ["new_input_type"] * 4
    assert only_change(events[1]) == ("x", "type", "tensor float32[]", "Python int 2")
    assert only_change(events[2]) == ("x", "python_value", "2", "3")
    assert only_change(events[3]) == ("x", "shape", "()", "(1, 2)")
    assert only_change(events[4]) == ("x", "shape", "(1, 2)", "(2, 2)")
    assert [e.actionable for e in events] == [False, True, True, True, True]
    assert events[4].signature == {"x": "float32[2,2]"}
    assert events[0].op_count == 4  # Placeholder, Const, Pow, Identity
    assert events[0].defined_at.endswith("graphlab/examples.py:15")
    assert events[4].call_site.startswith("tests/test_tracing.py:")
    assert events[4].message.startswith("cube retraced (5th trace) at tests/test_tracing.py:")
    assert "x changed shape (1, 2) -> (2, 2); tracing took" in events[4].message


def test_dtype_and_rank_changes():
    f = graphlab.function(lambda x: x + x)
    f(tf.constant([1.0]))
    f(tf.constant([1]))
    f(tf.constant([[1]]))
    events = f.traces
    assert only_change(events[1]) == ("x", "dtype", "float32", "int32")
    assert only_change(events[2]) == ("x", "shape", "(1,)", "(1, 1)")
    assert "Cast inputs to one dtype" in events[1].cause.advice


def test_dict_and_list_structure():
    @graphlab.function
    def total(batch, xs):
        return batch["a"] + tf.add_n(xs)

    one = tf.constant(1.0)
    total({"a": one}, [one])
    total({"a": one, "b": one}, [one])
    total({"a": one, "b": one}, [one, one])
    events = total.traces
    assert [c.param for c in events[1].cause.changes] == ["batch"]
    assert events[1].cause.changes[0].what == "structure"
    assert "added 'b'" in events[1].cause.changes[0].after
    assert only_change(events[2]) == ("xs", "structure", "list of length 1", "list of length 2")


def test_custom_objects_are_keyed_by_identity():
    class Scale:
        def __init__(self, k):
            self.k = k

    @graphlab.function
    def scale(obj, x):
        return x * obj.k

    x = tf.constant(1.0)
    first, second = Scale(2.0), Scale(2.0)
    scale(first, x)
    scale(first, x)
    scale(second, x)
    events = scale.traces
    assert len(events) == 2
    param, what, _, after = only_change(events[1])
    assert (param, what) == ("obj", "object_identity")
    assert "Scale object" in after
    assert "__tf_tracing_type__" in events[1].cause.advice


def test_value_objects_match_while_alive_and_never_once_collected():
    @dataclasses.dataclass(frozen=True)
    class Config:
        k: float

    @graphlab.function
    def scale(cfg, x):
        return x * cfg.k

    x = tf.constant(1.0)
    kept = Config(2.0)
    scale(kept, x)
    scale(Config(2.0), x)  # equal to a live object: no new trace
    assert len(scale.traces) == 1
    del kept
    gc.collect()
    scale(Config(2.0), x)
    param, what, before, _ = only_change(scale.traces[1])
    assert (param, what, before) == (
        "cfg",
        "object_identity",
        "<an earlier object, since collected>",
    )
    assert "Reuse one instance" in scale.traces[1].cause.advice


def test_tf_function_recreated_in_a_loop():
    with graphlab.watch() as w:
        for _ in range(3):
            step = tf.function(lambda x: x * 2)
            step(tf.constant(1.0))
    assert kinds(w.events) == ["first_trace", "new_function_object", "new_function_object"]
    assert "already traced by 2 other tf.function object(s)" in w.events[2].cause.detail
    assert "outside the loop" in w.events[2].cause.advice
    assert w.events[2].actionable


def test_variable_creation_on_first_call_is_expected():
    state = {}

    @tf.function
    def counter(x):
        if "v" not in state:
            state["v"] = tf.Variable(0.0)
        return state["v"].assign_add(x)

    with graphlab.watch() as w:
        counter(tf.constant(1.0))
        counter(tf.constant(2.0))
    assert [(e.function, e.cause.kind) for e in w.events] == [
        ("counter", "first_trace"),
        ("initialize_variables", "internal"),
        ("counter", "variable_creation"),
    ]
    assert not any(e.actionable for e in w.events)
    assert w.events[1].internal
    assert counter(tf.constant(1.0)).numpy() == 4.0


def test_reduce_retracing_generalizes():
    f = graphlab.function(lambda x: x * 2, reduce_retracing=True)
    f(tf.ones([2]))
    f(tf.ones([3]))
    f(tf.ones([4]))
    events = f.traces
    assert len(events) == 2 == f.experimental_get_tracing_count()
    assert events[1].cause.kind == "generalized"
    assert only_change(events[1]) == ("x", "shape", "(2,)", "(3,)")
    assert events[1].signature == {"x": "float32[None]"}
    # reduce_retracing does this once by design: expected, nothing to do about it.
    assert events[1].cause.expected and not events[1].actionable
    assert events[1].cause.advice == ""


def test_saving_retraces_in_its_own_context(tmp_path):
    module = tf.Module()
    module.f = graphlab.function(lambda x: x + 1, input_signature=[tf.TensorSpec([None])])
    module.f(tf.constant([1.0]))
    tf.saved_model.save(module, str(tmp_path))
    events = module.f.traces
    assert kinds(events) == ["first_trace", "context_change"]
    assert "tf.saved_model.save" in events[1].cause.detail
    assert not events[1].actionable


# ---------------------------------------------------------------------------
# Keras


def tiny_model():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_keras_fit_with_a_smaller_last_batch_traces_once():
    model = tiny_model()
    x, y = np.ones((10, 4), "float32"), np.ones((10, 2), "float32")
    with graphlab.watch() as w:
        model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    user = [e for e in w.events if not e.internal]
    assert sorted(e.function for e in user) == [
        "Sequential.train_function (multi_step_on_iterator)",
        "Sequential.train_function (one_step_on_data)",
    ]
    assert not any(e.actionable for e in w.events)  # no retrace for the last batch
    step = next(e for e in user if e.function == "Sequential.train_function (one_step_on_data)")
    assert step.signature == {"data": "(float32[None,4], float32[None,2])"}
    assert step.call_site.startswith("tests/test_tracing.py:")
    assert any(e.internal for e in w.events)  # tf.data's own functions are recorded too


def test_keras_train_on_batch_smaller_batch_is_generalized():
    model = tiny_model()
    x, y = np.ones((4, 4), "float32"), np.ones((4, 2), "float32")
    with graphlab.watch() as w:
        model.train_on_batch(x, y)
        model.train_on_batch(x[:2], y[:2])
        model.train_on_batch(x[:3], y[:3])
        model.predict(x, verbose=0)
    predict = "Sequential.predict_function (one_step_on_data_distributed)"
    assert predict in {e.function for e in w.events}
    steps = [e for e in w.events if e.function == "Sequential.train_function (one_step_on_data)"]
    assert [e.trace_index for e in steps] == [1, 2]
    assert steps[1].cause.kind == "generalized"
    assert not steps[1].actionable  # reduce_retracing's one generalization: expected
    assert steps[1].cause.changes[0] == graphlab.tracing.records.Change(
        "data[0]", "shape", "(4, 4)", "(2, 4)"
    )
    assert steps[1].signature["data"].startswith("(float32[None,4], float32[None,2]")


def test_recompiled_keras_model_gets_a_new_train_function():
    model = tiny_model()
    x, y = np.ones((4, 4), "float32"), np.ones((4, 2), "float32")
    with graphlab.watch() as w:
        model.train_on_batch(x, y)
        model.compile(optimizer="sgd", loss="mse")
        model.train_on_batch(x, y)
    steps = [e for e in w.events if e.function == "Sequential.train_function (one_step_on_data)"]
    # The first model's step is either the process's first or a new model's: expected.
    assert steps[0].cause.kind in ("first_trace", "new_function_object")
    assert not steps[0].actionable
    assert steps[1].cause.kind == "new_function_object"
    assert steps[1].actionable
    assert "re-created" in steps[1].cause.detail


# ---------------------------------------------------------------------------
# Drop-in behaviour


def test_decorator_forms_and_results_match_tf_function():
    def square(x):
        return x * x

    plain = tf.function(square)
    bare = graphlab.function(square)
    called = graphlab.function(jit_compile=False)(square)

    @graphlab.function
    def decorated(x):
        return x * x

    for fn in (bare, called, decorated):
        assert isinstance(fn, graphlab.GraphlabFunction)
        assert isinstance(fn, tf.types.experimental.PolymorphicFunction)
        for value in (tf.constant(3.0), tf.constant([1, 2]), 4):
            np.testing.assert_array_equal(fn(value), plain(value))
        assert fn.experimental_get_tracing_count() == plain.experimental_get_tracing_count()
    assert bare.python_function is square
    assert decorated.__name__ == "decorated"
    concrete = bare.get_concrete_function(tf.TensorSpec([None], tf.float32))
    assert concrete(tf.constant([2.0])).numpy().tolist() == [4.0]


def test_input_signature_errors_are_unchanged():
    spec = [tf.TensorSpec([None], tf.float32)]
    plain = tf.function(lambda x: x, input_signature=spec)
    recorded = graphlab.function(lambda x: x, input_signature=spec)
    with pytest.raises(TypeError) as expected:
        plain(tf.constant([1]))
    with pytest.raises(TypeError) as got:
        recorded(tf.constant([1]))
    assert str(got.value) == str(expected.value)


def test_wrapping_an_existing_tf_function_keeps_its_options():
    spec = [tf.TensorSpec([None], tf.float32)]
    original = tf.function(lambda x: x * 3, input_signature=spec, reduce_retracing=True)
    original(tf.constant([1.0]))
    wrapped = graphlab.function(original)
    assert wrapped is not original
    assert wrapped.input_signature == original.input_signature
    assert wrapped(tf.constant([2.0])).numpy().tolist() == [6.0]
    assert original.experimental_get_tracing_count() == 1  # untouched
    assert len(wrapped.traces) == 1
    assert graphlab.function(wrapped) is wrapped


def test_not_callable_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"expects a Python function.*got int: 3"):
        graphlab.function(3)


def test_tf_module_and_keras_methods_bind_per_instance():
    import keras

    class Scaler(tf.Module):
        def __init__(self, k):
            super().__init__()
            self.k = tf.Variable(k)

        @graphlab.function
        def __call__(self, x):
            return x * self.k

    class Doubler(keras.Model):
        @graphlab.function
        def call(self, x):
            return x * 2

    a, b = Scaler(2.0), Scaler(3.0)
    assert a(tf.constant(1.0)).numpy() == 2.0
    assert b(tf.constant(1.0)).numpy() == 3.0
    assert a.__call__ is not b.__call__
    assert len(a.__call__.traces) == 1
    assert len(Scaler.__call__.traces) == 2  # the class-level function sees both
    assert Scaler.__call__.traces[1].cause.kind == "new_function_object"
    assert not Scaler.__call__.traces[1].actionable  # a new instance is expected
    assert Doubler()(tf.constant([1.0])).numpy().tolist() == [2.0]


def test_saved_model_round_trip(tmp_path):
    module = tf.Module()
    module.f = graphlab.function(
        lambda x: x * 2, input_signature=[tf.TensorSpec([None], tf.float32)]
    )
    tf.saved_model.save(module, str(tmp_path))
    restored = tf.saved_model.load(str(tmp_path))
    assert restored.f(tf.constant([1.0, 2.0])).numpy().tolist() == [2.0, 4.0]


def test_run_functions_eagerly_means_no_traces():
    f = graphlab.function(lambda x: x + 1)
    tf.config.run_functions_eagerly(True)
    try:
        assert f(tf.constant(1.0)).numpy() == 2.0
    finally:
        tf.config.run_functions_eagerly(False)
    assert f.traces == ()


# ---------------------------------------------------------------------------
# watch: scope, nesting, restoring TensorFlow


def test_watch_nests_and_restores_tensorflow_even_when_the_block_raises():
    f = tf.function(lambda x: x + 1)
    gc.collect()  # no graphlab.function alive: nothing keeps the hook in
    assert tracing.live_functions() == 0
    assert not tracing.hook_installed()
    before = graphlab._tf.hook.tracing_compilation._create_concrete_function
    with pytest.raises(RuntimeError, match="boom"):
        with graphlab.watch() as outer:
            f(tf.constant(1.0))
            with graphlab.watch() as inner:
                f(tf.constant([1.0]))
            raise RuntimeError("boom")
    assert len(outer.events) == 2
    assert len(inner.events) == 1
    assert tracing.active_watches() == []
    assert not tracing.hook_installed()
    assert graphlab._tf.hook.tracing_compilation._create_concrete_function is before


def test_start_stop_calls():
    w = graphlab.watch().start()
    assert w.active
    tf.function(lambda x: x)(tf.constant(1))
    w.stop()
    assert not w.active
    tf.function(lambda x: x)(tf.constant(2))
    assert len(w.events) == 1
    with pytest.raises(ValueError, match="max_events_per_function must be at least 1"):
        graphlab.watch(max_events_per_function=0)


def test_watch_options_are_one_checked_record():
    w = graphlab.watch(memory=True, memory_interval=0.5, rank=3)
    assert w.options == WatchOptions(memory=True, memory_interval=0.5, rank=3)
    assert WatchOptions.from_dict(w.options.to_dict()) == w.options
    assert graphlab.Watch.from_options(w.options).options == w.options
    assert WatchOptions().to_dict() == {
        "max_events_per_function": 1000,
        "keep_tf_warning": False,
        "compiles": False,
        "memory": False,
        "memory_interval": 0.1,
        "rank": None,
    }
    with pytest.raises(ValueError, match=r"memory_interval must be from 0.001 to 3600 \(seconds"):
        WatchOptions(memory_interval=0)
    with pytest.raises(ValueError, match="compiles must be True or False, got 'yes'"):
        WatchOptions(compiles="yes")
    with pytest.raises(ValueError, match=r"rank must be a whole number >= 0.*TF_CONFIG"):
        graphlab.watch(rank=-1)
    with pytest.raises(ValueError, match=r"unknown watch option\(s\) 'memroy'; known: max_"):
        WatchOptions.from_dict({"memroy": True})
    with pytest.raises(OptionError) as error:
        WatchOptions(max_events_per_function=0)
    assert error.value.for_flag().startswith("--max-events must be at least 1")


def test_events_are_capped_per_function_and_folded_into_the_summary():
    f = tf.function(lambda x: x)
    with graphlab.watch(max_events_per_function=2) as w:
        for n in range(5):
            f(tf.zeros([n + 1]))
    assert [e.trace_index for e in w.events] == [4, 5]
    (summary,) = w.report().summaries
    assert (summary.traces, summary.folded, summary.actionable_retraces) == (5, 3, 4)


def test_threads_record_every_trace():
    f = graphlab.function(lambda x: x * 2)
    barrier = threading.Barrier(8)

    def work(n):
        barrier.wait()
        f(tf.zeros([n + 1]))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(f.traces) == f.experimental_get_tracing_count() == 8
    assert sorted(e.trace_index for e in f.traces) == list(range(1, 9))


def test_recorder_holds_no_strong_reference_to_graphs():
    f = graphlab.function(lambda x: x + 1)
    f(tf.constant(1.0))
    graph_ref = weakref.ref(f.traces[0].concrete_function().graph)
    assert graph_ref() is not None
    del f
    gc.collect()
    assert graph_ref() is None


# ---------------------------------------------------------------------------
# Guards and logging


def test_expect_traces_raises_with_explanations():
    f = graphlab.function(lambda x: x)
    f(tf.constant(1.0))
    with pytest.raises(graphlab.RetraceError) as error:
        with graphlab.expect_traces(f, max=1):
            f(tf.constant([1.0]))
            f(tf.constant([1.0, 2.0]))
    assert "traced 2 time(s), expected at most 1" in str(error.value)
    assert "x changed shape (1,) -> (2,)" in str(error.value)
    assert len(error.value.events) == 2
    with graphlab.expect_traces(f, max=1):
        f(tf.constant([[1.0]]))


def test_no_retrace_after_warm_up_and_for_all_functions():
    f = graphlab.function(lambda x: x)
    other = tf.function(lambda x: x)
    f(tf.constant(1.0))
    with graphlab.no_retrace(f):
        f(tf.constant(2.0))
        other(tf.constant(1.0))  # another function: not f's business
    with pytest.raises(graphlab.RetraceError, match=r"tf\.functions traced 1 time"):
        with graphlab.no_retrace():
            other(tf.constant([1.0]))


def test_actionable_retraces_are_logged_to_the_graphlab_logger(caplog):
    f = graphlab.function(lambda n: tf.constant(n))
    with caplog.at_level(logging.DEBUG, logger="graphlab"):
        f(1)
        f(2)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "retraced (2nd trace)" in warnings[0].getMessage()
    assert "Pass a tensor instead of a Python value for n" in warnings[0].getMessage()


def test_retrace_warnings_are_limited_per_function_but_all_recorded(caplog):
    f = graphlab.function(lambda x: x)
    with caplog.at_level(logging.WARNING, logger="graphlab"):
        for n in range(1, 10):
            f(tf.zeros([n]))
    messages = [r.getMessage() for r in caplog.records if r.name == "graphlab"]
    assert len(f.traces) == 9
    assert sum("retraced" in m for m in messages) == tracing.MAX_WARNINGS_PER_FUNCTION == 5
    assert "further retrace warnings are not shown" in messages[-1]


def test_expect_traces_of_a_python_function_counts_recreated_tf_functions():
    def body(x):
        return x + 1

    with pytest.raises(graphlab.RetraceError, match=r"body traced 5 time\(s\), expected at most 0"):
        with graphlab.expect_traces(body, max=0):
            for _ in range(5):
                tf.function(body)(tf.constant(1.0))  # dies right after its call


def test_no_retrace_of_a_tf_function_ignores_other_wrappers_of_its_code():
    def body(x):
        return x * 3

    step = tf.function(body)
    step(tf.constant(1.0))
    other = tf.function(body)
    with graphlab.no_retrace(step):
        step(tf.constant(2.0))
        other(tf.constant(1.0))  # another object: its first trace is not step's
    assert other.experimental_get_tracing_count() == 1


def test_stopping_watches_while_other_threads_trace_never_breaks_their_calls():
    import sys

    errors = []
    stop = threading.Event()

    def trace_forever():
        while not stop.is_set():
            try:
                tf.function(lambda x: x + 1)(tf.constant(1.0))
            except Exception as error:  # pragma: no cover - the failure being tested
                errors.append(repr(error))

    threads = [threading.Thread(target=trace_forever) for _ in range(2)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for _ in range(3000):
            graphlab.watch().start().stop()
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert tracing.active_watches() == []


def test_every_trace_is_recorded_when_new_caches_reuse_the_ids_of_dead_ones():
    """The recorder keeps each cache's keys by id(cache); a collected cache's id comes
    back for a new, smaller cache (tf.function re-created in a loop)."""
    sizes = [3, 1] * 10
    with graphlab.watch() as watch:
        for calls in sizes:
            fn = tf.function(lambda x: x + 1)
            for size in range(1, calls + 1):
                fn(tf.ones([size]))
            del fn
            gc.collect()
    assert len(watch.report().events) == sum(sizes)
