"""The derived figures of a comparison: one record per row, computed once per rendering,
read by the JSON, every table format, the CSV and the plugin's summary."""

from __future__ import annotations

import json

import pytest
from helpers import synthetic

from graphlab.bench import figures, pairing, peak, render, render_plugin
from graphlab.bench.records import Comparison, ComparisonRow, Measurement

MB = 2**20


@pytest.fixture
def pairings(monkeypatch) -> list[int]:
    """Counts the calls of pairing's entry point (one per paired row)."""
    calls = [0]
    original = pairing.paired_speedup

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(pairing, "paired_speedup", counted)
    return calls


def test_one_record_per_row_with_the_figures_the_tables_show():
    comparison = synthetic()
    eager, graph, xla = comparison.figures()
    assert [f.row for f in (eager, graph, xla)] == list(comparison.rows)
    assert eager.reference is None and eager.speedup is None and eager.break_even is None
    assert graph.reference is comparison.rows[0]
    assert graph.speedup == pytest.approx(5.0, rel=0.05)
    low, high = graph.interval
    assert low <= graph.speedup <= high
    assert graph.pairs == 7 and graph.processes == 1 and graph.schedule == "interleaved"
    assert graph.unstable == "" and not graph.dominated_by_overhead
    assert graph.break_even == comparison.break_even(comparison.rows[1]) == 101
    assert xla.notes[0].startswith("failed:") and xla.processes is None and xla.pairs is None
    assert xla.schedule == "sequential"


@pytest.mark.parametrize("fmt", render.FORMATS)
def test_every_format_pairs_each_row_once(pairings, fmt):
    comparison = synthetic()  # one row (graph) has a reference to pair with
    render.render(comparison, fmt)
    assert pairings[0] == 1


def test_frame_json_and_plugin_pair_each_row_once(pairings):
    comparison = synthetic()
    comparison.flat_rows()
    comparison.to_dict()
    render_plugin.pivot([row for row in comparison.rows if row.ok])
    assert pairings[0] == 3


def test_the_json_and_the_frame_read_the_figures():
    comparison = synthetic(graph_us=80.0)  # within 1.5x of the 60 µs bare call
    graph = comparison.figures()[1]
    data = json.loads(comparison.to_json())["rows"][1]
    assert data["speedup_vs_eager"] == graph.speedup
    assert data["speedup_ci"] == list(graph.interval)
    assert data["pairs"] == graph.pairs and data["break_even_calls"] == graph.break_even
    assert data["dominated_by_overhead"] is True and data["notes"] == list(graph.notes)
    flat = comparison.flat_rows()[1]
    assert (flat["speedup_ci_low"], flat["speedup_ci_high"]) == graph.interval
    assert flat["notes"] == "; ".join(graph.notes)


def test_peak_memory_is_typed_in_the_figures():
    metadata = {
        peak.PEAK_RSS_KEY: str(3 * MB),
        peak.PEAK_RSS_HOW_KEY: peak.WORKER_PROCESS,
        peak.PEAK_GPU_KEY: str(5 * MB),
    }
    measured = Measurement("f/eager", (1e-3, 1e-3), (1, 1), metadata=metadata)
    plain = Measurement("f/graph", (1e-3, 1e-3), (1, 1))
    comparison = Comparison(
        (ComparisonRow("f", "eager", measured), ComparisonRow("f", "graph", plain))
    )
    first, second = comparison.figures()
    assert first.peak == peak.PeakMemory(3 * MB, peak.WORKER_PROCESS, 5 * MB)
    assert second.peak == peak.PeakMemory()
    line = render.peak_memory_line(comparison.figures())
    assert line == (
        "peak memory per mode (RSS rise while it ran, worker process): eager +3.0 MB; "
        "GPU peak (TensorFlow's allocator): eager 5.0 MB"
    )
    assert comparison.flat_rows()[0]["peak_rss_mb"] == 3.0


def test_a_row_outside_the_comparison_is_compared_with_its_reference():
    comparison = synthetic()
    graph = comparison.rows[1]
    alone = ComparisonRow("f", "graph", graph.measurement)  # equal, not the same object
    assert comparison.figures_of(alone).speedup == comparison.figures()[1].speedup
    assert figures.find(comparison.rows, "f", "xla") is comparison.rows[2]
    assert figures.find(comparison.rows, "f", "graph", "elsewhere") is None
