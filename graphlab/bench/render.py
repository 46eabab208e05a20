"""Comparisons and run diffs as text, markdown, JSON, CSV, HTML (a fragment for
Jupyter, a whole page for ``bench --format html``) and PNG.

Figures are trimmed to the digits the noise allows
(:func:`graphlab.bench.stats.significant_figures`), so a table never claims more
precision than its measurement has.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Callable, Sequence

from graphlab import _display, _html
from graphlab._html import Bar, bar_chart
from graphlab._text import (
    clip,
    columns,
    flow,
    format_range,
    format_significant,
    format_time,
    keep,
    table,
    terminal_width,
    time_unit,
)
from graphlab._text import wrap as wrap_lines
from graphlab.bench import peak, stats
from graphlab.bench.figures import RowFigures, baseline_environment
from graphlab.bench.records import Comparison, ComparisonRow
from graphlab.bench.records_runs import RunDiff
from graphlab.profiling import render as profile_render

FORMATS = ("text", "md", "json", "csv", "html")
#: Formats of a run diff (``compare-runs --format``).
DIFF_FORMATS = ("text", "md", "json")

HEADERS = [
    "function",
    "mode",
    "first call",
    "median ± IQR",
    "speedup vs eager [95% CI]",
    "break-even",
    "retraces",
    "ops",
    "notes",
]
_RIGHT = {"first call", "median ± IQR", "break-even", "retraces", "ops"}

LEGEND = (
    "first call: tracing + compilation + one run (tracing part from the recorder). "
    "median ± IQR: steady state per call. speedup: median ratio of eager's and the "
    "mode's neighbouring blocks (modes timed in turns); its interval includes how far "
    "that ratio moved during the run and between processes. "
    "break-even: calls after which the mode's total time, first call included, is "
    "below eager's ('never': it does not catch up)."
)


# ---------------------------------------------------------------------------
# Numbers


def _median_iqr(row: ComparisonRow) -> str:
    m = row.measurement
    if m is None:
        return "-"
    figures = m.significant_figures
    scale, unit = time_unit(m.median)
    median = format_significant(m.median / scale, figures)
    if m.rounds < 2:
        return f"{median} {unit} (1 block)"
    if m.median <= 0:
        return f"{median} {unit}"
    if m.iqr <= 0:  # identical blocks: below the last digit shown, not zero
        last_digit = 10.0 ** (math.floor(math.log10(m.median / scale)) - figures + 1)
        return f"{median} ± <{format_significant(last_digit, 1)} {unit}"
    return f"{median} ± {format_significant(m.iqr / scale, 2)} {unit}"


def _speedup(comparison: Comparison, row_figures: RowFigures) -> str:
    value = row_figures.speedup
    if value is None:
        return "-" if row_figures.row.mode != comparison.reference_mode else "1 (reference)"
    unstable = " unstable" if row_figures.unstable else ""
    interval = row_figures.shown_interval
    texts = format_range(*interval, 2) if interval is not None else ("", "")
    if interval is None or texts[0] == texts[1]:  # no interval rather than [27-27]
        return f"{format_significant(value, 2)}x{unstable}"
    low, high = interval
    lowest = max(2, min(3, stats.significant_figures(value, (high - low) / 2)))
    figures = max(lowest, len(texts[0].replace(".", "").lstrip("0")), 2)
    return f"{format_significant(value, min(figures, 6))}x [{texts[0]}-{texts[1]}]{unstable}"


def _text_notes(row_figures: RowFigures) -> tuple[str, ...]:
    """The row's notes, and why its speedup has no interval (text, markdown, HTML)."""
    extra = (row_figures.no_interval,) if row_figures.no_interval else ()
    return (*row_figures.notes, *extra)


def _break_even(row_figures: RowFigures) -> str:
    if row_figures.reference is None or row_figures.row.measurement is None:
        return "-"
    calls = row_figures.break_even
    return "never" if calls is None else f"{calls:,}"


