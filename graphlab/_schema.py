"""The checks every record loader makes: is this JSON a graphlab document of a schema
version this graphlab can read (:func:`check`), and is every field it reads of the type
it needs (a layout, :func:`validate`)? A file edited by hand, truncated or from
somewhere else is refused with the field that is wrong, before any record is made of it.

A layout is data: ``STR``, ``INT`` (a whole number), ``COUNT`` (a whole number >= 0),
``NUMBER`` (finite), ``POSITIVE`` (finite, > 0), ``BOOL``, ``ANY``; ``nullable(x)``; ``each(x)`` (a list of x);
``pair(x)`` (a list of two x); ``mapping(x)`` (an object of any keys, each value x); a
dict (an object with those keys; a key ending in ``?`` may be absent, and keys not named
are allowed: a version only ever gains fields).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from typing import Any

STR = "str"
INT = "int"
COUNT = "count"
NUMBER = "number"
POSITIVE = "positive"
BOOL = "bool"
ANY = "any"


def nullable(layout: Any) -> tuple[str, Any]:
    return ("nullable", layout)


def each(layout: Any) -> tuple[str, Any]:
    return ("each", layout)


def pair(layout: Any) -> tuple[str, Any]:
    return ("pair", layout)


def mapping(layout: Any) -> tuple[str, Any]:
    return ("mapping", layout)


def check(data: Any, accepted: Sequence[str], what: str, layout: Any = None) -> str:
    """The ``schema`` of ``data`` when it is one of ``accepted`` (and, given a
    ``layout``, every field it names has the type it needs).

    Raises:
        ValueError: ``not a graphlab comparison (schema 'x'; expected 'graphlab.comparison/1')``,
            or ``events[0].trace_index must be a whole number, got null``.
    """
    found = data.get("schema") if isinstance(data, dict) else None
    if found not in accepted:
        expected = " or ".join(repr(s) for s in accepted)
        raise ValueError(f"not a graphlab {what} (schema {found!r}; expected {expected})")
    if layout is not None:
        validate(data, layout)
    return found


def validate(data: Any, layout: Any) -> None:
    """Raise ValueError naming the first field of ``data`` that does not fit ``layout``."""
    problem = _problem(data, layout, "")
    if problem:
        raise ValueError(problem)


def load_json(path: str | os.PathLike[str]) -> Any:
    """The JSON in ``path``. Raises OSError, or ValueError (``json.JSONDecodeError``,
    and JSON nested too deeply to read)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("its JSON is nested too deeply") from None


_NAMES = {
    STR: "a string",
    INT: "a whole number",
    COUNT: "a whole number >= 0",
    NUMBER: "a finite number",
    POSITIVE: "a finite number > 0",
    BOOL: "true or false",
}


def _problem(value: Any, layout: Any, where: str) -> str:
    """What is wrong with ``value`` at ``where`` (a path like ``events[0].cause``), or ""."""
    if isinstance(layout, str):
        return "" if _fits(value, layout) else _wrong(where, _NAMES[layout], value)
    if isinstance(layout, dict):
        if not isinstance(value, dict):
            return _wrong(where, "an object", value)
        for key, inner in layout.items():
            name = key.rstrip("?")
            if name not in value:
                if key.endswith("?"):
                    continue
                return f"{_join(where, name)} is missing"
            problem = _problem(value[name], inner, _join(where, name))
            if problem:
                return problem
        return ""
    kind, inner = layout
    if kind == "nullable":
        return "" if value is None else _problem(value, inner, where)
    if kind == "mapping":
        if not isinstance(value, dict):
            return _wrong(where, "an object", value)
        items = [(_join(where, str(k)), v) for k, v in value.items()]
    else:
        if not isinstance(value, list):
            return _wrong(where, "a list", value)
        if kind == "pair" and len(value) != 2:
            return f"{where} must be a list of two, got {len(value)} items"
        items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    for place, item in items:
        problem = _problem(item, inner, place)
        if problem:
            return problem
    return ""


def _fits(value: Any, kind: str) -> bool:
    if kind == ANY:
        return True
    if kind == STR:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind in (INT, COUNT):
        return isinstance(value, int) and (kind == INT or value >= 0)
    number = isinstance(value, (int, float)) and math.isfinite(value)
    return number and (kind == NUMBER or value > 0)


def _wrong(where: str, expected: str, value: Any) -> str:
    if isinstance(value, dict):
        found = "an object"
    elif isinstance(value, list):
        found = "a list"
    else:
        found = json.dumps(value)
        found = found if len(found) <= 40 else found[:37] + "..."
    return f"{where or 'the document'} must be {expected}, got {found}"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


# ---------------------------------------------------------------------------
# The layouts of the documents graphlab reads back (the fields their loaders use).

_COMPILATION = {
    "function": STR,
    "compiler": STR,
    "duration_ms": NUMBER,
    "input_shapes": each(each(nullable(INT))),
    "after_trace": BOOL,
    "at_s?": NUMBER,
}

_CAUSE = {
    "kind": STR,
    "changes?": each({"param": STR, "what": STR, "before": STR, "after": STR}),
    "detail?": STR,
    "advice?": STR,
    "expected?": BOOL,
}

