"""The insides of a FuncGraph, for the recorder's op counts and ``graphlab.inspect``.

A FuncGraph's top-level ops are public (get_operations); the bodies of cond/while
branches and nested calls live in its function library, reachable as
``graph._functions`` (name -> AtomicFunction, transitively: a while inside a cond is
listed too). When that attribute is missing we fall back to the GraphDef library, which
has the same nodes but no Python tracebacks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tensorflow as tf
from tensorflow.python.util import tf_stack

from graphlab._tf.functions import rebuild


def count_ops(graph: Any) -> int:
    """Ops in a FuncGraph, including the bodies of nested functions (cond and while
    branches, nested tf.function calls), which live in its function library.

    The recorder's ``op_count`` and ``graphlab.inspect``'s ``op_count_total`` both come
    from here (via :func:`function_bodies`), so the two always agree."""
    return len(graph.get_operations()) + sum(len(b.node_defs) for b in function_bodies(graph))


def graph_def_size(graph: Any) -> tuple[int, int]:
    """``(bytes, nodes)`` of a graph serialized as a GraphDef, the bodies of nested
    functions included (they are in its library): what ``graphlab.inspect`` and a
    memory watch report as a graph's size. Public API (``Graph.as_graph_def``)."""
    graph_def = graph.as_graph_def()
    nodes = len(graph_def.node) + sum(len(f.node_def) for f in graph_def.library.function)
    return graph_def.ByteSize(), nodes


@dataclass(frozen=True, slots=True)
class Body:
    """One function in a graph's library: its nodes and, when known, its FuncGraph."""

    name: str
    node_defs: tuple[Any, ...]
    graph: Any | None


def function_bodies(graph: Any) -> list[Body]:
    """Every nested body (cond/while branches, nested calls) of ``graph``, in library order."""
    functions = getattr(graph, "_functions", None)
    if functions is None:  # pragma: no cover - TF changed
        return [
            Body(f.signature.name, tuple(f.node_def), None)
            for f in graph.as_graph_def().library.function
        ]
    return [
        Body(name, tuple(f.cached_definition.node_def), getattr(f, "graph", None))
        for name, f in list(functions.items())
    ]


#: Attributes of control-flow ops that name the functions they run.
BODY_ATTRIBUTES = ("then_branch", "else_branch", "branches", "cond", "body", "f")


def node_bodies(node_def: Any) -> tuple[tuple[str, str], ...]:
    """``(attribute, library function)`` for each body a control-flow / call node runs
    (``("then_branch", "cond_true_12")``)."""
    found: list[tuple[str, str]] = []
    for attribute in BODY_ATTRIBUTES:
        if attribute not in node_def.attr:
            continue
        value = node_def.attr[attribute]
        if value.HasField("func"):
            found.append((attribute, value.func.name))
        elif value.HasField("list"):
            found.extend((attribute, f.name) for f in value.list.func)
    return tuple(found)


def node_body_names(node_def: Any) -> tuple[str, ...]:
    """Names of the library functions a control-flow / call node runs."""
    return tuple(name for _, name in node_bodies(node_def))


_STATEFUL_CACHE: dict[str, bool] = {}


def is_stateful(op_type: str) -> bool:
    """Whether TensorFlow registers ``op_type`` as stateful (variables, random, I/O...)."""
    known = _STATEFUL_CACHE.get(op_type)
    if known is None:
        from tensorflow.python.framework import op_def_registry

        op_def = op_def_registry.get(op_type)
        known = _STATEFUL_CACHE[op_type] = bool(op_def is not None and op_def.is_stateful)
    return known


class UnknownShape(ValueError):
    """An op's FLOPs need a shape the graph does not know."""


_FLOPS_REGISTRY_LOADED = False


