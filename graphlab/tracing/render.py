"""Trace reports (:class:`~graphlab.tracing.records.TraceReport`) as text, markdown,
JSON, an HTML fragment (Jupyter) or a whole HTML page (``watch --format html``)."""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass

from graphlab import _display, _html
from graphlab._html import Bar, bar_chart
from graphlab._text import (
    flow,
    keep,
    md_escape,
    plural,
    shorten_location,
    table,
    terminal_width,
    wrap,
)
from graphlab.tracing import render_memory
from graphlab.tracing.records import Finding, FunctionSummary, SideEffect, TraceEvent, TraceReport

FORMATS = ("text", "md", "json", "html")

_SUMMARY_HEADERS = ["function", "defined at", "traces", "actionable", "tracing ms", "last cause"]
_EVENT_HEADERS = ["#", "function", "call site", "ms", "ops", "cause"]


def render(
    report: TraceReport,
    fmt: str = "text",
    *,
    include_internal: bool = False,
    width: int | None = None,
) -> str:
    """Render a trace report. JSON always holds every event; ``include_internal`` shows
    TensorFlow-internal functions (tf.data, variable initializers) in the other views;
    text fits ``width`` columns (default: the terminal's, 80 when not a terminal)."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    summaries = [s for s in report.summaries if include_internal or not s.internal]
    events = [e for e in report.events if include_internal or not e.internal]
    if fmt == "text":
        text = _text(summaries, events, report, width or terminal_width())
        return text + _compile_text(report, "text", width or terminal_width())
    if fmt == "md":
        return _markdown(summaries, events, report) + _compile_text(report, "md")
    if fmt == "html":
        fragment = _fragment(summaries, events, report)
        return fragment.removesuffix("</div>") + _compile_html(report) + "</div>"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _summary_rows(summaries: list[FunctionSummary]) -> list[list[object]]:
    return [
        [
            s.label,
            s.defined_at,
            s.traces,
            s.actionable_retraces,
            f"{s.total_tracing * 1e3:.1f}",
            s.last_cause,
        ]
        for s in summaries
    ]


def _event_rows(events: list[TraceEvent]) -> list[list[object]]:
    return [
        [
            e.trace_index,
            e.label,
            e.call_site,
            f"{e.duration_ms:.1f}",
            e.op_count,
            ("! " if e.actionable else "") + e.cause.summary(),
        ]
        for e in events
    ]


def _name_at(name: str, location: str, width: int, end: str = "") -> list[str]:
    """``  name  path/file.py:12`` on one line when it fits, else the location on the
    next line (shortened from the left when it must be): neither is ever split."""
    if len(name) + 2 + len(location) + len(end) <= width:
        return [f"{name}  {location}{end}"]
    indent = " " * (len(name) - len(name.lstrip()) + 4)
    return [name, indent + shorten_location(location, width - len(indent) - len(end)) + end]


def _function_blocks(summaries: list[FunctionSummary], width: int) -> list[str]:
    """One block per function: its name and where it is defined, then its counts and
    the newest trace's cause."""
    out = ["Traces per function:"]
    for s in summaries:
        out += _name_at(f"  {s.label}", s.defined_at, width)
        counts = f"{plural(s.traces, 'trace')}, {s.actionable_retraces} avoidable"
        counts += f", {s.total_tracing * 1e3:.1f} ms tracing; last: {s.last_cause}"
        out += flow(counts, width, "      ", "        ")
    return out


def _event_lines(events: list[TraceEvent], width: int) -> list[str]:
    """One row per trace: its number, function, call site, time and ops, then its
    cause under it (``!`` where the retrace was avoidable)."""
    marks = any(e.actionable for e in events)
    out = ["Trace events" + (" (! marks a retrace you can avoid):" if marks else ":")]
    digits = max(len(str(e.trace_index)) for e in events) if events else 1
    pad = " " * (digits + 4)
    for e in events:
        head = f"  {e.trace_index:>{digits}}  {e.label}"
        rest = f"{e.duration_ms:.1f} ms, {plural(e.op_count, 'op')}"
        place = f"at {e.call_site}, "
        if len(head) + 1 + len(place) + len(rest) <= width:
            out.append(f"{head} {place}{rest}")
        else:
            out.append(head)
            room = width - len(pad) - len("at , ") - len(rest)
            out += flow(f"at {shorten_location(e.call_site, room)}, {rest}", width, pad, pad)
        mark = "!" if e.actionable else " "
        out += flow(e.cause.summary(), width, f"{pad[:-2]}{mark} ", pad + "  ")
    return out


