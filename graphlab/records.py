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


# ---------------------------------------------------------------------------
# --- inspection (graphlab.inspect) ---
#
# Schema history of ``graphlab.inspect`` JSON:
#
# * ``graphlab.inspect/1`` (2026-11-26): first version.

INSPECT_SCHEMA = "graphlab.inspect/1"


@dataclass(frozen=True, slots=True)
class Capture:
    """A value from outside the graph that the graph reads (a variable or a tensor).

    Attributes:
        name: The variable's name (``dense/kernel:0``), or the placeholder standing for a
            captured tensor.
        kind: ``variable`` or ``tensor``.
        shape: Dimensions (``None`` for unknown ones), or None when the rank is unknown.
        dtype: ``float32``...
        trainable: For variables, whether they are trainable; None for tensors.
    """

    name: str
    kind: str
    shape: tuple[int | None, ...] | None
    dtype: str
    trainable: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "shape": list(self.shape) if self.shape is not None else None,
            "dtype": self.dtype,
            "trainable": self.trainable,
        }


@dataclass(frozen=True, slots=True)
class ControlFlowOp:
    """A ``cond``/``while``/``case`` or nested function call, with the bodies it runs.

    Attributes:
        name: The op's name in its graph (``cond``, ``while``).
        op_type: ``If``, ``StatelessIf``, ``While``, ``StatefulPartitionedCall``...
        graph: The graph that holds it: ``(top)`` or a library function's name.
        bodies: Library functions it runs, with their op counts.
        location: ``file:line`` of the user code that made it, or ``""``.
    """

    name: str
    op_type: str
    graph: str
    bodies: tuple[tuple[str, int], ...]
    location: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "op_type": self.op_type,
            "graph": self.graph,
            "bodies": {name: count for name, count in self.bodies},
            "location": self.location,
        }


@dataclass(frozen=True, slots=True)
class LineOps:
    """Ops made by one line of the user's source, nested bodies included.

    Attributes:
        location: ``file:line``; ``(tensorflow)`` for ops TensorFlow adds itself
            (input placeholders, output identities).
        function: The Python function that line is in.
        source: The line's text, stripped.
        op_count: Ops it made.
        ops_by_type: Those ops by type, most frequent first.
    """

    location: str
    function: str
    source: str
    op_count: int
    ops_by_type: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "function": self.function,
            "source": self.source,
            "op_count": self.op_count,
            "ops_by_type": dict(self.ops_by_type),
        }


@dataclass(frozen=True, slots=True)
class GraphSummary:
    """What one concrete function's graph holds.

    Attributes:
        name: The concrete function's name (``__inference_cube_12``).
        inputs: Parameter name -> readable type (``float32[None,28,28]``, ``3``).
        outputs: Readable output structure.
        op_count: Top-level ops (``graph.get_operations()``).
        op_count_total: Ops including nested bodies; equals a TraceEvent's ``op_count``.
        ops_by_type: Op type -> count, nested bodies included, most frequent first.
        top_ops_by_type: Op type -> count at the top level only.
        bodies: Library function name -> op count (cond/while branches, nested calls).
        lines: Op counts per user source line, in source order.
        captures: Captured variables and tensors.
        control_flow: Control-flow ops and nested calls, wherever they are.
        stateful_ops: Stateful op type -> count, nested bodies included.
    """

    name: str
    inputs: tuple[tuple[str, str], ...]
    outputs: str
    op_count: int
    op_count_total: int
    ops_by_type: tuple[tuple[str, int], ...]
    top_ops_by_type: tuple[tuple[str, int], ...] = ()
    bodies: tuple[tuple[str, int], ...] = ()
    lines: tuple[LineOps, ...] = ()
    captures: tuple[Capture, ...] = ()
    control_flow: tuple[ControlFlowOp, ...] = ()
    stateful_ops: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.op_count_total < self.op_count:
            raise ValueError(
                f"op_count_total ({self.op_count_total}) counts nested bodies on top of the "
                f"{self.op_count} top-level ops; it cannot be smaller"
            )

    @property
    def signature(self) -> str:
        """``(x: float32[2]) -> float32[2]``."""
        params = ", ".join(f"{name}: {kind}" for name, kind in self.inputs)
        return f"({params}) -> {self.outputs}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "signature": {
                "inputs": dict(self.inputs),
                "outputs": self.outputs,
                "text": self.signature,
            },
            "op_count": self.op_count,
            "op_count_total": self.op_count_total,
            "ops_by_type": dict(self.ops_by_type),
            "top_level_ops_by_type": dict(self.top_ops_by_type),
            "bodies": dict(self.bodies),
            "lines": [line.to_dict() for line in self.lines],
            "captures": [capture.to_dict() for capture in self.captures],
            "control_flow": [op.to_dict() for op in self.control_flow],
            "stateful_ops": dict(self.stateful_ops),
        }


