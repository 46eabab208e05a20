"""Speedups from paired blocks: what an interleaved schedule makes possible.

A shared machine's speed changes over seconds. Timing eager in one window and graph in
the next turns such a change into a false speedup. :func:`graphlab.bench.schedule.interleave`
times the modes in alternating blocks instead; here every round's block of a mode is
divided into the same round's block of the reference (blocks seconds apart, on the same
machine), and the speedup is the median of those ratios.

The interval has to hold across runs, not only within one: a 95% interval of the median
ratio from one window alone is too tight when the ratio itself wanders (the machine's
load changes what graph mode gains). So the interval is the hull of

* the distribution-free interval of the median of all ratios, and
* the medians of consecutive batches of ratios (five per run; every process's own
  median when there are five or more processes): how far the speedup moved within the
  run and between processes.

A run is **unstable** when the speedup moved: its first and second halves differ by more
than :data:`UNSTABLE_CHANGE` (and a rank test says it is no accident); when the machine's
speed itself changed by more than :data:`MACHINE_CHANGE` during the run (pairing cancels
a change that hits both modes alike, but on a loaded machine a mode that uses more
threads suffers more); or when processes disagree by more than :data:`UNSTABLE_CHANGE`
and their own intervals do not overlap.

Pure functions of numbers: tested with plain lists and a fake clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from graphlab.bench import stats

#: A speedup that moves by more than this (relative) within a run or between
#: processes makes the row unstable.
UNSTABLE_CHANGE = 0.075
#: p-value below which a change of the ratio between halves is not noise.
TREND_P = 0.01
#: A reference mode whose time per call moves by more than this (relative) between the
#: halves of a run (p < :data:`MACHINE_P`) means the machine's speed changed.
MACHINE_CHANGE = 0.25
MACHINE_P = 0.001
#: Batches of consecutive ratios per run (fewer when they would hold < 3 ratios).
BATCHES = 5
#: Processes suggested when a run is unstable.
SUGGESTED_PROCESSES = 5

Key = tuple[int, int]  # (process, round)


@dataclass(frozen=True, slots=True)
class PairedSpeedup:
    """A speedup from paired blocks.

    Attributes:
        value: Median of the per-round ratios (reference time / mode time).
        low: Lower end of the interval (see the module docstring).
        high: Upper end.
        pairs: Rounds that gave a ratio.
        processes: Processes the rounds came from.
        unstable: Why the speedup cannot be trusted; empty when it can.
    """

    value: float
    low: float
    high: float
    pairs: int
    processes: int
    unstable: str = ""


def per_round(
    times: Sequence[float],
    calls: Sequence[int],
    rounds: Sequence[int],
    processes: Sequence[int] = (),
) -> dict[Key, float]:
    """Seconds per call in each (process, round): samples of one round (a ``fit`` call
    gives one per step) are pooled as total time / total calls."""
    totals: dict[Key, list[float]] = {}
    for index, (seconds, count, round_) in enumerate(zip(times, calls, rounds)):
        process = processes[index] if processes else 0
        total = totals.setdefault((process, round_), [0.0, 0.0])
        total[0] += seconds
        total[1] += count
    return {key: seconds / count for key, (seconds, count) in totals.items() if count > 0}


def paired_ratios(reference: dict[Key, float], candidate: dict[Key, float]) -> dict[Key, float]:
    """reference / candidate for every (process, round) both have, in time order."""
    return {
        key: reference[key] / candidate[key]
        for key in sorted(set(reference) & set(candidate))
        if candidate[key] > 0
    }


def batch_medians(ratios: Sequence[float], batches: int = BATCHES) -> list[float]:
    """Medians of ``batches`` consecutive runs of ``ratios`` (fewer if a batch would
    hold fewer than 3 ratios; none if not even 2 batches fit)."""
    count = min(batches, len(ratios) // 3)
    if count < 2:
        return []
    size = len(ratios) / count
    return [stats.median(ratios[round(i * size) : round((i + 1) * size)]) for i in range(count)]


def trend(
    values: Sequence[float], change: float = UNSTABLE_CHANGE, p: float = TREND_P
) -> tuple[float, float] | None:
    """Medians of the first and second half when they differ by more than ``change``
    (relative) and a Mann-Whitney test rejects chance (p-value below ``p``); None
    otherwise (or with fewer than 5 values per half)."""
    half = len(values) // 2
    if half < 5:
        return None
    first, second = values[:half], values[len(values) - half :]
    before, after = stats.median(first), stats.median(second)
    if before <= 0 or abs(after / before - 1.0) <= change:
        return None
    _, p_value = stats.mann_whitney_u(first, second)
    return (before, after) if p_value < p else None


def disagreement(by_process: Sequence[Sequence[float]]) -> tuple[float, float] | None:
    """The lowest and highest process medians when processes disagree: they differ by
    more than :data:`UNSTABLE_CHANGE` and their medians' intervals share no value."""
    usable = [list(r) for r in by_process if r]
    if len(usable) < 2:
        return None
    medians = [stats.median(r) for r in usable]
    low, high = min(medians), max(medians)
    if low <= 0 or high / low - 1.0 <= UNSTABLE_CHANGE:
        return None
    intervals = [stats.median_ci(r) for r in usable]
    overlap = max(lo for lo, _ in intervals) <= min(hi for _, hi in intervals)
    return None if overlap else (low, high)


def paired_speedup(
    ratios: dict[Key, float], reference: dict[Key, float] | None = None
) -> PairedSpeedup | None:
    """The speedup, its interval and its stability from per-round ratios and the
    reference mode's seconds per call in each round (see the module docstring); None
    without any ratio."""
    values = [r for r in ratios.values() if math.isfinite(r)]
    if not values:
        return None
    by_process: dict[int, list[float]] = {}
    for (process, _), ratio in ratios.items():
        if math.isfinite(ratio):
            by_process.setdefault(process, []).append(ratio)
    groups = list(by_process.values())
    low, high = stats.median_ci(values)
    if len(groups) >= SUGGESTED_PROCESSES:
        spread = [stats.median(g) for g in groups]
    else:
        per_run = max(2, math.ceil(BATCHES / len(groups)))
        spread = [m for g in groups for m in batch_medians(g, per_run)]
    reasons = []
    for process, group in by_process.items():
        moved = trend(group)
        own = [t for (p, _), t in sorted((reference or {}).items()) if p == process]
        slowed = trend(own, MACHINE_CHANGE, MACHINE_P)
        if moved is not None:
            spread += list(moved)
            change = f"speedup {moved[0]:.3g}x, then {moved[1]:.3g}x"
        elif slowed is not None:
            half = len(group) // 2
            spread += [stats.median(group[:half]), stats.median(group[half:])]
            change = f"reference {slowed[0] * 1e3:.3g} ms, then {slowed[1] * 1e3:.3g} ms a call"
        else:
            continue
        reasons.append(
            f"unstable: the machine's speed changed during the run ({change}); rerun "
            f"with --processes {SUGGESTED_PROCESSES}"
        )
        break
    apart = disagreement(groups)
    if apart is not None:
        spread += list(apart)
        reasons.append(
            f"unstable: the {len(groups)} processes disagree (speedups {apart[0]:.3g}x to "
            f"{apart[1]:.3g}x); rerun with more --processes"
        )
    if spread:
        low, high = min(low, *spread), max(high, *spread)
    return PairedSpeedup(
        value=stats.median(values),
        low=low,
        high=high,
        pairs=len(values),
        processes=len(groups),
        unstable="; ".join(reasons),
    )
