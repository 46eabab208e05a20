"""The pytest plugin, driven through pytester like a user's own test session."""

from __future__ import annotations

import json

import pytest

FAST = ["--benchmark-max-time=0.02", "--benchmark-min-rounds=3", "-p", "no:cacheprovider"]

CUBE_TESTS = """
import tensorflow as tf

def cube(x):
    return x ** 3

def test_cube(graph_benchmark):
    result = graph_benchmark(cube, tf.constant(2.0))
    assert float(result) == 8.0
"""


def test_graph_benchmark_is_parametrized_per_mode_with_extra_info(pytester):
    pytester.makepyfile(CUBE_TESTS)
    out = pytester.path / "bench.json"
    result = pytester.runpytest(*FAST, f"--benchmark-json={out}", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_cube?eager? PASSED*", "*test_cube?graph? PASSED*"])
    result.stdout.fnmatch_lines(
        [
            "*graphlab: speedup per mode (pytest-benchmark medians)*",
            "test*eager median*graph median*graph vs eager*",
            "*::test_cube*x",
        ]
    )
    data = json.loads(out.read_text())
    by_name = {b["name"]: b for b in data["benchmarks"]}
    assert set(by_name) == {"test_cube[eager]", "test_cube[graph]"}
    graph = by_name["test_cube[graph]"]
    group = "test_graph_benchmark_is_parametrized_per_mode_with_extra_info.py::test_cube"
    assert graph["group"] == group
    assert graph["extra_info"]["mode"] == "graph"
    assert graph["extra_info"]["traces"] == 1
    assert graph["extra_info"]["retraces_during_timing"] == 0
    assert graph["extra_info"]["op_count"] == 4
    assert graph["extra_info"]["first_call_ms"] > 0
    assert by_name["test_cube[eager]"]["extra_info"]["traces"] == 0
    (row,) = data["graphlab"]["modes"]
    assert data["graphlab"]["schema"] == "graphlab.pytest/1"
    assert row["test"] == group
    assert row["graph_speedup"] == pytest.approx(
        by_name["test_cube[eager]"]["stats"]["median"] / graph["stats"]["median"]
    )


def test_modes_from_the_option_and_the_marker(pytester):
    pytester.makepyfile(
        CUBE_TESTS
        + """
import pytest

@pytest.mark.graphlab(modes=["graph"])
def test_graph_only(graph_benchmark):
    graph_benchmark(cube, tf.constant(1.0))
"""
    )
    result = pytester.runpytest(*FAST, "--graphlab-modes=eager,graph,xla", "--co", "-q")
    result.stdout.fnmatch_lines(
        [
            "*test_cube?eager?",
            "*test_cube?graph?",
            "*test_cube?xla?",
            "*test_graph_only?graph?",
        ]
    )
    assert "test_graph_only[eager]" not in result.stdout.str()


def test_warm_up_fixes_the_calibration_trap(pytester):
    # The same fresh tf.function handed to plain pytest-benchmark and to graph_benchmark:
    # plain pytest-benchmark traces inside its calibration (the first timed call pays the
    # tracing, so it plans fewer rounds); graph_benchmark traces in its warm-up, before
    # pytest-benchmark starts, and no trace falls inside the timed session.
    pytester.makepyfile(
        """
import tensorflow as tf

def cube(x):
    return x ** 3

def test_plain(benchmark):
    fn = tf.function(cube)
    benchmark(fn, tf.constant(2.0))
    benchmark.extra_info["traces_inside_benchmark"] = fn.experimental_get_tracing_count()

def test_graphlab(graph_benchmark):
    graph_benchmark(cube, tf.constant(2.0))
"""
    )
    out = pytester.path / "rounds.json"
    result = pytester.runpytest(
        "--benchmark-max-time=0.2", "--graphlab-modes=graph", f"--benchmark-json={out}"
    )
    result.assert_outcomes(passed=2)
    info = {b["name"]: b["extra_info"] for b in json.loads(out.read_text())["benchmarks"]}
    assert info["test_plain"]["traces_inside_benchmark"] == 1
    graphlab = info["test_graphlab[graph]"]
    assert graphlab["traces"] == 1  # traced in the warm-up ...
    assert graphlab["retraces_during_timing"] == 0  # ... and never inside the timed rounds
    assert graphlab["first_call_ms"] > 0
    assert graphlab["op_count"] > 0


def test_max_traces_fails_with_the_explanations(pytester):
    pytester.makepyfile(
        """
import pytest
import tensorflow as tf

@tf.function
def square(x):
    return x * x

@pytest.mark.graphlab(max_traces=1)
def test_retraces():
    square(tf.constant([1.0]))
    square(tf.constant([1.0, 2.0]))

@pytest.mark.graphlab(max_traces=1)
def test_within_budget():
    square(tf.constant([[1.0]]))
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RetraceError: tf.functions traced 2 time(s), expected at most 1:*",
            "*square retraced (2nd trace) at test_max_traces_fails_with_the_explanations.py:11:"
            " x changed shape (1,) -> (2,)*",
        ]
    )


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("@pytest.mark.graphlab(mode='graph')", "unknown argument(s) mode"),
        ("@pytest.mark.graphlab(modes=['jit'])", "unknown mode(s) 'jit'"),
        ("@pytest.mark.graphlab(max_traces=-1)", "max_traces must be an int >= 0"),
        ("@pytest.mark.graphlab(3)", "takes keywords only"),
    ],
)
def test_bad_marker_is_a_usage_error_at_collection(pytester, marker, message):
    pytester.makepyfile(
        f"""
import pytest

{marker}
def test_x():
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_bad_modes_option_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--graphlab-modes=eager,fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--graphlab-modes: unknown mode(s) 'fast'; choose from eager, graph, xla, concrete" in (
        result.stderr.str()
    )


def test_plugin_does_not_import_tensorflow(pytester):
    pytester.makepyfile(
        """
import sys

def test_no_tf():
    assert "tensorflow" not in sys.modules
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_parametrized_tests_and_same_names_in_two_files_stay_apart(pytester):
    pytester.makepyfile(
        test_a="""
import pytest
import tensorflow as tf

@pytest.mark.parametrize("n", [2, 3])
def test_power(graph_benchmark, n):
    graph_benchmark(lambda x: x ** n, tf.constant(2.0))
""",
        test_b="""
import tensorflow as tf

def test_power(graph_benchmark):
    graph_benchmark(lambda x: x * x, tf.constant(2.0))
""",
    )
    out = pytester.path / "bench.json"
    result = pytester.runpytest(*FAST, f"--benchmark-json={out}")
    result.assert_outcomes(passed=6)
    data = json.loads(out.read_text())
    tests = sorted(row["test"] for row in data["graphlab"]["modes"])
    assert tests == [
        "test_a.py::test_power[2]",
        "test_a.py::test_power[3]",
        "test_b.py::test_power",
    ]
    groups = {b["group"] for b in data["benchmarks"]}
    assert groups == set(tests)


def test_interleave_times_every_mode_in_one_test(pytester):
    pytester.makepyfile(
        """
import pytest
import tensorflow as tf

def cube(x):
    return x ** 3

@pytest.mark.graphlab(interleave=True, modes=["eager", "graph"])
def test_cube(graph_benchmark):
    assert float(graph_benchmark(cube, tf.constant(2.0))) == 8.0
"""
    )
    result = pytester.runpytest(*FAST, "-v")
    result.assert_outcomes(passed=1)  # one test, not one per mode
    result.stdout.fnmatch_lines(
        [
            "*::test_cube PASSED*",
            "*graphlab: speedup per mode*",
            "test*eager median*graph median*graph vs eager*",
            "*::test_cube*x",
        ]
    )


ONLY_SKIP_TESTS = """
import pytest
import tensorflow as tf

def cube(x):
    return x ** 3

@pytest.mark.graphlab(interleave=True, modes=["graph", "xla"], max_traces=1)
def test_interleaved(graph_benchmark):
    assert float(graph_benchmark(cube, tf.constant(2.0))) == 8.0

@pytest.mark.graphlab(modes=["graph", "xla"], max_traces=1)
def test_per_mode(graph_benchmark):
    assert float(graph_benchmark(cube, tf.constant(2.0))) == 8.0

@pytest.mark.graphlab(interleave=True, modes=["eager", "graph"], max_traces=1)
def test_interleaved_retraces(graph_benchmark):
    step = tf.function(lambda x: x + 1)
    step(tf.constant(1.0))
    step(tf.constant([1.0, 2.0]))
    graph_benchmark(cube, tf.constant(2.0))

def test_plain():
    pass
"""


def test_max_traces_counts_graph_benchmarks_function_once_per_mode_with_interleave(pytester):
    pytester.makepyfile(ONLY_SKIP_TESTS)
    result = pytester.runpytest(*FAST, "-rA")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RetraceError: tf.functions traced 3 time(s), expected at most 1:*",
            "FAILED *::test_interleaved_retraces*",
        ]
    )
    assert "test_interleaved " not in "\n".join(
        line for line in result.outlines if line.startswith("FAILED")
    )


def test_benchmark_only_and_skip_see_graph_benchmark_tests(pytester):
    pytester.makepyfile(ONLY_SKIP_TESTS)
    only = pytester.runpytest(*FAST, "--benchmark-only", "-rs", "-k", "not retraces")
    only.assert_outcomes(passed=3, skipped=1)  # test_plain alone is not a benchmark
    only.stdout.fnmatch_lines(["*Skipping non-benchmark*"])
    skip = pytester.runpytest(*FAST, "--benchmark-skip", "-rs", "-k", "not retraces")
    skip.assert_outcomes(passed=1, skipped=3)  # interleaved tests are benchmarks too
    assert "graphlab: speedup per mode" not in skip.stdout.str()
