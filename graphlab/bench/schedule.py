"""Time several :class:`~graphlab.bench.timer.Timer` objects in alternating blocks.

Timed one after the other, each mode gets its own window of time, and a shared machine
that slows down in the second window makes the first mode look faster. Here every timer
is warmed up and calibrated first (its first call, second call and block size are its
own), then the timers take turns, one block each per round, the order rotated every
round (round robin: A B C, B C A, C A B), and no timer ever times two blocks in a row
(two modes simply alternate: A B A B). Blocks of one round are neighbours in time, so
their ratio cancels the machine's drift (:mod:`graphlab.bench.pairing`).

In a worker that takes turns with other Python environments' workers
(:mod:`graphlab.bench.turns`), the warm-up and every round wait for the turn, and the
budget counts only this worker's own turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from graphlab.bench import stats, turns
from graphlab.bench.pairing import paired_ratios, per_round
from graphlab.bench.peak import PeakTracker, gpu_probes, with_peak
from graphlab.bench.records import Measurement
from graphlab.bench.timer import Timer, frozen_heap
from graphlab.bench.timer import stop_reason as timer_stop_reason

#: Rounds before the precision may stop an interleaved schedule.
MIN_ROUNDS = 10
#: Share of the budget an interleaved schedule spends before the precision may stop
#: it: a run that sees only a moment of the machine cannot say how it varies.
MIN_BUDGET_SHARE = 0.5
#: Why a schedule stops, coded for workers that agree on it ("" goes on).
STOP_REASONS = ("", "time budget", "max rounds", "precision")


class Coordinator(Protocol):
    """Workers whose steps all-reduce together must run the same blocks of the same
    timers: they agree on every decision (:class:`graphlab.distributed.sync.Workers`).

    ``rank`` 0 is the chief, whose decisions all follow; ``all_sum`` adds each
    worker's values, element by element, across workers (and waits for all of them).
    """

    rank: int

    def all_sum(self, values: Sequence[float]) -> list[float]: ...


def interleave(
    timers: Sequence[Timer], watch: bool = True, coordinator: Coordinator | None = None
) -> list[Measurement | Exception]:
    """Measure ``timers`` in alternating blocks; one result per timer, in order.

    The budget is the sum of the timers' ``max_time`` less the time their calibration
    took. Timing stops when it is spent, at the smallest ``max_rounds``, or, after
    :data:`MIN_ROUNDS` rounds and half the budget, once every timer's ratio to the
    first (or a lone timer's per-call time) has IQR/median within its ``precision``.
    A timer that raises is dropped from the rotation and its result is the exception;
    the others go on.

    With a ``coordinator``, the workers of one all-reduce agree: a timer that failed in
    one worker is dropped in all, calibration and stopping follow the chief, and every
    timed block starts after a barrier.
    """
    if not timers:
        return []
    if not any(t.gc_between_blocks for t in timers):
        return _interleave(timers, watch, coordinator)
    with frozen_heap():
        return _interleave(timers, watch, coordinator)


def _interleave(
    timers: Sequence[Timer], watch: bool, coordinator: Coordinator | None
) -> list[Measurement | Exception]:
    clock = timers[0].clock
    results: list[Measurement | Exception | None] = [None] * len(timers)
    recorder = None
    if watch and any(t.record_traces for t in timers):
        from graphlab.tracing.api import Watch

        recorder = Watch().start()
    samples: dict[int, list[tuple[float, int]]] = {}
    rounds: dict[int, list[int]] = {}
    peaks = [PeakTracker() for _ in timers]  # each mode's peak memory, over its spans
    gpu = gpu_probes()
    gate = turns.current()
    waited = 0.0  # in turns of other workers: not this worker's budget
    try:
        if gate is not None:
            gate.take()  # the warm-up, alone on the machine
        active = []
        for index, timer in enumerate(timers):
            if coordinator is not None:
                timer.agree = lambda wanted: int(_chief(coordinator, wanted))
            try:
                with peaks[index].span(*gpu):
                    timer.warm_up(recorder)
            except Exception as error:  # one failing mode must not hide the others
                results[index] = error
            if coordinator is not None and coordinator.all_sum([results[index] is not None])[0]:
                results[index] = results[index] or RuntimeError("failed in another worker")
            if results[index] is not None:
                continue
            active.append(index)
            samples[index], rounds[index] = [], []
        budget = sum(timers[i].max_time - timers[i].calibration_time for i in active)
        budget = max(budget, MIN_BUDGET_SHARE * sum(timers[i].max_time for i in active))
        max_rounds = min((timers[i].max_rounds for i in active), default=0)
        start = clock()
        round_ = 0
        stop_reason = ""
        last = -1
        while active and not stop_reason:
            if gate is not None:
                before = clock()
                if not gate.take():
                    stop_reason = "the environments' turns ended"
                    break
                waited += clock() - before
            order = _rotated(active, round_, last)
            for index in order:
                try:
                    if coordinator is not None:
                        coordinator.all_sum([0.0])  # a barrier: blocks start together
                    with peaks[index].span(*gpu):
                        blocks = timers[index].block(recorder)
                except Exception as error:
                    results[index] = error
                    active.remove(index)
                    continue
                samples[index] += blocks
                rounds[index] += [round_] * len(blocks)
                last = index
            round_ += 1
            stop_reason = timer_stop_reason(
                rounds=round_,
                elapsed=clock() - start - waited,
                budget=budget,
                max_rounds=max_rounds,
                min_rounds=MIN_ROUNDS,
                precise=lambda: _precise(timers, active, samples, rounds),
                min_budget_share=MIN_BUDGET_SHARE,
            )
            if coordinator is not None:
                stop_reason = STOP_REASONS[
                    int(_chief(coordinator, STOP_REASONS.index(stop_reason)))
                ]
    finally:
        if gate is not None:
            gate.finish()
        if recorder is not None:
            recorder.stop()
    reason = f"{stop_reason}, {round_} rounds interleaved" if len(samples) > 1 else stop_reason
    for index in samples:
        if results[index] is None:
            result = timers[index].result(samples[index], reason, rounds[index])
            results[index] = with_peak(result, peaks[index])
    return [r if r is not None else RuntimeError("not measured") for r in results]


def _chief(coordinator: Coordinator, value: float) -> float:
    """The chief's ``value``, in every worker."""
    return coordinator.all_sum([value if coordinator.rank == 0 else 0.0])[0]


def _rotated(active: list[int], round_: int, last: int) -> list[int]:
    """This round's order: ``active`` rotated by the round number, but never starting
    with the timer that ended the last round. Every block then follows another mode's
    block and pays the same switch (caches, thread pools waking up): with two modes the
    plain rotation A B, B A would give B two blocks in a row, the second one warm."""
    shift = round_ % len(active)
    order = active[shift:] + active[:shift]
    if len(order) > 1 and order[0] == last:
        order = order[1:] + order[:1]
    return order


def _precise(
    timers: Sequence[Timer],
    active: list[int],
    samples: dict[int, list[tuple[float, int]]],
    rounds: dict[int, list[int]],
) -> bool:
    """Every active timer's ratio to the first (a lone timer: its per-call time) has
    IQR/median within the timer's precision."""

    def per_call(index: int) -> dict[tuple[int, int], float]:
        times = [t for t, _ in samples[index]]
        calls = [n for _, n in samples[index]]
        return per_round(times, calls, rounds[index])

    if len(active) == 1:
        index = active[0]
        values = list(per_call(index).values())
        return stats.relative_iqr(values) <= timers[index].precision
    reference = per_call(active[0])
    for index in active[1:]:
        ratios = list(paired_ratios(reference, per_call(index)).values())
        if stats.relative_iqr(ratios) > timers[index].precision:
            return False
    return True
