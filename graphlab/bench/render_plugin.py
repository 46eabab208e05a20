"""The pytest plugin's session summary: one row per test, a column per mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphlab._text import format_time, table
from graphlab.bench.records import Comparison, ComparisonRow


def pivot(results: Sequence[ComparisonRow], baseline: str = "eager") -> list[dict[str, Any]]:
    """Rows per test (``function`` of each row): each mode's median (us), first call
    (ms) and speedup over ``baseline``; the ``graphlab.pytest/1`` JSON.

    The speedup is the row's :class:`~graphlab.bench.figures.RowFigures` speedup: from paired neighbouring blocks when the
    test's modes were interleaved (``interleave=True``), with its 95% interval
    (``{mode}_speedup_ci``), else the ratio of the separate tests' medians."""
    tests: dict[str, dict[str, ComparisonRow]] = {}
    for result in results:
        tests.setdefault(result.function, {})[result.mode] = result
    rows = []
    for test, modes in tests.items():
        row: dict[str, Any] = {"test": test}
        comparison = Comparison(tuple(modes.values()), "", reference_mode=baseline)
        for (mode, result), figures in zip(modes.items(), comparison.figures()):
            m = result.measurement
            assert m is not None
            row[f"{mode}_median_us"] = m.median * 1e6
            row[f"{mode}_first_call_ms"] = (m.first_call or 0.0) * 1e3
            if mode != baseline:
                row[f"{mode}_speedup"] = figures.speedup
                if figures.paired is not None:
                    row[f"{mode}_speedup_ci"] = figures.interval
            if m.retraces:
                row[f"{mode}_retraces_during_timing"] = m.retraces
        rows.append(row)
    return rows


def render_text(results: Sequence[ComparisonRow], baseline: str = "eager") -> str:
    """The terminal table: medians per mode and speedups against ``baseline``."""
    modes = list(dict.fromkeys(r.mode for r in results))
    headers = ["test", *[f"{m} median" for m in modes]]
    headers += [f"{m} vs {baseline}" for m in modes if m != baseline]
    cells_by_row = []
    for row in pivot(results, baseline):
        cells = [row["test"]]
        cells += [_us(row.get(f"{m}_median_us")) for m in modes]
        cells += [_speedup(row.get(f"{m}_speedup")) for m in modes if m != baseline]
        cells_by_row.append(cells)
    notes = [
        f"  ! {r.function}[{r.mode}] traced {r.measurement.retraces} time(s) while being timed"
        for r in results
        if r.measurement is not None and r.measurement.retraces
    ]
    body = table(cells_by_row, headers)
    return body + ("\n" + "\n".join(notes) if notes else "") + "\n"


def _us(value: float | None) -> str:
    return "-" if value is None else format_time(value * 1e-6)


def _speedup(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"