def headers(comparison: Comparison) -> list[str]:
    """:data:`HEADERS`, with an ``environment`` column first when rows have one."""
    return (["environment"] if _has_environments(comparison) else []) + HEADERS


def _has_environments(comparison: Comparison) -> bool:
    return any(row.environment for row in comparison.rows)


def _name(row: ComparisonRow) -> str:
    return f"{row.function}/{row.mode}" + (f" in {row.environment}" if row.environment else "")


def table_rows(
    comparison: Comparison,
    figures: Sequence[RowFigures] | None = None,
    notes_width: int | None = None,
) -> list[list[str]]:
    """The table as strings, one list per function x mode, in :func:`headers` order,
    from the rows' ``figures`` (default: ``comparison.figures()``); ``notes_width``
    clips the notes (text tables; JSON keeps them whole)."""
    rows = []
    environment = _has_environments(comparison)
    for row_figures in comparison.figures() if figures is None else figures:
        row = row_figures.row
        m = row.measurement
        rows.append(
            [
                *([row.environment] if environment else []),
                row.function,
                row.mode,
                format_time(m.first_call if m else None),
                _median_iqr(row),
                _speedup(comparison, row_figures),
                _break_even(row_figures),
                str(m.retraces) if m else "-",
                str(m.op_count) if m and m.op_count is not None else "-",
                clip("; ".join(_text_notes(row_figures)), notes_width),
            ]
        )
    return rows


def _header(comparison: Comparison, whole: Callable[[str], str] = str) -> str:
    """The lines above the table; ``whole`` keeps each part of the first line on one
    line of text (``modes interleaved in 1 process``)."""
    meta = comparison.metadata
    parts = [f"TensorFlow {comparison.tensorflow or '?'}", meta.get("device", "device ?")]
    if "intra_op_threads" in meta:
        parts.append(
            f"threads intra={meta['intra_op_threads']} inter={meta.get('inter_op_threads', '?')}"
        )
    schedules = {
        "interleaved" if r.measurement.block_rounds else "sequential"
        for r in comparison.rows
        if r.measurement is not None
    }
    if schedules == {"interleaved"}:
        processes = comparison.processes
        where = "worker " if "isolation" in meta else ""
        noun = "process" if processes == 1 else "processes"
        each = " per environment" if meta.get("environment_details") else ""
        parts.append(f"modes interleaved in {processes} {where}{noun}{each}")
    elif "isolation" in meta:
        parts.append(meta["isolation"])
    if meta.get("unit") == "training step":
        unit = f"one call = one training step of batch {meta.get('batch_size', '?')}"
        if "replicas" in meta:
            unit += f" ({meta['replicas']} replicas x {meta['per_replica_batch']})"
        parts.append(unit)
    line = "graphlab comparison: " + ", ".join(whole(part) for part in parts)
    for label, details in (meta.get("environment_details") or {}).items():
        versions = [f"TensorFlow {details.get('tensorflow') or '?'}"]
        versions += [f"Keras {details['keras']}"] if details.get("keras") else []
        versions += [f"Python {details.get('python_version') or '?'}"]
        line += f"\nenvironment {label}: {', '.join(versions)} ({details.get('python', '?')})"
    if comparison.floor is not None:
        line += (
            f"\noverhead floor: bare tf.function call {format_time(comparison.floor.function_call)}, "
            f"eager op {format_time(comparison.floor.eager_op)}"
        )
    return line


# ---------------------------------------------------------------------------
# Formats


