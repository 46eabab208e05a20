"""``--profile`` results shown next to a benchmark table: each row's first call by phase
(text, and a stacked bar in HTML) and its steady state's top ops with FLOPs.

Renderers take ``(label, seconds per call, RowProfile)`` triples, so that any table of
measurements (``bench``, ``bench_training_step``) can show them.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence

from graphlab._html import PALETTE
from graphlab._text import clip, columns, flow, format_time, keep, table, unglue
from graphlab.profiling.records import PHASES, RowProfile

ProfiledRow = tuple[str, float, RowProfile]

_PHASE_NAMES = {
    "tracing": "tracing",
    "graph_optimization": "graph optimization",
    "xla_compile": "XLA compile",
    "first_run": "first run",
    "other": "other",
}
_OP_HEADERS = ["op type", "name", "where", "self per call", "share"]


def render_text(rows: Sequence[ProfiledRow], fmt: str = "text", width: int | None = None) -> str:
    """The profile section (``text`` or ``md``); empty when no row was profiled. Text
    fits ``width`` columns (default 80) without splitting a name or a ``file:line``."""
    if not rows:
        return ""
    table_fmt = "github" if fmt == "md" else "simple"
    out = ["First call by phase (--profile):"]
    for label, _, profile in rows:
        breakdown = profile.first_call_breakdown
        if breakdown is None:
            continue
        parts = [
            keep(f"{_PHASE_NAMES[phase]} {format_time(getattr(breakdown, phase))}")
            for phase in PHASES
            if getattr(breakdown, phase) > 0
        ]
        line = f"  {keep(label)}: {format_time(breakdown.total)} = " + " + ".join(parts)
        out += flow(line, width or 80, "", "    ") if fmt == "text" else [unglue(line)]
    for label, per_call, profile in rows:
        if not profile.top_ops and profile.flops is None:
            continue
        heading = f"Steady state of {keep(label)}: {_work(profile, per_call)}"
        out += ["", *(flow(heading, width or 80, "", "  ") if fmt == "text" else [unglue(heading)])]
        if profile.top_ops:
            body = [
                [op.op_type, op.name, op.where or "-", format_time(op.self_time),
                 f"{op.share:.0%}"]
                for op in profile.top_ops
            ]  # fmt: skip
            if fmt == "text":
                out += columns(
                    body, _OP_HEADERS, width or 80, right=("self per call", "share"),
                    locations=("where",), indent="  ",
                )  # fmt: skip
            else:
                out.append(table(body, _OP_HEADERS, table_fmt))
    for folder in sorted({os.path.dirname(p.profile_dir) for _, _, p in rows if p.profile_dir}):
        kept = f"profiles kept in {folder}: tensorboard --logdir {folder}, Profile tab"
        out += ["", *(flow(kept, width or 80) if fmt == "text" else [kept])]
    return "\n".join(out) + "\n"


def _work(profile: RowProfile, per_call: float) -> str:
    if profile.flops is None:
        return "FLOPs unknown"
    gflops = profile.gflops_per_s(per_call)
    achieved = f", {gflops:.3g} GFLOP/s achieved" if gflops is not None else ""
    return f"{profile.flops:,} FLOPs per call{achieved}"


def first_call_chart(rows: Sequence[ProfiledRow], width: int = 720) -> str:
    """Each profiled row's first call as one bar stacked by phase (an ``<svg>``)."""
    bars = [(label, p.first_call_breakdown) for label, _, p in rows if p.first_call_breakdown]
    if not bars:
        return ""
    row, top, label_width = 22, 48, 12 + 7 * max(len(clip(label, 38)) for label, _ in bars)
    text_width = 80
    plot_width = max(100, width - label_width - text_width)
    largest = max(b.total for _, b in bars if b is not None) or 1.0
    height = top + row * len(bars) + 8
    title = "First call by phase"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphlab-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12"><title>{title}</title>',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{title}</text>',
    ]
    x = 0
    for index, phase in enumerate(PHASES):
        name = _PHASE_NAMES[phase]
        parts.append(f'<rect x="{x}" y="28" width="10" height="10" fill="{PALETTE[index]}"/>')
        parts.append(f'<text x="{x + 14}" y="37">{name}</text>')
        x += 24 + 7 * len(name)
    for index, (label, breakdown) in enumerate(bars):
        assert breakdown is not None
        y = top + index * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">'
            f"{html.escape(clip(label, 38))}</text>"
        )
        left = float(label_width)
        for colour, phase in zip(PALETTE, PHASES):
            seconds = getattr(breakdown, phase)
            length = seconds / largest * plot_width
            parts.append(
                f'<rect x="{left:.1f}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
                f'fill="{colour}"><title>{html.escape(label)}: {_PHASE_NAMES[phase]} '
                f"{format_time(seconds)}</title></rect>"
            )
            left += length
        parts.append(f'<text x="{left + 4:.1f}" y="{y + 14}">{format_time(breakdown.total)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(rows: Sequence[ProfiledRow]) -> str:
    """The stacked first-call chart and the top-ops tables, for HTML and Jupyter."""
    if not rows:
        return ""
    text = render_text(rows, "text").split("\n\n", 1)
    tables = html.escape(text[1]) if len(text) > 1 else ""
    return first_call_chart(rows) + (f"<pre>{tables}</pre>" if tables else "")