def op_flops(op: Any) -> int | None:
    """FLOPs of one op by TensorFlow's own registry (the tfprof model analyzer's:
    ``profiler/internal/flops_registry.py``, plus Conv2D, DepthwiseConv2dNative and
    BiasAdd from ``nn_ops``): ``2*M*N*K`` for a MatMul, one per output element for
    element-wise math, ``2*out*kh*kw*cin`` for a Conv2D. None for ops it has no entry
    for (variables, reshapes, ... and some math: Relu, Exp, Tanh are not counted).

    Raises :class:`UnknownShape` when a shape it needs is not fully known. Falls back
    to None for every op if TensorFlow drops the registry."""
    global _FLOPS_REGISTRY_LOADED
    from tensorflow.python.framework import ops as tf_ops

    if not _FLOPS_REGISTRY_LOADED:
        try:
            from tensorflow.python.profiler.internal import flops_registry  # noqa: F401
        except ImportError:  # pragma: no cover - TF moved it
            return None
        _FLOPS_REGISTRY_LOADED = True
    from tensorflow.python.util import deprecation

    try:
        with deprecation.silence():  # the registry reads shapes through a TF1 helper
            stats = tf_ops.get_stats_for_node_def(op.graph, op.node_def, "flops")
    except (ValueError, KeyError) as error:
        raise UnknownShape(f"{op.type} {op.name!r}: {error}") from error
    return None if stats.value is None else int(stats.value)


def user_frame(op: Any, is_framework: Callable[[str], bool]) -> tuple[str, int, str] | None:
    """``(filename, lineno, function)`` of the innermost frame outside the framework in
    the stack that created ``op``, if that frame is inside the trace (some framework
    frame lies between it and the outermost frame); None for ops TensorFlow made itself.

    Reads frames by index from the innermost end and stops early: building the whole
    ``op.traceback`` list costs ~3x more on deep Keras stacks. TensorFlow already maps
    AutoGraph-generated frames back to the user's source."""
    try:
        stack = op.traceback
        depth = len(stack)
    except Exception:  # pragma: no cover - ops imported from a GraphDef
        return None
    index = depth - 1
    while index >= 0:
        frame = stack[index]
        if not is_framework(frame.filename):
            found = (frame.filename, frame.lineno, frame.name)
            outer = index - 1
            while outer >= 0:
                if is_framework(stack[outer].filename):
                    return found
                outer -= 1
            return None  # only the code that started tracing: not the function's own
        index -= 1
    return None


def concrete_functions_of(function: Any) -> list[Any]:
    """Every ConcreteFunction a tf.function has traced so far, oldest first."""
    found: list[Any] = []
    lister = getattr(function, "_list_all_concrete_functions", None)
    if lister is None:  # pragma: no cover - TF changed
        return found
    for concrete in lister():
        if all(concrete is not seen for seen in found):
            found.append(concrete)
    return found


def graph_captures(concrete: Any) -> list[tuple[Any, Any]]:
    """``(external value, internal placeholder)`` for everything the graph captured."""
    return list(concrete.graph.captures)


def autograph_source(function: Any) -> tuple[str, dict[int, tuple[str, int]]]:
    """AutoGraph's code for a plain Python function and its source map: line of that code
    (1-based) -> ``(original file, original line)``, to annotate it with op counts.

    This is what ``tf.autograph.to_code`` does (source of ``to_graph``), keeping the
    converted function so that its ``ag_source_map`` can be read."""
    import textwrap

    from tensorflow.python.autograph.impl import api as autograph_api

    converted = autograph_api.to_graph(function)
    code = textwrap.dedent(inspect.getsource(converted))
    first = converted.__code__.co_firstlineno
    generated_file = converted.__code__.co_filename
    source_map: dict[int, tuple[str, int]] = {}
    for location, origin in getattr(converted, "ag_source_map", {}).items():
        if location.filename == generated_file and location.lineno >= first:
            source_map[location.lineno - first + 1] = (origin.loc.filename, origin.loc.lineno)
    return code, source_map


def compiler_ir(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any], stage: str) -> str:
    """XLA IR of ``function`` for these concrete inputs at ``stage``."""
    if not getattr(function, "_jit_compile", None):  # compiler IR needs jit_compile=True
        function = rebuild(function, jit_compile=True)
    getter = function.experimental_get_compiler_ir(*args, **kwargs)
    return getter(stage=stage)


def write_graph_summary(graph: Any, logdir: str) -> None:
    """A TensorBoard event file whose graph shows in the Graphs dashboard."""
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        tf.summary.graph(graph)
    writer.flush()
    writer.close()


def current_user_line(is_framework: Callable[[str], bool]) -> tuple[str, int] | None:
    """``(filename, lineno)`` of the innermost frame of the running Python stack that is
    not framework code, with AutoGraph-generated frames mapped back to the user's
    source (``tf_stack`` applies AutoGraph's source maps, as it does for op
    tracebacks). None when every frame is the framework's."""
    for frame in reversed(tf_stack.extract_stack()):
        if not is_framework(frame.filename):
            return frame.filename, frame.lineno
    return None
