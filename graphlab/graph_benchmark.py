"""The ``graph_benchmark`` fixture's work: build one mode, warm it up, hand it over.

pytest-benchmark calibrates its round count from the first call it times. Handed a
fresh ``tf.function``, that call includes tracing (tens of ms) and a 200 us step gets
~14 rounds instead of thousands. This module calls the function first (recording the
first call and its traces), then gives pytest-benchmark a warm function.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from graphlab.records import ModeResult


class GraphBenchmark:
    """Callable handed to tests: ``graph_benchmark(fn, *args, **kwargs)``."""

    def __init__(self, benchmark: Any, mode: str, test: str):
        self._benchmark = benchmark
        self.mode = mode
        self.test = test
        self.first_call_ms = 0.0
        self.traces = 0
        self.retraces_during_timing = 0
        self.op_count = 0
        self.used = False

    def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from graphlab import _tf
        from graphlab.compare import build_mode
        from graphlab.tracing import Watch

        if self.used:
            raise RuntimeError("graph_benchmark can only be called once per test")
        self.used = True
        target = build_mode(fn, self.mode)
        sync = _tf.device_sync()  # GPU work is asynchronous: wait for it on every call

        def synced(*a: Any, **k: Any) -> Any:
            result = target(*a, **k)
            sync(result)
            return result

        timed = target if sync is None else synced

        with Watch() as warm_up:
            start = time.perf_counter()
            timed(*args, **kwargs)
            self.first_call_ms = (time.perf_counter() - start) * 1e3
            timed(*args, **kwargs)
        user_events = warm_up.user_events
        self.traces = len(user_events)
        self.op_count = max((e.op_count for e in user_events), default=0)

        self._benchmark.group = self.test
        with Watch() as timing:
            result = self._benchmark(timed, *args, **kwargs)
        during = timing.user_events
        self.retraces_during_timing = len(during)
        self._benchmark.extra_info.update(
            {
                "mode": self.mode,
                "first_call_ms": round(self.first_call_ms, 4),
                "traces": self.traces,
                "op_count": self.op_count,
                "retraces_during_timing": self.retraces_during_timing,
            }
        )
        if during:
            self._benchmark.extra_info["retrace_causes"] = [e.message for e in during]
        return result

    def result(self) -> ModeResult | None:
        """The record for the session summary, once pytest-benchmark has stats."""
        stats = getattr(self._benchmark, "stats", None)
        if not self.used or stats is None:
            return None
        return ModeResult(
            test=self.test,
            mode=self.mode,
            median_s=stats.stats.median,
            rounds=stats.stats.rounds,
            first_call_ms=self.first_call_ms,
            traces=self.traces,
            retraces_during_timing=self.retraces_during_timing,
            op_count=self.op_count,
        )
