"""The trace recorder's records: every trace, why it happened, a summary per function.

Records hold raw data; anything derived is computed by pure functions or properties.
They never import TensorFlow and never know how they are shown (``str()`` and Jupyter
ask :mod:`graphlab._display`, where :mod:`graphlab.tracing.render` registers itself).

Schema history (the JSON written from these records):

* ``graphlab.tracelog/1`` (2026-11-25): first version.
* ``graphlab.tracelog/2`` (2026-11-30): every event has ``side_effects`` (Python side
  effects that ran while it traced); the document has ``findings`` (stale captured
  values); the cause kind ``recursion``. Version 1 files still load (no effects, no
  findings). Later the same day, the optional ``memory`` (written by a watch with
  ``memory=True``: RSS samples, the graphs each function kept, the verdict); documents
  without it load as before. Also (issue 12) ``compilations`` (every
  XLA compilation, ``watch --compiles``) and ``compile_notes`` (derived from them); both
  are absent when compilations were not recorded.
  Also 2026-11-30 (issue 14): ``rank`` (int or null: the worker's rank, from ``TF_CONFIG`` or
  ``watch --rank``) and ``task`` (``"worker:1"`` from ``TF_CONFIG``, or null); documents
  without them load with neither.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from graphlab import _display, _schema
from graphlab._text import ordinal
from graphlab.profiling.advice import CompileNote, notes
from graphlab.profiling.records import Compilation
from graphlab.tracing.ranks import check_rank
from graphlab.tracing.records_memory import MemoryReport

TRACELOG_SCHEMA = "graphlab.tracelog/2"
#: Every tracelog version this code reads.
TRACELOG_SCHEMAS = ("graphlab.tracelog/1", TRACELOG_SCHEMA)

#: Every kind of cause graphlab reports, in the order the docs explain them.
CAUSE_KINDS = (
    "first_trace",
    "new_input_type",
    "new_function_object",
    "variable_creation",
    "generalized",
    "context_change",
    "recursion",
    "internal",
)

#: Python side effects that run while a function traces (and never on later calls).
SIDE_EFFECT_KINDS = ("print", "random", "mutation", "global")

#: Findings about a recording as a whole.
FINDING_KINDS = ("stale_capture",)

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

    def to_dict(self) -> dict[str, Any]:
        return {"param": self.param, "what": self.what, "before": self.before, "after": self.after}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(data["param"], data["what"], data["before"], data["after"])

    def describe(self) -> str:
        """``x changed shape (1, 2) -> (2, 2)``."""
        verbs = {
            "shape": "changed shape",
            "dtype": "changed dtype",
            "python_value": "changed Python value",
            "structure": "changed structure",
            "object_identity": "is a different object",
            "type": "changed type",
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
        expected: True for traces a user cannot (or need not) avoid: first traces,
            variable creation, saving, a new instance's own function.
    """

    kind: str
    changes: tuple[Change, ...] = ()
    detail: str = ""
    advice: str = ""
    expected: bool = False

    def __post_init__(self) -> None:
        if self.kind not in CAUSE_KINDS:
            raise ValueError(f"Cause.kind must be one of {CAUSE_KINDS}, got {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "changes": [change.to_dict() for change in self.changes],
            "detail": self.detail,
            "advice": self.advice,
            "expected": self.expected,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cause:
        return cls(
            kind=data["kind"],
            changes=tuple(Change.from_dict(c) for c in data.get("changes", ())),
            detail=data.get("detail", ""),
            advice=data.get("advice", ""),
            expected=bool(data.get("expected", False)),
        )

    def summary(self) -> str:
        """The reason in a few words: ``x changed shape (1, 2) -> (2, 2)``."""
        parts = [change.describe() for change in self.changes]
        shows_detail = not parts or self.kind in ("generalized", "recursion") or self.expected
        if self.detail and shows_detail:
            parts.append(self.detail)
        return "; ".join(parts) or self.kind.replace("_", " ")


@dataclass(frozen=True, slots=True)
class SideEffect:
    """A Python side effect that ran while a function traced: it runs once per trace,
    not on every call.

    Attributes:
        kind: One of :data:`SIDE_EFFECT_KINDS`.
        where: ``file:line`` of the user's code that did it.
        message: What happened and what to use instead.
    """

    kind: str
    where: str
    message: str

    def __post_init__(self) -> None:
        if self.kind not in SIDE_EFFECT_KINDS:
            raise ValueError(
                f"SideEffect.kind must be one of {SIDE_EFFECT_KINDS}, got {self.kind!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": self.where, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SideEffect:
        return cls(data["kind"], data["where"], data["message"])


@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong found by looking at the whole recording when it is reported.

    ``stale_capture``: a plain Python value (a global, a closure variable, an attribute
    such as ``model.bias``) was read while tracing, so the graph holds it as a constant;
    it has changed since, and the function still computes with the old value.

    Attributes:
        kind: One of :data:`FINDING_KINDS`.
        function: The function whose graph holds the old value.
        name: The value as the user's code reads it (``scale``, ``model.bias``).
        traced_value: Its repr when the function traced.
        current_value: Its repr when the report was made.
        where: ``file:line`` where the traced code read it.
        message: The finding and its fix, in a sentence or two.
    """

    kind: str
    function: str
    name: str
    traced_value: str
    current_value: str
    where: str
    message: str

    def __post_init__(self) -> None:
        if self.kind not in FINDING_KINDS:
            raise ValueError(f"Finding.kind must be one of {FINDING_KINDS}, got {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "function": self.function,
            "name": self.name,
            "traced_value": self.traced_value,
            "current_value": self.current_value,
            "where": self.where,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            kind=data["kind"],
            function=data["function"],
            name=data["name"],
            traced_value=data["traced_value"],
            current_value=data["current_value"],
            where=data["where"],
            message=data["message"],
        )


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
        duration: Seconds spent tracing (building the graph).
        signature: Parameter name -> readable type (``float32[1,2]``, ``3``).
        context: Readable execution context (scope, xla, device, ...).
        op_count: Ops in the graph, nested control-flow bodies and calls included.
        cause: Why it happened.
        actionable: False for traces a user cannot avoid (first traces, variable
            creation, tf.data internals).
        internal: True for functions TensorFlow builds for itself (tf.data,
            variable initializers); hidden from text reports unless asked for.
        concrete_function: A weak reference to the ConcreteFunction, or None.
        side_effects: Python side effects the user's code ran while this trace ran.
        instance: What tells this tf.function object from others of the same function
            (a Keras model's name, ``object 2``); empty when nothing needs telling.
    """

    function: str
    qualname: str
    defined_at: str
    call_site: str
    trace_index: int
    timestamp: float
    duration: float
    signature: dict[str, str]
    context: dict[str, str]
    op_count: int
    cause: Cause
    actionable: bool
    internal: bool = False
    concrete_function: weakref.ReferenceType[Any] | None = field(
        default=None, compare=False, repr=False
    )
    side_effects: tuple[SideEffect, ...] = ()
    instance: str = ""

    @property
    def duration_ms(self) -> float:
        """:attr:`duration` in milliseconds, as the JSON writes it."""
        return self.duration * 1e3

    @property
    def label(self) -> str:
        """The function's name with what tells its object apart (``[model_1]``)."""
        return f"{self.function} [{self.instance}]" if self.instance else self.function

    @property
    def message(self) -> str:
        """The sentence a user reads in a warning or a report."""
        return format_event_message(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the event (``graphlab.tracelog/2``)."""
        return {
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "call_site": self.call_site,
            "trace_index": self.trace_index,
            "timestamp": self.timestamp,
            "duration_ms": round(self.duration * 1e3, 4),
            "signature": dict(self.signature),
            "context": dict(self.context),
            "op_count": self.op_count,
            "cause": {**self.cause.to_dict(), "message": self.message},
            "actionable": self.actionable,
            "internal": self.internal,
            "side_effects": [effect.to_dict() for effect in self.side_effects],
            **({"instance": self.instance} if self.instance else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceEvent:
        """Rebuild from :meth:`to_dict` output (the message is derived again)."""
        return cls(
            function=data["function"],
            qualname=data["qualname"],
            defined_at=data["defined_at"],
            call_site=data["call_site"],
            trace_index=int(data["trace_index"]),
            timestamp=float(data["timestamp"]),
            duration=float(data["duration_ms"]) / 1e3,
            signature=dict(data["signature"]),
            context=dict(data["context"]),
            op_count=int(data["op_count"]),
            cause=Cause.from_dict(data["cause"]),
            actionable=bool(data["actionable"]),
            internal=bool(data.get("internal", False)),
            side_effects=tuple(SideEffect.from_dict(e) for e in data.get("side_effects", ())),
            instance=data.get("instance", ""),
        )

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(self.message)}</code>"


def object_labels(objects: dict[Any, str]) -> dict[Any, str]:
    """What tells tf.function objects of one function apart, for each object's key
    ``(qualname, defined_at, ...)`` and instance (a Keras model's name, or ""): the
    instance when it does, else ``object 2`` for the second object of the same code."""
    seen: dict[tuple[Any, Any, str], int] = {}
    labels = {}
    for key, instance in objects.items():
        n = seen[(*key[:2], instance)] = seen.get((*key[:2], instance), 0) + 1
        labels[key] = instance if n == 1 else f"{instance + ', ' if instance else ''}object {n}"
    return labels


def format_event_message(event: TraceEvent) -> str:
    """``tf_cube retraced (4th trace) at train.py:42: x changed shape ...; tracing took 4.1 ms``."""
    verb = "traced" if event.trace_index == 1 else "retraced"
    return (
        f"{event.function} {verb} ({ordinal(event.trace_index)} trace) at {event.call_site}: "
        f"{event.cause.summary()}; tracing took {event.duration * 1e3:.1f} ms"
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
        total_tracing: Seconds spent tracing, all traces.
        last_cause: The newest trace's reason.
        advice: The newest actionable advice, if any.
        internal: True when every trace was of a TensorFlow-internal function.
        folded: Events dropped from the event list by the per-function cap.
        instance: What tells this tf.function object from others of the same function
            (a Keras model's name, ``object 2``); empty when nothing needs telling.
    """

    function: str
    qualname: str
    defined_at: str
    traces: int
    actionable_retraces: int
    total_tracing: float
    last_cause: str
    advice: str = ""
    internal: bool = False
    folded: int = 0
    instance: str = ""

    @property
    def label(self) -> str:
        """The function's name with what tells its object apart: ``Model.train_function
        (one_step_on_data) [model_1]``."""
        return f"{self.function} [{self.instance}]" if self.instance else self.function

    @property
    def total_tracing_ms(self) -> float:
        """:attr:`total_tracing` in milliseconds, as the JSON writes it."""
        return self.total_tracing * 1e3

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "traces": self.traces,
            "actionable_retraces": self.actionable_retraces,
            "total_tracing_ms": round(self.total_tracing * 1e3, 4),
            "last_cause": self.last_cause,
            "advice": self.advice,
            "internal": self.internal,
            "folded": self.folded,
            **({"instance": self.instance} if self.instance else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FunctionSummary:
        return cls(
            function=data["function"],
            qualname=data["qualname"],
            defined_at=data["defined_at"],
            traces=int(data["traces"]),
            actionable_retraces=int(data["actionable_retraces"]),
            total_tracing=float(data["total_tracing_ms"]) / 1e3,
            last_cause=data["last_cause"],
            advice=data.get("advice", ""),
            internal=bool(data.get("internal", False)),
            folded=int(data.get("folded", 0)),
            instance=data.get("instance", ""),
        )


@dataclass(frozen=True, slots=True)
class TraceReport:
    """Everything one recording saw: the events and a summary per function.

    Attributes:
        events: Recorded events in order (capped per function).
        summaries: One per function, in order of first trace.
        tensorflow: The TensorFlow version that produced them.
        findings: What was found looking at the whole recording (stale captures).
        compilations: Every XLA compilation while recording, when they were recorded
            (``Watch(compiles=True)``); None otherwise.
        compiles_stopped: Why and where the compile records stop before the recording
            does (the program started TensorFlow's profiler itself, and its session
            wins); "" when they cover it all.
        memory: Resident memory over the watch and the verdict on its growth, when the
            watch had ``memory=True``; None otherwise (and absent from the JSON).
        rank: The worker that recorded it (from ``TF_CONFIG`` or given), or None.
        task: Its task as ``TF_CONFIG`` names it (``worker:1``), or "".
    """

    events: tuple[TraceEvent, ...]
    summaries: tuple[FunctionSummary, ...]
    tensorflow: str
    findings: tuple[Finding, ...] = ()
    memory: MemoryReport | None = None
    compilations: tuple[Compilation, ...] | None = None
    rank: int | None = None
    task: str = ""
    compiles_stopped: str = ""

    def __post_init__(self) -> None:
        check_rank(self.rank, "TraceReport.rank")

    @property
    def compile_notes(self) -> tuple[CompileNote, ...]:
        """Repeated compilations and functions that asked for XLA without getting it."""
        if self.compilations is None:
            return ()
        jit: dict[str, bool] = {}
        for event in self.events:
            if not event.internal:
                jit[event.function] = jit.get(event.function, False) or (
                    event.context.get("jit_compile") == "True"
                )
        return notes(self.compilations, jit)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema": TRACELOG_SCHEMA,
            "tensorflow": self.tensorflow,
            "rank": self.rank,
            "task": self.task or None,
            "events": [event.to_dict() for event in self.events],
            "summary": [summary.to_dict() for summary in self.summaries],
            "findings": [finding.to_dict() for finding in self.findings],
        } | self._compilations_dict()
        if self.memory is not None:
            data["memory"] = self.memory.to_dict()
        return data

    def _compilations_dict(self) -> dict[str, Any]:
        if self.compilations is None:
            return {}
        stopped = {"compiles_stopped": self.compiles_stopped} if self.compiles_stopped else {}
        return {
            "compilations": [c.to_dict() for c in self.compilations],
            "compile_notes": [note.to_dict() for note in self.compile_notes],
        } | stopped

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceReport:
        """Load a saved report (``watch --format json``); ``graphlab.tracelog/1`` and
        ``/2`` files load."""
        _schema.check(data, TRACELOG_SCHEMAS, "trace report", _schema.TRACELOG)
        return cls(
            events=tuple(TraceEvent.from_dict(e) for e in data["events"]),
            summaries=tuple(FunctionSummary.from_dict(s) for s in data["summary"]),
            tensorflow=data.get("tensorflow", ""),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            compilations=(
                tuple(Compilation.from_dict(c) for c in data["compilations"])
                if "compilations" in data
                else None
            ),
            memory=MemoryReport.from_dict(data["memory"]) if data.get("memory") else None,
            rank=data.get("rank"),
            task=data.get("task") or "",
            compiles_stopped=data.get("compiles_stopped") or "",
        )

    __renderer__ = "graphlab.tracing.render"  # imported when first shown

    def _repr_html_(self) -> str:
        return _display.render(self, "html")

    def __str__(self) -> str:
        return _display.render(self, "text")
