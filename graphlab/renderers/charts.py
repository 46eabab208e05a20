"""Bar charts as inline SVG, built in Python: no JavaScript, no fonts or files to fetch.

They go into the single-file HTML reports (:mod:`graphlab.renderers.html_page`) and the
Jupyter views (``_repr_html_``), so a chart shows wherever the table does.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

#: Colours per series (colour-blind-safe Okabe-Ito), cycled.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a label on the left, a length, the text written after it.

    Attributes:
        label: Row label (function, or function and mode).
        value: Length in the chart's unit; bars scale to the largest.
        text: What to print after the bar (``14.8 ms``).
        series: Index into :data:`PALETTE` (one colour per mode or kind).
        highlight: Draw the label in bold (an avoidable retrace, a failed row).
    """

    label: str
    value: float
    text: str
    series: int = 0
    highlight: bool = False


def bar_chart(
    bars: Sequence[Bar],
    title: str,
    legend: Sequence[str] = (),
    width: int = 720,
) -> str:
    """A horizontal bar chart as an ``<svg>`` element; empty string for no bars."""
    if not bars:
        return ""
    # Widths from the longest label and value text (~7 px a character at 12 px), so
    # that neither is cut off by the edge of the SVG.
    row, top = 22, 30 + (18 if legend else 0)
    label_width = 12 + 7 * max(len(_clip(b.label, 38)) for b in bars)
    text_width = 12 + 7 * max(len(b.text) for b in bars)
    plot_width = max(100, width - label_width - text_width)
    largest = max((b.value for b in bars), default=0.0) or 1.0
    height = top + row * len(bars) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphlab-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    x = 0
    for index, name in enumerate(legend):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="28" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="37">{html.escape(name)}</text>')
        x += 24 + 7 * len(name)
    for index, bar in enumerate(bars):
        y = top + index * row
        length = max(0.0, bar.value) / largest * plot_width
        weight = ' font-weight="bold"' if bar.highlight else ""
        colour = PALETTE[bar.series % len(PALETTE)]
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end"{weight}>'
            f"{html.escape(_clip(bar.label, 38))}</text>"
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
            f'fill="{colour}"><title>{html.escape(bar.label)}: {html.escape(bar.text)}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + length + 4:.1f}" y="{y + 14}">{html.escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
