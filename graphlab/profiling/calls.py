"""What ``--profile`` adds to a benchmark row: the first call profiled (its phases and
compilations), a few steady-state calls profiled after the timing (their top ops and any
compilation they still make), and the FLOPs of one call.

The timed blocks are never profiled: a profiler records every TensorFlow event and would
slow them. The first call is: its wall time then includes the profiler's own cost (a few
percent on a small function), which ``other`` in the breakdown holds.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphlab.profiling import steps, xplane
from graphlab.profiling.records import Compilation, FirstCallBreakdown, TopOp
from graphlab.profiling.session import Profile

#: Steady-state calls profiled for the top ops (at most this many, and at most ~0.5 s).
STEADY_CALLS = 20
STEADY_BUDGET = 0.5


@dataclass(frozen=True, slots=True)
class FirstCall:
    """A profiled first call: its wall time, output, phases and compilations."""

    seconds: float
    output: Any
    breakdown: FirstCallBreakdown
    compilations: tuple[Compilation, ...]


@dataclass(frozen=True, slots=True)
class SteadyState:
    """Profiled steady-state calls: the ops they spend time in, compilations they made."""

    calls: int
    top_ops: tuple[TopOp, ...]
    compilations: tuple[Compilation, ...]


def run_dir(profile_dir: str | None, label: str) -> str | None:
    """``DIR/<label>`` for a row's profiles (TensorBoard lists each as a run), or None."""
    if profile_dir is None:
        return None
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_") or "run"
    path = os.path.join(profile_dir, safe)
    os.makedirs(path, exist_ok=True)
    return path


def first_call(call: Callable[[], Any], *, logdir: str | None = None) -> FirstCall:
    """Run ``call`` once under the profiler and read its phases."""
    with Profile(logdir, probe_calls=True) as profile:
        start = time.perf_counter()
        output = call()
        seconds = time.perf_counter() - start
    events = profile.events
    return FirstCall(
        seconds=seconds,
        output=output,
        breakdown=steps.first_call_breakdown(events, seconds),
        compilations=tuple(xplane.compilations(events)),
    )


def steady_state(
    call: Callable[[], Any],
    *,
    step_time: float,
    ops: dict[str, tuple[str, str]] | None = None,
    logdir: str | None = None,
    limit: int = 10,
) -> SteadyState:
    """Profile a few more calls (already warm) and rank their ops by self time."""
    calls = max(1, min(STEADY_CALLS, int(STEADY_BUDGET / max(step_time, 1e-9))))
    with Profile(logdir, probe_calls=True) as profile:
        for _ in range(calls):
            call()
    events = profile.events
    return SteadyState(
        calls=calls,
        top_ops=steps.top_ops(events, calls=calls, step_time=step_time, ops=ops, limit=limit),
        compilations=tuple(xplane.compilations(events)),
    )