@dataclass(frozen=True, slots=True)
class _EffectGroup:
    """One side effect at one place, over the functions and traces that ran it."""

    effect: SideEffect
    functions: tuple[str, ...]
    traces: int

    @property
    def what(self) -> str:
        """``print()``, ``xs (a list from outside the function) was changed``."""
        clause = self.effect.message.split(":")[0].removesuffix(" while tracing")
        return clause.removesuffix(" ran")

    @property
    def where(self) -> str:
        names = ", ".join(self.functions)
        return f"{self.effect.where} in {names} ({plural(self.traces, 'trace')})"


#: The fix for each kind of side effect, said once under the list.
_EFFECT_FIXES = {
    "print": "print: use tf.print to print on every call.",
    "random": "random: use tf.random (or a tf.random.Generator) for new numbers on every call.",
    "mutation": "changed objects: return the values instead, or keep state in a tf.Variable / "
    "tf.TensorArray.",
    "global": "assigned globals: keep state that changes per call in a tf.Variable.",
}


def side_effect_groups(events: list[TraceEvent]) -> list[_EffectGroup]:
    """Side effects per kind and place, in order of first appearance."""
    first: dict[tuple[str, str], SideEffect] = {}
    functions: dict[tuple[str, str], dict[str, None]] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for event in events:
        for effect in event.side_effects:
            key = (effect.kind, effect.where)
            first.setdefault(key, effect)
            functions.setdefault(key, {})[event.function] = None
            counts[key] += 1
    return [
        _EffectGroup(effect, tuple(functions[key]), counts[key]) for key, effect in first.items()
    ]


def _effect_lines(events: list[TraceEvent], findings: tuple[Finding, ...]) -> list[str]:
    lines = []
    groups = side_effect_groups(events)
    if groups:
        lines += ["", "Python side effects while tracing (each runs once per trace, not per call):"]
        for group in groups:
            names = ", ".join(keep(name) for name in group.functions)
            traces = plural(group.traces, "trace")
            lines.append(f"  {group.what} at {group.effect.where} in {names} ({traces})")
        kinds = dict.fromkeys(g.effect.kind for g in groups)
        lines += [f"  Fix for {_EFFECT_FIXES[kind]}" for kind in kinds]
    if findings:
        lines += ["", "Stale values (read while tracing, baked into the graph, changed since):"]
        for finding in findings:
            lines.append(f"  {finding.name} in {keep(finding.function)} ({finding.where}):")
            lines.append(f"    {finding.message}")
    return lines


_NUMERIC = ("traces", "actionable", "tracing ms", "#", "ms", "ops")


def _table(rows: list[list[object]], headers: list[str], fmt: str, width: int | None = None) -> str:
    align = ["right" if h in _NUMERIC else "left" for h in headers]
    return table(rows, headers, fmt, align, width)


def _text(
    summaries: list[FunctionSummary], events: list[TraceEvent], report: TraceReport, width: int
) -> str:
    if not summaries:
        hidden = len(report.events)
        extra = f" ({hidden} TensorFlow-internal, shown with --include-internal)" if hidden else ""
        out = [f"graphlab: no tf.function traces recorded{extra}."]
        if report.memory is not None:
            out += render_memory.text_lines(report.memory, width)
        return "\n".join(out) + "\n"
    total = sum(s.traces for s in summaries)
    actionable = sum(s.actionable_retraces for s in summaries)
    title = (
        f"graphlab trace report{worker_label(report, ', ')}: {plural(total, 'trace')} of "
        f"{plural(len(summaries), 'function')}, {plural(actionable, 'avoidable retrace')}"
    )
    version = f"(TensorFlow {report.tensorflow})"
    fits = len(title) + 1 + len(version) <= width
    out = [
        *([f"{title} {version}"] if fits else [*wrap(title, width), f"  {version}"]),
        "",
        *_function_blocks(summaries, width),
        "",
        *_event_lines(events, width),
    ]
    advised = [s for s in summaries if s.advice]
    if advised:
        out += ["", "What to do:"]
        for s in advised:
            out.append(f"  {s.function} ({s.defined_at}):")
            out += wrap(s.advice, width, "    ")
    for line in _effect_lines(events, report.findings):
        body = line.lstrip(" ")
        out += wrap(body, width, line[: len(line) - len(body)]) if body else [line]
    folded = sum(s.folded for s in summaries)
    if folded:
        out += ["", f"({folded} older events folded into the counts above)"]
    if report.memory is not None:
        out += render_memory.text_lines(report.memory, width)
    return "\n".join(out) + "\n"


