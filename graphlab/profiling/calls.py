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

from graphlab._types import Event
from graphlab.profiling import steps, xplane
from graphlab.profiling.records import Compilation, FirstCallBreakdown, RowProfile, TopOp
from graphlab.profiling.session import Profile

#: Profiled steady-state blocks stop once they hold this many calls or ~0.1 s is spent
#: (one block at least; each profile also costs its start, stop and reading).
STEADY_CALLS = 20
STEADY_BUDGET = 0.1


@dataclass(frozen=True, slots=True)
class FirstCall:
    """A profiled first call: its wall time (None when the source times it later, as
    Keras ``fit``'s first step), output, events and compilations."""

    seconds: float | None
    output: Any
    events: list[Event]
    compilations: tuple[Compilation, ...]

    def breakdown(self, seconds: float | None) -> FirstCallBreakdown | None:
        """The phases of the first ``seconds`` of the call (the whole call when the
        source timed it itself)."""
        if seconds is None:
            return None
        window = None if self.seconds is not None else seconds
        return steps.first_call_breakdown(self.events, seconds, window=window)


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


def first_call(
    run: Callable[[], tuple[float | None, Any]], *, logdir: str | None = None
) -> FirstCall:
    """Run ``run`` (a timed first call: ``(seconds, output)``) under the profiler and
    read its phases."""
    with Profile(logdir, probe_calls=True) as profile:
        seconds, output = run()
    events = profile.events
    return FirstCall(seconds, output, events, tuple(xplane.compilations(events)))


def steady_state(
    block: Callable[[], list[tuple[float, int]]],
    *,
    step_time: float,
    ops: dict[str, tuple[str, str]] | None = None,
    logdir: str | None = None,
    limit: int = 10,
) -> SteadyState:
    """Profile a few more blocks (already warm: ``block()`` times one, ``(seconds,
    calls)`` pairs) and rank their ops by self time per call."""
    calls = 0
    start = time.perf_counter()
    with Profile(logdir, probe_calls=True) as profile:
        while calls < STEADY_CALLS and time.perf_counter() - start < STEADY_BUDGET:
            calls += sum(n for _, n in block())
    events = profile.events
    return SteadyState(
        calls=calls,
        top_ops=steps.top_ops(events, calls=calls, step_time=step_time, ops=ops, limit=limit),
        compilations=tuple(xplane.compilations(events, traced=set())),  # warm: no traces
    )


@dataclass
class Profiling:
    """A row's profiling, handed to its :class:`~graphlab.bench.timer.Timer`.

    Args:
        logdir: Where to keep the profiles (one TensorBoard run each); None: a
            temporary folder, removed once read.
        describe: Called once timing is over: ``(flops per call, op table)`` of the
            graph the row ran (see :func:`describe_graph`), or None for eager code.
    """

    logdir: str | None = None
    describe: Callable[[], tuple[int | None, dict[str, tuple[str, str]]]] | None = None

    def first_call(self, run: Callable[[], tuple[float | None, Any]]) -> FirstCall:
        return first_call(run, logdir=self.logdir)

    def row_profile(
        self,
        first: FirstCall | None,
        block: Callable[[], list[tuple[float, int]]],
        step_time: float,
        first_call: float | None = None,
    ) -> RowProfile:
        """Profile the steady state and put the row's profile together."""
        flops, ops = None, {}
        if self.describe is not None:
            try:
                flops, ops = self.describe()
            except Exception:  # a graph graphlab cannot read has no FLOPs, no sources
                flops, ops = None, {}
        steady = steady_state(block, step_time=step_time, ops=ops, logdir=self.logdir)
        return RowProfile(
            first_call_breakdown=first.breakdown(first_call) if first is not None else None,
            top_ops=steady.top_ops,
            flops=flops,
            compilations=first.compilations if first is not None else (),
            later_compilations=steady.compilations,
            profile_dir=self.logdir or "",
        )


def describe_graph(concrete: Any) -> tuple[int | None, dict[str, tuple[str, str]]]:
    """FLOPs per call and the op table of a ConcreteFunction."""
    from graphlab._tf import graphs as tf_graphs
    from graphlab.graphs.flops import count_flops
    from graphlab.graphs.summarize import op_table

    graph = concrete.graph
    flops = count_flops(graph.get_operations(), tf_graphs.function_bodies(graph))
    return flops.total, op_table(concrete)


def profiling_for(
    function: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    label: str,
    profile_dir: str | None,
    trace_eager: bool = False,
) -> Profiling:
    """A row's :class:`Profiling`: its FLOPs and op table from ``function``'s graph for
    these inputs (a tf.function: its own trace, no new one; with ``trace_eager``, a plain
    Python function is traced once more, after timing, into a throwaway tf.function)."""
    from graphlab._tf import PolymorphicFunction
    from graphlab._tf import functions as tf_functions

    def describe() -> tuple[int | None, dict[str, tuple[str, str]]]:
        target = function
        if not isinstance(target, PolymorphicFunction):
            if not trace_eager:
                return None, {}
            target = tf_functions.rebuild(target, jit_compile=False)
        return describe_graph(target.get_concrete_function(*args, **kwargs))

    return Profiling(logdir=run_dir(profile_dir, label), describe=describe)
