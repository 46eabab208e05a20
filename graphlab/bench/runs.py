"""Runs over time: diff two saved comparisons row by row, with significance tests and
a CI gate on the speedups. No TensorFlow needed (``compare-runs`` in CI).

The records of a diff (:class:`~graphlab.bench.records_runs.RowChange`,
:class:`~graphlab.bench.records_runs.RunDiff`, schema ``graphlab.rundiff/1``) are in
:mod:`graphlab.bench.records_runs`.
"""

from __future__ import annotations

import os

from graphlab import _schema
from graphlab.bench import stats
from graphlab.bench.records import Comparison
from graphlab.bench.records_runs import RowChange, RunDiff

#: Where ``--save NAME`` puts runs (a NAME with a / or ending in .json is a path).
RUNS_DIR = os.path.join(".graphlab", "runs")


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
    return Comparison.from_dict(_schema.load_json(path))