def _markdown(
    summaries: list[FunctionSummary], events: list[TraceEvent], report: TraceReport
) -> str:
    findings = report.findings
    who = worker_label(report)
    out = [f"Recorded by {who}.", ""] if who else []
    out += ["## Traces per function", ""]
    out.append(_table(_summary_rows(summaries), _SUMMARY_HEADERS, "github"))
    out += ["", "## Trace events", ""]
    out.append(_table(_event_rows(events), _EVENT_HEADERS, "github"))
    advised = [s for s in summaries if s.advice]
    if advised:
        out += ["", "## What to do", ""]
        for s in advised:
            out += [
                f"**{md_escape(s.function)}** (`{s.defined_at}`):",
                "",
                "```python",
                s.advice,
                "```",
                "",
            ]
    groups = side_effect_groups(events)
    if groups:
        out += ["", "## Python side effects while tracing", ""]
        out += [
            f"- {md_escape(g.what)} at `{g.effect.where}` in {md_escape(', '.join(g.functions))}"
            for g in groups
        ]
        out += [""] + [
            f"Fix for {_EFFECT_FIXES[k]}" for k in dict.fromkeys(g.effect.kind for g in groups)
        ]
    if findings:
        out += ["", "## Stale values", ""]
        out += [
            f"- **{md_escape(f.name)}** in {md_escape(f.function)} (`{f.where}`): "
            f"{md_escape(f.message)}"
            for f in findings
        ]
    if report.memory is not None:
        out += render_memory.markdown_lines(report.memory)
    return "\n".join(out).rstrip() + "\n"


def _fragment(
    summaries: list[FunctionSummary], events: list[TraceEvent], report: TraceReport
) -> str:
    findings = report.findings
    summary_table = _table(_summary_rows(summaries), _SUMMARY_HEADERS, "html")
    event_table = _table(_event_rows(events), _EVENT_HEADERS, "html")
    advice = "".join(
        f"<p><b>{html.escape(s.function)}</b> ({html.escape(s.defined_at)}):</p>"
        f"<pre>{html.escape(s.advice)}</pre>"
        for s in summaries
        if s.advice
    )
    if advice:
        advice = "<h4>What to do</h4>" + advice
    effects = "".join(
        f"<li>{html.escape(g.effect.message)} <small>({html.escape(g.where)})</small></li>"
        for g in side_effect_groups(events)
    )
    if effects:
        advice += f"<h4>Python side effects while tracing</h4><ul>{effects}</ul>"
    stale = "".join(
        f"<li><b>{html.escape(f.name)}</b> in {html.escape(f.function)} "
        f"({html.escape(f.where)}): {html.escape(f.message)}</li>"
        for f in findings
    )
    if stale:
        advice += f"<h4>Stale values</h4><ul>{stale}</ul>"
    if report.memory is not None:
        advice += render_memory.fragment(report.memory)
    return (
        "<div class='graphlab-traces'><h4>Traces per function</h4>"
        f"{summary_table}{chart(events)}<h4>Trace events</h4>{event_table}{advice}</div>"
    )


_COMPILE_HEADERS = ["function", "input shapes", "ms", "after a trace"]


def _compile_rows(report: TraceReport) -> list[list[object]]:
    return [
        [c.function, c.shapes_text(), f"{c.duration_ms:.1f}", _yes(c.after_trace)]
        for c in report.compilations or ()
    ]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _compile_heading(report: TraceReport) -> str:
    compilations = report.compilations or ()
    if not compilations:
        return "XLA compilations: none"
    total_ms = sum(c.duration_ms for c in compilations)
    untraced = sum(not c.after_trace for c in compilations)
    return (
        f"XLA compilations: {len(compilations)} ({total_ms:.0f} ms), {untraced} without a new trace"
    )


def _compile_text(report: TraceReport, fmt: str, width: int = 80) -> str:
    """The compilations section (``watch --compiles``); empty when not recorded."""
    if report.compilations is None:
        return ""
    notes = report.compile_notes
    if fmt == "md":
        out = ["", "## XLA compilations", "", _compile_heading(report) + ".", ""]
        if report.compilations:
            out += [_table(_compile_rows(report), _COMPILE_HEADERS, "github"), ""]
        out += [f"- **{n.function}**: {n.message}" for n in notes]
        out += [f"- Note: {report.compiles_stopped}."] if report.compiles_stopped else []
        return "\n".join(out).rstrip() + "\n"
    out = ["", _compile_heading(report)]
    if report.compilations:
        out += ["", _table(_compile_rows(report), _COMPILE_HEADERS, "simple", width)]
    for note in notes:
        out += ["", f"  {note.function}:", *flow(note.message, width, "    ")]
    if report.compiles_stopped:
        out += ["", *flow(f"Note: {report.compiles_stopped}.", width, "  ", "    ")]
    return "\n".join(out) + "\n"