@dataclass(frozen=True, slots=True)
class GraphDiff:
    """How one graph differs from another, by op type (nested bodies included).

    Attributes:
        before: Label of the first graph (its signature or name).
        after: Label of the second graph.
        before_ops: Total ops of the first graph.
        after_ops: Total ops of the second graph.
        changes: ``(op type, count before, count after)`` for every type whose count
            changed, largest change first.
    """

    before: str
    after: str
    before_ops: int
    after_ops: int
    changes: tuple[tuple[str, int, int], ...]

    @property
    def delta(self) -> int:
        return self.after_ops - self.before_ops

    def summary(self, limit: int = 6) -> str:
        """``graph grew from 11 to 32 ops: +7 AddV2, +7 Const, ...``."""
        if self.delta > 0:
            head = f"graph grew from {self.before_ops} to {self.after_ops} ops"
        elif self.delta < 0:
            head = f"graph shrank from {self.before_ops} to {self.after_ops} ops"
        else:
            head = f"graph size unchanged at {self.after_ops} ops"
        parts = [f"{after - before:+d} {op_type}" for op_type, before, after in self.changes]
        if len(parts) > limit:
            parts = [*parts[:limit], f"... ({len(parts) - limit} more types)"]
        return head + (": " + ", ".join(parts) if parts else " (same op types)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "before_ops": self.before_ops,
            "after_ops": self.after_ops,
            "delta": self.delta,
            "changes": [
                {"op_type": t, "before": b, "after": a, "delta": a - b} for t, b, a in self.changes
            ],
            "summary": self.summary(),
        }


@dataclass(frozen=True, slots=True)
class Inspection:
    """Everything ``graphlab.inspect`` found out about one function.

    Attributes:
        function: The function's name.
        qualname: Its qualified name.
        defined_at: ``file:line`` of the Python function, or ``?``.
        concrete_functions: One summary per concrete function, oldest first.
        autograph_code: AutoGraph's code for the user's function, or None (a
            ConcreteFunction alone, or a callable AutoGraph cannot read).
        autograph_lines: Line of ``autograph_code`` (1-based) -> ``file:line`` of the
            user's source line it came from; used to annotate the code with op counts.
        diffs: Graph diffs between consecutive concrete functions.
        tensorflow: The TensorFlow version.
    """

    function: str
    qualname: str
    defined_at: str
    concrete_functions: tuple[GraphSummary, ...]
    autograph_code: str | None = None
    autograph_lines: tuple[tuple[int, str], ...] = ()
    diffs: tuple[GraphDiff, ...] = ()
    tensorflow: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``graphlab.inspect/1``; see docs/inspect.md)."""
        return {
            "schema": INSPECT_SCHEMA,
            "tensorflow": self.tensorflow,
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "autograph_code": self.autograph_code,
            "concrete_functions": [summary.to_dict() for summary in self.concrete_functions],
            "diffs": [diff.to_dict() for diff in self.diffs],
        }

    def __str__(self) -> str:
        from graphlab.renderers import inspection

        return inspection.render(self, "text")


@dataclass(frozen=True, slots=True)
class Export:
    """A file (or directory) written by ``graphlab.export_graph``.

    Attributes:
        format: ``pbtxt``, ``dot``, ``svg``, ``png``, ``tensorboard`` or an XLA stage.
        path: Where it was written.
        note: Anything the user should know (``dot`` missing: wrote DOT text instead).
    """

    format: str
    path: str
    note: str = ""
