"""Neutral types shared by the layers: what ``graphlab._tf`` translates TensorFlow's
objects into, and what the features above reason over. No TensorFlow, no feature.

- :class:`TypeNode`, :class:`Context`, :class:`Key`: a trace type, a function context
  and a cache key as plain trees (``graphlab._tf.trace_types`` builds them,
  :mod:`graphlab.tracing.explain` diffs them, :mod:`graphlab.graphs.summarize` shows
  them with :func:`render_type`).
- :class:`Event` and :data:`CALL_EVENT`: one host event of a profile, as
  ``graphlab._tf.profiler`` reads it (:mod:`graphlab.profiling` builds its records
  from them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphlab._text import dims


@dataclass(frozen=True, slots=True)
class TypeNode:
    """A TensorFlow trace type, reduced to what an explanation needs.

    Attributes:
        kind: ``tensor``, ``variable``, ``ragged``, ``sparse``, ``literal``, ``dict``,
            ``list``, ``tuple``, ``namedtuple``, ``identity`` (an object keyed by
            identity) or ``other``.
        dtype: For tensors and variables.
        shape: For tensors and variables; None for unknown rank, a None dim for an
            unknown size.
        value: For literals, the repr of the Python value; for ``ragged``, its ragged
            rank; for ``identity``, a label of the object; for ``other``, the type's repr.
        key: For ``identity`` nodes, the object's hash while it is alive, 0 once it
            has been collected (TensorFlow never matches a dead object again).
        label: Type name for named tuples and attrs classes; Python type of a literal;
            the row-splits dtype of a ragged tensor.
        children: ``(name, node)`` pairs for containers, in order.
    """

    kind: str
    dtype: str = ""
    shape: tuple[int | None, ...] | None = None
    value: str = ""
    key: int = 0
    label: str = ""
    children: tuple[tuple[str, TypeNode], ...] = ()


@dataclass(frozen=True, slots=True)
class Context:
    """A function context, reduced to readable fields that decide cache hits."""

    scope: str = "NO_SCOPE"
    fields: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, str]:
        return {"scope": self.scope, **dict(self.fields)}


@dataclass(frozen=True, slots=True)
class Key:
    """A cache key: the context and the parameters' types, in order."""

    context: Context
    params: tuple[tuple[str, TypeNode], ...] = field(default=())


# ---------------------------------------------------------------------------
# Rendering types


#: How each kind with a dtype and shape is written around ``float32[2,3]``.
_TENSOR_LIKE = {
    "tensor": "{}",
    "variable": "Variable({})",
    "ragged": "RaggedTensor({})",
    "sparse": "SparseTensor({})",
}


def render_type(node: TypeNode) -> str:
    """``float32[1,2]``, ``3``, ``{'a': float32[]}``, ``<Foo object>``."""
    if node.kind in _TENSOR_LIKE:
        return _TENSOR_LIKE[node.kind].format(f"{node.dtype}{dims(node.shape, unknown_rank='[*]')}")
    if node.kind in ("literal", "identity", "other"):
        return node.value
    if node.kind == "dict":
        return "{" + ", ".join(f"{k}: {render_type(v)}" for k, v in node.children) + "}"
    if node.kind == "list":
        return "[" + ", ".join(render_type(v) for _, v in node.children) + "]"
    if node.kind == "tuple":
        inner = ", ".join(render_type(v) for _, v in node.children)
        return f"({inner},)" if len(node.children) == 1 else f"({inner})"
    if node.kind == "namedtuple":
        inner = ", ".join(f"{k}={render_type(v)}" for k, v in node.children)
        return f"{node.label}({inner})"
    return node.value or node.kind


def describe_kind(node: TypeNode) -> str:
    """A type with what it is: ``tensor float32[]``, ``Python int 2``."""
    if node.kind == "tensor":
        return f"tensor {render_type(node)}"
    if node.kind == "literal":
        return f"Python {node.label} {node.value}"
    if node.kind == "identity":
        return f"object {node.value}"
    return render_type(node)


# ---------------------------------------------------------------------------
# Profile events

#: Name of the event graphlab's call probe wraps around each call of an XLA function
#: while it records compilations; its ``input_shapes`` stat is ``[3][4x?][]``.
CALL_EVENT = "graphlab.xla_call"


@dataclass(frozen=True, slots=True)
class Event:
    """One host event of a profile (a TraceMe): a span on one thread's line.

    Attributes:
        line: ``PLANE/LINE`` (``/host:CPU/python``): one per thread.
        name: The event's name (``CpuCompiler::RunBackend``, ``f``, ``MatMul:MatMul``).
        start_ps: Start, picoseconds on the profile's clock (only differences mean anything).
        duration_ps: Length in picoseconds.
        stats: The event's statistics (``tf_function_call``, ``name``, ...).
    """

    line: str
    name: str
    start_ps: int
    duration_ps: int
    stats: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def end_ps(self) -> int:
        return self.start_ps + self.duration_ps
