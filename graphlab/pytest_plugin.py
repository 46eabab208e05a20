"""graphlab's pytest plugin: eager vs graph benchmarks and retrace guards.

Loaded by every pytest run in an environment where graphlab is installed (entry point
``pytest11``), so it imports TensorFlow only inside fixtures and hooks that need it.

* ``graph_benchmark(fn, *args, **kwargs)``: benchmarks ``fn`` in one mode with
  pytest-benchmark, after a warm-up; tests that use it run once per mode
  (``test_x[eager]``, ``test_x[graph]``) from ``--graphlab-modes`` or
  ``@pytest.mark.graphlab(modes=[...])``.
* ``@pytest.mark.graphlab(max_traces=N)``: fails a test whose tf.functions trace more
  than N times, with graphlab's explanations.
* A session summary with a column per mode, also written into pytest-benchmark's JSON.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphlab.bench.modenames import BUILTIN_MODES, parse_modes
from graphlab.bench.records import PYTEST_SCHEMA, ComparisonRow

_MODES = BUILTIN_MODES
_MARKER_ARGS = frozenset({"modes", "max_traces", "interleave"})
_RESULTS = pytest.StashKey[list[ComparisonRow]]()
#: The Python function a test handed to ``graph_benchmark`` (for ``max_traces``).
_BENCHED = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("graphlab", "graphlab: eager vs graph benchmarks, retrace guards")
    group.addoption(
        "--graphlab-modes",
        metavar="MODES",
        default="eager,graph",
        help="comma-separated modes for tests using graph_benchmark: "
        f"{', '.join(_MODES)} (default: eager,graph)",
    )
    group.addoption(
        "--graphlab-interleave",
        action="store_true",
        default=False,
        help="time all modes of a graph_benchmark test inside that one test, in "
        "alternating blocks (separate tests cannot be interleaved); default: one test "
        "per mode, timed by pytest-benchmark",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "graphlab(modes=None, max_traces=None, interleave=None): modes for "
        "graph_benchmark (eager, graph, xla), all of them timed in one test in turns "
        "with interleave=True; fail if tf.functions trace more than max_traces times",
    )
    config.stash[_RESULTS] = []
    _parse_modes(config.getoption("--graphlab-modes"), "--graphlab-modes")


def _parse_modes(value: Any, where: str) -> list[str]:
    try:
        return parse_modes(value, _MODES)
    except ValueError as error:
        raise pytest.UsageError(f"{where}: {error}") from None


def _marker_kwargs(marker: pytest.Mark | None, where: str) -> dict[str, Any]:
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError(
            f"{where}: @pytest.mark.graphlab takes keywords only (modes=..., max_traces=...)"
        )
    unknown = set(marker.kwargs) - _MARKER_ARGS
    if unknown:
        raise pytest.UsageError(
            f"{where}: @pytest.mark.graphlab got unknown argument(s) "
            f"{', '.join(sorted(unknown))}; it takes modes=[...], max_traces=N and "
            "interleave=True"
        )
    if "modes" in marker.kwargs:
        _parse_modes(marker.kwargs["modes"], where)
    max_traces = marker.kwargs.get("max_traces")
    if max_traces is not None and (not isinstance(max_traces, int) or max_traces < 0):
        raise pytest.UsageError(f"{where}: max_traces must be an int >= 0, got {max_traces!r}")
    return dict(marker.kwargs)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "graph_benchmark" not in metafunc.fixturenames:
        return
    where = metafunc.definition.nodeid
    kwargs = _marker_kwargs(metafunc.definition.get_closest_marker("graphlab"), where)
    if _interleaved(metafunc.config, kwargs):
        return  # one test times every mode
    metafunc.parametrize("graphlab_mode", _modes_of(metafunc.config, kwargs, where), indirect=True)


def _interleaved(config: pytest.Config, kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("interleave", config.getoption("--graphlab-interleave")))


def _modes_of(config: pytest.Config, kwargs: dict[str, Any], where: str) -> list[str]:
    if "modes" in kwargs:
        return _parse_modes(kwargs["modes"], where)
    return _parse_modes(config.getoption("--graphlab-modes"), "--graphlab-modes")


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Any:
    for item in items:
        _marker_kwargs(item.get_closest_marker("graphlab"), item.nodeid)
    # pytest-benchmark picks the tests of --benchmark-only / --benchmark-skip by the
    # name "benchmark" among their fixtures; graph_benchmark asks for it only when it
    # runs (never in interleaved tests), so it is shown there while pytest-benchmark looks
    shown = _show_benchmark_fixture(items)
    try:
        return (yield)
    finally:
        for names in shown:
            names.remove("benchmark")


def _show_benchmark_fixture(items: list[pytest.Item]) -> list[list[str]]:
    """Add "benchmark" to the fixture names of graph_benchmark tests that lack it; the
    lists changed (parametrized tests share one)."""
    shown: list[list[str]] = []
    for item in items:
        names = getattr(item, "fixturenames", None)
        if isinstance(names, list) and "graph_benchmark" in names and "benchmark" not in names:
            names.append("benchmark")
            shown.append(names)
    return shown


@pytest.fixture
def graphlab_mode(request: pytest.FixtureRequest) -> str:
    """The mode this test instance benchmarks (set by parametrization)."""
    return getattr(request, "param", "graph")


@pytest.fixture
def graph_benchmark(graphlab_mode: str, request: pytest.FixtureRequest) -> Any:
    """``graph_benchmark(fn, *args, **kwargs)``: benchmark ``fn`` in this test's mode,
    or in every mode in turns with ``interleave``."""
    from graphlab.bench.fixture import GraphBenchmark, InterleavedBenchmark

    where = request.node.nodeid
    kwargs = _marker_kwargs(request.node.get_closest_marker("graphlab"), where)
    if _interleaved(request.config, kwargs):
        max_time = float(request.config.getoption("benchmark_max_time", 1.0) or 1.0)
        modes = _modes_of(request.config, kwargs, where)
        interleaved = InterleavedBenchmark(modes, _test_without_mode(request.node), max_time)
        request.node.stash[_BENCHED] = interleaved
        yield interleaved
        request.config.stash[_RESULTS].extend(interleaved.results())
        return
    # pytest-benchmark's fixture only here: unused, it warns
    benchmark = request.getfixturevalue("benchmark")
    runner = GraphBenchmark(benchmark, graphlab_mode, _test_without_mode(request.node))
    request.node.stash[_BENCHED] = runner
    yield runner
    result = runner.result()
    if result is not None:
        request.config.stash[_RESULTS].append(result)


def _test_without_mode(item: Any) -> str:
    """The test's node id minus its mode: ``test_x.py::test_power[10]`` for
    ``test_power[eager-10]``, so that modes group together and different tests (or
    parameters, or files) do not."""
    base = item.nodeid.split("[", 1)[0]
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return base
    ids = callspec.id.split("-")
    mode = callspec.params.get("graphlab_mode")
    if mode in ids:
        ids.remove(mode)
    return f"{base}[{'-'.join(ids)}]" if ids else base


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    marker = item.get_closest_marker("graphlab")
    limit = marker.kwargs.get("max_traces") if marker is not None else None
    if limit is None:
        return (yield)
    from graphlab.tracing.api import Watch

    with Watch() as watch:
        outcome = yield
    _check_traces(watch, item.stash.get(_BENCHED, None), limit)
    return outcome


def _check_traces(watch: Any, benched: Any, limit: int) -> None:
    """``max_traces``: the test's traces, where graph_benchmark's own tf.function of the
    user's function counts as one per mode would (the most any one of them traced), with
    or without ``interleave``: every other trace counts."""
    from graphlab.tracing.api import RetraceError

    events = watch.user_events
    fn = getattr(benched, "python_function", None)
    ours = [e for e in watch.events_for(fn) if not e.internal] if fn is not None else []
    others = [e for e in events if not any(e is o for o in ours)]
    count = len(others) + max((e.trace_index for e in ours), default=0)
    if count <= limit:
        return
    lines = [f"tf.functions traced {count} time(s), expected at most {limit}:"]
    lines += [f"  - {event.message}" for event in events]
    if ours and len(ours) > max(e.trace_index for e in ours):
        lines.append(
            f"  ({fn.__name__} in graph_benchmark's modes counts as in one mode: the most "
            "traces of any one mode)"
        )
    advice = [e.cause.advice for e in events if e.cause.advice]
    if advice:
        lines.append("  advice: " + advice[-1].replace("\n", "\n          "))
    raise RetraceError("\n".join(lines), tuple(events), limit)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    results = terminalreporter.config.stash.get(_RESULTS, [])
    if not results:
        return
    from graphlab.bench.render_plugin import render_text

    title = "graphlab: speedup per mode (pytest-benchmark medians)"
    if any(r.measurement is not None and r.measurement.block_rounds for r in results):
        title = "graphlab: speedup per mode (medians: pytest-benchmark's; graphlab's, interleaved)"
    terminalreporter.write_sep("-", title)
    terminalreporter.write(render_text(results))


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_json(config: pytest.Config, benchmarks: Any, output_json: Any) -> None:
    results = config.stash.get(_RESULTS, [])
    if not results:
        return
    from graphlab.bench.render_plugin import pivot

    output_json["graphlab"] = {"schema": PYTEST_SCHEMA, "modes": pivot(results)}
