"""Time any callable fairly: first call apart, calibrated blocks, one sync per block.

The :class:`Timer` follows ``torch.utils.benchmark``'s ``blocked_autorange``: it grows
the number of calls per block until the block is long enough that reading the clock
and syncing the device are negligible, then times blocks until the spread is small
enough or the time budget is spent. The clock and the sync are injectable, so the whole
procedure is tested with a fake clock.

It is graphlab's one timing loop. What a block is comes from a :class:`SampleSource`:
by default calls of one callable; Keras ``fit`` plugs in its step stamps
(:class:`graphlab.bench.fit.FitSource`), so every mode gives the same
:class:`~graphlab.bench.records.Measurement` by the same rules.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from graphlab.bench import stats
from graphlab.bench.records import Measurement
from graphlab.profiling.calls import FirstCall, Profiling
from graphlab.tracing.records import TraceEvent

Clock = Callable[[], float]
Sync = Callable[[Any], None]

_frozen_depth = 0


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Collect once, then freeze what survived (``gc.freeze``) for the measurement.

    A full collection walks TensorFlow's whole heap: ~200 ms here, paid before every
    calibration, ~1 s of a three-mode ``bench``. Frozen objects are left out of later
    collections, so the collections between blocks scan only what the measurement
    made. Nested uses freeze once; a heap the program froze itself is left as it is.
    """
    global _frozen_depth
    own = _frozen_depth == 0 and gc.get_freeze_count() == 0
    if own:
        gc.collect()
        gc.freeze()
    _frozen_depth += 1
    try:
        yield
    finally:
        _frozen_depth -= 1
        if own:
            gc.unfreeze()


#: Reading the clock and syncing once per block must cost at most this share of a block.
OVERHEAD_SHARE = 1e-3
#: Blocks are at least this long (s) unless the budget is tiny: longer blocks average
#: out scheduler noise on busy machines.
DEFAULT_MIN_BLOCK_TIME = 0.01


def stop_reason(
    *,
    rounds: int,
    elapsed: float,
    budget: float,
    max_rounds: int,
    min_rounds: int,
    precise: Callable[[], bool],
    min_budget_share: float = 0.0,
) -> str:
    """The one stop rule of every timing loop (:meth:`Timer.measure`, and
    :func:`graphlab.bench.schedule.interleave`): why to stop now, ``""`` to go on.

    The budget spent (``elapsed`` of ``budget`` seconds), then ``max_rounds``, then the
    precision: after ``min_rounds`` rounds and ``min_budget_share`` of the budget, once
    ``precise()`` (checked only then) says the samples agree well enough."""
    if elapsed >= budget:
        return "time budget"
    if rounds >= max_rounds:
        return "max rounds"
    if rounds >= min_rounds and elapsed >= min_budget_share * budget and precise():
        return "precision"
    return ""


class SampleSource(Protocol):
    """Where a :class:`Timer` gets its samples, when not from calls of ``stmt``.

    ``first_call`` and ``second_call`` return ``(seconds or None, output)``;
    ``calls_per_block`` calibrates (or returns a fixed count); ``samples(calls)`` times
    one block and returns ``(seconds, calls)`` pairs (a ``fit`` call gives one pair per
    step); ``finish`` completes the measurement once the steady state is known.
    """

    def first_call(self) -> tuple[float | None, Any]: ...

    def second_call(self) -> tuple[float | None, Any]: ...

    def calls_per_block(self, timer: Timer, output: Any, deadline: float) -> int: ...

    def samples(self, calls: int) -> list[tuple[float, int]]: ...

    def finish(self, measurement: Measurement) -> Measurement: ...


