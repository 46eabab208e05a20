"""The memory part of a trace report (``watch --memory``): the verdict, the graphs each
function kept alive, what to do, and a plot of RSS and traces against time. Used by
:mod:`graphlab.tracing.render` for every format but JSON."""

from __future__ import annotations

import html

from graphlab._html import Line, line_chart
from graphlab._text import columns, flow, table
from graphlab.tracing.memory import advice_lines
from graphlab.tracing.records_memory import MemoryReport

#: Functions listed in the table of kept graphs, the heaviest first.
MAX_FUNCTIONS = 10

_HEADERS = ["function", "traces", "live graphs (most)", "alive at end", "graph KB", "nodes"]
#: How a column reads where it moves under its row (a narrow terminal).
_LABELS = {
    "traces": "{} traces",
    "live graphs (most)": "{} live graphs at most",
    "alive at end": "{} alive at end",
    "graph KB": "{} KB",
    "nodes": "{} nodes",
}
_VERDICT_TITLES = {
    "stable": "memory stable",
    "retrace_growth": "memory grows with retracing",
    "growth_without_retraces": "memory grows without retracing",
}


def _rows(memory: MemoryReport) -> list[list[object]]:
    return [
        [
            f.function,
            f"{f.traces:,}",
            f"{f.concrete_functions:,}",
            f"{f.live_at_end:,}",
            f"{f.graph_bytes / 1024:,.1f}",
            f"{f.graph_nodes:,}",
        ]
        for f in memory.functions[:MAX_FUNCTIONS]
        if f.concrete_functions
    ]


def _table(memory: MemoryReport, fmt: str) -> str:
    """The kept graphs as a markdown or HTML table (text lays them out with columns)."""
    rows = _rows(memory)
    if not rows:
        return ""
    align = ["left"] + ["right"] * (len(_HEADERS) - 1)
    return table(rows, _HEADERS, fmt, align)


def _heading(memory: MemoryReport) -> str:
    return (
        f"Memory ({_VERDICT_TITLES[memory.verdict]}; resident memory sampled every "
        f"{memory.interval:g} s for {memory.duration:,.1f} s, peak {memory.rss_peak_mb:,.1f} MB; "
        f"watching cost {memory.cost:.3f} s)"
    )


def text_lines(memory: MemoryReport, width: int = 80) -> list[str]:
    """The section that ends a text report, in ``width`` columns."""
    out = ["", *flow(_heading(memory) + ":", width), *flow(memory.message, width, "  ")]
    rows = _rows(memory)
    if rows:
        kept = "Graphs kept alive (KB serialized; a graph takes several times that in memory):"
        out += ["", *flow(kept, width, "  ")]
        out += columns(rows, _HEADERS, width, right=_HEADERS[1:], labels=_LABELS, indent="  ")
    advice = advice_lines(memory)
    if advice:
        out += ["", "  What to do:"]
        out += [line for item in advice for line in flow(item, width, "    - ", "      ")]
    return out


def markdown_lines(memory: MemoryReport) -> list[str]:
    out = ["", f"## {_heading(memory)}", "", memory.message]
    graphs = _table(memory, "github")
    if graphs:
        out += ["", graphs]
    advice = advice_lines(memory)
    if advice:
        out += ["", "What to do:", ""] + [f"- {line}" for line in advice]
    return out


def chart(memory: MemoryReport) -> str:
    """RSS and cumulative traces against time, as an inline SVG."""
    rss = Line("RSS (MB)", [(s.t, s.rss_mb) for s in memory.samples], "MB")
    traces = Line("traces so far", [(s.t, float(s.traces)) for s in memory.samples])
    return line_chart(
        [rss, traces],
        "Resident memory and traces over time",
        bands=memory.tracing,
        band_label="tracing",
    )


def fragment(memory: MemoryReport) -> str:
    """The section of the HTML fragment (Jupyter) and of the single-file page."""
    bad = memory.verdict != "stable"
    advice = "".join(f"<li>{html.escape(line)}</li>" for line in advice_lines(memory))
    return (
        f"<h4>{html.escape(_heading(memory))}</h4>"
        f"<p class='summary{' bad' if bad else ''}'>{html.escape(memory.message)}</p>"
        f"{chart(memory)}{_table(memory, 'html')}"
        + (f"<p>What to do:</p><ul>{advice}</ul>" if advice else "")
    )
