"""Inspections (:class:`~graphlab.graphs.records.Inspection`) as text, markdown, JSON or
an HTML fragment (Jupyter)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from contextvars import ContextVar

from graphlab import _display, _html
from graphlab._html import highlight
from graphlab._text import (
    columns,
    dims,
    flow,
    format_bytes,
    keep,
    md_escape,
    table,
    terminal_width,
)
from graphlab.graphs.records import Export, GraphSummary, Inspection

FORMATS = ("text", "md", "json", "html")
#: The width text tables of the rendering under way fit in.
_WIDTH: ContextVar[int | None] = ContextVar("graphlab_inspect_width", default=None)
#: Sections ``render`` can show; none given means the concise summary.
SECTIONS = ("signatures", "ops", "lines", "captures", "code", "diff")


def render(
    inspection: Inspection,
    fmt: str = "text",
    *,
    sections: Sequence[str] = (),
    annotate: bool = False,
    xla: tuple[str, str] | None = None,
    exports: Sequence[Export] = (),
    width: int | None = None,
) -> str:
    """Render an inspection.

    Args:
        inspection: What ``graphlab.inspect`` returned.
        fmt: ``text``, ``md`` or ``json``. JSON always holds the whole record.
        sections: Any of :data:`SECTIONS`, in the order to show; empty for the summary.
        annotate: Put per-line op counts beside the AutoGraph code (``code`` section).
        xla: ``(stage, IR text)`` to append.
        exports: Files written, to list with their notes.
        width: Columns text fits in (default: the terminal's, 80 when not a terminal);
            a name, a path or a ``file:line`` is never split, a long line of code
            goes on under itself.
    """
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    if fmt == "json":
        data = inspection.to_dict()
        if xla is not None:
            data["xla"] = {"stage": xla[0], "text": xla[1]}
        if exports:
            data["exports"] = [export.to_dict() for export in exports]
        return json.dumps(data, indent=2) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "html":
        return _html_view(inspection)
    md = fmt == "md"
    width = width or terminal_width()
    token = _WIDTH.set(width)
    try:
        parts = [_header(inspection, md)]
        for section in sections or ("summary",):
            parts.append(_SECTION_RENDERERS[section](inspection, md, annotate))
    finally:
        _WIDTH.reset(token)
    if xla is not None:
        stage, text = xla
        parts.append(_heading(f"XLA IR ({stage})", md) + _code_block(text.rstrip("\n"), md, ""))
    for export in exports:
        line = f"wrote {export.format} to {export.path}"
        parts.append(line + (f"\nnote: {export.note}" if export.note else ""))
    text = "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"
    return text if md else _fit(text, width)


def _fit(text: str, width: int) -> str:
    """Every line of ``text`` within ``width`` columns: a longer one goes on under its
    own indent, broken at spaces only (a table's rows were fitted already)."""
    out = []
    for line in text.splitlines():
        if len(line) <= width or not line.strip():
            out.append(line)
            continue
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        out += flow(body, width, indent, indent + "    ")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Sections


def _header(inspection: Inspection, md: bool) -> str:
    count = len(inspection.concrete_functions)
    noun = "concrete function" if count == 1 else "concrete functions"
    size = inspection.graph_bytes
    weight = f" ({format_bytes(size)} of graphs)" if size is not None else ""
    text = (
        f"graphlab inspect: {inspection.function} ({inspection.defined_at}), {count:,} {noun}"
        f"{weight}, TensorFlow {inspection.tensorflow}"
    )
    return f"# {md_escape(text)}" if md else text


def _summary(inspection: Inspection, md: bool, annotate: bool) -> str:
    blocks = []
    for index, summary in enumerate(inspection.concrete_functions, 1):
        lines = [f"#{index} {summary.signature}"]
        nested = len(summary.bodies)
        lines.append(
            f"ops: {summary.op_count} top level, {summary.op_count_total} in total"
            + (f" ({nested} nested bodies)" if nested else "")
            + (f"; graph {format_bytes(summary.graph_bytes)}" if summary.graph_bytes else "")
        )
        lines.append("op types: " + _counts(summary.ops_by_type, 8))
        if summary.flops is None or summary.flops or summary.flops_note:
            lines.append("FLOPs per call: " + flops_text(summary))
        if summary.control_flow:
            lines.append("control flow: " + "; ".join(_control_flow(summary)))
        if summary.captures:
            lines.append(
                f"captures: {len(summary.captures)} ("
                + ", ".join(c.name for c in summary.captures[:5])
                + (", ..." if len(summary.captures) > 5 else "")
                + ")"
            )
        if summary.stateful_ops:
            lines.append("stateful ops: " + _counts(summary.stateful_ops, 6))
        if md:
            blocks.append(
                f"## {md_escape(lines[0])}\n\n"
                + "\n".join(f"- {md_escape(line)}" for line in lines[1:])
            )
        else:
            blocks.append(lines[0] + "\n" + "\n".join(f"   {line}" for line in lines[1:]))
    for diff_index, diff in enumerate(inspection.diffs, 1):
        prefix = f"diff #{diff_index} -> #{diff_index + 1}: "
        blocks.append(("- " if md else "") + prefix + diff.summary())
    return "\n\n".join(blocks)


def flops_text(summary: GraphSummary) -> str:
    """``149 (MatMul 120, Mul 15, Sum 14)`` or ``unknown: shapes not fully known ...``."""
    if summary.flops is None:
        return f"unknown: {summary.flops_note}"
    text = f"{summary.flops:,}"
    if summary.flops_by_type:
        text += f" ({_counts(summary.flops_by_type, 5)})"
    return text + (f"; {summary.flops_note}" if summary.flops_note else "")


def _control_flow(summary: GraphSummary) -> list[str]:
    described = []
    for op in summary.control_flow:
        bodies = ", ".join(f"{name} {count} ops" for name, count in op.bodies)
        where = f" at {op.location}" if op.location else ""
        inside = "" if op.graph == "(top)" else f" in {op.graph}"
        described.append(f"{op.op_type} {op.name}{inside}{where} [{bodies}]")
    return described


def _signatures(inspection: Inspection, md: bool, annotate: bool) -> str:
    rows = [
        [index, s.name, ", ".join(f"{n}: {t}" for n, t in s.inputs) or "-", s.outputs]
        for index, s in enumerate(inspection.concrete_functions, 1)
    ]
    return _heading("Concrete functions", md) + _table(rows, ["#", "name", "inputs", "outputs"], md)


def _ops(inspection: Inspection, md: bool, annotate: bool) -> str:
    blocks = []
    for index, summary in enumerate(inspection.concrete_functions, 1):
        top = dict(summary.top_ops_by_type)
        rows = [[op_type, top.get(op_type, 0), total] for op_type, total in summary.ops_by_type]
        rows.append(["(all)", summary.op_count, summary.op_count_total])
        title = f"Ops of #{index} {summary.signature}"
        block = _heading(title, md) + _table(rows, ["op type", "top level", "total"], md)
        if summary.bodies:
            block += "\n\nnested bodies: " + ", ".join(f"{n} ({c})" for n, c in summary.bodies)
        if summary.control_flow:
            block += "\ncontrol flow: " + "; ".join(_control_flow(summary))
        if summary.stateful_ops:
            block += "\nstateful ops: " + _counts(summary.stateful_ops, 20)
        blocks.append(block)
    return "\n\n".join(blocks)


def _lines(inspection: Inspection, md: bool, annotate: bool) -> str:
    blocks = []
    for index, summary in enumerate(inspection.concrete_functions, 1):
        rows = [
            [
                line.location,
                line.op_count,
                "?" if line.flops is None else line.flops,
                _counts(line.ops_by_type, 4, keep if not md else str),
                line.source,
            ]
            for line in summary.lines
        ]
        title = f"Ops per source line of #{index} {summary.signature}"
        headers = ["line", "ops", "FLOPs", "op types", "source"]
        blocks.append(_heading(title, md) + _table(rows, headers, md))
    return "\n\n".join(blocks)


def _captures(inspection: Inspection, md: bool, annotate: bool) -> str:
    blocks = []
    for index, summary in enumerate(inspection.concrete_functions, 1):
        title = f"Captures of #{index} {summary.signature}"
        if not summary.captures:
            blocks.append(_heading(title, md) + "none")
            continue
        rows = [
            [
                c.name,
                c.kind,
                dims(c.shape),
                c.dtype,
                "" if c.trainable is None else str(c.trainable),
            ]
            for c in summary.captures
        ]
        blocks.append(
            _heading(title, md) + _table(rows, ["name", "kind", "shape", "dtype", "trainable"], md)
        )
    return "\n\n".join(blocks)


def _code(inspection: Inspection, md: bool, annotate: bool) -> str:
    title = "AutoGraph code"
    if inspection.autograph_code is None:
        return _heading(title, md) + "not available (no Python function, or AutoGraph is off)"
    code = inspection.autograph_code.rstrip("\n")
    if annotate and inspection.concrete_functions:
        code = annotate_code(inspection, -1)
        title += f" with ops per source line of #{len(inspection.concrete_functions)}"
    return _heading(title, md) + _code_block(code, md)


def annotate_code(inspection: Inspection, which: int = -1) -> str:
    """AutoGraph code with a gutter of op counts: each user source line's count is shown
    on the last generated line that came from it (the one that runs its ops)."""
    code = (inspection.autograph_code or "").rstrip("\n").splitlines()
    counts = {line.location: line.op_count for line in inspection.concrete_functions[which].lines}
    last_for_origin: dict[str, int] = {}
    for generated, origin in inspection.autograph_lines:
        last_for_origin[origin] = generated
    gutter = {generated: counts.get(origin, 0) for origin, generated in last_for_origin.items()}
    width = max((len(str(n)) for n in gutter.values()), default=1)
    out = []
    for number, text in enumerate(code, 1):
        count = gutter.get(number)
        mark = str(count).rjust(width) if count else " " * width
        out.append(f"{mark} | {text}")
    return "\n".join(out)


def _diff(inspection: Inspection, md: bool, annotate: bool) -> str:
    if not inspection.diffs:
        return _heading("Graph diff", md) + "only one concrete function: nothing to compare"
    blocks = []
    for index, diff in enumerate(inspection.diffs, 1):
        rows = [[t, b, a, f"{a - b:+d}"] for t, b, a in diff.changes]
        title = f"Graph diff #{index} -> #{index + 1}"  # the signatures have arrows of their own
        which = f"#{index}: {diff.before}\n#{index + 1}: {diff.after}\n"
        which = "".join(f"- {md_escape(line)}\n" for line in which.splitlines()) if md else which
        table = _table(rows, ["op type", "before", "after", "change"], md) if rows else ""
        blocks.append(
            _heading(title, md) + which + diff.summary() + ("\n\n" + table if table else "")
        )
    return "\n\n".join(blocks)


def _html_view(inspection: Inspection) -> str:
    """The Jupyter view: one row per concrete function, diffs, and the AutoGraph code
    with syntax highlighting."""
    rows = [
        [
            index,
            summary.signature,
            summary.op_count,
            summary.op_count_total,
            _counts(summary.ops_by_type, 6),
            "?" if summary.flops is None else f"{summary.flops:,}",
            "; ".join(_control_flow(summary)) or "-",
            len(summary.captures),
            format_bytes(summary.graph_bytes) if summary.graph_bytes is not None else "-",
        ]
        for index, summary in enumerate(inspection.concrete_functions, 1)
    ]
    headers = [
        "#",
        "signature",
        "top level",
        "total",
        "op types",
        "FLOPs",
        "control flow",
        "captures",
        "graph",
    ]
    parts = [
        f"<div class='graphlab-inspection'><p>{html.escape(_header(inspection, False))}</p>",
        table(rows, headers, "html"),
    ]
    parts += [
        f"<p>diff #{i} -&gt; #{i + 1}: {html.escape(diff.summary())}</p>"
        for i, diff in enumerate(inspection.diffs, 1)
    ]
    if inspection.autograph_code:
        parts.append("<h4>AutoGraph code</h4>" + highlight(inspection.autograph_code.rstrip()))
    return "".join(parts) + "</div>\n"


def render_page(inspection: Inspection) -> str:
    """An inspection (``graphlab inspect --format html``) as a whole self-contained page:
    the Jupyter view (concrete functions, diffs, highlighted AutoGraph code)."""
    return _html.page(
        f"graphlab inspect: {inspection.function}",
        _html_view(inspection),
        subtitle=f"TensorFlow {inspection.tensorflow or '?'}",
    )


_SECTION_RENDERERS = {
    "summary": _summary,
    "signatures": _signatures,
    "ops": _ops,
    "lines": _lines,
    "captures": _captures,
    "code": _code,
    "diff": _diff,
}


# ---------------------------------------------------------------------------
# Helpers


def _heading(title: str, md: bool) -> str:
    return f"## {md_escape(title)}\n\n" if md else f"{title}\n{'-' * min(len(title), 78)}\n"


_NUMERIC = ("#", "ops", "top level", "total", "before", "after", "change", "FLOPs")


def _table(rows: list[list[object]], headers: list[str], md: bool) -> str:
    align = ["right" if h in _NUMERIC else "left" for h in headers]
    if md:
        return table(rows, headers, "github", align)
    lines = columns(
        rows,
        headers,
        _WIDTH.get() or terminal_width(),
        right=_NUMERIC,
        below=("source",),
        labels={"source": "{}", "op types": "{}", "FLOPs": "{} FLOPs", "ops": "{} ops"},
        locations=("line",),
    )
    return "\n".join(lines)


def _code_block(text: str, md: bool, language: str = "python") -> str:
    return f"```{language}\n{text}\n```" if md else text


def _counts(pairs: Sequence[tuple[str, int]], limit: int, whole: Callable[[str], str] = str) -> str:
    """``MatMul 2, Relu 1, ... (3 more)``; ``whole`` keeps each pair on one line."""
    shown = [whole(f"{name} {count}") for name, count in pairs[:limit]]
    if len(pairs) > limit:
        shown.append(f"... ({len(pairs) - limit} more)")
    return ", ".join(shown) or "none"


_display.register(Inspection, render)
