"""Small text helpers every report shares: one definition of each.

Clipping, plurals, ordinals, significant digits, times with units, tensor dimensions,
tables. Pure functions of their arguments; no TensorFlow, no records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: Units from the largest down; a time is shown in the first unit it reaches.
_TIME_UNITS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6))


def clip(text: str, width: int | None) -> str:
    """``text`` cut to ``width`` characters with an ellipsis; whole when ``width`` is None."""
    if width is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def plural(n: int, noun: str) -> str:
    """``1 trace``, ``3 traces``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_significant(value: float, figures: int) -> str:
    """``value`` with ``figures`` significant digits, never in exponent notation."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    rounded = round(value, figures - 1 - magnitude)
    if rounded != 0:  # 9.96 -> 10.0 gained a digit: 2 figures of it are "10"
        magnitude = math.floor(math.log10(abs(rounded)))
        rounded = round(rounded, figures - 1 - magnitude)
    decimals = max(0, figures - 1 - magnitude)
    return f"{rounded:.{decimals}f}"


def format_range(low: float, high: float, figures: int = 2, most: int = 6) -> tuple[str, str]:
    """``low`` and ``high`` with ``figures`` significant digits, more (up to ``most``)
    until the two texts differ: an interval whose ends read the same (``[10-10]``)
    claims a certainty the data do not have."""
    for digits in range(figures, most + 1):
        texts = format_significant(low, digits), format_significant(high, digits)
        if texts[0] != texts[1] or low == high:
            return texts
    return format_significant(low, most), format_significant(high, most)


def time_unit(seconds: float) -> tuple[float, str]:
    """``(scale, unit)`` to show ``seconds`` in: ``(1e-3, "ms")`` for 0.0014."""
    for unit, scale in _TIME_UNITS:
        if abs(seconds) >= scale:
            return scale, unit
    return 1e-9, "ns"


def format_time(seconds: float | None, figures: int = 3) -> str:
    """``13.2 µs``, ``1.41 ms``, ``2.0 s`` with ``figures`` significant digits."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    scale, unit = time_unit(seconds)
    return f"{format_significant(seconds / scale, figures)} {unit}"


def dim(d: int | None) -> str:
    """One dimension: ``28``, or ``None`` when unknown."""
    return "None" if d is None else str(d)


def dims(shape: Sequence[int | None] | None, sep: str = ",", unknown_rank: str = "*") -> str:
    """``[None,28,28]`` (``sep`` between dimensions); ``unknown_rank`` for an unknown rank."""
    if shape is None:
        return unknown_rank
    return "[" + sep.join(dim(d) for d in shape) + "]"


def format_shape(shape: Sequence[int | None] | None) -> str:
    """A shape as Python writes a tuple: ``(2, 3)``, ``(2,)``, ``<unknown rank>``."""
    if shape is None:
        return "<unknown rank>"
    if len(shape) == 1:
        return f"({dim(shape[0])},)"
    return "(" + ", ".join(dim(d) for d in shape) + ")"


def table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    tablefmt: str = "simple",
    colalign: Sequence[str] | None = None,
) -> str:
    """Rows as a ``tabulate`` table (``simple``, ``github``, ``html``); cells are shown as
    given, never re-parsed as numbers. tabulate is imported on first use, so that
    ``graphlab --help`` does not pay for it."""
    from tabulate import tabulate

    return tabulate(rows, headers, tablefmt=tablefmt, disable_numparse=True, colalign=colalign)
