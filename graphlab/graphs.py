"""What a traced graph holds: op counts, nested bodies, per-line counts, captures, diffs
and exports.

A ``tf.function`` trace is a FuncGraph whose top level hides most of the work: the
branches of a ``cond``, the body of a ``while`` and nested ``tf.function`` calls live in
the graph's function library. Everything here counts them in, with the same code the
trace recorder uses (``_tf.count_ops`` / ``_tf.function_bodies``), so that an
``op_count`` in a trace report and in an inspection always agree.
"""

from __future__ import annotations

import itertools
import linecache
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from graphlab import _tf, autograph
from graphlab.explain import render_type
from graphlab.records import (
    Capture,
    ControlFlowOp,
    Export,
    GraphDiff,
    GraphSummary,
    Inspection,
    LineOps,
    TraceEvent,
)

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
#: Stages of ``experimental_get_compiler_ir`` that return text.
XLA_STAGES = ("hlo", "optimized_hlo", "stablehlo", "optimized_hlo_dot")
#: What ``export_graph`` writes.
EXPORT_FORMATS = ("pbtxt", "dot", "svg", "png", "tensorboard", *XLA_STAGES[:3])
#: Where ops TensorFlow adds by itself (inputs, outputs) are counted in per-line views.
FRAMEWORK_LOCATION = "(tensorflow)"


class InspectError(ValueError):
    """The function cannot be inspected with what was given (missing or wrong inputs)."""


class TraceFailure(RuntimeError):
    """The user's function raised while being traced.

    Attributes:
        location: ``file:line`` in the user's source (AutoGraph maps generated code
            back), or ``""`` when TensorFlow did not say.
        error: The original exception.
    """

    def __init__(self, message: str, location: str, error: BaseException):
        super().__init__(message)
        self.location = location
        self.error = error


class XlaError(RuntimeError):
    """XLA could not compile the function.

    Attributes:
        unsupported_ops: Op types XLA has no kernel for, when that is the reason.
    """

    def __init__(self, message: str, unsupported_ops: tuple[str, ...] = ()):
        super().__init__(message)
        self.unsupported_ops = unsupported_ops


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
    bodies = _tf.function_bodies(graph)
    body_sizes = {body.name: len(body.node_defs) for body in bodies}

    top_types = Counter(op.type for op in top_ops)
    all_types = Counter(top_types)
    for body in bodies:
        all_types.update(node.op for node in body.node_defs)
    op_count_total = len(top_ops) + sum(body_sizes.values())
    assert op_count_total == _tf.count_ops(graph)  # one definition of "total ops"

    locations = _Locator() if lines else None
    control_flow = []
    for op in top_ops:
        if locations is not None:
            locations.add(op, op.type)
        if op.type in CONTROL_FLOW_TYPES:
            control_flow.append(
                _control_flow(op.name, op.type, op.node_def, "(top)", body_sizes, locations, op)
            )
    for body in bodies:
        ops_by_name = _ops_by_name(body.graph) if locations is not None else {}
        for node in body.node_defs:
            op = ops_by_name.get(node.name)
            if locations is not None:
                locations.add(op, node.op)
            if node.op in CONTROL_FLOW_TYPES:
                control_flow.append(
                    _control_flow(node.name, node.op, node, body.name, body_sizes, locations, op)
                )
    line_ops = locations.result() if locations is not None else ()

    stateful = Counter({t: n for t, n in all_types.items() if _tf.is_stateful(t)})
    return GraphSummary(
        name=_text(getattr(concrete, "name", graph.name)),
        inputs=tuple((name, render_type(node)) for name, node in _tf.input_types(concrete)),
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
    )


def op_histogram(concrete: Any) -> Counter[str]:
    """Op type -> count for a ConcreteFunction, nested bodies included."""
    graph = concrete.graph
    histogram = Counter(op.type for op in graph.get_operations())
    for body in _tf.function_bodies(graph):
        histogram.update(node.op for node in body.node_defs)
    return histogram


