"""The pytest plugin's session summary: one row per test, a column per mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from graphlab.records import ModeResult


def pivot(results: Sequence[ModeResult], baseline: str = "eager") -> list[dict[str, Any]]:
    """Rows per test: each mode's median (us) and its speedup over ``baseline``."""
    tests: dict[str, dict[str, ModeResult]] = {}
    for result in results:
        tests.setdefault(result.test, {})[result.mode] = result
    rows = []
    for test, modes in tests.items():
        row: dict[str, Any] = {"test": test}
        base = modes.get(baseline)
        for mode, result in modes.items():
            row[f"{mode}_median_us"] = result.median_s * 1e6
            row[f"{mode}_first_call_ms"] = result.first_call_ms
            if mode != baseline:
                row[f"{mode}_speedup"] = (
                    base.median_s / result.median_s if base and result.median_s > 0 else None
                )
            if result.retraces_during_timing:
                row[f"{mode}_retraces_during_timing"] = result.retraces_during_timing
        rows.append(row)
    return rows


def render_text(results: Sequence[ModeResult], baseline: str = "eager") -> str:
    """The terminal table: medians per mode and speedups against ``baseline``."""
    modes = list(dict.fromkeys(r.mode for r in results))
    headers = ["test", *[f"{m} median" for m in modes]]
    headers += [f"{m} vs {baseline}" for m in modes if m != baseline]
    table = []
    for row in pivot(results, baseline):
        cells = [row["test"]]
        cells += [_us(row.get(f"{m}_median_us")) for m in modes]
        cells += [_speedup(row.get(f"{m}_speedup")) for m in modes if m != baseline]
        table.append(cells)
    notes = [
        f"  ! {r.test}[{r.mode}] traced {r.retraces_during_timing} time(s) while being timed"
        for r in results
        if r.retraces_during_timing
    ]
    body = tabulate(table, headers, tablefmt="simple", disable_numparse=True)
    return body + ("\n" + "\n".join(notes) if notes else "") + "\n"


def _us(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value / 1000:.3g} ms"
    return f"{value:.3g} us"


def _speedup(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"
