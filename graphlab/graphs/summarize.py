"""What one traced graph holds: op counts, nested bodies, per-line counts, captures,
control flow; and how two graphs differ.

A ``tf.function`` trace is a FuncGraph whose top level hides most of the work: the
branches of a ``cond``, the body of a ``while`` and nested ``tf.function`` calls live in
the graph's function library. Everything here counts them in, with the same code the
trace recorder uses (``_tf.graphs.count_ops`` / ``function_bodies``), so that an
``op_count`` in a trace report and in an inspection always agree.
"""

from __future__ import annotations

import linecache
from collections import Counter
from typing import Any

from graphlab import _source, _tf
from graphlab._text import dims
from graphlab._tf import graphs as tf_graphs
from graphlab._tf import trace_types
from graphlab._types import render_type
from graphlab.graphs.flops import count_flops
from graphlab.graphs.records import Capture, ControlFlowOp, GraphDiff, GraphSummary, LineOps

#: Ops that run library functions: conditionals, loops and nested calls.
CONTROL_FLOW_TYPES = frozenset(
    {
        "If",
        "StatelessIf",
        "While",
        "StatelessWhile",
        "Case",
        "StatelessCase",
        "PartitionedCall",
        "StatefulPartitionedCall",
        "For",
    }
)
#: Where ops TensorFlow adds by itself (inputs, outputs) are counted in per-line views.
FRAMEWORK_LOCATION = "(tensorflow)"


# ---------------------------------------------------------------------------
# One graph


def summarize(concrete: Any, *, lines: bool = True) -> GraphSummary:
    """Summarize one ConcreteFunction's graph, nested bodies included.

    Args:
        concrete: A ConcreteFunction (``fn.get_concrete_function(...)``).
        lines: Attribute ops to user source lines (reads every op's traceback; the
            slowest part on large graphs).
    """
    graph = concrete.graph
    top_ops = graph.get_operations()
    bodies = tf_graphs.function_bodies(graph)
    body_sizes = {body.name: len(body.node_defs) for body in bodies}

    top_types = Counter(op.type for op in top_ops)
    all_types = Counter(top_types)
    for body in bodies:
        all_types.update(node.op for node in body.node_defs)
    op_count_total = len(top_ops) + sum(body_sizes.values())
    assert op_count_total == tf_graphs.count_ops(graph)  # one definition of "total ops"

    flops = count_flops(top_ops, bodies)
    locations = _Locator() if lines else None
    control_flow = []
    for op in top_ops:
        if locations is not None:
            locations.add(op, op.type, flops.of(op))
        if op.type in CONTROL_FLOW_TYPES:
            control_flow.append(
                _control_flow(op.name, op.type, op.node_def, "(top)", body_sizes, locations, op)
            )
    for body in bodies:
        ops_by_name = _ops_by_name(body.graph) if locations is not None else {}
        for node in body.node_defs:
            op = ops_by_name.get(node.name)
            if locations is not None:
                locations.add(op, node.op, flops.of(op) if op is not None else 0)
            if node.op in CONTROL_FLOW_TYPES:
                control_flow.append(
                    _control_flow(node.name, node.op, node, body.name, body_sizes, locations, op)
                )
    line_ops = locations.result(flops.total is not None) if locations is not None else ()

    stateful = Counter({t: n for t, n in all_types.items() if tf_graphs.is_stateful(t)})
    return GraphSummary(
        name=text_of(getattr(concrete, "name", graph.name)),
        inputs=tuple((name, render_type(node)) for name, node in trace_types.input_types(concrete)),
        outputs=_render_structure(concrete.structured_outputs),
        op_count=len(top_ops),
        op_count_total=op_count_total,
        ops_by_type=_sorted(all_types),
        top_ops_by_type=_sorted(top_types),
        bodies=tuple(body_sizes.items()),
        lines=line_ops,
        captures=captures(concrete),
        control_flow=tuple(control_flow),
        stateful_ops=_sorted(stateful),
        flops=flops.total,
        flops_by_type=_sorted(flops.by_type),
        flops_note=flops.note,
        graph_bytes=tf_graphs.graph_def_size(graph)[0],
    )


