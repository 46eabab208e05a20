"""Shared test helpers: running the CLI as a user does, synthetic records."""

from __future__ import annotations

import os
import subprocess
import sys

from graphlab.records import Comparison, ComparisonRow, Measurement, OverheadFloor

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
    """Run ``graphlab ARGS`` through one entry point and capture its output."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    return subprocess.run(
        [*ENTRY_POINTS[entry], *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def synthetic(graph_us: float = 100.0, eager_us: float = 500.0) -> Comparison:
    """A comparison built from numbers, no TensorFlow: for records and renderers."""

    def m(label: str, us: float, first_ms: float, ops: int | None) -> Measurement:
        blocks = tuple(us * 100e-6 * f for f in (1.0, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97))
        return Measurement(
            label, blocks, (100,) * 7, first_ms / 1e3, first_ms / 2e3, 0.0, 0, (), ops
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
