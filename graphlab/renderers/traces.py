"""Trace reports (:class:`graphlab.records.TraceReport`) as text, markdown, JSON, HTML."""

from __future__ import annotations

import html
import json

from tabulate import tabulate

from graphlab.records import FunctionSummary, TraceEvent, TraceReport
from graphlab.renderers.charts import Bar, bar_chart

FORMATS = ("text", "md", "json", "html")

_SUMMARY_HEADERS = ["function", "defined at", "traces", "actionable", "tracing ms", "last cause"]
_EVENT_HEADERS = ["#", "function", "call site", "ms", "ops", "cause"]


def render(report: TraceReport, fmt: str = "text", *, include_internal: bool = False) -> str:
    """Render a trace report. JSON always holds every event; ``include_internal`` shows
    TensorFlow-internal functions (tf.data, variable initializers) in the other views."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    summaries = [s for s in report.summaries if include_internal or not s.internal]
    events = [e for e in report.events if include_internal or not e.internal]
    if fmt == "text":
        return _text(summaries, events, report)
    if fmt == "md":
        return _markdown(summaries, events)
    if fmt == "html":
        return _html(summaries, events)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _summary_rows(summaries: list[FunctionSummary]) -> list[list[object]]:
    return [
        [
            s.function,
            s.defined_at,
            s.traces,
            s.actionable_retraces,
            f"{s.total_tracing_ms:.1f}",
            _clip(s.last_cause, 70),
        ]
        for s in summaries
    ]


def _event_rows(events: list[TraceEvent]) -> list[list[object]]:
    return [
        [
            e.trace_index,
            e.function,
            e.call_site,
            f"{e.duration_ms:.1f}",
            e.op_count,
            ("! " if e.actionable else "") + _clip(e.cause.summary(), 70),
        ]
        for e in events
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _table(rows: list[list[object]], headers: list[str], fmt: str) -> str:
    numeric = {"traces", "actionable", "tracing ms", "#", "ms", "ops"}
    align = ["right" if h in numeric else "left" for h in headers]
    return tabulate(rows, headers, tablefmt=fmt, disable_numparse=True, colalign=align)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _text(summaries: list[FunctionSummary], events: list[TraceEvent], report: TraceReport) -> str:
    if not summaries:
        hidden = len(report.events)
        extra = f" ({hidden} TensorFlow-internal, shown with --include-internal)" if hidden else ""
        return f"graphlab: no tf.function traces recorded{extra}.\n"
    total = sum(s.traces for s in summaries)
    actionable = sum(s.actionable_retraces for s in summaries)
    out = [
        f"graphlab trace report: {_count(total, 'trace')} of "
        f"{_count(len(summaries), 'function')}, "
        f"{_count(actionable, 'avoidable retrace')} (TensorFlow {report.tensorflow})",
        "",
        _table(_summary_rows(summaries), _SUMMARY_HEADERS, "simple"),
        "",
        _table(_event_rows(events), _EVENT_HEADERS, "simple"),
    ]
    if any(e.actionable for e in events):
        out.append("(! marks a retrace you can avoid)")
    advised = [s for s in summaries if s.advice]
    if advised:
        out += ["", "What to do:"]
        for s in advised:
            out.append(f"  {s.function} ({s.defined_at}):")
            out += [f"    {line}" for line in s.advice.splitlines()]
    folded = sum(s.folded for s in summaries)
    if folded:
        out += ["", f"({folded} older events folded into the counts above)"]
    return "\n".join(out) + "\n"


def _markdown(summaries: list[FunctionSummary], events: list[TraceEvent]) -> str:
    out = ["## Traces per function", ""]
    out.append(_table(_summary_rows(summaries), _SUMMARY_HEADERS, "github"))
    out += ["", "## Trace events", ""]
    out.append(_table(_event_rows(events), _EVENT_HEADERS, "github"))
    advised = [s for s in summaries if s.advice]
    if advised:
        out += ["", "## What to do", ""]
        for s in advised:
            out += [f"**{s.function}** (`{s.defined_at}`):", "", "```python", s.advice, "```", ""]
    return "\n".join(out).rstrip() + "\n"


def _html(summaries: list[FunctionSummary], events: list[TraceEvent]) -> str:
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
    return (
        "<div class='graphlab-traces'><h4>Traces per function</h4>"
        f"{summary_table}{chart(events)}<h4>Trace events</h4>{event_table}{advice}</div>"
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