def op_table(concrete: Any) -> dict[str, tuple[str, str]]:
    """Op name -> ``(op type, file:line)`` for every op of a ConcreteFunction, nested
    bodies included: how a profile's op events are traced back to the user's code."""
    locations = _Locator()

    def where(op: Any) -> str:
        location = locations.locate(op)[0]
        return "" if location == FRAMEWORK_LOCATION else location

    graph = concrete.graph
    found = {op.name: (op.type, where(op)) for op in graph.get_operations()}
    for body in tf_graphs.function_bodies(graph):
        for op in _ops_by_name(body.graph).values():
            found.setdefault(op.name, (op.type, where(op)))
    return found


def op_histogram(concrete: Any) -> Counter[str]:
    """Op type -> count for a ConcreteFunction, nested bodies included."""
    graph = concrete.graph
    histogram = Counter(op.type for op in graph.get_operations())
    for body in tf_graphs.function_bodies(graph):
        histogram.update(node.op for node in body.node_defs)
    return histogram


def captures(concrete: Any) -> tuple[Capture, ...]:
    """Variables and tensors the graph reads from outside (closures, globals, layers)."""
    variables = {id(v.handle): v for v in concrete.variables}
    found: list[Capture] = []
    for external, internal in tf_graphs.graph_captures(concrete):
        variable = variables.get(id(external))
        if variable is not None:
            found.append(
                Capture(
                    name=variable.name,
                    kind="variable",
                    shape=trace_types.shape_tuple(variable.shape),
                    dtype=variable.dtype.name,
                    trainable=bool(variable.trainable),
                )
            )
        else:
            found.append(
                Capture(
                    name=internal.name,
                    kind="tensor",
                    shape=trace_types.shape_tuple(external.shape),
                    dtype=external.dtype.name,
                )
            )
    return tuple(found)


def _control_flow(
    name: str,
    op_type: str,
    node_def: Any,
    graph_name: str,
    body_sizes: dict[str, int],
    locations: _Locator | None,
    op: Any,
) -> ControlFlowOp:
    bodies = tuple((body, body_sizes.get(body, 0)) for body in tf_graphs.node_body_names(node_def))
    location = locations.locate(op)[0] if locations is not None and op is not None else ""
    return ControlFlowOp(name, op_type, graph_name, bodies, location)


def _ops_by_name(graph: Any) -> dict[str, Any]:
    if graph is None:
        return {}
    return {op.name: op for op in graph.get_operations()}


class _Locator:
    """Attributes ops to the user's source lines through ``op.traceback``.

    The line is the innermost frame outside TensorFlow/Keras (and graphlab) that is
    inside the trace: for a Keras layer called from the user's function, that is the
    user's call, not Keras' internals. Ops no user line made (input placeholders, output
    identities) go to ``(tensorflow)``.
    """

    def __init__(self) -> None:
        self._framework: dict[str, bool] = {}
        self._short: dict[str, str] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._where: dict[str, tuple[str, str, int]] = {}
        self._flops: Counter[str] = Counter()

    def _is_framework(self, filename: str) -> bool:
        known = self._framework.get(filename)
        if known is None:
            known = self._framework[filename] = _source.is_framework_file(filename)
        return known

    def locate(self, op: Any) -> tuple[str, str, str, int]:
        """``(location, function, filename, lineno)`` of the user line that made ``op``."""
        if op is None:
            return FRAMEWORK_LOCATION, "", "", 0
        frame = tf_graphs.user_frame(op, self._is_framework)
        if frame is None:
            return FRAMEWORK_LOCATION, "", "", 0
        filename, lineno, function = frame
        short = self._short.get(filename)
        if short is None:
            short = self._short[filename] = _source.short_path(filename)
        return f"{short}:{lineno}", function, filename, lineno

    def add(self, op: Any, op_type: str, flops: int = 0) -> None:
        location, function, filename, lineno = self.locate(op)
        self._flops[location] += flops
        counts = self._counts.get(location)
        if counts is None:
            counts = self._counts[location] = Counter()
            self._where[location] = (function, filename, lineno)
        counts[op_type] += 1

    def result(self, with_flops: bool = True) -> tuple[LineOps, ...]:
        """Rows per line; their FLOPs when the graph's total is known (they sum to it)."""
        rows = []
        for location, counts in self._counts.items():
            function, filename, lineno = self._where[location]
            source = linecache.getline(filename, lineno).strip() if filename else ""
            flops = self._flops[location] if with_flops else None
            rows.append(
                LineOps(location, function, source, sum(counts.values()), _sorted(counts), flops)
            )
        framework_last = [r for r in rows if r.location != FRAMEWORK_LOCATION]
        framework_last.sort(key=lambda r: _location_key(r.location))
        framework_last += [r for r in rows if r.location == FRAMEWORK_LOCATION]
        return tuple(framework_last)


