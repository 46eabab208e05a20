"""Single-file HTML reports: one self-contained page to attach to a bug report.

The page wraps the HTML fragments that Jupyter shows (``_repr_html_``) with inline CSS,
the full sentence and advice of every trace, and SVG charts built in Python. Nothing is
fetched: no fonts, stylesheets, scripts or images from the network. A few lines of
inline JavaScript make the tables sortable; the page reads fine without them.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone

from graphlab._version import __version__
from graphlab.records import Comparison, TraceReport

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


def render_traces(report: TraceReport, *, include_internal: bool = False) -> str:
    """A trace report (``graphlab watch --format html``) as a whole page: summary
    sentence, tracing-time chart, tables, and each trace's full cause and advice."""
    from graphlab.renderers import traces

    summaries = [s for s in report.summaries if include_internal or not s.internal]
    events = [e for e in report.events if include_internal or not e.internal]
    total = sum(s.traces for s in summaries)
    avoidable = sum(s.actionable_retraces for s in summaries)
    hidden = len(report.events) - len(events)
    sentence = (
        f"{_count(total, 'trace')} of {_count(len(summaries), 'function')}, "
        f"{_count(avoidable, 'avoidable retrace')}."
        if summaries
        else "No tf.function traces recorded."
    )
    if hidden:
        sentence += (
            f" {_count(hidden, 'TensorFlow-internal trace')} hidden (shown with "
            "--include-internal)."
        )
    body = [f"<p class='summary{' bad' if avoidable else ''}'>{html.escape(sentence)}</p>"]
    if summaries:
        body.append(traces.render(report, "html", include_internal=include_internal))
        body.append("<h2>Every trace and its cause</h2>")
        for event in events:
            kind = "actionable" if event.actionable else "expected"
            advice = (
                f"<pre>{html.escape(event.cause.advice)}</pre>"
                if event.actionable and event.cause.advice
                else ""
            )
            signature = ", ".join(f"{k}: {v}" for k, v in event.signature.items())
            body.append(
                f"<div class='event {kind}'><code>{html.escape(event.message)}</code>"
                f"<br><small>cause: {html.escape(event.cause.kind)} · signature "
                f"({html.escape(signature)}) · {event.op_count} ops</small>{advice}</div>"
            )
    return page(
        "graphlab trace report", "\n".join(body), subtitle=f"TensorFlow {report.tensorflow}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def render_comparison(comparison: Comparison) -> str:
    """A comparison (``graphlab bench --format html``) as a whole page: the table with
    its legend, first-call and steady-state charts, and the run's metadata."""
    from graphlab.renderers import comparison as renderer

    meta = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in comparison.metadata.items()
    )
    body = renderer.render(comparison, "html")
    if meta:
        body += f"<h2>Run</h2><table><tbody>{meta}</tbody></table>"
    return page("graphlab comparison", body, subtitle=f"TensorFlow {comparison.tensorflow or '?'}")
