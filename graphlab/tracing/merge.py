"""Trace reports of several workers merged: every function's traces on every rank, and
the functions whose traces differ between ranks.

In a multi-worker job every worker runs the same step. A worker that traces again while
the others do not keeps them waiting at the next collective (the gradients' all-reduce)
until its new graph is built, and graphs that differ between workers may not even agree
on their collectives. ``graphlab merge-traces`` puts the workers' reports side by side and flags
those functions.

Functions are matched across ranks by a stable name: qualified name (with the Keras role,
``Sequential.train_function (one_step_on_data)``) and definition site (file name and
line; the folder is left out, so workers that run the program from different folders
still match). Traces are compared by count and by cause: the kind of each cause and
which parameters changed how (shape, dtype, Python value...), not the values, which
workers may see differently (a worker's own shard, its own rank).

Pure: records in, records out; no TensorFlow. The records (and the schema) are in
:mod:`graphlab.tracing.records_merge`, rendering in :mod:`graphlab.tracing.render_merge`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from graphlab import _schema
from graphlab.tracing.records import TraceEvent, TraceReport
from graphlab.tracing.records_merge import MergedFunction, MergedTraces, RankTraces, WorkerSource


class MergeError(ValueError):
    """Reports that cannot be merged: too few, ranks missing or repeated."""


# ---------------------------------------------------------------------------
# Merging


def load_report(path: str | os.PathLike[str]) -> TraceReport:
    """A trace report saved with ``watch -o FILE.json``.

    Raises:
        OSError: It cannot be read (``FileNotFoundError`` when it is not there).
        ValueError: It is not JSON, or not a graphlab trace report
            (``json.JSONDecodeError`` is a ValueError).
        KeyError: A trace report with a field missing.
    """
    return TraceReport.from_dict(_schema.load_json(path))


def merge_traces(
    reports: Sequence[TraceReport | str | os.PathLike[str]],
    sources: Sequence[str] | None = None,
) -> MergedTraces:
    """Merge the trace reports of several workers (records, or ``.json`` files saved
    by ``watch``): per function, its traces on every rank; ``.divergent`` names the
    functions whose traces differ between ranks.

    Every report needs its rank (``watch --rank N``, ``graphlab.watch(rank=N)``, or
    ``TF_CONFIG``); when none has one, they are numbered in the order given
    (``ranks_from_file_order`` says so).

    Raises:
        MergeError: Fewer than two reports, a file given twice, two with the same
            rank, or some with a rank and some without.
    """
    if len(reports) < 2:
        raise MergeError(f"give at least two trace reports to merge, got {len(reports)}")
    check_distinct([r for r in reports if not isinstance(r, TraceReport)])
    loaded = [r if isinstance(r, TraceReport) else load_report(r) for r in reports]
    names = (
        list(sources)
        if sources is not None
        else [_source_name(r, i) for i, r in enumerate(reports)]
    )
    if len(names) != len(loaded):
        raise MergeError(f"{len(names)} source names for {len(loaded)} reports")
    ranks, from_order = _assign_ranks(loaded, names)
    order = sorted(range(len(loaded)), key=lambda i: ranks[i])
    workers = tuple(
        WorkerSource(
            ranks[i],
            names[i],
            loaded[i].tensorflow,
            loaded[i].task,
            sum(s.traces for s in loaded[i].summaries if not s.internal),
        )
        for i in order
    )
    functions: dict[tuple[str, str], dict[str, Any]] = {}
    for i in order:
        for merged in _functions_of(loaded[i], ranks[i]):
            key = (merged.qualname, _place(merged.defined_at))
            entry = functions.setdefault(key, {"first": merged, "ranks": []})
            entry["ranks"].extend(merged.ranks)
    return MergedTraces(
        workers=workers,
        functions=tuple(
            MergedFunction(
                e["first"].function,
                e["first"].qualname,
                e["first"].defined_at,
                e["first"].internal,
                tuple(e["ranks"]),
            )
            for e in functions.values()
        ),
        ranks_from_file_order=from_order,
    )


def check_distinct(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Raise :class:`MergeError` when a file is among ``paths`` twice (by real path):
    one worker's report would count as two ranks."""
    files = [os.path.realpath(path) for path in paths]
    for path in files:
        if files.count(path) > 1:
            raise MergeError(f"{path} is given twice: pass each worker's report once")


def _source_name(report: object, index: int) -> str:
    if isinstance(report, TraceReport):
        return f"report {index + 1}"
    return os.fspath(report)  # type: ignore[arg-type]


def _assign_ranks(reports: list[TraceReport], names: list[str]) -> tuple[list[int], bool]:
    ranked = [(name, r.rank) for name, r in zip(names, reports) if r.rank is not None]
    if not ranked:
        return list(range(len(reports))), True
    if len(ranked) < len(reports):
        missing = [name for name, r in zip(names, reports) if r.rank is None]
        name, rank = ranked[0]
        raise MergeError(
            f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no rank while "
            f"{name} has rank {rank}: record every worker with its rank (watch --rank N, or "
            "TF_CONFIG), or merge only reports without ranks to number them by file order"
        )
    seen: dict[int, str] = {}
    for name, rank in ranked:
        if rank in seen:
            raise MergeError(
                f"{seen[rank]} and {name} both have rank {rank}: each worker needs its own "
                "rank (watch --rank N, or TF_CONFIG with the task's index)"
            )
        seen[rank] = name
    return [rank for _, rank in ranked if rank is not None], False


def _functions_of(report: TraceReport, rank: int) -> list[MergedFunction]:
    """One report's functions, each with its traces on ``rank``."""
    events: dict[tuple[str, str], list[TraceEvent]] = {}
    for event in report.events:
        events.setdefault((event.qualname, event.defined_at), []).append(event)
    found = []
    for summary in report.summaries:
        mine = events.get((summary.qualname, summary.defined_at), [])
        found.append(
            MergedFunction(
                summary.function,
                summary.qualname,
                summary.defined_at,
                summary.internal,
                (
                    RankTraces(
                        rank,
                        summary.traces,
                        summary.actionable_retraces,
                        summary.total_tracing,
                        tuple(e.cause.summary() for e in mine),
                        tuple(cause_key(e) for e in mine),
                        summary.folded,
                    ),
                ),
            )
        )
    return found


def _place(defined_at: str) -> str:
    """``train.py:5`` from ``/home/a/job/train.py:5``: the folder may differ per worker."""
    return defined_at.replace("\\", "/").rsplit("/", 1)[-1]


def cause_key(event: TraceEvent) -> str:
    """What ranks compare about a trace's cause: its kind and which parameters changed
    how, without the values (``new_input_type(x:shape)``)."""
    changes = ",".join(f"{c.param}:{c.what}" for c in event.cause.changes)
    return f"{event.cause.kind}({changes})" if changes else event.cause.kind