def _location_key(location: str) -> tuple[str, int]:
    path, _, line = location.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def _sorted(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def text_of(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _render_structure(value: Any) -> str:
    """``float32[None,14,14]``, ``(float32[], int32[2])``, ``{'loss': float32[]}``."""
    if value is None:
        return "None"
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        shape = trace_types.shape_tuple(value.shape)
        return f"{value.dtype.name}{dims(shape, unknown_rank='[*]')}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_render_structure(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render_structure(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_render_structure(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


# ---------------------------------------------------------------------------
# Two graphs


def diff_graphs(before: Any, after: Any) -> GraphDiff:
    """Op-type differences between two graphs, nested bodies included.

    Each side is a ConcreteFunction, a :class:`GraphSummary`, or a
    :class:`~graphlab.TraceEvent` from the recorder (``fn.traces[0]``), so a retrace can
    be explained by what it did to the graph: an unrolled Python loop shows as
    ``graph grew from 12 to 22 ops: +10 AddV2``.
    """
    (before_label, before_counts), (after_label, after_counts) = map(_histogram_of, (before, after))
    changes = [
        (op_type, before_counts.get(op_type, 0), after_counts.get(op_type, 0))
        for op_type in set(before_counts) | set(after_counts)
        if before_counts.get(op_type, 0) != after_counts.get(op_type, 0)
    ]
    changes.sort(key=lambda c: (-abs(c[2] - c[1]), c[0]))
    return GraphDiff(
        before=before_label,
        after=after_label,
        before_ops=sum(before_counts.values()),
        after_ops=sum(after_counts.values()),
        changes=tuple(changes),
    )


def _is_trace_event(side: Any) -> bool:
    """A :class:`~graphlab.TraceEvent`, known by its fields: graphs sits below tracing
    (the layer order in CONTRIBUTING.md) and never imports its records."""
    return all(
        hasattr(side, name) for name in ("concrete_function", "function", "trace_index")
    ) and isinstance(getattr(side, "signature", None), dict)


def _histogram_of(side: Any) -> tuple[str, dict[str, int]]:
    if isinstance(side, GraphSummary):
        return side.signature, dict(side.ops_by_type)
    if _is_trace_event(side):
        concrete = side.concrete_function() if side.concrete_function is not None else None
        if concrete is None:
            raise ValueError(
                f"the graph of {side.function}'s trace #{side.trace_index} is gone (its "
                "concrete function was garbage collected); diff traces while the "
                "tf.function is alive"
            )
        params = ", ".join(f"{k}: {v}" for k, v in side.signature.items())
        return f"{side.function}({params})", dict(op_histogram(concrete))
    if _tf.is_concrete_function(side):
        params = ", ".join(f"{n}: {render_type(t)}" for n, t in trace_types.input_types(side))
        return f"({params})", dict(op_histogram(side))
    raise TypeError(
        "diff_graphs compares ConcreteFunctions, GraphSummary records or TraceEvents, "
        f"got {type(side).__name__}"
    )
