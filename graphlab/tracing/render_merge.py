"""Merged trace reports of several workers
(:class:`~graphlab.tracing.records_merge.MergedTraces`) as text, markdown, JSON, an HTML
fragment (Jupyter) or a whole page (``merge-traces --format html``)."""

from __future__ import annotations

import html
import json

from graphlab import _display, _html
from graphlab._text import md_escape, plural, table, terminal_width, wrap
from graphlab.tracing.records_merge import Divergence, MergedFunction, MergedTraces, ranks_text

FORMATS = ("text", "md", "json", "html")

#: Up to this many ranks the function table has a column per rank.
MAX_RANK_COLUMNS = 8

#: Why a divergence matters, said once above the list.
_WHY = (
    "a worker that traces while the others do not keeps them waiting at the next "
    "collective (the gradients' all-reduce) until its graph is built. Under each "
    "function, the traces that not every rank made"
)


def render(
    merged: MergedTraces,
    fmt: str = "text",
    *,
    include_internal: bool = False,
    width: int | None = None,
) -> str:
    """Render a merge. JSON holds every function; ``include_internal`` shows
    TensorFlow-internal functions (tf.data, initializers) in the other views."""
    if fmt == "json":
        return json.dumps(merged.to_dict(), indent=2) + "\n"
    functions = [f for f in merged.functions if include_internal or not f.internal]
    if fmt == "text":
        return _text(merged, functions, width or terminal_width())
    if fmt == "md":
        return _markdown(merged, functions)
    if fmt == "html":
        return _fragment(merged, functions)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def headline(merged: MergedTraces, functions: list[MergedFunction]) -> str:
    """``2 ranks, 3 functions, 1 divergent``."""
    return (
        f"{plural(len(merged.ranks), 'rank')}, {plural(len(functions), 'function')}, "
        f"{len(merged.divergent)} divergent"
    )


def notes(merged: MergedTraces) -> list[str]:
    """What to know before reading the tables: ranks by file order, mixed versions."""
    out = []
    if merged.ranks_from_file_order:
        out.append(
            "The reports carry no ranks: they are numbered in the order given (record them "
            "with watch --rank N, or run the workers with TF_CONFIG)."
        )
    versions: dict[str, list[int]] = {}
    for worker in merged.workers:
        versions.setdefault(worker.tensorflow, []).append(worker.rank)
    if len(versions) > 1:
        each = "; ".join(f"{v or '?'} on {ranks_text(r)}" for v, r in versions.items())
        out.append(f"The ranks ran different TensorFlow versions: {each}.")
    return out


def _worker_rows(merged: MergedTraces) -> list[list[object]]:
    return [[w.rank, w.task or "-", w.source, w.traces] for w in merged.workers]


_WORKER_HEADERS = ["rank", "task", "report", "traces"]


def _function_table(
    merged: MergedTraces, functions: list[MergedFunction], fmt: str, width: int | None = None
) -> str:
    flagged = {(d.qualname, d.defined_at) for d in merged.divergent}
    ranks = merged.ranks
    rows: list[list[object]] = []
    for f in functions:
        mark = "!" if (f.qualname, f.defined_at) in flagged else ""
        counts = f.traces_by_rank(ranks)
        if len(ranks) <= MAX_RANK_COLUMNS:
            cells: list[object] = [counts[r] for r in ranks]
        else:
            by_count: dict[int, list[int]] = {}
            for rank, n in counts.items():
                by_count.setdefault(n, []).append(rank)
            cells = ["; ".join(f"{n} on {ranks_text(r)}" for n, r in sorted(by_count.items()))]
        rows.append([mark, f.function, f.defined_at, *cells])
    rank_headers = (
        [f"rank {r}" for r in ranks] if len(ranks) <= MAX_RANK_COLUMNS else ["traces per rank"]
    )
    headers = ["", "function", "defined at", *rank_headers]
    align = ["left", "left", "left"] + ["right"] * (len(headers) - 3)
    if len(ranks) > MAX_RANK_COLUMNS:
        align[-1] = "left"
    return table(rows, headers, fmt, align, width)


