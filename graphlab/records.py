"""Immutable records that graphlab measures and renderers display.

Records hold raw data; anything derived is computed by pure functions or properties.
They never import TensorFlow and never know how they are shown.

Schema history (the JSON written from these records):

* ``graphlab.tracelog/1`` (2026-11-25): first version.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

TRACELOG_SCHEMA = "graphlab.tracelog/1"

#: Every kind of cause graphlab reports, in the order the docs explain them.
CAUSE_KINDS = (
    "first_trace",
    "new_input_type",
    "new_function_object",
    "variable_creation",
    "generalized",
    "context_change",
    "internal",
)

#: What can change about one parameter between two traces.
CHANGE_KINDS = (
    "shape",
    "dtype",
    "python_value",
    "structure",
    "object_identity",
    "type",
    "added",
    "removed",
)


@dataclass(frozen=True, slots=True)
class Change:
    """One parameter that differs from the closest earlier trace.

    Attributes:
        param: The parameter, with a path into nested structures (``x``, ``batch['a']``,
            ``xs[1]``).
        what: One of :data:`CHANGE_KINDS`.
        before: The earlier value or type, readable.
        after: The new value or type, readable.
    """

    param: str
    what: str
    before: str
    after: str

    def __post_init__(self) -> None:
        if self.what not in CHANGE_KINDS:
            raise ValueError(f"Change.what must be one of {CHANGE_KINDS}, got {self.what!r}")

    def describe(self) -> str:
        """``x changed shape (1, 2) -> (2, 2)``."""
        verbs = {
            "shape": "changed shape",
            "dtype": "changed dtype",
            "python_value": "changed Python value",
            "structure": "changed structure",
            "object_identity": "is a different object",
            "type": "changed type",
            "added": "was added",
            "removed": "was removed",
        }
        if self.what == "added":
            return f"{self.param} was added ({self.after})"
        if self.what == "removed":
            return f"{self.param} was removed (was {self.before})"
        return f"{self.param} {verbs[self.what]} {self.before} -> {self.after}"


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a trace happened.

    Attributes:
        kind: One of :data:`CAUSE_KINDS`.
        changes: Per-parameter differences against the closest cached trace.
        detail: One sentence for causes without parameter changes (context, objects).
        advice: What the user can do about it, possibly several lines of valid Python.
    """

    kind: str
    changes: tuple[Change, ...] = ()
    detail: str = ""
    advice: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CAUSE_KINDS:
            raise ValueError(f"Cause.kind must be one of {CAUSE_KINDS}, got {self.kind!r}")

    def summary(self) -> str:
        """The reason in a few words: ``x changed shape (1, 2) -> (2, 2)``."""
        parts = [change.describe() for change in self.changes]
        if self.detail and (not parts or self.kind == "generalized"):
            parts.append(self.detail)
        return "; ".join(parts) or self.kind.replace("_", " ")


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One trace of one tf.function: when, how long, with what, and why.

    Attributes:
        function: The function's name (``tf_cube``).
        qualname: Its qualified name (``Model.call``).
        defined_at: ``file:line`` of the Python function.
        call_site: ``file:line`` of the first user frame that led to the trace.
        trace_index: 1 for the first trace of this function object, 2 for the next...
        timestamp: Seconds since the epoch when tracing started.
        duration_ms: Wall time spent tracing (building the graph).
        signature: Parameter name -> readable type (``float32[1,2]``, ``3``).
        context: Readable execution context (scope, xla, device, ...).
        op_count: Ops in the graph, nested control-flow bodies and calls included.
        cause: Why it happened.
        actionable: False for traces a user cannot avoid (first traces, variable
            creation, tf.data internals).
        internal: True for functions TensorFlow builds for itself (tf.data,
            variable initializers); hidden from text reports unless asked for.
        concrete_function: A weak reference to the ConcreteFunction, or None.
    """

    function: str
    qualname: str
    defined_at: str
    call_site: str
    trace_index: int
    timestamp: float
    duration_ms: float
    signature: dict[str, str]
    context: dict[str, str]
    op_count: int
    cause: Cause
    actionable: bool
    internal: bool = False
    concrete_function: weakref.ReferenceType[Any] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def message(self) -> str:
        """The sentence a user reads in a warning or a report."""
        return format_event_message(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the event (``graphlab.tracelog/1``)."""
        return {
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "call_site": self.call_site,
            "trace_index": self.trace_index,
            "timestamp": self.timestamp,
            "duration_ms": round(self.duration_ms, 4),
            "signature": dict(self.signature),
            "context": dict(self.context),
            "op_count": self.op_count,
            "cause": {
                "kind": self.cause.kind,
                "changes": [
                    {"param": c.param, "what": c.what, "before": c.before, "after": c.after}
                    for c in self.cause.changes
                ],
                "detail": self.cause.detail,
                "advice": self.cause.advice,
                "message": self.message,
            },
            "actionable": self.actionable,
            "internal": self.internal,
        }

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(self.message)}</code>"


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_event_message(event: TraceEvent) -> str:
    """``tf_cube retraced (4th trace) at train.py:42: x changed shape ...; tracing took 4.1 ms``."""
    verb = "traced" if event.trace_index == 1 else "retraced"
    return (
        f"{event.function} {verb} ({ordinal(event.trace_index)} trace) at {event.call_site}: "
        f"{event.cause.summary()}; tracing took {event.duration_ms:.1f} ms"
    )


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    """Traces of one function (all its tf.function objects), summed up.

    Attributes:
        function: Name of the function.
        qualname: Qualified name.
        defined_at: ``file:line``.
        traces: Every trace seen, including those folded out of the event list.
        actionable_retraces: Traces the user could have avoided.
        total_tracing_ms: Time spent tracing, all traces.
        last_cause: The newest trace's reason.
        advice: The newest actionable advice, if any.
        internal: True when every trace was of a TensorFlow-internal function.
        folded: Events dropped from the event list by the per-function cap.
    """

    function: str
    qualname: str
    defined_at: str
    traces: int
    actionable_retraces: int
    total_tracing_ms: float
    last_cause: str
    advice: str = ""
    internal: bool = False
    folded: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "traces": self.traces,
            "actionable_retraces": self.actionable_retraces,
            "total_tracing_ms": round(self.total_tracing_ms, 4),
            "last_cause": self.last_cause,
            "advice": self.advice,
            "internal": self.internal,
            "folded": self.folded,
        }