def render(comparison: Comparison, fmt: str = "text", *, width: int | None = None) -> str:
    """Render a comparison as ``text``, ``md``, ``json``, ``csv`` or ``html``; text fits
    ``width`` columns (default: the terminal's, 80 when not a terminal)."""
    if fmt == "json":
        return comparison.to_json()
    if fmt == "csv":
        return _csv(comparison)
    figures = comparison.figures()  # once: every table and line below reads them
    rows = table_rows(comparison, figures)
    names = headers(comparison)
    align = ["right" if h in _RIGHT else "left" for h in names]
    profiled = profiled_rows(comparison)
    peaks = peak_memory_line(figures)
    tablefmt = {"text": "simple", "md": "github", "html": "html"}.get(fmt, "simple")
    ratios = environment_ratios(comparison, figures, tablefmt, width or terminal_width())
    if fmt == "text":  # notes below the table, where they can run the whole width
        width = width or terminal_width()
        notes = [
            line
            for row, cells in zip(comparison.rows, rows)
            if cells[-1]
            for line in wrap_lines(f"{keep(_name(row))}: {cells[-1]}", width, "  ")
        ]
        body = "\n".join(_blocks(comparison, [cells[:-1] for cells in rows], names[:-1], width))
        body += f"\n\n{ratios}" if ratios else ""
        if notes:
            body += "\n\nnotes:\n" + "\n".join(notes)
        if peaks:
            for name in {row.function for row in comparison.rows if " " in row.function}:
                peaks = peaks.replace(name, keep(name))  # never split a name
            body += "\n\n" + "\n".join(wrap_lines(peaks, width, "  "))
        legend = "\n".join(flow(LEGEND, min(96, width), "", ""))
        extra = "\n" + profile_render.render_text(profiled, width=width) if profiled else ""
        header = "\n".join(
            line for part in _header(comparison, keep).splitlines() for line in flow(part, width)
        )
        return f"{header}\n\n{body}\n\n{legend}\n{extra}"
    if fmt == "md":
        body = table(rows, names, "github", align)
        body += f"\n\n{ratios}" if ratios else ""
        body += f"\n\n{peaks}" if peaks else ""
        header = _header(comparison).replace("\n", "  \n")
        extra = "\n" + profile_render.render_text(profiled, "md") if profiled else ""
        return f"{header}\n\n{body}\n\n{LEGEND}\n{extra}"
    if fmt == "html":
        body = table(rows, names, "html", align) + ratios
        body += f"<p>{html.escape(peaks)}</p>" if peaks else ""
        header = html.escape(_header(comparison)).replace("\n", "<br>")
        return (
            f"<div class='graphlab-comparison'><p>{header}</p>{body}"
            f"<p><small>{html.escape(LEGEND)}</small></p>{charts(comparison)}"
            f"{profile_render.render_html(profiled)}</div>\n"
        )
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


#: How a cell reads where it moved under its row (narrow terminals).
_BELOW_LABELS = {
    "first call": "first call {}",
    "break-even": "break-even {}",
    "retraces": "{} retraces",
    "ops": "{} ops",
    "environment": "in {}",
}


#: Cells not worth a mention under their row: nothing, no retrace.
_OMIT = ("", "-", "0")


def _blocks(
    comparison: Comparison, rows: list[list[str]], names: list[str], width: int
) -> list[str]:
    """The text table as one block per function: its name, then a row per mode whose
    cells are never broken (the last columns move under their row when the terminal
    is narrow)."""
    column = names.index("function")
    right = [h for h in names if h in _RIGHT]
    groups: dict[str, list[list[str]]] = {}
    for cells in rows:
        groups.setdefault(cells[column], []).append(cells[:column] + cells[column + 1 :])
    headers = names[:column] + names[column + 1 :]
    out: list[str] = []
    for function, cells in groups.items():
        out += ["", function] if out else [function]
        out += columns(
            cells, headers, width, right=right, labels=_BELOW_LABELS, indent="  ", omit=_OMIT
        )
    return out


RATIO_HEADERS = ["function", "mode", "environment", "time per call vs {base} [interval]"]


