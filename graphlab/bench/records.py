"""Benchmark records: a Measurement of one callable, a Comparison of functions x modes.

Records hold raw data (seconds inside; ``_ms``/``_us`` suffixes in JSON); every figure
is derived by pure functions (:mod:`graphlab.bench.stats`), so a reloaded record gives
the same figures. They never import TensorFlow and never know how they are shown
(``str()`` and Jupyter ask :mod:`graphlab._display`, where :mod:`graphlab.bench.render`
registers itself).

Schema history of the JSON written from these records:

* ``graphlab.comparison/1`` (2026-11-26): first version. Rows carry their raw
  per-block times (``block_times_s``, ``block_calls``) so that a saved run can be
  reloaded exactly and compared with significance tests.
* ``graphlab.comparison/2`` (2026-11-30): a failed row carries every key an ok row
  has (null, empty or 0 where there is no measurement) instead of a subset. Files of
  version 1 still load.
* ``graphlab.comparison/3`` (2026-11-30): modes timed interleaved. Rows carry each
  block's round and worker process (``block_rounds``, ``block_processes``) and the
  speedup's basis: ``pairs``, ``processes``, ``schedule``, ``unstable`` (its reason in
  the notes); the document its ``processes``. Versions 1 and 2 still load. Since
  2026-11-30 (issue 12) rows measured with ``--profile`` also carry the keys of
  :class:`graphlab.profiling.records.RowProfile` (absent otherwise); since 2026-11-30
  (issue 14) rows of a training step under a distribution strategy carry the keys of
  :class:`graphlab.distributed.records.Placement` (absent otherwise), and rows of
  ``bench --python LABEL=PATH`` carry ``environment`` (the label) and
  ``time_vs_baseline``, and ``metadata.environments`` maps labels to TensorFlow versions.
* ``graphlab.rundiff/1`` (2026-11-26): ``compare-runs --format json``; its records
  live with the diff logic in :mod:`graphlab.bench.runs`.
* ``graphlab.pytest/1`` (2026-11-27): the plugin's table in pytest-benchmark's JSON;
  since 2026-11-30 (issue 10) interleaved tests' rows also carry ``{mode}_speedup_ci``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from graphlab import _display, _schema
from graphlab._text import format_significant
from graphlab.bench import pairing, stats
from graphlab.bench.frame import flat_row
from graphlab.distributed.records import Placement, placement_notes
from graphlab.profiling.records import RowProfile

COMPARISON_SCHEMA = "graphlab.comparison/3"
#: Every comparison schema this graphlab reads.
COMPARISON_SCHEMAS = ("graphlab.comparison/1", "graphlab.comparison/2", COMPARISON_SCHEMA)
#: The plugin's table in pytest-benchmark's JSON (under the ``graphlab`` key).
PYTEST_SCHEMA = "graphlab.pytest/1"

#: A row runs "within a small multiple" of the overhead floor when its median is below
#: this many times the floor: then two thirds or more of it is call overhead, not work.
#: (At 2x, power(x, 100) in graph mode, 100 matmuls at twice the floor, read as
#: "dominated", which its own table contradicted.)
OVERHEAD_FACTOR = 1.5


@dataclass(frozen=True, slots=True)
class Measurement:
    """Timings of one callable: first call, second call and steady-state blocks.

    Raw data only; every statistic is derived, so a reloaded measurement gives the same
    figures. Times are in seconds.

    Attributes:
        label: What was timed (``power/graph``).
        block_times: Wall time of each timed block of calls (warm-up excluded).
        block_calls: Calls in each block (same length as ``block_times``).
        first_call: The first call, tracing and compilation included (None if the
            callable was already warm).
        second_call: The second call: caches warm, but often still slower than steady.
        tracing: The part of the first call spent tracing, from the trace recorder.
        retraces: Traces that happened after the first call, timing included. Should
            be 0: otherwise the steady state measured tracing too.
        retrace_causes: The recorder's sentence for each of those traces.
        op_count: Ops in the traced graph (None for eager code).
        stop_reason: Why timing stopped (``precision``, ``time budget``, ``max rounds``).
        metadata: Device, thread settings, clock: what a reader needs to trust it.
        block_rounds: Each block's round of an interleaved schedule (empty: timed
            alone); two modes' blocks of one round are neighbours in time.
        block_processes: Each block's worker process (empty: all in one).
        profile: What ``--profile`` found (first call's phases, top ops, FLOPs).
    """

    label: str
    block_times: tuple[float, ...]
    block_calls: tuple[int, ...]
    first_call: float | None = None
    second_call: float | None = None
    tracing: float = 0.0
    retraces: int = 0
    retrace_causes: tuple[str, ...] = ()
    op_count: int | None = None
    stop_reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict, compare=False)
    block_rounds: tuple[int, ...] = ()
    block_processes: tuple[int, ...] = ()
    profile: RowProfile | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("block_rounds", "block_processes"):
            if getattr(self, name) and len(getattr(self, name)) != len(self.block_times):
                raise ValueError(f"{name} must be empty or hold one value per block")
        if not self.block_times:
            raise ValueError("a Measurement needs at least one timed block")
        if len(self.block_times) != len(self.block_calls):
            raise ValueError(
                f"block_times ({len(self.block_times)}) and block_calls "
                f"({len(self.block_calls)}) must have the same length"
            )
        if any(calls < 1 for calls in self.block_calls):
            raise ValueError("every block must hold at least one call")
        if any(t < 0 for t in self.block_times):
            raise ValueError("block times cannot be negative")

    # -- derived ------------------------------------------------------------
    @property
    def times(self) -> tuple[float, ...]:
        """Seconds per call, one value per block: the sample every statistic uses."""
        return tuple(t / n for t, n in zip(self.block_times, self.block_calls))

    @property
    def calls_per_block(self) -> int:
        """Calls per block (the largest, when aggregated runs calibrated differently)."""
        return max(self.block_calls)

    @property
    def rounds(self) -> int:
        return len(self.block_times)

    @property
    def median(self) -> float:
        return stats.median(self.times)

    @property
    def iqr(self) -> float:
        return stats.iqr(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def mean(self) -> float:
        return stats.mean(self.times)

    @property
    def relative_iqr(self) -> float:
        return stats.relative_iqr(self.times)

    @property
    def median_ci(self) -> tuple[float, float]:
        """95% confidence interval of the median."""
        return stats.median_ci(self.times)

    @property
    def significant_figures(self) -> int:
        return stats.significant_figures(self.median, self.iqr)

    @property
    def processes(self) -> int:
        return len(set(self.block_processes)) if self.block_processes else 1

    def per_round(self) -> dict[tuple[int, int], float]:
        """Seconds per call in each (process, round); empty when not interleaved."""
        if not self.block_rounds:
            return {}
        return pairing.per_round(
            self.block_times, self.block_calls, self.block_rounds, self.block_processes
        )

    def to_dict(self) -> dict[str, Any]:
        low, high = self.median_ci
        return {
            "label": self.label,
            "first_call_ms": _ms(self.first_call),
            "second_call_ms": _ms(self.second_call),
            "tracing_ms": _ms(self.tracing),
            "median_us": self.median * 1e6,
            "iqr_us": self.iqr * 1e6,
            "min_us": self.min * 1e6,
            "mean_us": self.mean * 1e6,
            "ci_low_us": low * 1e6,
            "ci_high_us": high * 1e6,
            "rounds": self.rounds,
            "calls_per_block": self.calls_per_block,
            "retraces": self.retraces,
            "retrace_causes": list(self.retrace_causes),
            "op_count": self.op_count,
            "stop_reason": self.stop_reason,
            "block_times_s": list(self.block_times),
            "block_calls": list(self.block_calls),
            "block_rounds": list(self.block_rounds),
            "block_processes": list(self.block_processes),
            "metadata": dict(self.metadata),
        } | (self.profile.to_dict(self.median) if self.profile is not None else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """Rebuild from :meth:`to_dict` output (derived fields are recomputed)."""
        block_times = tuple(float(t) for t in data["block_times_s"])
        if not all(math.isfinite(t) and t > 0 for t in block_times):
            raise ValueError(
                f"{data.get('label') or 'a row'}: block_times_s must be finite seconds > 0"
            )
        return cls(
            label=data.get("label", ""),
            block_times=block_times,
            block_calls=tuple(int(n) for n in data["block_calls"]),
            first_call=_seconds(data.get("first_call_ms")),
            second_call=_seconds(data.get("second_call_ms")),
            tracing=_seconds(data.get("tracing_ms")) or 0.0,
            retraces=int(data.get("retraces", 0)),
            retrace_causes=tuple(data.get("retrace_causes", ())),
            op_count=data.get("op_count"),
            stop_reason=data.get("stop_reason", ""),
            metadata=dict(data.get("metadata", {})),
            block_rounds=tuple(int(r) for r in data.get("block_rounds", ())),
            block_processes=tuple(int(p) for p in data.get("block_processes", ())),
            profile=RowProfile.from_dict(data),
        )

    def __str__(self) -> str:
        figures = self.significant_figures
        return (
            f"{self.label}: {format_significant(self.median * 1e6, figures)} us "
            f"+- {self.iqr * 1e6:.2g} us (IQR) per call, {self.rounds} blocks of "
            f"{self.calls_per_block} calls"
        )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e3


def _seconds(ms: Any) -> float | None:
    return None if ms is None else float(ms) / 1e3


#: The measurement keys of a failed row in the JSON: the same keys an ok row has
#: (:meth:`Measurement.to_dict` without its label), with nothing measured.
NO_MEASUREMENT: dict[str, Any] = {
    **dict.fromkeys(["first_call_ms", "second_call_ms", "tracing_ms", "median_us", "iqr_us"]),
    **dict.fromkeys(["min_us", "mean_us", "ci_low_us", "ci_high_us", "rounds", "calls_per_block"]),
    **{"retraces": 0, "retrace_causes": [], "op_count": None, "stop_reason": ""},
    **{"block_times_s": [], "block_calls": [], "block_rounds": [], "block_processes": []},
    "metadata": {},
}


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One function in one mode.

    Attributes:
        function: The function's label (``power``, ``cube(scalar)``).
        mode: ``eager``, ``graph``, ``xla``, ``concrete`` or a user variant's name.
        measurement: The timings, or None when the mode failed.
        error: Why the mode failed (``XLA cannot compile ...``); empty when it ran.
        parity: ``ok``, ``mismatch: ...`` or empty for the reference row and rows
            that were not checked.
        parity_ok: True / False after a check, None when not checked.
        placement: Workers and replicas under a distribution strategy (None: plain).
        environment: The Python environment's label (``bench --python``); empty: this one.
    """

    function: str
    mode: str
    measurement: Measurement | None
    error: str = ""
    parity: str = ""
    parity_ok: bool | None = None
    placement: Placement | None = None
    environment: str = ""

    def __post_init__(self) -> None:
        if (self.measurement is None) == (not self.error):
            raise ValueError("a ComparisonRow has either a measurement or an error, not both")

    @property
    def ok(self) -> bool:
        return self.measurement is not None


@dataclass(frozen=True, slots=True)
class OverheadFloor:
    """What doing nothing costs, measured once per run: below a small multiple of it a
    row mostly measures dispatch, not the function.

    Attributes:
        function_call: Median seconds of a bare ``tf.function`` call (an identity).
        eager_op: Median seconds of one eager op on a scalar.
    """

    function_call: float
    eager_op: float

    def to_dict(self) -> dict[str, Any]:
        return {"function_call_us": self.function_call * 1e6, "eager_op_us": self.eager_op * 1e6}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OverheadFloor:
        return cls(float(data["function_call_us"]) / 1e6, float(data["eager_op_us"]) / 1e6)

    def for_mode(self, mode: str) -> float:
        return self.eager_op if mode not in ("graph", "xla", "concrete") else self.function_call


@dataclass(frozen=True, slots=True)
class Comparison:
    """Rows of function x mode, with what a reader needs to judge them.

    Attributes:
        rows: One per function and mode, in the order measured.
        tensorflow: TensorFlow version.
        floor: The dispatch-overhead floor of this run (None if not measured).
        metadata: Device, threads, Python, platform, graphlab version, date.
        reference_mode: The mode speedups are relative to.
    """

    rows: tuple[ComparisonRow, ...]
    tensorflow: str = ""
    floor: OverheadFloor | None = None
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    reference_mode: str = "eager"

    # -- derived ------------------------------------------------------------
    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.function for row in self.rows))

    @property
    def all_failed(self) -> bool:
        return bool(self.rows) and not any(row.ok for row in self.rows)

    def row(self, function: str, mode: str, env: str | None = None) -> ComparisonRow | None:
        """The row of ``function`` in ``mode`` (of environment ``env``; None: any)."""
        for row in self.rows:
            if row.function == function and row.mode == mode:
                if env is None or row.environment == env:
                    return row
        return None

    def reference(self, row: ComparisonRow) -> ComparisonRow | None:
        """The eager row of the same function (and environment), when it ran (and is not
        ``row``)."""
        reference = self.row(row.function, self.reference_mode, row.environment)
        if reference is None or reference is row or not reference.ok:
            return None
        return reference

    def paired(self, row: ComparisonRow) -> pairing.PairedSpeedup | None:
        """The speedup of ``row`` from rounds timed next to the reference's
        (:mod:`graphlab.bench.pairing`); None when the two were not interleaved."""
        reference = self.reference(row)
        if reference is None or row.measurement is None or reference.measurement is None:
            return None
        rounds = reference.measurement.per_round(), row.measurement.per_round()
        return pairing.paired_speedup(pairing.paired_ratios(*rounds), rounds[0])

    def speedup(self, row: ComparisonRow) -> float | None:
        """How many times faster than eager ``row`` runs (> 1: faster): the median of
        paired rounds' ratios when interleaved, else median eager / median of ``row``."""
        paired = self.paired(row)
        if paired is not None:
            return paired.value if math.isfinite(paired.value) else None
        reference = self.reference(row)
        if reference is None or row.measurement is None:
            return None
        assert reference.measurement is not None
        value = stats.speedup(reference.measurement.times, row.measurement.times)
        return value if math.isfinite(value) else None  # a zero median: no ratio to show

    def speedup_ci(self, row: ComparisonRow) -> tuple[float, float] | None:
        paired = self.paired(row)
        if paired is not None:
            low, high = paired.low, paired.high
        else:
            reference = self.reference(row)
            if reference is None or row.measurement is None:
                return None
            assert reference.measurement is not None
            low, high = stats.speedup_ci(reference.measurement.times, row.measurement.times)
        return (low, high) if math.isfinite(low) and math.isfinite(high) else None

    def unstable(self, row: ComparisonRow) -> str:
        """Why ``row``'s speedup cannot be trusted (drift, processes that disagree);
        empty when it can or when it was not interleaved."""
        paired = self.paired(row)
        return paired.unstable if paired is not None else ""

    @property
    def processes(self) -> int:
        """Worker processes the measurements came from (1: this one)."""
        return max((r.measurement.processes for r in self.rows if r.measurement), default=1)

    def break_even(self, row: ComparisonRow) -> int | None:
        """Calls after which ``row`` has paid back its first-call cost against eager."""
        reference = self.reference(row)
        m = row.measurement
        if reference is None or m is None or m.first_call is None:
            return None
        r = reference.measurement
        assert r is not None
        if r.first_call is None:
            return None
        return stats.break_even_calls(m.first_call, m.median, r.first_call, r.median)

    def dominated_by_overhead(self, row: ComparisonRow) -> bool:
        if self.floor is None or row.measurement is None:
            return False
        return row.measurement.median < OVERHEAD_FACTOR * self.floor.for_mode(row.mode)

    def notes(self, row: ComparisonRow) -> tuple[str, ...]:
        """Everything a reader must know about a row, most serious first."""
        notes = []
        if row.error:
            notes.append(f"failed: {row.error}")
        if row.parity_ok is False:
            notes.append(f"output {row.parity}")
        m = row.measurement
        if m is not None and m.retraces:
            cause = m.retrace_causes[0] if m.retrace_causes else "cause unknown"
            notes.append(f"retraced {m.retraces}x while timing: {cause}")
        notes += m.profile.notes() if m is not None and m.profile is not None else ()
        notes += placement_notes(self.rows, row)
        unstable = self.unstable(row)
        if unstable:
            notes.append(unstable)
        if self.dominated_by_overhead(row):
            notes.append("dominated by call overhead")
        if m is not None and m.rounds >= 2 and m.relative_iqr > 0.1:
            notes.append(f"noisy (IQR {m.relative_iqr:.0%} of median)")
        return tuple(notes)

    # -- conversions --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``graphlab.comparison/3``)."""
        rows = []
        for row in self.rows:
            data: dict[str, Any] = {"function": row.function, "mode": row.mode}
            if row.environment:
                from graphlab.bench import environments

                data["environment"] = row.environment
                data["time_vs_baseline"] = environments.time_vs_baseline(self, row)
            m = row.measurement
            if m is not None:
                data.update(m.to_dict())
                del data["label"]
            else:
                data.update(NO_MEASUREMENT)
            ci = self.speedup_ci(row)
            data["speedup_vs_eager"] = self.speedup(row)
            data["speedup_ci"] = list(ci) if ci else None
            paired = self.paired(row)
            data["schedule"] = "interleaved" if m is not None and m.block_rounds else "sequential"
            data["pairs"] = paired.pairs if paired is not None else None
            data["processes"] = m.processes if m is not None else None
            data["unstable"] = bool(paired is not None and paired.unstable)
            data["break_even_calls"] = self.break_even(row)
            data["dominated_by_overhead"] = self.dominated_by_overhead(row)
            data["parity"] = row.parity
            data["parity_ok"] = row.parity_ok
            data["error"] = row.error
            data["notes"] = list(self.notes(row))
            data.update(row.placement.to_dict() if row.placement is not None else {})
            rows.append(data)
        return {
            "schema": COMPARISON_SCHEMA,
            "tensorflow": self.tensorflow,
            "reference_mode": self.reference_mode,
            "processes": self.processes,
            "metadata": dict(self.metadata),
            "floor": None if self.floor is None else self.floor.to_dict(),
            "rows": rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        """Load a saved comparison; every ``graphlab.comparison/<=3`` file loads."""
        _schema.check(data, COMPARISON_SCHEMAS, "comparison")
        if not isinstance(data.get("rows"), list):
            raise ValueError("its 'rows' must be a list of rows")
        rows = []
        for item in data["rows"]:
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("function", "mode")
            ):
                raise ValueError(f"a row must be an object with function and mode, got {item!r}")
            measurement = None
            if item.get("block_times_s"):
                measurement = Measurement.from_dict(
                    {**item, "label": f"{item['function']}/{item['mode']}"}
                )
            rows.append(
                ComparisonRow(
                    function=item["function"],
                    mode=item["mode"],
                    measurement=measurement,
                    error=item.get("error", "") or ("" if measurement else "no data"),
                    parity=item.get("parity", ""),
                    parity_ok=item.get("parity_ok"),
                    placement=Placement.from_dict(item),
                    environment=item.get("environment") or "",
                )
            )
        floor_data = data.get("floor")
        floor = OverheadFloor.from_dict(floor_data) if floor_data else None
        return cls(
            rows=tuple(rows),
            tensorflow=data.get("tensorflow", ""),
            floor=floor,
            metadata=dict(data.get("metadata", {})),
            reference_mode=data.get("reference_mode", "eager"),
        )

    def flat_rows(self) -> list[dict[str, Any]]:
        """One flat dict per row: the columns of :meth:`to_frame` and of the CSV."""
        return [flat_row(self, row, data) for row, data in zip(self.rows, self.to_dict()["rows"])]

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per function x mode (columns of :meth:`flat_rows`)."""
        import pandas as pd

        return pd.DataFrame(self.flat_rows())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    __renderer__ = "graphlab.bench.render"  # imported when first shown

    def _repr_html_(self) -> str:
        return _display.render(self, "html")

    def __str__(self) -> str:
        return _display.render(self, "text")


def combine(*comparisons: Comparison) -> Comparison:
    """One table from several comparisons (e.g. one function on two inputs). The floor
    and metadata of the first are kept."""
    if not comparisons:
        raise ValueError("combine needs at least one Comparison")
    first = comparisons[0]
    return Comparison(
        rows=tuple(row for c in comparisons for row in c.rows),
        tensorflow=first.tensorflow,
        floor=first.floor,
        metadata=first.metadata,
        reference_mode=first.reference_mode,
    )
