"""Immutable records that graphlab measures and renderers display.

Records hold raw data; anything derived is computed by pure functions or properties.
They never import TensorFlow and never know how they are shown.

Schema history (the JSON written from these records):

* ``graphlab.tracelog/1`` (2026-11-25): first version.
* ``graphlab.comparison/1`` (2026-11-26): benchmark comparisons; see the section at
  the end of this file.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphlab import stats

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
                "expected": self.cause.expected,
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


# ===========================================================================
# Benchmarks: Measurement, ComparisonRow, Comparison, run-to-run diffs
#
# Schema history of the JSON written from these records:
#
# * ``graphlab.comparison/1`` (2026-11-26): first version. Rows carry their raw
#   per-block times (``block_times_s``, ``block_calls``) so that a saved run can be
#   reloaded exactly and compared with significance tests.

COMPARISON_SCHEMA = "graphlab.comparison/1"

#: A row runs "within a small multiple" of the overhead floor when its median is below
#: this many times the floor: then two thirds or more of it is call overhead, not work.
#: (At 2x, power(x, 100) in graph mode, 100 matmuls at twice the floor, read as
#: "dominated", which its own table contradicted.)
OVERHEAD_FACTOR = 1.5

#: Built-in modes, in table order.
BUILTIN_MODES = ("eager", "graph", "xla", "concrete")


def parse_modes(value: str | Sequence[str], allowed: Sequence[str]) -> list[str]:
    """``"eager,graph"`` or a sequence -> the list of modes, in order, without repeats.

    Raises:
        ValueError: ``unknown mode(s) 'jit'; choose from eager, graph, xla`` (callers
            prefix where the value came from).
    """
    raw = value.split(",") if isinstance(value, str) else list(value)
    modes = list(dict.fromkeys(str(m).strip() for m in raw if str(m).strip()))
    unknown = [m for m in modes if m not in allowed]
    if not modes or unknown:
        given = ", ".join(map(repr, unknown)) or "(none given)"
        raise ValueError(f"unknown mode(s) {given}; choose from {', '.join(allowed)}")
    return modes


@dataclass(frozen=True, slots=True)
class Measurement:
    """Timings of one callable: first call, second call and steady-state blocks.

    Raw data only; every statistic is derived, so a reloaded measurement gives the same
    figures. Times are in seconds.

    Attributes:
        label: What was timed (``power/graph``).
        block_times: Wall time of each timed block of calls (warm-up excluded).
        block_calls: Calls in each block (same length as ``block_times``).
        first_call: The first call, tracing and compilation included (None if the
            callable was already warm).
        second_call: The second call: caches warm, but often still slower than steady.
        tracing: The part of the first call spent tracing, from the trace recorder.
        retraces: Traces that happened after the first call, timing included. Should
            be 0: otherwise the steady state measured tracing too.
        retrace_causes: The recorder's sentence for each of those traces.
        op_count: Ops in the traced graph (None for eager code).
        stop_reason: Why timing stopped (``precision``, ``time budget``, ``max rounds``).
        metadata: Device, thread settings, clock: what a reader needs to trust it.
    """

    label: str
    block_times: tuple[float, ...]
    block_calls: tuple[int, ...]
    first_call: float | None = None
    second_call: float | None = None
    tracing: float = 0.0
    retraces: int = 0
    retrace_causes: tuple[str, ...] = ()
    op_count: int | None = None
    stop_reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.block_times:
            raise ValueError("a Measurement needs at least one timed block")
        if len(self.block_times) != len(self.block_calls):
            raise ValueError(
                f"block_times ({len(self.block_times)}) and block_calls "
                f"({len(self.block_calls)}) must have the same length"
            )
        if any(calls < 1 for calls in self.block_calls):
            raise ValueError("every block must hold at least one call")
        if any(t < 0 for t in self.block_times):
            raise ValueError("block times cannot be negative")

    # -- derived ------------------------------------------------------------
    @property
    def times(self) -> tuple[float, ...]:
        """Seconds per call, one value per block: the sample every statistic uses."""
        return tuple(t / n for t, n in zip(self.block_times, self.block_calls))

    @property
    def calls_per_block(self) -> int:
        """Calls per block (the largest, when aggregated runs calibrated differently)."""
        return max(self.block_calls)

    @property
    def rounds(self) -> int:
        return len(self.block_times)

    @property
    def total_calls(self) -> int:
        return sum(self.block_calls)

    @property
    def median(self) -> float:
        return stats.median(self.times)

    @property
    def iqr(self) -> float:
        return stats.iqr(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def mean(self) -> float:
        return stats.mean(self.times)

    @property
    def relative_iqr(self) -> float:
        return stats.relative_iqr(self.times)

    @property
    def median_ci(self) -> tuple[float, float]:
        """95% confidence interval of the median."""
        return stats.median_ci(self.times)

    @property
    def significant_figures(self) -> int:
        return stats.significant_figures(self.median, self.iqr)

    def to_dict(self) -> dict[str, Any]:
        low, high = self.median_ci
        return {
            "label": self.label,
            "first_call_ms": _ms(self.first_call),
            "second_call_ms": _ms(self.second_call),
            "tracing_ms": _ms(self.tracing),
            "median_us": self.median * 1e6,
            "iqr_us": self.iqr * 1e6,
            "min_us": self.min * 1e6,
            "mean_us": self.mean * 1e6,
            "ci_low_us": low * 1e6,
            "ci_high_us": high * 1e6,
            "rounds": self.rounds,
            "calls_per_block": self.calls_per_block,
            "retraces": self.retraces,
            "retrace_causes": list(self.retrace_causes),
            "op_count": self.op_count,
            "stop_reason": self.stop_reason,
            "block_times_s": list(self.block_times),
            "block_calls": list(self.block_calls),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """Rebuild from :meth:`to_dict` output (derived fields are recomputed)."""
        return cls(
            label=data.get("label", ""),
            block_times=tuple(float(t) for t in data["block_times_s"]),
            block_calls=tuple(int(n) for n in data["block_calls"]),
            first_call=_seconds(data.get("first_call_ms")),
            second_call=_seconds(data.get("second_call_ms")),
            tracing=_seconds(data.get("tracing_ms")) or 0.0,
            retraces=int(data.get("retraces", 0)),
            retrace_causes=tuple(data.get("retrace_causes", ())),
            op_count=data.get("op_count"),
            stop_reason=data.get("stop_reason", ""),
            metadata=dict(data.get("metadata", {})),
        )

    def __str__(self) -> str:
        figures = self.significant_figures
        return (
            f"{self.label}: {stats.format_significant(self.median * 1e6, figures)} us "
            f"+- {self.iqr * 1e6:.2g} us (IQR) per call, {self.rounds} blocks of "
            f"{self.calls_per_block} calls"
        )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e3


def _seconds(ms: Any) -> float | None:
    return None if ms is None else float(ms) / 1e3


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One function in one mode.

    Attributes:
        function: The function's label (``power``, ``cube(scalar)``).
        mode: ``eager``, ``graph``, ``xla``, ``concrete`` or a user variant's name.
        measurement: The timings, or None when the mode failed.
        error: Why the mode failed (``XLA cannot compile ...``); empty when it ran.
        parity: ``ok``, ``mismatch: ...`` or empty for the reference row and rows
            that were not checked.
        parity_ok: True / False after a check, None when not checked.
    """

    function: str
    mode: str
    measurement: Measurement | None
    error: str = ""
    parity: str = ""
    parity_ok: bool | None = None

    def __post_init__(self) -> None:
        if (self.measurement is None) == (not self.error):
            raise ValueError("a ComparisonRow has either a measurement or an error, not both")

    @property
    def ok(self) -> bool:
        return self.measurement is not None