class Timer:
    """Measure one zero-argument callable (``functools.partial`` binds arguments
    without adding Python frames).

    Args:
        stmt: What to time.
        label: Name for the measurement (``power/graph``).
        clock: Seconds as a float; ``time.perf_counter`` unless a test fakes it.
        sync: Called with the last output of each block; by default TensorFlow's device
            sync on a GPU, fetching the output otherwise.
        max_time: Budget in seconds for calibration plus timed blocks (the first and
            second calls are not counted: compilation can take longer than the budget).
        precision: Stop once IQR/median of the per-call times is at most this.
        min_block_time: Lower bound for a block's duration (seconds).
        min_rounds: Blocks needed before the precision can stop timing.
        max_rounds: Hard cap on blocks.
        gc_between_blocks: Keep the collector off inside blocks and collect between
            them, so one block does not pay for the garbage of many. A full collection
            (~0.2 s with TensorFlow loaded) runs once before timing; between blocks only
            the young generations, where a block's garbage lives (~µs).
        record_traces: Watch ``tf.function`` traces: the tracing part of the first call
            and any retrace while timing (which would make the steady state a lie).
        metadata: Extra facts to keep with the measurement (device, threads).
        source: Where samples come from instead of calls of ``stmt`` (then ``stmt``
            may be None).
        profile: Profile the first call and, after timing, a few more blocks
            (:class:`graphlab.profiling.calls.Profiling`); the timed blocks never are.
    """

    def __init__(
        self,
        stmt: Callable[[], Any] | None,
        *,
        label: str = "",
        clock: Clock = time.perf_counter,
        sync: Sync | None = None,
        max_time: float = 1.0,
        precision: float = 0.05,
        min_block_time: float = DEFAULT_MIN_BLOCK_TIME,
        min_rounds: int = 5,
        max_rounds: int = 10_000,
        gc_between_blocks: bool = True,
        record_traces: bool = True,
        metadata: dict[str, str] | None = None,
        source: SampleSource | None = None,
        profile: Profiling | None = None,
    ) -> None:
        if source is None and not callable(stmt):
            raise TypeError(f"Timer needs a callable, got {type(stmt).__name__}")
        if max_time <= 0:
            raise ValueError(f"max_time must be > 0 seconds, got {max_time}")
        if precision <= 0:
            raise ValueError(f"precision (IQR/median) must be > 0, got {precision}")
        if min_rounds < 1 or max_rounds < min_rounds:
            raise ValueError(
                f"need 1 <= min_rounds <= max_rounds, got {min_rounds} and {max_rounds}"
            )
        self.stmt = stmt
        self.label = label
        self.clock = clock
        self.sync = sync
        self.max_time = max_time
        self.precision = precision
        self.min_block_time = min_block_time
        self.min_rounds = min_rounds
        self.max_rounds = max_rounds
        self.gc_between_blocks = gc_between_blocks
        self.record_traces = record_traces
        self.metadata = dict(metadata or {})
        self.source: SampleSource = source or _Calls(self)
        self.profile = profile
        #: Maps this process's decision (a count) to the one all workers follow: set by
        #: :mod:`graphlab.distributed.sync` for steps that all-reduce across processes.
        self.agree: Callable[[int], int] | None = None
        self._profiled_first: FirstCall | None = None
        #: The output of the first call, for parity checks (not kept in the record).
        self.first_output: Any = None
        # state between the phases (warm_up, block, result)
        self.calls = 0
        self.deadline = 0.0
        self.calibration_time = 0.0
        self._first_call: float | None = None
        self._second_call: float | None = None
        self._first_events: list[TraceEvent] = []
        self._later_events: list[TraceEvent] = []

    # -- pieces --------------------------------------------------------------
    def _sync(self) -> Sync:
        if self.sync is None:
            from graphlab import _runtime

            self.sync = _runtime.block_sync()
        return self.sync

    def time_block(self, calls: int) -> tuple[float, Any]:
        """Run ``calls`` calls, sync once, and return ``(seconds, last output)``."""
        stmt, clock, sync = self.stmt, self.clock, self._sync()
        output = None
        start = clock()
        for _ in itertools.repeat(None, calls):
            output = stmt()
        sync(output)
        return clock() - start, output

    def block_overhead(self, output: Any) -> float:
        """Seconds a block spends outside the calls: two clock reads and one sync."""
        clock, sync = self.clock, self._sync()
        best = math.inf
        for _ in range(5):
            start = clock()
            sync(output)
            best = min(best, clock() - start)
        return max(best, 0.0)

    def block_target(self, output: Any) -> float:
        """How long a block must last: long enough that its fixed overhead is under
        :data:`OVERHEAD_SHARE`, and at least ``min_block_time`` (shrunk for tiny budgets
        so that several blocks still fit)."""
        floor = self.block_overhead(output) / OVERHEAD_SHARE
        wanted = min(self.min_block_time, self.max_time / (4 * self.min_rounds))
        return max(floor, wanted)

    def calibrate(self, target: float, deadline: float) -> int:
        """Grow the calls per block until a block lasts ``target`` seconds. The blocks
        run here are warm-up and are thrown away. With ``agree`` set (workers of one
        all-reduce must run the same steps), every next count is the agreed one."""
        calls = 1
        while True:
            elapsed, _ = self.time_block(calls)
            if elapsed >= target or self.clock() >= deadline:
                wanted = 0  # done
            elif elapsed <= 0:
                wanted = calls * 10
            else:
                wanted = math.ceil(calls * target / elapsed * 1.05)
                wanted = max(calls + 1, min(calls * 10, wanted))
            if self.agree is not None:
                wanted = self.agree(wanted)
            if not wanted:
                return calls
            calls = wanted

    # -- the measurement, in phases a scheduler can interleave --------------------
    def warm_up(self, watch: Any = None) -> None:
        """First call, second call and calibration: everything before the timed blocks.

        ``watch`` is a started :class:`~graphlab.tracing.api.Watch` shared by the
        timers of one schedule; the traces of this timer's own calls are told apart by
        their position in it.
        """
        source = self.source
        mark = len(_user_events(watch))
        if self.profile is not None:
            self._profiled_first = self.profile.first_call(source.first_call)
            self._first_call = self._profiled_first.seconds
            output = self._profiled_first.output
        else:
            self._first_call, output = source.first_call()
        self.first_output = output
        events = _user_events(watch)
        self._first_events = events[mark:]
        mark = len(events)
        self._second_call, second_output = source.second_call()
        if second_output is not None:
            output = second_output
        if self.gc_between_blocks:
            gc.collect()
        start = self.clock()
        self.deadline = start + self.max_time
        self.calls = source.calls_per_block(self, output, self.deadline)
        #: Seconds calibration took (a scheduler takes it off the timing budget).
        self.calibration_time = self.clock() - start
        self._later_events = _user_events(watch)[mark:]

    def block(self, watch: Any = None) -> list[tuple[float, int]]:
        """One timed block: ``(seconds, calls)`` pairs (one per step for ``fit``)."""
        mark = len(_user_events(watch))
        samples = self._one_block(self.calls)
        if watch is not None:
            self._later_events += _user_events(watch)[mark:]
        return samples

    def result(
        self,
        samples: Sequence[tuple[float, int]],
        stop_reason: str,
        rounds: Sequence[int] = (),
    ) -> Measurement:
        """The Measurement of the blocks timed since :meth:`warm_up`; ``rounds`` gives
        each sample's round of an interleaved schedule (empty when timed alone)."""
        metadata = {"clock": getattr(self.clock, "__name__", repr(self.clock))}
        if self.sync is not None:
            metadata["sync"] = getattr(self.sync, "__name__", repr(self.sync)).lstrip("_")
        metadata.update(self.metadata)
        measurement = self.source.finish(
            Measurement(
                label=self.label,
                block_times=tuple(seconds for seconds, _ in samples),
                block_calls=tuple(calls for _, calls in samples),
                first_call=self._first_call,
                second_call=self._second_call,
                stop_reason=stop_reason,
                **trace_fields(self._first_events, self._later_events),
                metadata=metadata,
                block_rounds=tuple(rounds),
            )
        )
        if self.profile is None:
            return measurement
        block = functools.partial(self._one_block, self.calls)
        found = self.profile.row_profile(
            self._profiled_first, block, measurement.median, measurement.first_call
        )
        return dataclasses.replace(measurement, profile=found)

    def measure(self) -> Measurement:
        """First call, second call, calibration, then timed blocks until precise: this
        timer alone (:func:`graphlab.bench.schedule.interleave` times several in turns)."""
        watch = None
        if self.record_traces:
            from graphlab.tracing.api import Watch

            watch = Watch().start()
        heap = frozen_heap() if self.gc_between_blocks else contextlib.nullcontext()
        try:
            with heap:
                self.warm_up(watch)
                samples: list[tuple[float, int]] = []
                reason = ""
                while not reason:
                    samples += self.block(watch)
                    reason = stop_reason(
                        rounds=len(samples),
                        elapsed=self.clock() - (self.deadline - self.max_time),
                        budget=self.max_time,
                        max_rounds=self.max_rounds,
                        min_rounds=self.min_rounds,
                        precise=functools.partial(self._precise, samples),
                    )
        finally:
            if watch is not None:
                watch.stop()
        return self.result(samples, reason)

    def _precise(self, samples: list[tuple[float, int]]) -> bool:
        """Per-call times with IQR/median within :attr:`precision`."""
        return stats.relative_iqr([t / n for t, n in samples]) <= self.precision

    def _one_block(self, calls: int) -> list[tuple[float, int]]:
        if not self.gc_between_blocks:
            return self.source.samples(calls)
        gc.collect(1)
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self.source.samples(calls)
        finally:
            if was_enabled:
                gc.enable()


class _Calls:
    """The default source: blocks of calls of the timer's ``stmt``."""

    def __init__(self, timer: Timer) -> None:
        self.timer = timer

    def first_call(self) -> tuple[float | None, Any]:
        return self.timer.time_block(1)

    second_call = first_call

    def calls_per_block(self, timer: Timer, output: Any, deadline: float) -> int:
        return timer.calibrate(timer.block_target(output), deadline)

    def samples(self, calls: int) -> list[tuple[float, int]]:
        return [(self.timer.time_block(calls)[0], calls)]

    def finish(self, measurement: Measurement) -> Measurement:
        return measurement


def _user_events(watch: Any) -> list[TraceEvent]:
    return [] if watch is None else list(watch.user_events)


def trace_fields(
    first_events: Sequence[TraceEvent], later_events: Sequence[TraceEvent]
) -> dict[str, Any]:
    """The Measurement fields that come from the recorder: the tracing part of the first
    call, the retraces after it and their causes, the graph's op count."""
    return {
        "tracing": sum(e.duration for e in first_events),
        "retraces": len(later_events),
        "retrace_causes": tuple(e.message for e in later_events),
        "op_count": max((e.op_count for e in first_events), default=None),
    }
