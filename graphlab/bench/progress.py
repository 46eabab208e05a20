"""What a long measurement says as it goes: one short line as each mode starts and
ends, handed to a callback (the CLI prints them on stderr when it is a terminal)."""

from __future__ import annotations

from collections.abc import Callable

from graphlab.bench.records import ComparisonRow

Progress = Callable[[str], None]


def progress_line(row: ComparisonRow) -> str:
    m = row.measurement
    if m is None:
        return f"{row.function}/{row.mode}: failed: {row.error}"
    return (
        f"{row.function}/{row.mode}: {m.median * 1e6:.4g} us/call, {m.rounds} blocks, "
        f"IQR {m.relative_iqr:.1%} ({m.stop_reason})"
    )


def say(progress: Progress | None, line: str) -> None:
    if progress is not None:
        progress(line)
