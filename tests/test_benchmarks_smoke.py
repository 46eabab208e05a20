"""The benchmark suites still run (CI keeps them small: tiny time budgets)."""

from __future__ import annotations

from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


@pytest.mark.slow
def test_benchmark_suites_run_in_every_mode(pytester):
    for path in BENCHMARKS.glob("*.py"):
        pytester.makepyfile(**{path.stem: path.read_text()})
    # In a subprocess: the suites trace the seed examples with graphlab.function, and the
    # recorder's process-wide memory of traced code would make later tests see a
    # "new function object" where they expect a first trace.
    result = pytester.runpytest_subprocess(
        "--graphlab-modes=eager,graph,xla",
        "--benchmark-max-time=0.001",
        "--benchmark-min-rounds=1",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=24)
    result.stdout.fnmatch_lines(["*graphlab: speedup per mode*", "*::test_power_100*x*x"])
