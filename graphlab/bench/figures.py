"""The figures a reader sees of a comparison's rows, derived once per row.

A :class:`~graphlab.bench.records.Comparison` holds raw data. What its tables say of a
row (the speedup against the reference mode, its interval and the pairs it came from,
whether it is unstable, the break-even, the notes, the peak memory, the time ratio
between ``bench --python`` environments) is derived here into one
:class:`RowFigures` per row, by :func:`compute`. The JSON (``Comparison.to_dict``), the
text, markdown, CSV and HTML renderers, ``to_frame`` and the pytest plugin's table all
read these records; none derives a figure again, so they cannot disagree, and a row's
paired blocks are paired once per rendering instead of once per column.

Pure functions of records: no TensorFlow, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphlab._text import plural
from graphlab.bench import pairing, stats
from graphlab.bench.peak import PeakMemory
from graphlab.bench.records_environments import TimeRatio
from graphlab.bench.records_rows import OVERHEAD_FACTOR, ComparisonRow, Measurement, OverheadFloor
from graphlab.distributed.records import placement_notes, scaling_efficiency

#: The comparison metadata's ``environment_schedule`` when environments took turns
#: round by round (their time ratios pair rounds, as speedups pair modes).
ROUNDS_INTERLEAVED = "rounds interleaved"

#: Fewer pairs of blocks than this give no printed interval: from one or two, its
#: ends say nothing of how the speedup varies.
MIN_PAIRS = 3


@dataclass(frozen=True, slots=True)
class RowFigures:
    """Everything derived of one row of a comparison.

    Attributes:
        row: The row the figures are of.
        reference: The reference mode's row of the same function and environment that
            ``row`` is compared with; None for the reference row itself, or when that
            row is missing or failed.
        speedup: Times faster than the reference (> 1: faster): the median of paired
            rounds' ratios when interleaved, else the ratio of medians; None without a
            reference or a finite ratio.
        interval: The speedup's interval ``(low, high)``; None with no speedup.
        paired: The speedup from paired blocks (:mod:`graphlab.bench.pairing`); None
            when ``row`` and its reference were not interleaved.
        unstable: Why the speedup cannot be trusted; empty when it can.
        break_even: Calls after which ``row`` has paid back its first call against the
            reference's (None: never, or nothing to compare; see ``reference``).
        dominated_by_overhead: The median is within a small multiple of the run's
            overhead floor (:data:`~graphlab.bench.records_rows.OVERHEAD_FACTOR`).
        notes: Everything a reader must know about the row, most serious first.
        peak: Peak memory while the mode ran (typed, in bytes).
        time_ratio: Time per call over the baseline environment's (``bench --python``);
            None outside environments and for the baseline's own rows.
        scaling_efficiency: Throughput over replicas x one device's (distributed
            rows), see :func:`graphlab.distributed.records.scaling_efficiency`.
        no_interval: Why the speedup's interval is not shown (fewer than
            :data:`MIN_PAIRS` pairs of blocks: ``1 block: no interval; raise
            --max-time``); empty when it is. The JSON keeps the interval.
    """

    row: ComparisonRow
    reference: ComparisonRow | None = None
    speedup: float | None = None
    interval: tuple[float, float] | None = None
    paired: pairing.PairedSpeedup | None = None
    unstable: str = ""
    break_even: int | None = None
    dominated_by_overhead: bool = False
    notes: tuple[str, ...] = ()
    peak: PeakMemory = field(default_factory=PeakMemory)
    time_ratio: TimeRatio | None = None
    scaling_efficiency: float | None = None
    no_interval: str = ""

    @property
    def shown_interval(self) -> tuple[float, float] | None:
        """:attr:`interval` where it may be printed: None from too few pairs."""
        return None if self.no_interval else self.interval

    @property
    def pairs(self) -> int | None:
        """Rounds that gave a paired ratio (None: not interleaved)."""
        return self.paired.pairs if self.paired is not None else None

    @property
    def schedule(self) -> str:
        """``interleaved`` when the row's modes took turns block by block, else
        ``sequential``."""
        m = self.row.measurement
        return "interleaved" if m is not None and m.block_rounds else "sequential"

    @property
    def processes(self) -> int | None:
        """Processes the row's blocks came from (None: it did not run)."""
        return self.row.measurement.processes if self.row.measurement is not None else None


