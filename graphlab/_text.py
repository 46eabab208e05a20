"""Small text helpers every report shares: one definition of each.

Clipping, plurals, ordinals, significant digits, times with units, tensor dimensions,
tables. Pure functions of their arguments; no TensorFlow, no records.
"""

from __future__ import annotations

import math
import os
import re
import sys
import textwrap
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


def format_bytes(size: int) -> str:
    """``312 B``, ``56.7 KB``, ``45.0 MB``, ``1.2 GB`` (powers of 1024)."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if abs(value) < 1024:
            return f"{size} B" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GB"


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


def terminal_width(stream: Any = None) -> int:
    """Columns to fit text into: ``$COLUMNS``, else the terminal's width when ``stream``
    (stdout by default) is one, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = stream if stream is not None else sys.stdout
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return 80


#: Spaces that must not break a line: between a number and its unit (``5.3 ms``,
#: ``+1.2 MB``, ``26.6x``), around ``±`` (``5.3 ms ± 3.0 ms``), before ``(1 block)``
#: inside a shape or a list of numbers (``(1, 2)``, ``[1, -1]``), and after ``->`` (a
#: line never ends on an arrow).
_GLUE = re.compile(
    r"(?<=\d) (?=(?:s|ms|µs|ns|B|KB|MB|GB|ops?|blocks?|pairs?|traces?|calls?)\b)"
    r"| (?=± )|(?<=±) |(?<=\d) (?=\()|(?<=\() (?=\d)|(?<=\d,) (?=-?\d|None)|(?<= ->) "
)
_NBSP = "\u00a0"
#: A call written in prose (``dataset.batch(8, drop_remainder=True)``,
#: ``tf.TensorSpec(shape=None, dtype=tf.float32)``): kept on one line when it fits one.
_CALL = re.compile(r"[A-Za-z_][\w.]*\([^()\n]*\)")


def glue(text: str) -> str:
    """``text`` with the spaces that must not break a line made non-breaking (undo with
    :func:`unglue`): a number keeps its unit, ``±`` both its sides."""
    return _GLUE.sub(_NBSP, text)


def keep(name: str) -> str:
    """``name`` (``power(x, 100)``) made one word for :func:`flow` and :func:`wrap`."""
    return name.replace(" ", _NBSP)


def unglue(text: str) -> str:
    return text.replace(_NBSP, " ")


def flow(text: str, width: int, indent: str = "", subsequent: str | None = None) -> list[str]:
    """``text`` wrapped to ``width`` columns at spaces only: a name, a path, a
    ``file:line`` and a number with its unit are never split, nor a call written in
    the text (``dataset.batch(8, drop_remainder=True)``) that fits a line (a word
    longer than the line stands alone on its own line)."""
    later = indent + "  " if subsequent is None else subsequent

    def wrapped(words: str) -> list[str]:
        return textwrap.wrap(
            glue(words),
            width,
            initial_indent=indent,
            subsequent_indent=later,
            break_long_words=False,
            break_on_hyphens=False,
        )

    lines = wrapped(_CALL.sub(lambda m: keep(m[0]), text))
    if any(len(line) > width for line in lines):  # a call (with what sticks to it) too long
        lines = wrapped(text)
    return [unglue(line) for line in lines] or [indent.rstrip()]


