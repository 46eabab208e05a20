"""XLA compilations under ``watch(compiles=True)`` / ``watch --compiles``: real
TensorFlow, real profiles, tiny functions; the XPlane reading on synthetic events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tensorflow as tf
from helpers import run_cli

import graphlab
from graphlab._tf import profiler as tf_profiler
from graphlab._types import CALL_EVENT, Event
from graphlab.profiling import xplane
from graphlab.profiling.advice import notes, varying_dims
from graphlab.profiling.records import Compilation
from graphlab.tracing.records import TraceReport
from graphlab.tracing.render import render

DATA = Path(__file__).parent / "data"


def make_xla_function():
    @tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.reduce_sum(x * x + 1.0)

    return f


def test_the_six_call_example_traces_once_and_compiles_once_per_new_length():
    f = make_xla_function()
    inputs = {n: tf.ones([n]) for n in (3, 4, 5, 6)}
    with graphlab.watch(compiles=True) as w:
        results = [float(f(inputs[n])) for n in (3, 4, 5, 4, 3, 6)]
    assert results == [2.0 * n for n in (3, 4, 5, 4, 3, 6)]  # profiling changes nothing
    assert len(w.user_events) == 1
    assert f.experimental_get_tracing_count() == 1
    compilations = w.compilations
    assert [c.input_shapes for c in compilations] == [((3,),), ((4,),), ((5,),), ((6,),)]
    assert [c.after_trace for c in compilations] == [True, False, False, False]
    assert {c.function for c in compilations} == {"f"}
    assert all(c.duration > 0 for c in compilations)
    assert not tf_profiler.probe_installed()
    report = w.report()
    (note,) = report.compile_notes
    assert note.kind == "xla_recompiles" and "input 1 dim 0" in note.message
    text = render(report)
    assert "XLA compilations: 4" in text and "3 without a new trace" in text
    data = report.to_dict()
    assert [c["input_shapes"] for c in data["compilations"]] == [[[3]], [[4]], [[5]], [[6]]]
    assert TraceReport.from_dict(json.loads(json.dumps(data))).to_dict() == data


def test_a_jit_function_called_inside_a_graph_is_named_with_its_traced_shapes():
    @tf.function(jit_compile=True)
    def inner(x):
        return x * 2.0

    @tf.function
    def outer(x):
        return inner(x) + 1.0

    with graphlab.watch(compiles=True) as w:
        outer(tf.ones([2, 3]))
        outer(tf.ones([2, 3]))
    (compilation,) = w.compilations
    assert compilation.function == "inner"
    assert compilation.input_shapes == ((2, 3),)
    assert compilation.after_trace


def test_a_lambda_is_named_as_its_traces_are_and_each_trace_compiles_after_it():
    """XLA spells ``__inference_<lambda>_6`` as ``_lambda__6``: its compilations still
    belong to the lambda's traces (before: named ``_lambda_``, "with 0 traces")."""
    f = tf.function(lambda x: x * 2.0 + 1.0, jit_compile=True)
    with graphlab.watch(compiles=True) as w:
        for n in (2, 3):
            f(tf.ones([n]))
    assert [(c.function, c.input_shapes, c.after_trace) for c in w.compilations] == [
        ("<lambda>", ((2,),), True),
        ("<lambda>", ((3,),), True),
    ]
    text = render(w.report())
    assert "XLA compilations: 2" in text and "0 without a new trace" in text


def test_the_profiler_starts_only_once_xla_is_used():
    @tf.function
    def plain(x):
        return x + 1.0

    f = make_xla_function()
    f(tf.ones([3]))  # traced and compiled before the watch
    with graphlab.watch(compiles=True) as w:
        plain(tf.ones([2]))
        assert not tf_profiler.profiler_running()  # no XLA yet: nothing profiled
        f(tf.ones([7]))  # a new length: XLA compiles, no trace
        assert tf_profiler.profiler_running()
    assert not tf_profiler.profiler_running()
    (compilation,) = w.compilations
    assert compilation.input_shapes == ((7,),) and not compilation.after_trace


