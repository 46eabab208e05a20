"""Shared test helpers: running the CLI as a user does, synthetic records."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from graphlab.bench.records import Comparison, ComparisonRow, Measurement, OverheadFloor
from graphlab.tracing.memory import report_of
from graphlab.tracing.records import (
    Cause,
    Change,
    Finding,
    FunctionSummary,
    SideEffect,
    TraceEvent,
    TraceReport,
)
from graphlab.tracing.records_memory import FunctionMemory, MemoryReport, MemorySample

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSOLE_SCRIPT = os.path.join(os.path.dirname(sys.executable), "graphlab")

#: Both ways a user starts graphlab: the console script and ``python -m graphlab``.
ENTRY_POINTS = {
    "script": [CONSOLE_SCRIPT],
    "module": [sys.executable, "-m", "graphlab"],
}


def run_cli(
    entry: str, *args: str, cwd: str | os.PathLike[str] | None = ROOT, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``graphlab ARGS`` through one entry point and capture its output, as in a
    terminal 200 columns wide (off a terminal reports fit 80 columns and wrap: the
    tests of what reports say should not depend on where lines break)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT, "COLUMNS": "200"}
    return subprocess.run(
        [*ENTRY_POINTS[entry], *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def run_python(code: str, *, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` in a fresh process that imports this checkout's graphlab,
    ``env`` added to the environment; its output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ROOT, **env},
        timeout=timeout,
    )


def synthetic(graph_us: float = 100.0, eager_us: float = 500.0) -> Comparison:
    """A comparison built from numbers, no TensorFlow: for records and renderers."""

    def m(label: str, us: float, first_ms: float, ops: int | None) -> Measurement:
        factors = (1.0, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97)
        if label.endswith("graph"):  # its noise differs from eager's, round by round
            factors = factors[::-1]
        blocks = tuple(us * 100e-6 * f for f in factors)
        return Measurement(
            label,
            blocks,
            (100,) * 7,
            first_ms / 1e3,
            first_ms / 2e3,
            0.0,
            0,
            (),
            ops,
            block_rounds=tuple(range(7)),  # interleaved: round i of eager and graph paired
        )

    return Comparison(
        rows=(
            ComparisonRow("f", "eager", m("f/eager", eager_us, 5.0, None)),
            ComparisonRow(
                "f", "graph", m("f/graph", graph_us, 45.0, 12), parity="ok", parity_ok=True
            ),
            ComparisonRow("f", "xla", None, error="InvalidArgumentError: XLA cannot compile"),
        ),
        tensorflow="2.21.0",
        floor=OverheadFloor(function_call=60e-6, eager_op=8e-6),
        metadata={"device": "CPU"},
    )


def make_report() -> TraceReport:
    first = TraceEvent(
        function="tf_cube",
        qualname="tf_cube",
        defined_at="train.py:8",
        call_site="train.py:15",
        trace_index=1,
        timestamp=1700000000.0,
        duration=0.01425,
        signature={"x": "float32[]"},
        context={"scope": "NO_SCOPE", "graph": "eager", "jit_compile": "False"},
        op_count=4,
        cause=Cause("first_trace", detail="first call"),
        actionable=False,
        side_effects=(SideEffect("print", "train.py:9", PRINT_MESSAGE),),
    )
    second = TraceEvent(
        function="tf_cube",
        qualname="tf_cube",
        defined_at="train.py:8",
        call_site="train.py:16",
        trace_index=2,
        timestamp=1700000001.0,
        duration=0.0015,
        signature={"x": "float32[2,2]"},
        context={"scope": "NO_SCOPE", "graph": "eager", "jit_compile": "False"},
        op_count=4,
        cause=Cause(
            "new_input_type",
            (Change("x", "shape", "(1, 2)", "(2, 2)"),),
            advice="@tf.function(input_signature=[tf.TensorSpec(shape=[None, 2], dtype=tf.float32)])",
        ),
        actionable=True,
        side_effects=(SideEffect("print", "train.py:9", PRINT_MESSAGE),),
    )
    internal = TraceEvent(
        function="wrapped_fn",
        qualname="wrapped_fn",
        defined_at="structured_function.py:1",
        call_site="train.py:20",
        trace_index=1,
        timestamp=1700000002.0,
        duration=0.002,
        signature={"args_0": "int64[]"},
        context={"scope": "NO_SCOPE", "graph": "eager", "jit_compile": "False"},
        op_count=3,
        cause=Cause("internal", detail="a function tf.data traced for itself"),
        actionable=False,
        internal=True,
    )
    summaries = (
        FunctionSummary(
            "tf_cube",
            "tf_cube",
            "train.py:8",
            2,
            1,
            0.01575,
            second.cause.summary(),
            advice=second.cause.advice,
        ),
        FunctionSummary(
            "wrapped_fn",
            "wrapped_fn",
            "structured_function.py:1",
            1,
            0,
            0.002,
            internal.cause.summary(),
            internal=True,
        ),
    )
    stale = Finding(
        kind="stale_capture",
        function="tf_cube",
        name="scale",
        traced_value="2.0",
        current_value="3.0",
        where="train.py:10",
        message="tf_cube still uses scale = 2.0: the value when it traced (train.py:10), "
        "baked into the graph; it is 3.0 now. Keep a value that changes in a tf.Variable, "
        "or pass it as a tensor argument.",
    )
    return TraceReport((first, second, internal), summaries, tensorflow="2.21.0", findings=(stale,))


PRINT_MESSAGE = (
    "print() ran while tracing: it prints once per trace, not on every call. "
    "Use tf.print to print on every call."
)


def make_memory(verdict_growth: str = "retrace") -> MemoryReport:
    """A memory record from numbers: RSS growing 4 MB a second for 10 s with a trace
    every 0.1 s (``retrace``), the same growth without traces (``python``), or a
    warm-up step and then flat (``stable``)."""
    samples = []
    for i in range(51):
        t = i * 0.2
        if verdict_growth == "stable":
            rss, traces = (500.0 if t < 1 else 540.0), (2 if t >= 0.2 else 0)
        else:
            rss = 500.0 + 4.0 * t
            traces = 2 * i if verdict_growth == "retrace" else 1
        samples.append(MemorySample(t, rss, traces))
    functions = (FunctionMemory("tf_cube", "train.py:8", 100, 100, 204_800, 400, 100),)
    tracing = ((0.1, 10.0),) if verdict_growth == "retrace" else ()
    return report_of(tuple(samples), functions, 0.2, cost=0.012, tracing=tracing)


def make_worker_report(rank: int | None, *, retrace: str = "") -> TraceReport:
    """:func:`make_report` as worker ``rank`` recorded it; ``retrace="shape"`` (or
    ``"dtype"``) adds a third trace of ``tf_cube`` that only this worker made."""
    import dataclasses

    report = make_report()
    task = f"worker:{rank}" if rank is not None else ""
    if not retrace:
        return dataclasses.replace(report, rank=rank, task=task)
    first, second, internal = report.events
    change = (
        Change("x", "shape", "(2, 2)", "(3, 2)")
        if retrace == "shape"
        else Change("x", "dtype", "float32", "float64")
    )
    third = dataclasses.replace(
        second,
        call_site="train.py:17",
        trace_index=3,
        timestamp=1700000003.0,
        cause=dataclasses.replace(second.cause, changes=(change,)),
    )
    cube, data = report.summaries
    cube = dataclasses.replace(
        cube,
        traces=3,
        actionable_retraces=2,
        total_tracing=cube.total_tracing + third.duration,
        last_cause=third.cause.summary(),
    )
    return dataclasses.replace(
        report,
        events=(first, second, third, internal),
        summaries=(cube, data),
        rank=rank,
        task=task,
    )


# ---------------------------------------------------------------------------
# Processes (Linux /proc): who a parent started, and whether they still run


def child_pids(pid: int) -> list[int]:
    """The pids whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie has exited; only reaping is left)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def is_worker(pid: int) -> bool:
    """A graphlab worker process (not the tracker that cleans up after a killed parent)."""
    try:
        return b"graphlab._workers.child" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def survivors(pids: list[int], seconds: float) -> list[int]:
    """Those of ``pids`` still running after waiting up to ``seconds`` for them all to end."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]
