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


def test_repeatability_summary_counts_intervals_that_hold():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_repeatability", BENCHMARKS / "bench_repeatability.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    runs = [
        {"speedup": 5.0, "ci": [4.8, 5.2], "unstable": False},
        {"speedup": 5.5, "ci": [5.4, 5.6], "unstable": True},
        {"speedup": 5.2, "ci": [5.0, 5.3], "unstable": False},
    ]
    summary = module.summary(runs)
    assert summary["median"] == 5.2
    assert summary["spread max/min"] == pytest.approx(1.1)
    assert summary["intervals containing the median"] == 2
    assert summary["unstable"] == 1