def captures(concrete: Any) -> tuple[Capture, ...]:
    """Variables and tensors the graph reads from outside (closures, globals, layers)."""
    variables = {id(v.handle): v for v in concrete.variables}
    found: list[Capture] = []
    for external, internal in _tf.graph_captures(concrete):
        variable = variables.get(id(external))
        if variable is not None:
            found.append(
                Capture(
                    name=variable.name,
                    kind="variable",
                    shape=_tf.shape_tuple(variable.shape),
                    dtype=variable.dtype.name,
                    trainable=bool(variable.trainable),
                )
            )
        else:
            found.append(
                Capture(
                    name=internal.name,
                    kind="tensor",
                    shape=_tf.shape_tuple(external.shape),
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
    bodies = tuple((body, body_sizes.get(body, 0)) for body in _tf.node_body_names(node_def))
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

    def _is_framework(self, filename: str) -> bool:
        known = self._framework.get(filename)
        if known is None:
            known = self._framework[filename] = _tf.is_framework_file(filename)
        return known

    def locate(self, op: Any) -> tuple[str, str, str, int]:
        """``(location, function, filename, lineno)`` of the user line that made ``op``."""
        if op is None:
            return FRAMEWORK_LOCATION, "", "", 0
        frame = _tf.user_frame(op, self._is_framework)
        if frame is None:
            return FRAMEWORK_LOCATION, "", "", 0
        filename, lineno, function = frame
        short = self._short.get(filename)
        if short is None:
            short = self._short[filename] = _tf.short_path(filename)
        return f"{short}:{lineno}", function, filename, lineno

    def add(self, op: Any, op_type: str) -> None:
        location, function, filename, lineno = self.locate(op)
        counts = self._counts.get(location)
        if counts is None:
            counts = self._counts[location] = Counter()
            self._where[location] = (function, filename, lineno)
        counts[op_type] += 1

    def result(self) -> tuple[LineOps, ...]:
        rows = []
        for location, counts in self._counts.items():
            function, filename, lineno = self._where[location]
            source = linecache.getline(filename, lineno).strip() if filename else ""
            rows.append(LineOps(location, function, source, sum(counts.values()), _sorted(counts)))
        framework_last = [r for r in rows if r.location != FRAMEWORK_LOCATION]
        framework_last.sort(key=lambda r: _location_key(r.location))
        framework_last += [r for r in rows if r.location == FRAMEWORK_LOCATION]
        return tuple(framework_last)


def _location_key(location: str) -> tuple[str, int]:
    path, _, line = location.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def _sorted(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _render_structure(value: Any) -> str:
    """``float32[None,14,14]``, ``(float32[], int32[2])``, ``{'loss': float32[]}``."""
    if value is None:
        return "None"
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        shape = value.shape
        dims = (
            "*"
            if shape.rank is None
            else ",".join("None" if d is None else str(d) for d in shape.as_list())
        )
        return f"{value.dtype.name}[{dims}]"
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


def _histogram_of(side: Any) -> tuple[str, dict[str, int]]:
    if isinstance(side, GraphSummary):
        return side.signature, dict(side.ops_by_type)
    if isinstance(side, TraceEvent):
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
        params = ", ".join(f"{n}: {render_type(t)}" for n, t in _tf.input_types(side))
        return f"({params})", dict(op_histogram(side))
    raise TypeError(
        "diff_graphs compares ConcreteFunctions, GraphSummary records or TraceEvents, "
        f"got {type(side).__name__}"
    )


# ---------------------------------------------------------------------------
# A function


def as_tf_function(target: Any) -> Any:
    """A ``tf.function`` for ``target``: itself if it already is one (graphlab.function
    included), else a fresh ``tf.function`` around the Python callable."""
    if isinstance(target, _tf.PolymorphicFunction) or _tf.is_concrete_function(target):
        return target
    if not callable(target):
        raise InspectError(
            f"cannot inspect a {type(target).__name__}: expected a tf.function, a "
            "graphlab.function, a ConcreteFunction or a Python callable"
        )
    return _tf.tf.function(target)


Call = tuple[Sequence[Any], dict[str, Any]]


def inspect(target: Any, *args: Any, **kwargs: Any) -> Inspection:
    """Inspect what ``tf.function`` makes of ``target`` for these inputs.

    Args:
        target: A ``tf.function``, a ``graphlab.function``, a plain Python function
            (wrapped in ``tf.function`` for the purpose) or a ConcreteFunction.
        *args: Example inputs: tensors, ``tf.TensorSpec``, Python values. None needed
            when the function has an ``input_signature`` or was already traced.
        **kwargs: Keyword inputs, likewise.

    Returns:
        An :class:`~graphlab.records.Inspection`: every concrete function with its
        signature, op counts (nested bodies included), per-line counts, captures and
        control flow; the AutoGraph code; diffs between consecutive traces.
    """
    calls: list[Call] = [(args, kwargs)] if args or kwargs else []
    return inspect_calls(target, calls)


def inspect_calls(target: Any, calls: Iterable[Call], *, lines: bool = True) -> Inspection:
    """Like :func:`inspect`, for several input sets (one trace each, where they differ)."""
    function = as_tf_function(target)
    if _tf.is_concrete_function(function):
        concretes = [function]
        python_function = None
    else:
        for call_args, call_kwargs in calls:
            trace(function, call_args, call_kwargs)
        concretes = _tf.concrete_functions_of(function)
        if not concretes:
            concretes = [trace(function, (), {})]
        python_function = _tf.unwrap(function.python_function)
    summaries = tuple(summarize(c, lines=lines) for c in concretes)
    diffs = tuple(diff_graphs(a, b) for a, b in itertools.pairwise(summaries))
    code = autograph.generated_code(function) if python_function is not None else None
    if python_function is not None:
        name, qualname, defined_at = _tf.names_of(python_function, function.__name__)
    else:
        name = qualname = _text(getattr(function, "name", "concrete_function"))
        defined_at = "?"
    return Inspection(
        function=name,
        qualname=qualname,
        defined_at=defined_at,
        concrete_functions=summaries,
        autograph_code=code.text if code else None,
        autograph_lines=code.lines if code else (),
        diffs=diffs,
        tensorflow=_tf.TF_VERSION,
    )


def concrete_function(
    target: Any, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
) -> Any:
    """The ConcreteFunction of ``target`` for these inputs (``target`` itself when it is
    one), traced with :func:`trace`'s error handling."""
    function = as_tf_function(target)
    if _tf.is_concrete_function(function):
        return function
    return trace(function, args, kwargs or {})


def trace(function: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """``function.get_concrete_function(*args, **kwargs)`` with errors that say whose
    fault they are: :class:`InspectError` for inputs that do not fit the function,
    :class:`TraceFailure` (with the user's source line) when the function raised."""
    if not args and not kwargs and function.input_signature is None:
        required = _tf.required_params(function.python_function)
        if required:
            raise InspectError(
                f"{function.__name__} takes {', '.join(required)}: give example inputs "
                "(--arg VALUE for each, or --kwarg NAME=VALUE), or give the function an "
                "input_signature"
            )
    try:
        return function.get_concrete_function(*args, **kwargs)
    except TypeError as error:
        message = str(error)
        if "Binding inputs" in message or "input_signature" in message:
            raise InspectError(_first_line(message)) from None
        raise _trace_failure(function, error) from error
    except Exception as error:
        raise _trace_failure(function, error) from error


_USER_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def _trace_failure(function: Any, error: BaseException) -> TraceFailure:
    """Find the user's line: TensorFlow's "in user code:" block (AutoGraph-mapped), else
    the innermost frame of the traceback outside TensorFlow."""
    message = str(error)
    location = ""
    if "in user code:" in message:
        frames = _USER_FRAME.findall(message.split("in user code:", 1)[1])
        if frames:
            filename, lineno, _ = frames[-1]
            location = f"{_tf.short_path(filename)}:{lineno}"
    if not location:
        tb = error.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if not _tf.is_framework_file(filename):
                location = f"{_tf.short_path(filename)}:{tb.tb_lineno}"
            tb = tb.tb_next
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    reason = lines[-1] if lines else type(error).__name__
    if not reason.startswith(type(error).__name__):
        reason = f"{type(error).__name__}: {reason}"
    where = f" at {location}" if location else ""
    return TraceFailure(
        f"{function.__name__} raised while tracing{where}: {reason}", location, error
    )


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else message


# ---------------------------------------------------------------------------
# XLA


def compiler_ir(target: Any, *args: Any, stage: str = "hlo", **kwargs: Any) -> str:
    """XLA's IR for ``target`` called with these concrete inputs.

    ``target`` need not be ``jit_compile=True``: a copy with XLA on is made, since
    ``experimental_get_compiler_ir`` requires it. Inputs must have fully known shapes.

    Raises:
        InspectError: an unknown stage, one this TensorFlow lacks, or inputs with
            unknown dimensions.
        XlaError: XLA cannot compile the function; ``unsupported_ops`` names the ops.
    """
    if stage not in XLA_STAGES:
        raise InspectError(f"unknown XLA stage {stage!r}; use one of {', '.join(XLA_STAGES)}")
    function = as_tf_function(target)
    if _tf.is_concrete_function(function):
        raise InspectError(
            "XLA IR needs the tf.function or Python function and concrete inputs, not a "
            "ConcreteFunction"
        )
    try:
        return _tf.compiler_ir(function, tuple(args), dict(kwargs), stage)
    except ValueError as error:
        message = str(error)
        if "Invalid stage" in message:
            raise InspectError(
                f"TensorFlow {_tf.TF_VERSION} has no XLA stage {stage!r}: {_first_line(message)}"
            ) from None
        if "static input shape" in message:
            raise InspectError(
                "XLA IR needs inputs with known shapes; give concrete sizes instead of None"
            ) from None
        unsupported = tuple(dict.fromkeys(re.findall(r"(\w+) \(No registered", message)))
        if unsupported:
            device = re.search(r"on (XLA_\w+)", message)
            raise XlaError(
                f"XLA cannot compile {function.__name__}: unsupported op"
                f"{'s' if len(unsupported) > 1 else ''} {', '.join(unsupported)}"
                f"{' on ' + device.group(1) if device else ''}",
                unsupported,
            ) from None
        raise XlaError(f"XLA cannot compile {function.__name__}: {_first_line(message)}") from None


# ---------------------------------------------------------------------------
# Exports


def export_graph(concrete: Any, fmt: str, path: str) -> Export:
    """Write one concrete function's graph as ``pbtxt``, ``dot``, ``svg``/``png`` (needs
    Graphviz's ``dot`` program; without it, DOT text is written and the note says so) or
    a ``tensorboard`` log directory. XLA stages go through :func:`compiler_ir`."""
    if fmt not in ("pbtxt", "dot", "svg", "png", "tensorboard"):
        raise InspectError(
            f"unknown export format {fmt!r}; use one of pbtxt, dot, svg, png, tensorboard "
            "(or an XLA stage: hlo, optimized_hlo, stablehlo)"
        )
    graph = concrete.graph
    if fmt == "tensorboard":
        _tf.write_graph_summary(graph, path)
        return Export(fmt, path, f"run: tensorboard --logdir {path}  (Graphs dashboard)")
    graph_def = graph.as_graph_def()
    if fmt == "pbtxt":
        _write(path, str(graph_def))
        return Export(fmt, path)
    dot_text = to_dot(graph_def)
    if fmt == "dot":
        _write(path, dot_text)
        return Export(fmt, path)
    dot_program = shutil.which("dot")
    if dot_program is None:
        dot_path = os.path.splitext(path)[0] + ".dot"
        _write(dot_path, dot_text)
        return Export(
            "dot",
            dot_path,
            f"Graphviz's `dot` program is not installed, so no {fmt} was made; wrote DOT "
            f"text to {dot_path} instead (install graphviz, then: dot -T{fmt} {dot_path} "
            f"-o {path})",
        )
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as handle:
        handle.write(dot_text)
    try:
        subprocess.run([dot_program, f"-T{fmt}", handle.name, "-o", path], check=True)
    finally:
        os.unlink(handle.name)
    return Export(fmt, path)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def to_dot(graph_def: Any) -> str:
    """Graphviz DOT for a GraphDef: the top level, and one cluster per nested body with a
    dashed edge from the op that runs it."""
    out = ["digraph G {", "  rankdir=TB;", "  node [shape=box, fontsize=10, style=rounded];"]

    def nodes(prefix: str, node_defs: Iterable[Any], indent: str) -> None:
        names = {node.name for node in node_defs}
        for node in node_defs:
            out.append(f'{indent}"{prefix}{node.name}" [label="{node.name}\\n{node.op}"];')
        for node in node_defs:
            for source in node.input:
                if source.startswith("^"):
                    name, style = source[1:], " [style=dotted]"
                else:
                    name, style = source.split(":")[0], ""
                if name in names:
                    out.append(f'{indent}"{prefix}{name}" -> "{prefix}{node.name}"{style};')

    nodes("", graph_def.node, "  ")
    for function in graph_def.library.function:
        name = function.signature.name
        out.append(f'  subgraph "cluster_{name}" {{')
        out.append(f'    label="{name}"; style=dashed;')
        out.append(f'    "{name}/" [label="{name}", shape=note];')
        nodes(f"{name}/", function.node_def, "    ")
        out.append("  }")
    runs = [("", node) for node in graph_def.node] + [
        (f"{f.signature.name}/", node) for f in graph_def.library.function for node in f.node_def
    ]
    for prefix, node in runs:
        for attribute in _tf.BODY_ATTRIBUTES:
            if attribute not in node.attr:
                continue
            value = node.attr[attribute]
            bodies = (
                [value.func.name] if value.HasField("func") else [f.name for f in value.list.func]
            )
            for body in bodies:
                out.append(
                    f'  "{prefix}{node.name}" -> "{body}/" [style=dashed, label="{attribute}"];'
                )
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Helpers for callers that hold a Python callable


def callable_name(target: Any) -> str:
    """A readable name for messages."""
    return getattr(target, "__name__", None) or type(target).__name__


__all__ = [
    "EXPORT_FORMATS",
    "XLA_STAGES",
    "InspectError",
    "TraceFailure",
    "XlaError",
    "as_tf_function",
    "captures",
    "compiler_ir",
    "concrete_function",
    "diff_graphs",
    "export_graph",
    "inspect",
    "inspect_calls",
    "op_histogram",
    "summarize",
    "to_dot",
    "trace",
]
