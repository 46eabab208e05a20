"""compare(): modes on tiny functions with real TensorFlow, parity, failures, records,
renderers and run diffs."""

from __future__ import annotations

import json
import os
import sys

import pytest
from helpers import synthetic

from graphlab.bench.records import COMPARISON_SCHEMA, Comparison

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "comparison-1.json")
FAST = dict(max_time=0.05, measure_floor=False)


# ---------------------------------------------------------------------------
# Real TensorFlow, tiny budgets


def test_builtin_modes_on_a_tiny_function():
    import tensorflow as tf

    from graphlab import compare, examples

    result = compare(
        examples.cube, tf.constant([1.0, 2.0]), modes=("eager", "graph", "xla", "concrete"), **FAST
    )
    assert [r.mode for r in result.rows] == ["eager", "graph", "xla", "concrete"]
    assert all(r.ok for r in result.rows), [r.error for r in result.rows]
    eager, graph = result.rows[0], result.rows[1]
    assert result.speedup(eager) is None
    assert result.speedup(graph) is not None
    assert graph.measurement.op_count and graph.measurement.tracing > 0
    assert graph.measurement.retraces == 0
    assert all(r.parity_ok for r in result.rows[1:])
    assert result.metadata["device"]


def test_parity_catches_a_different_implementation():
    import tensorflow as tf

    from graphlab import compare

    x = tf.constant([1.0, 2.0, 3.0])
    result = compare(
        lambda x: x**3,
        x,
        modes={"pow": lambda x: x**3, "mul": lambda x: x * x * x, "wrong": lambda x: x * x},
        **FAST,
    )
    by_mode = {row.mode: row for row in result.rows}
    assert by_mode["mul"].parity_ok is True
    assert by_mode["wrong"].parity_ok is False
    assert "mismatch" in by_mode["wrong"].parity
    assert any("mismatch" in note for note in result.notes(by_mode["wrong"]))


def test_a_failing_mode_keeps_the_others():
    import tensorflow as tf

    from graphlab import compare

    def as_text(x):
        return tf.strings.as_string(x)  # no XLA kernel

    def makes_variables(x):
        return tf.Variable(x) * 2  # a new variable per call breaks graph mode

    result = compare([as_text, makes_variables], tf.constant(1.0), **FAST)
    rows = {(r.function, r.mode): r for r in result.rows}
    assert rows[("as_text", "eager")].ok and rows[("as_text", "graph")].ok
    assert "XLA cannot compile" in rows[("as_text", "xla")].error
    assert rows[("makes_variables", "eager")].ok
    assert not rows[("makes_variables", "graph")].ok
    assert not result.all_failed


def test_unknown_mode_is_an_error():
    from graphlab import compare
    from graphlab.bench.modes import CompareError

    with pytest.raises(CompareError, match="unknown mode 'jit'"):
        compare(lambda: 1, modes=("eager", "jit"), **FAST)


# ---------------------------------------------------------------------------
# Records and renderers (no timing)


def test_derived_columns():
    c = synthetic()
    eager, graph, xla = c.rows
    assert c.speedup(graph) == pytest.approx(5.0, rel=0.01)
    low, high = c.speedup_ci(graph)
    assert low < 5.0 < high
    # 40 ms more first call, 0.4 ms saved per call -> 101 calls
    assert c.break_even(graph) == 101
    assert not c.dominated_by_overhead(graph)  # 100 µs >= 1.5 x 60 µs bare call
    assert not c.dominated_by_overhead(eager)  # 500 µs > 1.5 x 8 µs eager op
    near_floor = synthetic(graph_us=80.0)
    assert near_floor.dominated_by_overhead(near_floor.rows[1])  # 80 µs < 1.5 x 60 µs
    assert "dominated by call overhead" in near_floor.notes(near_floor.rows[1])
    assert c.notes(xla)[0].startswith("failed:")
    assert c.speedup(xla) is None


def test_json_round_trip_and_golden_file():
    c = synthetic()
    data = json.loads(c.to_json())
    assert data["schema"] == COMPARISON_SCHEMA
    row = data["rows"][1]
    for key in (
        "function",
        "mode",
        "first_call_ms",
        "median_us",
        "iqr_us",
        "rounds",
        "speedup_vs_eager",
        "retraces",
    ):
        assert key in row
    assert data["rows"][0]["speedup_vs_eager"] is None
    again = Comparison.from_dict(data)
    assert again.rows == c.rows
    with open(GOLDEN, encoding="utf-8") as handle:
        golden = Comparison.from_dict(json.load(handle))
    assert golden.speedup(golden.rows[1]) == pytest.approx(5.0, rel=0.01)
    assert golden.rows[2].error
    with pytest.raises(ValueError, match="schema"):
        Comparison.from_dict({"schema": "graphlab.tracelog/1", "rows": []})


def test_renderers():
    from graphlab.bench import render as renderer

    c = synthetic()
    text = renderer.render(c, "text", width=200)
    assert "speedup vs eager" in text and "5.0x" in text and "XLA cannot compile" in text
    narrow = renderer.render(c, "text", width=80)
    assert max(len(line) for line in narrow.splitlines()) <= 85  # headers pad by 2
    assert "xla: failed: InvalidArgumentError: XLA cannot compile" in narrow  # never cut
    assert "| function" in renderer.render(c, "md")
    assert renderer.render(c, "csv").splitlines()[0].startswith("function,mode,first_call_ms")
    assert "<table>" in c._repr_html_()
    frame = c.to_frame()
    assert list(frame["mode"]) == ["eager", "graph", "xla"]
    assert frame.loc[1, "speedup_vs_eager"] == pytest.approx(5.0, rel=0.01)
    with pytest.raises(ValueError, match="unknown format"):
        renderer.render(c, "yaml")


