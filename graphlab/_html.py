"""HTML pieces every report shares: the single-file page, SVG bar charts, highlighted
code.

A single-file report is one self-contained page to attach to a bug report: each
feature's ``render_page`` wraps the HTML fragments that Jupyter shows (``_repr_html_``)
in :func:`page`, with inline CSS and SVG charts built in Python. Nothing is fetched: no
fonts, stylesheets, scripts or images from the network. A few lines of inline
JavaScript make the tables sortable; the page reads fine without them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from graphlab._text import clip
from graphlab._version import __version__

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #1a1a1a; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #d0d0d0; padding: 3px 8px; vertical-align: top; }
th { background: #f3f3f3; cursor: pointer; user-select: none; }
th.sorted-asc::after { content: " \\25B2"; } th.sorted-desc::after { content: " \\25BC"; }
tr:nth-child(even) td { background: #fafafa; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
.summary { font-size: 1.05em; padding: 0.5em 0.8em; background: #eef5fb;
           border-left: 4px solid #0072B2; }
.summary.bad { background: #fdf0e6; border-left-color: #E69F00; }
.event { margin: 0.4em 0; }
.event.actionable { border-left: 4px solid #E69F00; padding-left: 0.5em; }
.event.expected { border-left: 4px solid #0072B2; padding-left: 0.5em; }
.graphlab-chart { display: block; margin: 0.8em 0; }
footer { margin-top: 2em; color: #777; font-size: 0.8em; }
"""

# Click a header to sort its table; numbers (with units) sort as numbers.
_SORT_JS = r"""
(function () {
  var UNITS = {"ns": 1e-9, "\u00b5s": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1};
  function key(cell) {
    var text = cell.textContent.trim();
    var match = text.replace(/,/g, "").match(/^(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*([a-z\u00b5]*)/i);
    if (!match) { return [1, text.toLowerCase()]; }  // text sorts after numbers
    var scale = UNITS[match[2]] || 1;  // 1.4 ms and 123 µs compare as times
    return [0, parseFloat(match[1]) * scale];
  }
  function compare(x, y) {
    if (x[0] !== y[0]) { return x[0] - y[0]; }
    return x[1] < y[1] ? -1 : (x[1] > y[1] ? 1 : 0);
  }
  document.querySelectorAll("table").forEach(function (table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, column) {
      th.addEventListener("click", function () {
        var ascending = !th.classList.contains("sorted-asc");
        headers.forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var order = compare(key(a.cells[column]), key(b.cells[column]));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""


def page(title: str, body: str, subtitle: str = "") -> str:
    """A complete HTML document around ``body`` (already HTML), styles and script inline."""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta = html.escape(subtitle) + (" · " if subtitle else "") + f"generated {generated}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p class='meta'>{meta}</p>\n"
        f"{body}\n"
        f"<footer>graphlab {html.escape(__version__)} · a self-contained page: "
        "no fonts, scripts or images are fetched.</footer>\n"
        f"<script>{_SORT_JS}</script>\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------
# Bar charts as inline SVG, built in Python: no JavaScript, no fonts or files to fetch.
# They go into the single-file pages and the Jupyter views (``_repr_html_``), so a
# chart shows wherever the table does.

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
    label_width = 12 + 7 * max(len(clip(b.label, 38)) for b in bars)
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
            f"{html.escape(clip(bar.label, 38))}</text>"
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


# ---------------------------------------------------------------------------
# Source code for Jupyter: highlighted with Pygments when it is installed (it comes
# with Jupyter and with pytest), a plain ``<pre>`` otherwise.


def highlight(text: str, language: str = "python") -> str:
    """``text`` as an HTML block; inline styles, so it needs no stylesheet."""
    try:
        from pygments import highlight as pygments_highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
    except ImportError:
        return f"<pre class='graphlab-code'>{html.escape(text)}</pre>"
    formatter = HtmlFormatter(noclasses=True, nobackground=False, cssclass="graphlab-code")
    return pygments_highlight(text, get_lexer_by_name(language), formatter)


# ---------------------------------------------------------------------------
# Line charts over time, as inline SVG, for quantities sampled during a run.


@dataclass(frozen=True, slots=True)
class Line:
    """One series of a line chart: ``(x, y)`` points, drawn against its own y axis (the
    first line's axis on the left, the second's on the right).

    Attributes:
        name: The legend entry (``RSS (MB)``).
        points: ``(x, y)`` in x order.
        unit: Written after the axis' figures (``MB``).
    """

    name: str
    points: Sequence[tuple[float, float]]
    unit: str = ""


def line_chart(
    lines: Sequence[Line],
    title: str,
    x_unit: str = "s",
    width: int = 720,
    height: int = 240,
    bands: Sequence[tuple[float, float]] = (),
    band_label: str = "",
) -> str:
    """Up to two series over a shared x axis, each scaled to its own range, over shaded
    ``bands`` of x (spans of time when something happened); an empty string when there
    is nothing to draw."""
    lines = [line for line in lines[:2] if line.points]
    if not lines:
        return ""
    left, right, top, bottom = 64, 64, 48, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for line in lines for x, _ in line.points]
    x0, x1 = min(xs), max(xs)
    x_span = (x1 - x0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphlab-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#d0d0d0"/>',
        f'<text x="{left}" y="{height - 8}">{_axis(x0, x_span)} {html.escape(x_unit)}</text>',
        f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end">'
        f"{x1:.3g} {html.escape(x_unit)}</text>",
    ]
    for start, end in bands:
        a = left + (max(start, x0) - x0) / x_span * plot_w
        b = left + (min(end, x1) - x0) / x_span * plot_w
        if b > a:
            parts.append(
                f'<rect x="{a:.1f}" y="{top}" width="{max(b - a, 1.0):.1f}" height="{plot_h}" '
                'fill="#eeeeee"/>'
            )
    legend_x = 0
    for index, line in enumerate(lines):
        colour = PALETTE[index % len(PALETTE)]
        ys = [y for _, y in line.points]
        y0, y1 = min(ys), max(ys)
        y_span = (y1 - y0) or 1.0
        coords = " ".join(
            f"{left + (x - x0) / x_span * plot_w:.1f},{top + plot_h - (y - y0) / y_span * plot_h:.1f}"
            for x, y in line.points
        )
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.6"/>'
        )
        axis_x, anchor = (left - 4, "end") if index == 0 else (left + plot_w + 4, "start")
        for value, y in ((y1, top + 10), (y0, top + plot_h)):
            parts.append(
                f'<text x="{axis_x}" y="{y}" text-anchor="{anchor}" fill="{colour}">'
                f"{value:,.4g} {html.escape(line.unit)}".rstrip()
                + "</text>"
            )
        parts.append(f'<rect x="{legend_x}" y="26" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="35">{html.escape(line.name)}</text>')
        legend_x += 24 + 7 * len(line.name)
    if bands and band_label:
        parts.append(f'<rect x="{legend_x}" y="26" width="10" height="10" fill="#dddddd"/>')
        parts.append(f'<text x="{legend_x + 14}" y="35">{html.escape(band_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _axis(value: float, span: float) -> str:
    """An axis end: ``0`` for a start a hair above zero (the first sample's clock)."""
    return "0" if abs(value) < span * 1e-3 else f"{value:.3g}"
