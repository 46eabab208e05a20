"""The ``graph_benchmark`` fixture's work: build one mode, warm it up, hand it over.

pytest-benchmark calibrates its round count from the first call it times. Handed a
fresh ``tf.function``, that call includes tracing (tens of ms) and a 200 us step gets
~14 rounds instead of thousands. This module calls the function first (recording the
first call and its traces), then gives pytest-benchmark a warm function. Its rounds
become a :class:`~graphlab.bench.records.Measurement` like every other timing in
graphlab: pytest-benchmark's rounds are the blocks, its iterations the calls per block.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from graphlab.bench.records import ComparisonRow, Measurement
from graphlab.bench.timer import trace_fields
from graphlab.tracing.records import TraceEvent


class GraphBenchmark:
    """Callable handed to tests: ``graph_benchmark(fn, *args, **kwargs)``."""

    def __init__(self, benchmark: Any, mode: str, test: str):
        self._benchmark = benchmark
        self.mode = mode
        self.test = test
        self.first_call = 0.0
        self.second_call = 0.0
        self._warm_up_events: tuple[TraceEvent, ...] = ()
        self._timing_events: tuple[TraceEvent, ...] = ()
        self.used = False
        self.python_function: Any = None  # the user's function, once called

    def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from graphlab import _runtime
        from graphlab._tf.functions import python_function_of
        from graphlab.bench.modes import build_mode
        from graphlab.tracing.api import Watch

        if self.used:
            raise RuntimeError("graph_benchmark can only be called once per test")
        self.used = True
        self.python_function = python_function_of(fn)
        target = build_mode(fn, self.mode)
        sync = _runtime.device_sync()  # GPU work is asynchronous: wait for it on every call

        def synced(*a: Any, **k: Any) -> Any:
            result = target(*a, **k)
            sync(result)
            return result

        timed = target if sync is None else synced

        with Watch() as warm_up:
            start = time.perf_counter()
            timed(*args, **kwargs)
            self.first_call = time.perf_counter() - start
            start = time.perf_counter()
            timed(*args, **kwargs)
            self.second_call = time.perf_counter() - start
        self._warm_up_events = warm_up.user_events

        self._benchmark.group = self.test
        with Watch() as timing:
            result = self._benchmark(timed, *args, **kwargs)
        self._timing_events = timing.user_events
        fields = trace_fields(self._warm_up_events, self._timing_events)
        self._benchmark.extra_info.update(
            {
                "mode": self.mode,
                "first_call_ms": round(self.first_call * 1e3, 4),
                "traces": len(self._warm_up_events),
                "op_count": fields["op_count"] or 0,  # 0 for eager, as pytest.json always had
                "retraces_during_timing": fields["retraces"],
            }
        )
        if fields["retrace_causes"]:
            self._benchmark.extra_info["retrace_causes"] = list(fields["retrace_causes"])
        return result

    def result(self) -> ComparisonRow | None:
        """This test's row of the session summary, once pytest-benchmark has stats."""
        metadata = getattr(self._benchmark, "stats", None)
        if not self.used or metadata is None or not metadata.stats.data:
            return None
        iterations = metadata.iterations
        measurement = Measurement(
            label=f"{self.test}/{self.mode}",
            block_times=tuple(t * iterations for t in metadata.stats.data),
            block_calls=(iterations,) * len(metadata.stats.data),
            first_call=self.first_call,
            second_call=self.second_call,
            stop_reason="pytest-benchmark",
            **trace_fields(self._warm_up_events, self._timing_events),
            metadata={"timed_by": "pytest-benchmark"},
        )
        return ComparisonRow(self.test, self.mode, measurement)


class InterleavedBenchmark:
    """``graph_benchmark`` with ``interleave``: every mode of one test timed in turns.

    pytest runs ``test_x[eager]`` and ``test_x[graph]`` one after the other, so the
    per-mode tests above see the machine in different windows, and a machine that slows
    down between them shows as a speedup. Separate tests cannot be interleaved; this
    runs all modes inside one test with graphlab's interleaved schedule
    (:func:`graphlab.bench.compare.compare`) and reports them as the same per-mode
    entries of the session summary. pytest-benchmark's own table does not see them.
    """

    def __init__(self, modes: list[str], test: str, max_time: float):
        self.modes = modes
        self.test = test
        self.max_time = max_time
        self.rows: list[ComparisonRow] = []
        self.used = False
        self.python_function: Any = None  # the user's function, once called

    def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from graphlab._tf.functions import python_function_of
        from graphlab.bench.compare import compare
        from graphlab.bench.modes import build_mode

        if self.used:
            raise RuntimeError("graph_benchmark can only be called once per test")
        self.used = True
        self.python_function = python_function_of(fn)
        comparison = compare(
            {self.test: fn},
            *args,
            modes=self.modes,
            max_time=self.max_time,
            measure_floor=False,
            call_kwargs=kwargs,
        )
        self.rows = [row for row in comparison.rows if row.ok]
        failed = [row for row in comparison.rows if not row.ok]
        if failed:
            raise RuntimeError(f"graph_benchmark: {failed[0].mode} failed: {failed[0].error}")
        return build_mode(fn, self.modes[0])(*args, **kwargs)

    def results(self) -> list[ComparisonRow]:
        return self.rows