def shorten_location(location: str, room: int) -> str:
    """A ``path/to/file.py:131`` cut from the left at a ``/`` to fit ``room``
    columns (``.../tensorflow/trainer.py:131``); never shorter than the file name and
    its line, never cut inside a name."""
    if len(location) <= room or "/" not in location:
        return location
    parts = location.split("/")
    for start in range(1, len(parts)):
        shorter = ".../" + "/".join(parts[start:])
        if len(shorter) <= room or start == len(parts) - 1:
            return shorter
    return location  # pragma: no cover - the loop always returns


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` wrapped to ``width`` columns with ``indent``. An ``input_signature``
    decorator is split after its brackets and commas, so that it stays valid Python to
    copy; another line of code (no spaces) is kept whole."""
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        if line.startswith("@") and len(indent + line) > width and "=[" in line:
            head, _, specs = line.partition("=[")
            lines.append(f"{indent}{head}=[")
            for spec in specs.removesuffix("])").split("), "):
                lines.append(f"{indent}    {spec.removesuffix(')')}),")
            lines.append(f"{indent}])")
        elif line.startswith("@") or " " not in line.strip():
            lines.append(unglue(indent + line))
        else:
            lines += flow(line, width, indent)
    return lines


def md_escape(text: Any) -> str:
    """A markdown table cell or inline text: ``|`` would end the cell, ``<lambda>`` would
    be read as an HTML tag, a newline would end the row."""
    return (
        str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")
    )


def table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    tablefmt: str = "simple",
    colalign: Sequence[str] | None = None,
    width: int | None = None,
) -> str:
    """Rows as a ``tabulate`` table (``simple``, ``github``, ``html``); cells are shown as
    given, never re-parsed as numbers. A ``simple`` table wider than ``width`` columns
    is laid out by :func:`columns` (its last columns under each row, no cell ever
    broken); ``github`` cells are escaped for markdown. tabulate is imported on first
    use, so that ``graphlab --help`` does not pay for it."""
    from tabulate import tabulate

    if tablefmt == "github":
        rows = [[md_escape(cell) for cell in row] for row in rows]
        headers = [md_escape(h) for h in headers]
    text = tabulate(rows, headers, tablefmt=tablefmt, disable_numparse=True, colalign=colalign)
    if tablefmt == "simple" and width and rows and max(map(len, text.splitlines())) > width:
        right = [h for h, a in zip(headers, colalign or ()) if a == "right"]
        return "\n".join(columns(rows, headers, width, right=right))
    return text


#: The least room what moves under a row gets beside the first column; with less, it
#: starts at the row's indent instead (a long function name, then its figures).
_UNDER_ROOM = 32


def columns(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    width: int,
    *,
    right: Sequence[str] = (),
    below: Sequence[str] = (),
    labels: dict[str, str] | None = None,
    locations: Sequence[str] = (),
    indent: str = "",
    omit: Sequence[str] = ("", "-"),
) -> list[str]:
    """Rows as an aligned table whose cells are never broken, fitted to ``width``.

    Columns named in ``below`` go under their row, each on a line of its own (wrapped
    at spaces, numbers kept with their units) unless every column fits on one line. When the other columns do
    not fit either, the last ones move under the row too, one by one, before anything
    would be split. A column in ``locations`` (``file:line``) is shortened from the
    left (``.../dir/file.py:12``) when its row would otherwise run over. ``labels``
    say a column's value where it moved under its row, ``{}`` standing for the value
    (default ``"header {}"``: ``first call 5.5 ms``); ``right`` columns are
    right-aligned. A value in ``omit`` is left out where it would go under its row.
    """
    labels = labels or {}
    cells = [[str(c) for c in row] for row in rows]
    count = len(headers)

    def natural(i: int) -> int:
        return max([len(headers[i]), *(len(r[i]) for r in cells)])

    def fits(kept: list[int]) -> bool:
        return len(indent) + sum(natural(i) for i in kept) + 2 * (len(kept) - 1) <= width

    order = list(range(count))
    kept = [i for i in order if headers[i] not in below]
    if fits(order):
        kept = order
    else:
        while len(kept) > 1 and not fits(kept):
            location = [i for i in kept if headers[i] in locations]
            if location and kept[-1] == location[-1]:
                break  # shorten it below instead of moving it
            kept.pop()
    original = [list(row) for row in cells]
    while True:
        widths = {i: natural(i) for i in kept}
        for i in kept:  # a location column gets what is left of the line
            if headers[i] in locations:
                others = sum(widths[j] for j in kept if j != i) + 2 * (len(kept) - 1)
                room = max(len(headers[i]), width - len(indent) - others)
                for row in cells:
                    row[i] = shorten_location(row[i], room)
                widths[i] = natural(i)
        if fits(kept) or len(kept) == 1:
            break
        for row, whole in zip(cells, original):  # it moves under its row, whole
            row[kept[-1]] = whole[kept[-1]]
        kept.pop()
    moved = [i for i in order if i not in kept]

    def line(values: list[str]) -> str:
        parts = [
            values[n].rjust(widths[i]) if headers[i] in right else values[n].ljust(widths[i])
            for n, i in enumerate(kept)
        ]
        return unglue(indent + "  ".join(parts)).rstrip()

    out = [line([headers[i] for i in kept]), line(["-" * widths[i] for i in kept])]
    under = indent + " " * (widths[kept[0]] + 2 if len(kept) > 1 else 2)
    if width - len(under) < _UNDER_ROOM:  # a wide first column: under it, not beside it
        under = indent + "    "
    for row in cells:
        out.append(line([row[i] for i in kept]))
        pieces, own = [], []
        for i in moved:
            value = row[i]
            if value in omit:
                continue
            label = labels.get(headers[i], headers[i] + " {}")
            if headers[i] in locations:
                value = shorten_location(value, width - len(under) - len(label))
            (own if headers[i] in below else pieces).append(label.replace("{}", value))
        for text in [", ".join(pieces)] * bool(pieces) + own:  # a below column: its own line
            out += flow(text, width, under, under + "  ")
    return out


def overlong(text: str, width: int) -> list[str]:
    """The lines of ``text`` longer than ``width`` columns (a layout check for tests)."""
    return [line for line in text.splitlines() if len(line) > width]