def environment_ratios(
    comparison: Comparison,
    figures: Sequence[RowFigures],
    tablefmt: str = "simple",
    width: int = 80,
) -> str:
    """``bench --python``: each environment's time per call over the first
    environment's, per function and mode (> 1: slower); empty without environments."""
    base = baseline_environment(comparison.rows, comparison.metadata)
    rows, unstable = [], []
    for row_figures in figures:
        row, ratio = row_figures.row, row_figures.time_ratio
        if ratio is not None:
            low, high = format_range(ratio.low, ratio.high, 2)
            text = f"{format_significant(ratio.value, 3)}x [{low}-{high}]"
            text += " unstable" if ratio.unstable else ""
            unstable += [f"{_name(row)}: {ratio.unstable}"] if ratio.unstable else []
            rows.append([row.function, row.mode, row.environment, text])
    if not rows:
        return ""
    names = [h.format(base=base) for h in RATIO_HEADERS]
    how = "the workers took turns round by round, ratios of neighbouring rounds"
    if comparison.metadata.get("environment_schedule") != "rounds interleaved":
        how = "ratios of medians"
    title = f"time per call vs {base} (> 1: slower than in {base}; {how}):"
    if tablefmt == "html":
        notes = "".join(f"<br>{html.escape(line)}" for line in unstable)
        return f"<p>{html.escape(title)}</p>" + table(rows, names, "html") + notes
    return "\n".join([title, table(rows, names, tablefmt, width=width), *unstable])


def profiled_rows(comparison: Comparison) -> list[profile_render.ProfiledRow]:
    """``(function · mode, median, profile)`` of every row measured with ``--profile``."""
    return [
        (f"{row.function} · {row.mode}", row.measurement.median, row.measurement.profile)
        for row in comparison.rows
        if row.measurement is not None and row.measurement.profile is not None
    ]


def peak_memory_line(figures: Sequence[RowFigures]) -> str:
    """``peak memory per mode (RSS rise while it ran, in-process): eager +1.2 MB, ...``
    from the rows' ``figures`` (``Comparison.figures()``); empty when no row has the
    figures (older files, synthetic records)."""
    several = len({f.row.function for f in figures}) > 1
    rss, gpu, hows = [], [], {}
    for row_figures in figures:
        row, memory = row_figures.row, row_figures.peak
        name = f"{row.function}/{row.mode}" if several else row.mode
        name += f" in {row.environment}" if row.environment else ""
        rise, device = memory.rss_increase_mb, memory.gpu_mb
        if rise is not None:
            rss.append(f"{name} +{rise:,.1f} MB")
            hows[memory.how or peak.IN_PROCESS] = None
        if device is not None:
            gpu.append(f"{name} {device:,.1f} MB")
    parts = []
    if rss:
        how = ", ".join(hows)
        parts.append(f"peak memory per mode (RSS rise while it ran, {how}): " + ", ".join(rss))
    if gpu:
        parts.append("GPU peak (TensorFlow's allocator): " + ", ".join(gpu))
    return "; ".join(parts)


def render_page(comparison: Comparison) -> str:
    """A comparison (``graphlab bench --format html``) as a whole page: the table with
    its legend, first-call and steady-state charts, and the run's metadata."""
    meta = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in comparison.metadata.items()
    )
    body = render(comparison, "html")
    if meta:
        body += f"<h2>Run</h2><table><tbody>{meta}</tbody></table>"
    return _html.page(
        "graphlab comparison", body, subtitle=f"TensorFlow {comparison.tensorflow or '?'}"
    )


def charts(comparison: Comparison) -> str:
    """Two SVG bar charts: the first call of each row (tracing + compilation + one run)
    and the steady-state median per call. Colours follow the mode."""
    modes = list(dict.fromkeys(row.mode for row in comparison.rows))
    measured = [row for row in comparison.rows if row.measurement is not None]
    first = [
        Bar(
            f"{row.function} · {row.mode}",
            row.measurement.first_call or 0.0,
            _first_call_text(row),
            series=modes.index(row.mode),
        )
        for row in measured
        if row.measurement is not None and row.measurement.first_call is not None
    ]
    median = [
        Bar(
            f"{row.function} · {row.mode}",
            row.measurement.median,
            format_time(row.measurement.median),
            series=modes.index(row.mode),
        )
        for row in measured
        if row.measurement is not None
    ]
    return bar_chart(first, "First call: tracing + compilation + one run", modes) + bar_chart(
        median, "Steady state: median time per call", modes
    )