def test_missing_matplotlib_names_the_plot_extra(monkeypatch):
    from graphlab.bench import render as renderer

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"graphlab\[plot\]"):
        renderer.render_png(synthetic())


def test_png_plot():
    from graphlab.bench import render as renderer

    pytest.importorskip("matplotlib", reason="plots need the plot extra (matplotlib)")
    assert renderer.render_png(synthetic()).startswith(b"\x89PNG")


def test_diff_runs_gates_on_speedup():
    from graphlab.bench import render as renderer
    from graphlab.bench.runs import diff_runs

    old, new = synthetic(graph_us=100.0), synthetic(graph_us=150.0)
    diff = diff_runs(old, new, fail_if_slower=10)
    graph = next(c for c in diff.changes if c.mode == "graph")
    assert graph.time_ratio == pytest.approx(1.5)
    assert graph.p_value < 0.05
    assert graph.speedup_change == pytest.approx(-1 / 3, rel=0.01)
    assert diff.failed and "f/graph" in diff.failures[0]
    assert not diff_runs(old, new, fail_if_slower=50).failed
    assert not diff_runs(old, old, fail_if_slower=1).failed
    assert "FAILED" in renderer.render_diff(diff, "text")
    assert json.loads(renderer.render_diff(diff, "json"))["failures"]


def test_the_gate_fails_when_a_mode_that_ran_breaks_or_disappears():
    import dataclasses

    from graphlab.bench.records import Comparison, ComparisonRow
    from graphlab.bench.runs import diff_runs

    old = synthetic()
    broken_rows = tuple(
        ComparisonRow(r.function, r.mode, None, error="XlaRuntimeError: boom")
        if r.mode == "graph"
        else r
        for r in old.rows
    )
    broken = dataclasses.replace(old, rows=broken_rows)
    diff = diff_runs(old, broken, fail_if_slower=10)
    assert diff.failed
    assert "f/graph: ran in old, failed: XlaRuntimeError: boom in new" in diff.failures
    missing = Comparison(tuple(r for r in old.rows if r.mode != "graph"), old.tensorflow)
    assert (
        "f/graph: ran in old, missing in new" in diff_runs(old, missing, fail_if_slower=10).failures
    )
    assert not diff_runs(old, broken).failed  # no gate: reported, not failed


def test_a_zero_median_gives_no_ratio_instead_of_crashing():
    import dataclasses

    old = synthetic()
    zero = dataclasses.replace(old.rows[1].measurement, block_times=(0.0,) * 7)
    rows = (old.rows[0], dataclasses.replace(old.rows[1], measurement=zero), old.rows[2])
    comparison = dataclasses.replace(old, rows=rows)
    assert comparison.speedup(rows[1]) is None
    assert comparison.to_dict()["rows"][1]["speedup_vs_eager"] is None
    assert "f" in str(comparison)


def test_processes_run_the_callers_function_and_tensors_in_fresh_processes():
    """compare(fn, x, processes=2): fn by name, the caller's own tensor by pickle; rows
    pool both processes' blocks under the caller's label."""
    import numpy as np
    import tensorflow as tf

    import graphlab
    from graphlab import examples

    x = tf.constant(np.arange(100, dtype=np.int32).reshape(10, 10) % 3)
    result = graphlab.compare(
        examples.power, x, 3, modes="eager,graph", label="power3", processes=2, max_time=0.2
    )
    assert [(r.function, r.mode) for r in result.rows] == [("power3", "eager"), ("power3", "graph")]
    graph = result.row("power3", "graph")
    assert graph.ok and graph.parity_ok is True
    assert set(graph.measurement.block_processes) == {0, 1}
    assert result.processes == 2 and result.paired(graph).processes == 2
    assert result.metadata["isolation"] == "2 process(es)"


def _identity(x):
    return x


@pytest.mark.parametrize(
    ("fn", "modes", "args", "message"),
    [
        (lambda x: x, "eager", (1.0,), "fn is a lambda"),
        (_identity, {"mine": _identity}, (1.0,), "built-in modes only"),
        (_identity, "eager", ((v for v in [1.0]),), "cannot be pickled"),
        (_identity, "eager", (1.0,), None),
    ],
)
def test_processes_say_what_cannot_reach_a_worker(fn, modes, args, message):
    """Refused before any process starts, with what to do."""
    import graphlab
    from graphlab.bench.modes import CompareError

    def local(x):
        return x

    if message is None:  # the same call in a function's own scope
        fn, message = local, "defined inside a function"
    with pytest.raises(CompareError, match=message):
        graphlab.compare(fn, *args, modes=modes, processes=2)


def test_processes_must_be_a_positive_int():
    import graphlab

    for processes in (0, 101, 2.0):
        with pytest.raises(ValueError, match="processes must be an int from 1 to 100, got"):
            graphlab.compare(_identity, 1.0, processes=processes)