def _compile_html(report: TraceReport) -> str:
    if report.compilations is None:
        return ""
    rows = _table(_compile_rows(report), _COMPILE_HEADERS, "html") if report.compilations else ""
    notes = "".join(
        f"<li><b>{html.escape(n.function)}</b>: {html.escape(n.message)}</li>"
        for n in report.compile_notes
    )
    if report.compiles_stopped:
        notes += f"<li>Note: {html.escape(report.compiles_stopped)}.</li>"
    return f"<h4>{html.escape(_compile_heading(report))}</h4>{rows}" + (
        f"<ul>{notes}</ul>" if notes else ""
    )


#: Above this many events the chart shows totals per function instead of each trace.
CHART_MAX_EVENTS = 40


def chart(events: list[TraceEvent]) -> str:
    """Tracing time as an SVG bar chart: one bar per trace, avoidable retraces in their
    own colour; per function (summed) when there are many traces."""
    if len(events) <= CHART_MAX_EVENTS:
        bars = [
            Bar(
                f"{e.function} #{e.trace_index}",
                e.duration_ms,
                f"{e.duration_ms:.1f} ms",
                series=1 if e.actionable else 0,
                highlight=e.actionable,
            )
            for e in events
        ]
        legend = ("expected trace", "avoidable retrace")
        return bar_chart(bars, "Tracing time per trace", legend)
    totals: dict[str, list[float]] = {}
    for e in events:
        entry = totals.setdefault(e.function, [0.0, 0.0])
        entry[0] += e.duration_ms
        entry[1] += e.actionable
    bars = [
        Bar(name, ms, f"{ms:.1f} ms", series=1 if avoidable else 0, highlight=bool(avoidable))
        for name, (ms, avoidable) in totals.items()
    ]
    return bar_chart(
        bars, "Tracing time per function", ("no avoidable retrace", "avoidable retraces")
    )


def render_page(report: TraceReport, *, include_internal: bool = False) -> str:
    """A trace report (``graphlab watch --format html``) as a whole page: summary
    sentence, tracing-time chart, tables, and each trace's full cause and advice."""
    summaries = [s for s in report.summaries if include_internal or not s.internal]
    events = [e for e in report.events if include_internal or not e.internal]
    total = sum(s.traces for s in summaries)
    avoidable = sum(s.actionable_retraces for s in summaries)
    hidden = len(report.events) - len(events)
    sentence = (
        f"{plural(total, 'trace')} of {plural(len(summaries), 'function')}, "
        f"{plural(avoidable, 'avoidable retrace')}."
        if summaries
        else "No tf.function traces recorded."
    )
    if hidden:
        sentence += (
            f" {plural(hidden, 'TensorFlow-internal trace')} hidden (shown with "
            "--include-internal)."
        )
    body = [f"<p class='summary{' bad' if avoidable else ''}'>{html.escape(sentence)}</p>"]
    if not summaries and report.memory is not None:
        body.append(render_memory.fragment(report.memory))
    if summaries:
        body.append(render(report, "html", include_internal=include_internal))
        body.append("<h2>Every trace and its cause</h2>")
        for event in events:
            kind = "actionable" if event.actionable else "expected"
            advice = (
                f"<pre>{html.escape(event.cause.advice)}</pre>"
                if event.actionable and event.cause.advice
                else ""
            )
            advice += "".join(
                f"<br><small>side effect ({html.escape(e.kind)}) at {html.escape(e.where)}: "
                f"{html.escape(e.message)}</small>"
                for e in event.side_effects
            )
            signature = ", ".join(f"{k}: {v}" for k, v in event.signature.items())
            body.append(
                f"<div class='event {kind}'><code>{html.escape(event.message)}</code>"
                f"<br><small>cause: {html.escape(event.cause.kind)} · signature "
                f"({html.escape(signature)}) · {event.op_count} ops</small>{advice}</div>"
            )
    who = f" · {worker_label(report)}" if worker_label(report) else ""
    return _html.page(
        "graphlab trace report",
        "\n".join(body),
        subtitle=f"TensorFlow {report.tensorflow}{who}",
    )


def worker_label(report: TraceReport, prefix: str = "") -> str:
    """``rank 1 (worker:0)`` for a report recorded by a worker; "" otherwise."""
    if report.rank is None and not report.task:
        return ""
    rank = f"rank {report.rank}" if report.rank is not None else "no rank"
    task = f" ({report.task})" if report.task else ""
    return f"{prefix}{rank}{task}"


_display.register(TraceReport, render)