@dataclass(frozen=True, slots=True)
class TraceReport:
    """Everything one recording saw: the events and a summary per function.

    Attributes:
        events: Recorded events in order (capped per function).
        summaries: One per function, in order of first trace.
        tensorflow: The TensorFlow version that produced them.
    """

    events: tuple[TraceEvent, ...]
    summaries: tuple[FunctionSummary, ...]
    tensorflow: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": TRACELOG_SCHEMA,
            "tensorflow": self.tensorflow,
            "events": [event.to_dict() for event in self.events],
            "summary": [summary.to_dict() for summary in self.summaries],
        }

    def _repr_html_(self) -> str:
        from graphlab.renderers import traces

        return traces.render(self, "html")

    def __str__(self) -> str:
        from graphlab.renderers import traces

        return traces.render(self, "text")


# ---------------------------------------------------------------------------
# pytest plugin: one benchmarked mode of one test

PYTEST_SCHEMA = "graphlab.pytest/1"


@dataclass(frozen=True, slots=True)
class ModeResult:
    """One ``graph_benchmark`` entry: a test run in one mode under pytest-benchmark.

    Attributes:
        test: The test's name without the mode (the pytest-benchmark group).
        mode: ``eager``, ``graph`` or ``xla``.
        median_s: pytest-benchmark's median time per call, seconds.
        rounds: Rounds pytest-benchmark ran.
        first_call_ms: The first call (tracing, compilation), before calibration.
        traces: Traces during warm-up (TensorFlow-internal ones excluded).
        retraces_during_timing: Traces while pytest-benchmark timed; should be 0.
        op_count: Ops in the traced graph (0 for eager).
    """

    test: str
    mode: str
    median_s: float
    rounds: int
    first_call_ms: float
    traces: int
    retraces_during_timing: int
    op_count: int
