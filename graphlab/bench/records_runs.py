"""The records of a run diff (``compare-runs``): :class:`RowChange` and :class:`RunDiff`.

Schema history of ``graphlab.rundiff/1`` (``compare-runs --format json``): 2026-11-26,
first version. The diff logic that makes these records is :mod:`graphlab.bench.runs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphlab import _schema

RUNDIFF_SCHEMA = "graphlab.rundiff/1"


@dataclass(frozen=True, slots=True)
class RowChange:
    """One function x mode in two runs.

    Attributes:
        function: The function's label.
        mode: The mode.
        old_median: Seconds per call in the old run.
        new_median: Seconds per call in the new run.
        p_value: Two-sided Mann-Whitney U on the per-call block times.
        old_speedup: Speedup vs eager in the old run (None for eager rows).
        new_speedup: Speedup vs eager in the new run.
    """

    function: str
    mode: str
    old_median: float
    new_median: float
    p_value: float
    old_speedup: float | None = None
    new_speedup: float | None = None

    @property
    def time_ratio(self) -> float:
        """New / old median time: > 1 is slower."""
        return self.new_median / self.old_median

    @property
    def speedup_change(self) -> float | None:
        """Relative change of the speedup vs eager (-0.2: lost 20% of it)."""
        if self.old_speedup is None or self.new_speedup is None:
            return None
        return self.new_speedup / self.old_speedup - 1.0

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "mode": self.mode,
            "old_median_us": self.old_median * 1e6,
            "new_median_us": self.new_median * 1e6,
            "time_ratio": self.time_ratio,
            "p_value": self.p_value,
            "old_speedup": self.old_speedup,
            "new_speedup": self.new_speedup,
            "speedup_change": self.speedup_change,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowChange:
        return cls(
            function=data["function"],
            mode=data["mode"],
            old_median=float(data["old_median_us"]) / 1e6,
            new_median=float(data["new_median_us"]) / 1e6,
            p_value=float(data["p_value"]),
            old_speedup=data.get("old_speedup"),
            new_speedup=data.get("new_speedup"),
        )


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Two saved comparisons side by side, and whether a CI gate fails.

    Attributes:
        old: Label of the old run (its file).
        new: Label of the new run.
        changes: Rows present in both runs.
        only_old: ``function/mode`` rows missing from the new run.
        only_new: ``function/mode`` rows new in the new run.
        fail_if_slower: The gate in percent of speedup lost, or None.
        failures: Rows whose speedup dropped by more than the gate, as sentences.
    """

    old: str
    new: str
    changes: tuple[RowChange, ...]
    only_old: tuple[str, ...] = ()
    only_new: tuple[str, ...] = ()
    fail_if_slower: float | None = None
    failures: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RUNDIFF_SCHEMA,
            "old": self.old,
            "new": self.new,
            "changes": [change.to_dict() for change in self.changes],
            "only_old": list(self.only_old),
            "only_new": list(self.only_new),
            "fail_if_slower_pct": self.fail_if_slower,
            "failures": list(self.failures),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunDiff:
        """Load ``compare-runs --format json`` output (``graphlab.rundiff/1``)."""
        _schema.check(data, (RUNDIFF_SCHEMA,), "run comparison", _schema.RUNDIFF)
        return cls(
            old=data["old"],
            new=data["new"],
            changes=tuple(RowChange.from_dict(c) for c in data["changes"]),
            only_old=tuple(data.get("only_old", ())),
            only_new=tuple(data.get("only_new", ())),
            fail_if_slower=data.get("fail_if_slower_pct"),
            failures=tuple(data.get("failures", ())),
        )