@dataclass(frozen=True, slots=True)
class OverheadFloor:
    """What doing nothing costs, measured once per run: below a small multiple of it a
    row mostly measures dispatch, not the function.

    Attributes:
        function_call: Median seconds of a bare ``tf.function`` call (an identity).
        eager_op: Median seconds of one eager op on a scalar.
    """

    function_call: float
    eager_op: float

    def for_mode(self, mode: str) -> float:
        return self.eager_op if mode not in ("graph", "xla", "concrete") else self.function_call


@dataclass(frozen=True, slots=True)
class Comparison:
    """Rows of function x mode, with what a reader needs to judge them.

    Attributes:
        rows: One per function and mode, in the order measured.
        tensorflow: TensorFlow version.
        floor: The dispatch-overhead floor of this run (None if not measured).
        metadata: Device, threads, Python, platform, graphlab version, date.
        reference_mode: The mode speedups are relative to.
    """

    rows: tuple[ComparisonRow, ...]
    tensorflow: str = ""
    floor: OverheadFloor | None = None
    metadata: dict[str, str] = field(default_factory=dict, compare=False)
    reference_mode: str = "eager"

    # -- derived ------------------------------------------------------------
    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.function for row in self.rows))

    @property
    def all_failed(self) -> bool:
        return bool(self.rows) and not any(row.ok for row in self.rows)

    def row(self, function: str, mode: str) -> ComparisonRow | None:
        for row in self.rows:
            if row.function == function and row.mode == mode:
                return row
        return None

    def reference(self, row: ComparisonRow) -> ComparisonRow | None:
        """The eager row of the same function, when it ran (and is not ``row``)."""
        reference = self.row(row.function, self.reference_mode)
        if reference is None or reference is row or not reference.ok:
            return None
        return reference

    def speedup(self, row: ComparisonRow) -> float | None:
        """Median eager time / median time of ``row`` (> 1: faster than eager)."""
        reference = self.reference(row)
        if reference is None or row.measurement is None:
            return None
        assert reference.measurement is not None
        value = stats.speedup(reference.measurement.times, row.measurement.times)
        return value if math.isfinite(value) else None  # a zero median: no ratio to show

    def speedup_ci(self, row: ComparisonRow) -> tuple[float, float] | None:
        reference = self.reference(row)
        if reference is None or row.measurement is None:
            return None
        assert reference.measurement is not None
        low, high = stats.speedup_ci(reference.measurement.times, row.measurement.times)
        return (low, high) if math.isfinite(low) and math.isfinite(high) else None

    def break_even(self, row: ComparisonRow) -> int | None:
        """Calls after which ``row`` has paid back its first-call cost against eager."""
        reference = self.reference(row)
        m = row.measurement
        if reference is None or m is None or m.first_call is None:
            return None
        r = reference.measurement
        assert r is not None
        if r.first_call is None:
            return None
        return stats.break_even_calls(m.first_call, m.median, r.first_call, r.median)

    def dominated_by_overhead(self, row: ComparisonRow) -> bool:
        if self.floor is None or row.measurement is None:
            return False
        return row.measurement.median < OVERHEAD_FACTOR * self.floor.for_mode(row.mode)

    def notes(self, row: ComparisonRow) -> tuple[str, ...]:
        """Everything a reader must know about a row, most serious first."""
        notes = []
        if row.error:
            notes.append(f"failed: {row.error}")
        if row.parity_ok is False:
            notes.append(f"output {row.parity}")
        m = row.measurement
        if m is not None and m.retraces:
            cause = m.retrace_causes[0] if m.retrace_causes else "cause unknown"
            notes.append(f"retraced {m.retraces}x while timing: {cause}")
        if self.dominated_by_overhead(row):
            notes.append("dominated by call overhead")
        if m is not None and m.rounds >= 2 and m.relative_iqr > 0.1:
            notes.append(f"noisy (IQR {m.relative_iqr:.0%} of median)")
        return tuple(notes)

    # -- conversions --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``graphlab.comparison/1``)."""
        rows = []
        for row in self.rows:
            data: dict[str, Any] = {"function": row.function, "mode": row.mode}
            m = row.measurement
            if m is not None:
                data.update(m.to_dict())
                del data["label"]
            else:
                data.update(
                    dict.fromkeys(
                        ("first_call_ms", "median_us", "iqr_us", "rounds", "op_count"), None
                    )
                )
                data["retraces"] = 0
            ci = self.speedup_ci(row)
            data["speedup_vs_eager"] = self.speedup(row)
            data["speedup_ci"] = list(ci) if ci else None
            data["break_even_calls"] = self.break_even(row)
            data["dominated_by_overhead"] = self.dominated_by_overhead(row)
            data["parity"] = row.parity
            data["parity_ok"] = row.parity_ok
            data["error"] = row.error
            data["notes"] = list(self.notes(row))
            rows.append(data)
        return {
            "schema": COMPARISON_SCHEMA,
            "tensorflow": self.tensorflow,
            "reference_mode": self.reference_mode,
            "metadata": dict(self.metadata),
            "floor": None
            if self.floor is None
            else {
                "function_call_us": self.floor.function_call * 1e6,
                "eager_op_us": self.floor.eager_op * 1e6,
            },
            "rows": rows,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        """Load a saved comparison; every ``graphlab.comparison/<=1`` file loads."""
        schema = data.get("schema")
        if schema != COMPARISON_SCHEMA:
            raise ValueError(
                f"not a graphlab comparison (schema {schema!r}; expected {COMPARISON_SCHEMA!r})"
            )
        rows = []
        for item in data["rows"]:
            measurement = None
            if item.get("block_times_s"):
                measurement = Measurement.from_dict(
                    {**item, "label": f"{item['function']}/{item['mode']}"}
                )
            rows.append(
                ComparisonRow(
                    function=item["function"],
                    mode=item["mode"],
                    measurement=measurement,
                    error=item.get("error", "") or ("" if measurement else "no data"),
                    parity=item.get("parity", ""),
                    parity_ok=item.get("parity_ok"),
                )
            )
        floor_data = data.get("floor")
        floor = (
            OverheadFloor(floor_data["function_call_us"] / 1e6, floor_data["eager_op_us"] / 1e6)
            if floor_data
            else None
        )
        return cls(
            rows=tuple(rows),
            tensorflow=data.get("tensorflow", ""),
            floor=floor,
            metadata=dict(data.get("metadata", {})),
            reference_mode=data.get("reference_mode", "eager"),
        )

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per function x mode."""
        from graphlab.renderers import comparison

        return comparison.to_frame(self)

    def to_json(self) -> str:
        from graphlab.renderers import comparison

        return comparison.render(self, "json")

    def _repr_html_(self) -> str:
        from graphlab.renderers import comparison

        return comparison.render(self, "html")

    def __str__(self) -> str:
        from graphlab.renderers import comparison

        return comparison.render(self, "text")


def combine(*comparisons: Comparison) -> Comparison:
    """One table from several comparisons (e.g. one function on two inputs). The floor
    and metadata of the first are kept."""
    if not comparisons:
        raise ValueError("combine needs at least one Comparison")
    first = comparisons[0]
    return Comparison(
        rows=tuple(row for c in comparisons for row in c.rows),
        tensorflow=first.tensorflow,
        floor=first.floor,
        metadata=first.metadata,
        reference_mode=first.reference_mode,
    )


@dataclass(frozen=True, slots=True)
class RowChange:
    """One function x mode in two runs.

    Attributes:
        function: The function's label.
        mode: The mode.
        old_median: Seconds per call in the old run.
        new_median: Seconds per call in the new run.
        p_value: Two-sided Mann-Whitney U on the per-call block times.
        old_speedup: Speedup vs eager in the old run (None for eager rows).
        new_speedup: Speedup vs eager in the new run.
    """

    function: str
    mode: str
    old_median: float
    new_median: float
    p_value: float
    old_speedup: float | None = None
    new_speedup: float | None = None

    @property
    def time_ratio(self) -> float:
        """New / old median time: > 1 is slower."""
        return self.new_median / self.old_median

    @property
    def speedup_change(self) -> float | None:
        """Relative change of the speedup vs eager (-0.2: lost 20% of it)."""
        if self.old_speedup is None or self.new_speedup is None:
            return None
        return self.new_speedup / self.old_speedup - 1.0

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Two saved comparisons side by side, and whether a CI gate fails.

    Attributes:
        old: Label of the old run (its file).
        new: Label of the new run.
        changes: Rows present in both runs.
        only_old: ``function/mode`` rows missing from the new run.
        only_new: ``function/mode`` rows new in the new run.
        fail_if_slower: The gate in percent of speedup lost, or None.
        failures: Rows whose speedup dropped by more than the gate, as sentences.
    """

    old: str
    new: str
    changes: tuple[RowChange, ...]
    only_old: tuple[str, ...] = ()
    only_new: tuple[str, ...] = ()
    fail_if_slower: float | None = None
    failures: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "graphlab.rundiff/1",
            "old": self.old,
            "new": self.new,
            "changes": [
                {
                    "function": c.function,
                    "mode": c.mode,
                    "old_median_us": c.old_median * 1e6,
                    "new_median_us": c.new_median * 1e6,
                    "time_ratio": c.time_ratio,
                    "p_value": c.p_value,
                    "old_speedup": c.old_speedup,
                    "new_speedup": c.new_speedup,
                    "speedup_change": c.speedup_change,
                }
                for c in self.changes
            ],
            "only_old": list(self.only_old),
            "only_new": list(self.only_new),
            "fail_if_slower_pct": self.fail_if_slower,
            "failures": list(self.failures),
        }


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

    def _repr_html_(self) -> str:
        from graphlab.renderers import inspection

        return inspection.render(self, "html")

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
