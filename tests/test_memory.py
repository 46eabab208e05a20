"""``watch(memory=True)`` / ``watch --memory``: resident memory over a run, the graphs
each function keeps alive, and the verdict on growth.

The verdict's rules are tested on synthetic samples; real TensorFlow runs check the
three cases the issue names, with sizes far from the thresholds (a retrace loop whose
graphs each hold a 128 KB constant, eager tensors of 1 MB kept in a list), so that a
busy machine cannot flip them.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from helpers import make_memory, make_report, run_cli

import graphlab
from graphlab import _memory
from graphlab.tracing import render
from graphlab.tracing.memory import GROWTH_MB, classify, report_of
from graphlab.tracing.records import TraceReport
from graphlab.tracing.records_memory import MemorySample
from graphlab.tracing.sampler import MemoryMonitor, sampling_threads

DATA = Path(__file__).parent / "data"


def samples(rss, traces, duration=10.0, n=51):
    return [MemorySample(t, rss(t), traces(t)) for t in (duration * i / (n - 1) for i in range(n))]


# ---------------------------------------------------------------------------
# The verdict, on numbers


def test_warm_up_then_flat_is_stable():
    # TensorFlow's warm-up: a big step in the first half, nothing after.
    verdict = classify(samples(lambda t: 500 + (80 if t > 2 else 0), lambda t: 3))
    assert verdict.verdict == "stable" and verdict.steady_growth_mb == 0


def test_a_one_off_step_in_the_second_half_is_stable():
    # The first predict() or evaluate() late in a run: one step, then flat.
    verdict = classify(samples(lambda t: 500 + (40 if t > 6.2 else 0), lambda t: 3 + (t > 6.2)))
    assert verdict.steady_growth_mb == 40 and verdict.growing_slices == 1
    assert verdict.verdict == "stable"


def test_set_up_before_the_first_trace_is_not_part_of_the_run():
    # A program under `watch`: its imports (Keras's) and data set-up grow memory before
    # anything traces, then two first-time steps. Read from the sampling's start, the
    # set-up ramp fills the second half and reads as growth (the seed chapter did).
    def rss(t):
        return 500 + 30 * min(t, 4) + 10 * ((t > 5.2) + (t > 6.4) + (t > 7.6))

    def traces(t):
        return 0 if t < 4 else 1 + (t > 5.2) + (t > 6.4) + (t > 7.6)

    verdict = classify(samples(rss, traces))
    assert verdict.verdict == "stable", verdict
    assert classify(samples(rss, lambda t: 1)).verdict != "stable"  # traced from the start
    # A leak in an eager loop with a single trace at its very end is still growth.
    leak = classify(samples(lambda t: 500 + 50 * t, lambda t: int(t > 9.7)))
    assert leak.verdict == "growth_without_retraces", leak


def test_steady_growth_while_tracing_is_retrace_growth():
    verdict = classify(samples(lambda t: 500 + 10 * t, lambda t: int(30 * t)))
    assert verdict.verdict == "retrace_growth"
    assert verdict.steady_growth_mb == pytest.approx(50) and verdict.traced_share == 1.0


def test_a_leak_in_a_slice_the_machine_hardly_ran_is_still_growth():
    # A busy machine stalls the program for one quarter of the second half: no growth
    # (and no traces) there, a steady leak before and after it.
    def rss(t):
        return 500 + 10 * min(t, 6.4) + 10 * max(0.0, t - 7.6)

    def traces(t):
        return int(30 * min(t, 6.4) + 30 * max(0.0, t - 7.6))

    verdict = classify(samples(rss, traces))
    assert verdict.growing_slices == 3
    assert verdict.verdict == "retrace_growth"


def test_steady_growth_without_traces_is_not_blamed_on_tracing():
    verdict = classify(samples(lambda t: 500 + 10 * t, lambda t: 2))
    assert verdict.verdict == "growth_without_retraces" and verdict.steady_traces == 0


def test_traces_longer_than_a_sampling_interval_count_in_every_interval_they_span():
    # A trace completes every 0.8 s, each running 0.8 s: most intervals see no new count.
    grows = samples(lambda t: 500 + 10 * t, lambda t: int(t / 0.8))
    assert classify(grows).verdict == "growth_without_retraces"
    spans = ((0.0, 10.0),)
    verdict = classify(grows, spans)
    assert verdict.verdict == "retrace_growth" and verdict.traced_share == 1.0


def test_a_few_traces_do_not_take_the_blame_for_growth():
    # Growth all along; a trace every two seconds lands in a few sampling intervals.
    verdict = classify(samples(lambda t: 500 + 10 * t, lambda t: int(t / 2)))
    assert verdict.verdict == "growth_without_retraces"


def test_growth_under_the_threshold_is_stable():
    verdict = classify(samples(lambda t: 500 + 0.5 * GROWTH_MB * t / 10, lambda t: int(30 * t)))
    assert verdict.verdict == "stable"


def test_one_sample_is_stable():
    assert classify([MemorySample(0.0, 500.0, 0)]).verdict == "stable"


@pytest.mark.parametrize(
    ("case", "verdict", "words"),
    [
        ("retrace", "retrace_growth", "Retracing is the likely cause: tf_cube traced 100 times"),
        ("python", "growth_without_retraces", "Not a tracing leak"),
        ("stable", "stable", "Memory stable"),
    ],
)
def test_verdict_sentences_and_advice(case, verdict, words):
    memory = make_memory(case)
    assert memory.verdict == verdict
    assert words in memory.message
    text = render.render(dataclasses.replace(make_report(), memory=memory), "text", width=200)
    assert words in text
    if verdict == "retrace_growth":
        assert "fix the retraces" in text
    if verdict == "growth_without_retraces":
        for suspect in ("tracemalloc", "tf.data", "clear_session", "MALLOC_ARENA_MAX"):
            assert suspect in text


# ---------------------------------------------------------------------------
# The record and the sampler


def test_a_long_keras_function_name_is_whole_and_its_figures_go_under_it_at_80_columns():
    from graphlab.tracing.records_memory import FunctionMemory
    from graphlab.tracing.render_memory import text_lines

    name = "Functional.predict_function (one_step_on_data_distributed)"
    memory = dataclasses.replace(
        make_memory("stable"),
        functions=(FunctionMemory(name, "fit.py:32", 1, 1, 2_355, 17, 1),),
    )
    lines = text_lines(memory, 80)
    assert max(map(len, lines)) <= 80
    row = lines.index(next(line for line in lines if name in line))  # whole, not clipped
    assert lines[row + 1] == "      1 live graphs at most, 1 alive at end, 2.3 KB, 17 nodes"
    wide = text_lines(memory, 160)
    assert any(line.startswith(f"  {name}  ") and line.endswith("17") for line in wide)


def test_memory_field_matches_its_golden_file_and_loads_back():
    report = dataclasses.replace(make_report(), memory=make_memory())
    data = json.loads(render.render(report, "json"))
    assert data == json.loads((DATA / "memory" / "tracelog-2.json").read_text())
    memory = data["memory"]
    for key, kind in [
        ("rss_start_mb", float),
        ("rss_end_mb", float),
        ("growth_mb", float),
        ("verdict", str),
        ("samples", list),
        ("functions", list),
    ]:
        assert isinstance(memory[key], kind), key
    assert set(memory["samples"][0]) >= {"t_s", "rss_mb", "traces"}
    assert set(memory["functions"][0]) >= {"function", "concrete_functions", "graph_bytes"}
    loaded = TraceReport.from_dict(data)
    assert loaded.to_dict() == data
    assert loaded.memory.verdict == "retrace_growth" and loaded.memory.message == memory["message"]
    assert "memory" not in make_report().to_dict()  # optional: only when watched


def test_the_sampler_keeps_long_runs_small():
    clock = iter(range(10_000))
    monitor = MemoryMonitor(
        0.1, read_rss=lambda: 100 * 2**20, clock=lambda: next(clock), max_samples=8
    )
    for _ in range(100):
        monitor.sample()
    report = monitor.report()
    assert len(report.samples) <= 8 and report.interval > 0.1
    assert report.samples[-1].t == 99  # the newest sample is always kept


def test_rss_readings():
    rss, peak = _memory.rss_bytes(), _memory.peak_rss_bytes()
    assert rss and peak and peak >= rss > 10 * 2**20


# ---------------------------------------------------------------------------
# Real TensorFlow

BIG = np.ones(64 * 1024, np.float32)  # 256 KB, baked into every graph as a constant


def test_new_shapes_every_call_read_as_retrace_growth():
    @tf.function
    def step(x):
        return tf.reduce_sum(x) + tf.reduce_sum(BIG)

    with graphlab.watch(memory=True, memory_interval=0.05) as watch:
        for n in range(1, 121):
            step(tf.zeros([n]))
    memory = watch.report().memory
    assert memory.verdict == "retrace_growth", memory.message
    (kept,) = [f for f in memory.functions if f.function == "step"]
    assert kept.traces == kept.concrete_functions == kept.live_at_end == 120
    assert kept.graph_bytes > 120 * BIG.nbytes  # each graph holds the constant
    assert "step traced 120 times" in memory.message
    assert memory.samples[-1].traces == 120


def test_fixed_shapes_are_stable():
    gc.collect()  # earlier tests' garbage, freed mid-run, is not this loop's doing

    @tf.function
    def step(x):
        return tf.reduce_sum(x * 2.0)

    x = tf.zeros([8])
    step(x)
    with graphlab.watch(memory=True, memory_interval=0.02) as watch:
        end = time.perf_counter() + 1.5
        while time.perf_counter() < end:
            step(x)
    memory = watch.report().memory
    assert memory.verdict == "stable", memory.message
    assert memory.samples[-1].traces == 0 and len(memory.samples) > 10


def test_eager_tensors_kept_in_a_list_are_growth_without_retraces():
    @tf.function
    def step(x):
        return x * 2.0

    kept = []
    with graphlab.watch(memory=True, memory_interval=0.02) as watch:
        for _ in range(100):
            kept.append(step(tf.random.normal([256, 1024])))  # 1 MB each, never freed
            time.sleep(0.015)
    memory = watch.report().memory
    assert memory.verdict == "growth_without_retraces", memory.message
    assert memory.growth_mb > 50
    del kept


def test_the_sampler_thread_stops_with_the_watch():
    threads = threading.active_count()
    watch = graphlab.watch(memory=True, memory_interval=0.01).start()
    assert sampling_threads() == 1
    assert threading.active_count() == threads  # the program sees its own threads only
    watch.stop()
    assert sampling_threads() == 0
    report = watch.report()  # after stop: no new sample
    assert report.memory.samples == watch.report().memory.samples


def test_a_watch_without_memory_reports_none():
    with graphlab.watch() as watch:
        pass
    assert watch.report().memory is None


def test_html_and_markdown_show_the_plot_and_the_verdict():
    report = dataclasses.replace(make_report(), memory=make_memory("python"))
    fragment = report._repr_html_()
    assert "<polyline" in fragment and "Resident memory and traces over time" in fragment
    assert "Not a tracing leak" in fragment
    page = render.render_page(report)
    assert page.count("<polyline") == 2  # RSS and traces
    assert "## Memory (memory grows without retracing" in render.render(report, "md")


def test_watch_memory_cli(tmp_path):
    script = tmp_path / "grow.py"
    script.write_text(
        "import time\nimport tensorflow as tf\n"
        "@tf.function\ndef f(x):\n    return x + 1.0\n"
        "kept = []\nfor _ in range(60):\n"
        "    kept.append(f(tf.random.normal([256, 1024])))\n    time.sleep(0.02)\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    result = run_cli(
        "module", "watch", "--memory", "--memory-interval", "0.02", "-o", str(out), str(script)
    )
    assert result.returncode == 0, result.stderr
    memory = json.loads(out.read_text())["memory"]
    assert memory["verdict"] == "growth_without_retraces", memory["message"]
    assert memory["functions"][0]["function"] == "f"
    assert memory["functions"][0]["concrete_functions"] == 1
    bad = run_cli("module", "watch", "--memory-interval", "0", str(script))
    assert bad.returncode == 2 and "--memory-interval must be from 0.001 to 3600" in bad.stderr


def test_memory_report_needs_a_sample():
    with pytest.raises(ValueError, match="at least one sample"):
        report_of((), (), 0.1)


def test_a_stable_run_still_points_at_a_function_that_keeps_many_graphs():
    # Retraced a hundred times early, then stopped: memory is flat, the graphs stay.
    message = make_memory("stable").message
    assert message.startswith("Memory stable") and "tf_cube kept 100 concrete functions" in message
