"""The rows of a benchmark: a Measurement of one callable, a ComparisonRow (one function
in one mode) and the run's OverheadFloor.

Raw data only (seconds inside; ``_ms``/``_us`` suffixes in JSON); the figures a reader
sees of a row are derived once per row by :mod:`graphlab.bench.figures`. The document
that holds these rows, :class:`~graphlab.bench.records.Comparison`, and its schema
history are in :mod:`graphlab.bench.records`, which re-exports these names. No
TensorFlow, no renderer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from graphlab._text import format_significant
from graphlab.bench import pairing, stats
from graphlab.distributed.records import Placement
from graphlab.profiling.records import RowProfile

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