#: ``graphlab.tracelog/1`` and ``/2`` (``watch -o FILE.json``; ``merge-traces`` reads it).
TRACELOG = {
    "tensorflow?": STR,
    "rank?": ANY,  # TraceReport checks it
    "task?": nullable(STR),
    "events": each(
        {
            "function": STR,
            "qualname": STR,
            "defined_at": STR,
            "call_site": STR,
            "trace_index": COUNT,
            "timestamp": NUMBER,
            "duration_ms": NUMBER,
            "signature": mapping(STR),
            "context": mapping(STR),
            "op_count": COUNT,
            "cause": _CAUSE,
            "actionable": BOOL,
            "internal?": BOOL,
            "side_effects?": each({"kind": STR, "where": STR, "message": STR}),
        }
    ),
    "summary": each(
        {
            "function": STR,
            "qualname": STR,
            "defined_at": STR,
            "traces": COUNT,
            "actionable_retraces": COUNT,
            "total_tracing_ms": NUMBER,
            "last_cause": STR,
            "advice?": STR,
            "internal?": BOOL,
            "folded?": COUNT,
        }
    ),
    "findings?": each(
        dict.fromkeys(
            ("kind", "function", "name", "traced_value", "current_value", "where", "message"),
            STR,
        )
    ),
    "compilations?": each(_COMPILATION),
    "memory?": nullable(
        {
            "rss_start_mb": NUMBER,
            "rss_end_mb": NUMBER,
            "rss_peak_mb?": NUMBER,
            "interval_s?": NUMBER,
            "samples?": each({"t_s": NUMBER, "rss_mb": NUMBER, "traces": COUNT}),
            "functions?": each(
                {
                    "function": STR,
                    "defined_at?": STR,
                    "traces?": COUNT,
                    "concrete_functions": COUNT,
                    "graph_bytes": COUNT,
                    "graph_nodes?": COUNT,
                    "live_at_end?": COUNT,
                }
            ),
            "verdict": STR,
            "steady_growth_mb?": NUMBER,
            "steady_traces?": COUNT,
            "cost_s?": NUMBER,
            "tracing_s?": each(pair(NUMBER)),
        }
    ),
}

_MS = nullable(NUMBER)

#: A row of ``graphlab.comparison/1`` to ``/3`` (``bench --save``; ``compare-runs``).
_COMPARISON_ROW = {
    "function": STR,
    "mode": STR,
    "first_call_ms?": _MS,
    "second_call_ms?": _MS,
    "tracing_ms?": _MS,
    "retraces?": COUNT,
    "retrace_causes?": each(STR),
    "op_count?": nullable(COUNT),
    "stop_reason?": STR,
    "metadata?": mapping(ANY),
    "block_times_s?": each(NUMBER),
    "block_calls?": each(COUNT),
    "block_rounds?": each(COUNT),
    "block_processes?": each(COUNT),
    "error?": nullable(STR),
    "parity?": nullable(STR),
    "parity_ok?": nullable(BOOL),
    "environment?": nullable(STR),
    "workers?": nullable(COUNT),
    "replicas?": nullable(COUNT),
    "strategy?": nullable(STR),
    "worker_median_us?": nullable(each(NUMBER)),
    "flops?": nullable(NUMBER),
    "profile_dir?": nullable(STR),
    "compilations?": each(_COMPILATION),
    "compilations_after_first_call?": each(_COMPILATION),
    "top_ops?": each(
        {"op_type": STR, "name": STR, "where": STR, "self_us": NUMBER, "share": NUMBER}
    ),
    "first_call_breakdown?": nullable(mapping(NUMBER)),
}

#: ``graphlab.comparison/1`` to ``/3``.
COMPARISON = {
    "tensorflow?": STR,
    "reference_mode?": STR,
    "metadata?": mapping(ANY),
    "floor?": nullable({"function_call_us": NUMBER, "eager_op_us": NUMBER}),
    "rows": each(_COMPARISON_ROW),
}

#: ``graphlab.merged_traces/1`` (``merge-traces --format json``).
MERGED_TRACES = {
    "ranks_from_file_order?": BOOL,
    "workers": each(
        {
            "rank": COUNT,
            "source?": STR,
            "tensorflow?": STR,
            "task?": nullable(STR),
            "traces?": COUNT,
        }
    ),
    "functions": each(
        {
            "function": STR,
            "qualname?": STR,
            "defined_at?": STR,
            "internal?": BOOL,
            "by_rank?": mapping(
                {
                    "traces": COUNT,
                    "actionable_retraces?": COUNT,
                    "total_tracing_ms?": NUMBER,
                    "causes?": each(STR),
                    "cause_keys?": each(STR),
                    "folded?": COUNT,
                }
            ),
        }
    ),
}

#: ``graphlab.rundiff/1`` (``compare-runs --format json``).
RUNDIFF = {
    "old": STR,
    "new": STR,
    "changes": each(
        {
            "function": STR,
            "mode": STR,
            "old_median_us": POSITIVE,
            "new_median_us": POSITIVE,
            "p_value": NUMBER,
            "old_speedup?": nullable(POSITIVE),
            "new_speedup?": nullable(POSITIVE),
        }
    ),
    "only_old?": each(STR),
    "only_new?": each(STR),
    "fail_if_slower_pct?": nullable(NUMBER),
    "failures?": each(STR),
}
