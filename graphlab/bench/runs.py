"""Runs over time: diff two saved comparisons row by row, with significance tests and
a CI gate on the speedups. No TensorFlow needed (``compare-runs`` in CI).

The records of a diff (:class:`RowChange`, :class:`RunDiff`, schema
``graphlab.rundiff/1``, 2026-11-26: first version) live here with the logic that makes
them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from graphlab import _schema
from graphlab.bench import stats
from graphlab.bench.records import Comparison

RUNDIFF_SCHEMA = "graphlab.rundiff/1"

#: Where ``--save NAME`` puts runs (a NAME with a / or ending in .json is a path).
RUNS_DIR = os.path.join(".graphlab", "runs")


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
        _schema.check(data, (RUNDIFF_SCHEMA,), "run comparison")
        return cls(
            old=data["old"],
            new=data["new"],
            changes=tuple(RowChange.from_dict(c) for c in data["changes"]),
            only_old=tuple(data.get("only_old", ())),
            only_new=tuple(data.get("only_new", ())),
            fail_if_slower=data.get("fail_if_slower_pct"),
            failures=tuple(data.get("failures", ())),
        )


def save_path(name: str) -> str:
    """``--save NAME`` -> the file it writes (and ``compare-runs NAME`` reads)."""
    if name.endswith(".json") or os.sep in name or "/" in name:
        return name
    return os.path.join(RUNS_DIR, f"{name}.json")


def diff_runs(
    old: Comparison,
    new: Comparison,
    *,
    old_label: str = "old",
    new_label: str = "new",
    fail_if_slower: float | None = None,
) -> RunDiff:
    """Compare two runs row by row.

    Times are compared with a Mann-Whitney U test on the per-call block times. The CI
    gate (``fail_if_slower``, in percent) looks at *speedup vs eager*, a ratio measured
    within each run, so two runs on different machines can still be compared: a row
    fails when its speedup dropped by more than the gate.
    """
    changes, failures, only_old = [], [], []
    old_speedups = [f.speedup for f in old.figures()]
    new_speedups: dict[tuple[str, str], float | None] = {}
    for figures in new.figures():  # the first row of a function and mode, as new.row()
        new_speedups.setdefault((figures.row.function, figures.row.mode), figures.speedup)
    for old_row, old_speedup in zip(old.rows, old_speedups):
        new_row = new.row(old_row.function, old_row.mode)
        name = f"{old_row.function}/{old_row.mode}"
        if new_row is None or new_row.measurement is None or old_row.measurement is None:
            if new_row is None or (old_row.ok and not new_row.ok):
                only_old.append(name)
                if fail_if_slower is not None and old_row.ok:
                    why = "missing" if new_row is None else f"failed: {new_row.error}"
                    failures.append(f"{name}: ran in {old_label}, {why} in {new_label}")
            continue
        _, p_value = stats.mann_whitney_u(old_row.measurement.times, new_row.measurement.times)
        change = RowChange(
            old_row.function,
            old_row.mode,
            old_row.measurement.median,
            new_row.measurement.median,
            p_value,
            old_speedup,
            new_speedups[new_row.function, new_row.mode],
        )
        changes.append(change)
        drop = change.speedup_change
        if fail_if_slower is not None and drop is not None and -drop * 100 > fail_if_slower:
            failures.append(
                f"{name}: speedup vs eager {change.old_speedup:.3g}x -> "
                f"{change.new_speedup:.3g}x ({drop:+.1%}, gate -{fail_if_slower:g}%)"
            )
    only_new = [f"{r.function}/{r.mode}" for r in new.rows if old.row(r.function, r.mode) is None]
    return RunDiff(
        old_label,
        new_label,
        tuple(changes),
        tuple(only_old),
        tuple(only_new),
        fail_if_slower,
        tuple(failures),
    )


def compare_runs(
    old: str | Comparison, new: str | Comparison, *, fail_if_slower: float | None = None
) -> RunDiff:
    """:func:`diff_runs` for saved files (paths) or Comparison objects."""
    old_label = old if isinstance(old, str) else "old"
    new_label = new if isinstance(new, str) else "new"
    old_run = load(old) if isinstance(old, str) else old
    new_run = load(new) if isinstance(new, str) else new
    return diff_runs(
        old_run, new_run, old_label=old_label, new_label=new_label, fail_if_slower=fail_if_slower
    )


def load(path: str) -> Comparison:
    """Read a comparison saved with ``--save`` / ``--format json``."""
    with open(path, encoding="utf-8") as handle:
        return Comparison.from_dict(json.load(handle))