def test_without_compiles_nothing_is_profiled_and_the_json_has_no_compilations():
    f = make_xla_function()
    with graphlab.watch() as w:
        assert not tf_profiler.probe_installed()
        f(tf.ones([3]))
    assert w.compilations is None
    assert "compilations" not in w.report().to_dict()
    assert "XLA compilations" not in render(w.report())


def test_a_second_profiling_watch_is_refused_with_a_clear_error():
    with graphlab.watch(compiles=True):
        with pytest.raises(RuntimeError, match="profiler is already running"):
            graphlab.watch(compiles=True).start()


def test_watch_compiles_cli_writes_compilations_into_the_tracelog(tmp_path):
    out = tmp_path / "traces.json"
    script = DATA / "xla_shapes_script.py"
    result = run_cli("module", "watch", "--compiles", "-o", str(out), str(script))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "graphlab.tracelog/2"
    assert [s["traces"] for s in data["summary"]] == [1]
    assert [c["input_shapes"] for c in data["compilations"]] == [[[3]], [[4]], [[5]], [[6]]]
    first = data["compilations"][0]
    assert set(first) >= {"function", "compiler", "duration_ms", "input_shapes", "after_trace"}
    assert first["compiler"] == "xla" and first["after_trace"] is True


# ---------------------------------------------------------------------------
# Pure parts


def ev(event_name, start, duration, line="/host:CPU/python", **stats):
    return Event(line, event_name, start * 10**9, duration * 10**9, stats)  # ms -> ps


def test_compilations_span_from_the_kernel_start_to_the_backend_end():
    events = [
        ev(CALL_EVENT, 0, 100, input_shapes="[4x?][]"),
        ev("f", 1, 98, tf_function_call="traced-xla"),
        ev("EagerLocalExecute: __inference_f_7", 50, 45),
        ev("__inference_f_7:__inference_f_7", 51, 44),
        ev("CpuCompiler::RunBackend", 60, 30, name="a_inference_f_7__XlaMustCompile_true"),
        ev("JitCompiler::Compile", 70, 10),
        ev("f", 200, 5, tf_function_call="notTraced-xla"),
    ]
    (compilation,) = xplane.compilations(events, functions={"__inference_f_7": "my_f"})
    assert compilation.function == "my_f"
    assert compilation.duration == pytest.approx(0.039)  # 51 ms -> 90 ms
    assert compilation.input_shapes == ((4, None), ())
    assert compilation.after_trace is True
    assert xplane.compilations(events)[0].function == "f"


def test_parents_nest_events_per_line():
    events = [ev("a", 0, 10), ev("b", 1, 5), ev("c", 2, 1), ev("d", 7, 2), ev("x", 1, 5, line="t2")]
    assert xplane.parents(events) == [None, 0, 1, 0, None]


def test_notes_say_what_repeats_and_what_never_compiled():
    def comp(n, traced):
        return Compilation("f", "xla", 0.02, ((n, 8),), traced)

    found = notes([comp(3, True), comp(4, False)], {"f": True, "g": True, "h": False})
    assert [(n.kind, n.function) for n in found] == [
        ("xla_recompiles", "f"),
        ("xla_not_used", "g"),
    ]
    assert "2 input shapes with 1 trace" in found[0].message
    assert varying_dims([((3, 8),), ((4, 8),)]) == ["input 1 dim 0"]
    keras = notes([], {"Sequential.train_function (one_step_on_data)": False})
    assert "jit_compile='auto'" in keras[0].message


def test_shapes_round_trip_through_the_probe_encoding():
    shapes = [(3,), (4, None), ()]
    assert xplane.parse_shapes(tf_profiler.encode_shapes(shapes)) == tuple(shapes)