def _divergence_lines(divergence: Divergence) -> list[tuple[str, str]]:
    """``(rank N, cause)`` pairs under a divergent function."""
    return [
        (f"rank {rank}", cause)
        for rank, causes in divergence.extra_causes.items()
        for cause in causes
    ]


def _text(merged: MergedTraces, functions: list[MergedFunction], width: int) -> str:
    versions = sorted({w.tensorflow for w in merged.workers})
    title = f"graphlab merge-traces: {headline(merged, functions)}"
    version = f"(TensorFlow {', '.join(versions)})"
    fits = len(title) + 1 + len(version) <= width
    out = [*([f"{title} {version}"] if fits else [*wrap(title, width), f"  {version}"])]
    for note in notes(merged):
        out += ["", *wrap(note, width)]
    out += [
        "",
        table(
            _worker_rows(merged),
            _WORKER_HEADERS,
            "simple",
            ["right", "left", "left", "right"],
            width,
        ),
    ]
    if functions:
        out += [
            "",
            "Traces per function and rank:",
            _function_table(merged, functions, "simple", width),
        ]
    else:
        out += ["", "No tf.function traces recorded on any rank."]
    divergent = merged.divergent
    if divergent:
        out += ["", *wrap(f"Divergent between ranks (! above): {_WHY}.", width)]
        for d in divergent:
            out += wrap(d.message, width, "  ")
            for rank, cause in _divergence_lines(d):
                out += wrap(f"{rank}: {cause}", width, "    ")
    elif functions:
        out += ["", "Every function traced the same way on every rank."]
    return "\n".join(out) + "\n"


def _markdown(merged: MergedTraces, functions: list[MergedFunction]) -> str:
    out = [f"**{md_escape(headline(merged, functions))}**", ""]
    out += [md_escape(note) for note in notes(merged)]
    out += ["## Workers", "", table(_worker_rows(merged), _WORKER_HEADERS, "github"), ""]
    out += ["## Traces per function and rank", ""]
    out += [_function_table(merged, functions, "github") if functions else "No traces.", ""]
    divergent = merged.divergent
    out += ["## Divergent between ranks", ""]
    if not divergent:
        out.append("None: every function traced the same way on every rank.")
    else:
        out += [f"{md_escape(_WHY[0].upper() + _WHY[1:])}.", ""]
        for d in divergent:
            out.append(f"- **{md_escape(d.message)}**")
            out += [f"  - {rank}: {md_escape(cause)}" for rank, cause in _divergence_lines(d)]
    return "\n".join(out).rstrip() + "\n"


def _fragment(merged: MergedTraces, functions: list[MergedFunction]) -> str:
    items = "".join(
        f"<li><b>{html.escape(d.message)}</b>"
        + (
            "<ul>"
            + "".join(
                f"<li>{html.escape(rank)}: {html.escape(cause)}</li>"
                for rank, cause in _divergence_lines(d)
            )
            + "</ul>"
            if d.extra_causes
            else ""
        )
        + "</li>"
        for d in merged.divergent
    )
    divergent = (
        f"<h4>Divergent between ranks</h4><p>{html.escape(_WHY[0].upper() + _WHY[1:])}.</p>"
        f"<ul>{items}</ul>"
        if items
        else "<p>Every function traced the same way on every rank.</p>"
    )
    notes_html = "".join(f"<p>{html.escape(n)}</p>" for n in notes(merged))
    return (
        f"<div class='graphlab-merged-traces'>{notes_html}<h4>Workers</h4>"
        f"{table(_worker_rows(merged), _WORKER_HEADERS, 'html')}"
        f"<h4>Traces per function and rank</h4>{_function_table(merged, functions, 'html')}"
        f"{divergent}</div>"
    )


def render_page(merged: MergedTraces, *, include_internal: bool = False) -> str:
    """The merge as a whole page (``merge-traces --format html``)."""
    functions = [f for f in merged.functions if include_internal or not f.internal]
    bad = " bad" if merged.divergent else ""
    body = f"<p class='summary{bad}'>{html.escape(headline(merged, functions))}.</p>" + _fragment(
        merged, functions
    )
    versions = ", ".join(sorted({w.tensorflow for w in merged.workers}))
    return _html.page("graphlab merged trace report", body, subtitle=f"TensorFlow {versions}")


_display.register(MergedTraces, render)