def _first_call_text(row: ComparisonRow) -> str:
    m = row.measurement
    assert m is not None
    text = format_time(m.first_call)
    if m.tracing:
        text += f" (tracing {format_time(m.tracing)})"
    return text


def _wrap(text: str, width: int = 96) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _csv(comparison: Comparison) -> str:
    rows = comparison.flat_rows()
    buffer = io.StringIO()
    columns = list(rows[0]) if rows else ["function", "mode"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def render_png(comparison: Comparison) -> bytes:
    """A bar chart of median time per call with IQR error bars, grouped by function.

    Needs matplotlib, the ``plot`` extra.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "plots need matplotlib: pip install 'graphlab[plot]' (or pip install matplotlib)"
        ) from error

    functions = comparison.functions
    modes = list(dict.fromkeys(row.mode for row in comparison.rows))
    figure = Figure(figsize=(max(4.0, 1.6 * len(functions) * max(1, len(modes)) / 2), 3.6))
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(modes))
    for index, mode in enumerate(modes):
        xs, heights, errors = [], [], []
        for position, function in enumerate(functions):
            row = comparison.row(function, mode)
            if row is None or row.measurement is None:
                continue
            xs.append(position + (index - (len(modes) - 1) / 2) * width)
            heights.append(row.measurement.median * 1e6)
            errors.append(row.measurement.iqr * 1e6 / 2)
        axes.bar(xs, heights, width, yerr=errors, capsize=3, label=mode)
    axes.set_xticks(range(len(functions)), functions)
    axes.set_ylabel("µs per call (median, IQR bars)")
    values = [r.measurement.median for r in comparison.rows if r.measurement is not None]
    if values and max(values) / max(min(values), 1e-12) > 50:
        axes.set_yscale("log")
    axes.legend()
    axes.set_title(f"graphlab comparison, TensorFlow {comparison.tensorflow}")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Run diffs

DIFF_HEADERS = ["function", "mode", "old", "new", "time change", "p", "speedup old -> new"]


def render_diff(diff: RunDiff, fmt: str = "text", *, width: int | None = None) -> str:
    """Render ``compare-runs`` output as ``text``, ``md`` or ``json``."""
    if fmt == "json":
        return json.dumps(diff.to_dict(), indent=2) + "\n"
    rows = []
    for change in diff.changes:
        marker = "" if change.significant() else " (n.s.)"
        speedup = "-"
        if change.old_speedup is not None and change.new_speedup is not None:
            speedup = (
                f"{change.old_speedup:.3g}x -> {change.new_speedup:.3g}x "
                f"({change.speedup_change:+.1%})"
            )
        rows.append(
            [
                change.function,
                change.mode,
                format_time(change.old_median),
                format_time(change.new_median),
                f"{change.time_ratio - 1:+.1%}{marker}",
                f"{change.p_value:.3g}",
                speedup,
            ]
        )
    tablefmt = {"text": "simple", "md": "github"}.get(fmt)
    if tablefmt is None:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(DIFF_FORMATS)}")
    lines = [f"graphlab compare-runs: {diff.old} -> {diff.new}", ""]
    lines.append(table(rows, DIFF_HEADERS, tablefmt, width=width or terminal_width()))
    lines.append("")
    lines.append(
        "time change: new/old median per call; p: two-sided Mann-Whitney U on the raw "
        "blocks, (n.s.) when p >= 0.05."
    )
    if diff.only_old:
        lines.append("only in old run: " + ", ".join(diff.only_old))
    if diff.only_new:
        lines.append("only in new run: " + ", ".join(diff.only_new))
    if diff.fail_if_slower is not None:
        if diff.failures:
            lines.append(f"FAILED: speedup dropped by more than {diff.fail_if_slower:g}%:")
            lines += [f"  {failure}" for failure in diff.failures]
        else:
            lines.append(f"passed: no speedup dropped by more than {diff.fail_if_slower:g}%")
    return "\n".join(lines) + "\n"


_display.register(Comparison, render)