def compute(
    rows: Sequence[ComparisonRow],
    reference_mode: str = "eager",
    floor: OverheadFloor | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> tuple[RowFigures, ...]:
    """The figures of every row of a comparison, in row order."""
    return tuple(of_row(rows, row, reference_mode, floor, metadata) for row in rows)


def of_row(
    rows: Sequence[ComparisonRow],
    row: ComparisonRow,
    reference_mode: str = "eager",
    floor: OverheadFloor | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> RowFigures:
    """The figures of ``row`` among a comparison's ``rows`` (``row`` need not be one of
    them: it is compared with their reference row)."""
    reference = reference_row(rows, row, reference_mode)
    m = row.measurement
    r = reference.measurement if reference is not None else None
    paired = None
    if m is not None and r is not None and m.block_rounds and r.block_rounds:  # interleaved
        rounds = r.per_round(), m.per_round()
        paired = pairing.paired_speedup(pairing.paired_ratios(*rounds), rounds[0])
    speedup, interval = _speedup(paired, r, m)
    unstable = paired.unstable if paired is not None else ""
    dominated = (
        floor is not None
        and m is not None
        and m.median < OVERHEAD_FACTOR * floor.for_mode(row.mode)
    )
    return RowFigures(
        row=row,
        reference=reference,
        speedup=speedup,
        interval=interval,
        paired=paired,
        unstable=unstable,
        break_even=_break_even(r, m),
        dominated_by_overhead=dominated,
        notes=_notes(row, placement_notes(rows, row), unstable, dominated),
        peak=PeakMemory.of(m.metadata if m is not None else {}),
        time_ratio=time_ratio(rows, row, metadata or {}),
        scaling_efficiency=scaling_efficiency(rows, row),
        no_interval=_no_interval(paired, r, m) if interval is not None else "",
    )


def _no_interval(
    paired: pairing.PairedSpeedup | None, reference: Measurement | None, m: Measurement | None
) -> str:
    """Why a speedup's interval must not be printed; empty when it may."""
    if paired is not None:
        count = paired.pairs
    else:
        count = min(x.rounds for x in (reference, m) if x is not None)
    if count >= MIN_PAIRS:
        return ""
    what = plural(count, "pair") + " of blocks" if paired is not None else plural(count, "block")
    return f"{what}: no interval; raise --max-time"


def reference_row(
    rows: Sequence[ComparisonRow], row: ComparisonRow, reference_mode: str = "eager"
) -> ComparisonRow | None:
    """The reference mode's row of ``row``'s function and environment, when it ran and
    is not ``row`` itself."""
    reference = find(rows, row.function, reference_mode, row.environment)
    if reference is None or reference is row or not reference.ok:
        return None
    return reference


def find(
    rows: Sequence[ComparisonRow], function: str, mode: str, env: str | None = None
) -> ComparisonRow | None:
    """The first row of ``function`` in ``mode`` (of environment ``env``; None: any)."""
    for row in rows:
        if row.function == function and row.mode == mode:
            if env is None or row.environment == env:
                return row
    return None


def _speedup(
    paired: pairing.PairedSpeedup | None, reference: Measurement | None, m: Measurement | None
) -> tuple[float | None, tuple[float, float] | None]:
    """The speedup and its interval: paired rounds' when interleaved, else the ratio of
    medians and its interval; None where a figure is not finite (a zero median)."""
    if paired is not None:
        value, low, high = paired.value, paired.low, paired.high
    elif reference is not None and m is not None:
        value = stats.speedup(reference.times, m.times)
        low, high = stats.speedup_ci(reference.times, m.times)
    else:
        return None, None
    speedup = value if math.isfinite(value) else None
    interval = (low, high) if math.isfinite(low) and math.isfinite(high) else None
    return speedup, interval


def _break_even(reference: Measurement | None, m: Measurement | None) -> int | None:
    if reference is None or m is None or m.first_call is None or reference.first_call is None:
        return None
    return stats.break_even_calls(m.first_call, m.median, reference.first_call, reference.median)


def _notes(
    row: ComparisonRow, placement: tuple[str, ...], unstable: str, dominated: bool
) -> tuple[str, ...]:
    """Everything a reader must know about a row, most serious first."""
    m = row.measurement
    notes = []
    if row.error:
        notes.append(f"failed: {row.error}")
    if row.parity_ok is False:
        notes.append(f"output {row.parity}")
    if m is not None and m.retraces:
        cause = m.retrace_causes[0] if m.retrace_causes else "cause unknown"
        notes.append(f"retraced {m.retraces}x while timing: {cause}")
    notes += m.profile.notes() if m is not None and m.profile is not None else ()
    notes += placement
    if unstable:
        notes.append(unstable)
    if dominated:
        notes.append("dominated by call overhead")
    if m is not None and m.rounds >= 2 and m.relative_iqr > 0.1:
        notes.append(f"noisy (IQR {m.relative_iqr:.0%} of median)")
    return tuple(notes)


# ---------------------------------------------------------------------------
# Environments (bench --python)


def baseline_environment(
    rows: Sequence[ComparisonRow], metadata: Mapping[str, Any] | None = None
) -> str:
    """The first environment's label (empty when the rows have none)."""
    labels = list((metadata or {}).get("environments") or {})
    labels += [row.environment for row in rows if row.environment]
    return labels[0] if labels else ""


def time_ratio(
    rows: Sequence[ComparisonRow], row: ComparisonRow, metadata: Mapping[str, Any]
) -> TimeRatio | None:
    """``row``'s time per call over the same function and mode in the baseline
    environment; None for the baseline's own rows and rows that did not run."""
    if not row.environment or row.measurement is None:
        return None
    base = baseline_environment(rows, metadata)
    if row.environment == base:
        return None
    reference = find(rows, row.function, row.mode, base)
    if reference is None or reference.measurement is None:
        return None
    other, mine = reference.measurement, row.measurement
    if metadata.get("environment_schedule") == ROUNDS_INTERLEAVED:
        rounds = other.per_round()
        paired = pairing.paired_speedup(pairing.paired_ratios(mine.per_round(), rounds), rounds)
        if paired is not None:
            why = paired.unstable.replace("speedup", "time ratio")
            return TimeRatio(base, paired.value, paired.low, paired.high, paired.pairs, why)
    value = stats.speedup(mine.times, other.times)  # median(mine) / median(baseline)
    low, high = stats.speedup_ci(mine.times, other.times)
    ratios = _process_pair_ratios(other, mine)
    if len(ratios) > 1:
        value = stats.median(ratios)
        low, high = min(low, *ratios), max(high, *ratios)
    return TimeRatio(base, value, low, high, max(1, len(ratios)))


def _process_pair_ratios(baseline: Measurement, other: Measurement) -> list[float]:
    """Median time of process ``p`` of ``other`` over process ``p`` of the baseline,
    for every process both have."""

    def by_process(m: Measurement) -> dict[int, list[float]]:
        groups: dict[int, list[float]] = {}
        for process, time in zip(m.block_processes or [0] * m.rounds, m.times):
            groups.setdefault(process, []).append(time)
        return groups

    mine, base = by_process(other), by_process(baseline)
    return [
        stats.median(mine[p]) / stats.median(base[p])
        for p in sorted(set(mine) & set(base))
        if stats.median(base[p]) > 0
    ]
