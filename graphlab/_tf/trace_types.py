"""TensorFlow's trace types and function contexts as neutral trees.

:mod:`graphlab.tracing.explain` reasons over the trees of :mod:`graphlab._types`
(:class:`TypeNode`, :class:`Key`, :class:`Context`) only; TensorFlow's types are
translated here, once, at the door.
"""

from __future__ import annotations

from typing import Any

from tensorflow.core.function.trace_type import default_types
from tensorflow.python.framework import sparse_tensor
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.ops import resource_variable_ops
from tensorflow.python.ops.ragged import ragged_tensor

from graphlab._types import Context, Key, TypeNode


def describe_type(trace_type: Any) -> TypeNode:
    """A TensorFlow TraceType as a :class:`graphlab._types.TypeNode`."""
    if isinstance(trace_type, resource_variable_ops.VariableSpec):
        return TypeNode(
            "variable", dtype=trace_type.dtype.name, shape=shape_tuple(trace_type.shape)
        )
    if isinstance(trace_type, tensor_lib.TensorSpec):
        return TypeNode("tensor", dtype=trace_type.dtype.name, shape=shape_tuple(trace_type.shape))
    if isinstance(trace_type, ragged_tensor.RaggedTensorSpec):
        return TypeNode(
            "ragged",
            dtype=trace_type.dtype.name,
            shape=shape_tuple(trace_type.shape),
            value=str(trace_type.ragged_rank),
            label=trace_type.row_splits_dtype.name,
        )
    if isinstance(trace_type, sparse_tensor.SparseTensorSpec):
        return TypeNode("sparse", dtype=trace_type.dtype.name, shape=shape_tuple(trace_type.shape))
    if isinstance(trace_type, default_types.Literal):
        value = trace_type.value
        return TypeNode("literal", value=repr(value), label=type(value).__name__)
    if isinstance(trace_type, default_types.Dict):
        return TypeNode(
            "dict",
            children=tuple((repr(k), describe_type(v)) for k, v in trace_type.mapping.items()),
        )
    if isinstance(trace_type, default_types.List):
        return TypeNode("list", children=_indexed(trace_type.components_tuple.components))
    if isinstance(trace_type, default_types.NamedTuple):
        return TypeNode(
            "namedtuple",
            label=trace_type.type_name,
            children=tuple(
                (name, describe_type(v))
                for name, v in zip(trace_type.attribute_names, trace_type.attributes.components)
            ),
        )
    if _ATTRS_TYPE is not None and isinstance(trace_type, _ATTRS_TYPE):
        named = trace_type.named_attributes
        return TypeNode(
            "namedtuple",
            label=named.type_name,
            children=tuple(
                (name, describe_type(v))
                for name, v in zip(named.attribute_names, named.attributes.components)
            ),
        )
    if isinstance(trace_type, default_types.Tuple):
        return TypeNode("tuple", children=_indexed(trace_type.components))
    if isinstance(trace_type, default_types.Weakref):
        obj = trace_type._ref()
        label = (
            f"<{type(obj).__qualname__} object at {id(obj):#x}>"
            if obj is not None
            else "<an earlier object, since collected>"
        )
        return TypeNode("identity", value=label, key=trace_type._ref_hash if obj is not None else 0)
    return TypeNode("other", value=repr(trace_type))


# attrs classes got their own trace type in TF 2.13; guard in case it moves again.
_ATTRS_TYPE = getattr(default_types, "Attrs", None)


def _indexed(components: Any) -> tuple[tuple[str, TypeNode], ...]:
    return tuple((str(i), describe_type(c)) for i, c in enumerate(components))


def shape_tuple(shape: Any) -> tuple[int | None, ...] | None:
    """A TensorShape as a tuple (None dims kept); None for an unknown rank."""
    if shape.rank is None:
        return None
    return tuple(shape.as_list())


def describe_context(function_context: Any) -> Context:
    """A FunctionContext as a :class:`graphlab._types.Context`."""
    scope = getattr(function_context.scope_type, "name", str(function_context.scope_type))
    eager = function_context.context
    fields: list[tuple[str, str]] = []
    parent = getattr(eager, "parent_graph", None)
    fields.append(
        (
            "graph",
            "eager"
            if parent is None
            else f"inside graph {getattr(parent, 'name', '?')}@{id(parent):#x}",
        )
    )
    device = getattr(eager, "device_functions", ())
    if device:
        fields.append(("device", ", ".join(str(d) for d in device)))
    colocation = getattr(eager, "colocation_stack", ())
    if colocation:
        fields.append(("colocation", repr(colocation)))
    if getattr(eager, "in_cross_replica_context", False):
        fields.append(("cross_replica", "True"))
    policy = getattr(eager, "variable_policy", None)
    if policy is not None:
        fields.append(("saving", str(policy)))
    xla_id = getattr(eager, "xla_context_id", 0)
    if xla_id:
        fields.append(("xla_context", f"{xla_id:#x}"))
    return Context(scope=scope, fields=tuple(fields))


def describe_key(function_context: Any, function_type: Any, context: Context | None = None) -> Key:
    return Key(
        context=context or describe_context(function_context),
        params=tuple(
            (name, describe_type(parameter.type_constraint))
            for name, parameter in function_type.parameters.items()
        ),
    )


def describe_keys(
    pairs: list[tuple[Any, Any]], contexts: dict[Any, Context] | None = None
) -> list[Key]:
    """Many cache keys at once; entries share few contexts, so each is described once
    (``contexts`` carries those descriptions from call to call)."""
    contexts = {} if contexts is None else contexts
    keys = []
    for function_context, function_type in pairs:
        context = contexts.get(function_context)
        if context is None:
            context = contexts[function_context] = describe_context(function_context)
        keys.append(describe_key(function_context, function_type, context))
    return keys


def input_types(concrete: Any) -> list[tuple[str, TypeNode]]:
    """Parameter name -> neutral type of a ConcreteFunction's inputs."""
    function_type = getattr(concrete, "function_type", None)
    if function_type is None:  # pragma: no cover - TF changed
        return []
    return [
        (name, describe_type(parameter.type_constraint))
        for name, parameter in function_type.parameters.items()
        if parameter.type_constraint is not None
    ]


def describe_spec(structure: Any) -> TypeNode | None:
    """A (nested) TypeSpec structure, like a dataset's ``element_spec``, as a
    :class:`TypeNode` the explanations can compare with keys; None for anything else."""
    if isinstance(structure, (tensor_lib.TensorSpec, ragged_tensor.RaggedTensorSpec)) or (
        isinstance(structure, sparse_tensor.SparseTensorSpec)
    ):
        return describe_type(structure)
    if isinstance(structure, dict):
        children = [(repr(k), describe_spec(v)) for k, v in structure.items()]
        kind, label = "dict", ""
    elif isinstance(structure, tuple) and hasattr(structure, "_fields"):
        children = [(f, describe_spec(getattr(structure, f))) for f in structure._fields]
        kind, label = "namedtuple", type(structure).__name__
    elif isinstance(structure, (tuple, list)):
        children = [(str(i), describe_spec(v)) for i, v in enumerate(structure)]
        kind, label = ("tuple" if isinstance(structure, tuple) else "list"), ""
    else:
        return None
    if any(node is None for _, node in children):
        return None
    return TypeNode(kind, label=label, children=tuple(children))  # type: ignore[arg-type]


def datasets_in(namespace: dict[str, Any]) -> list[tuple[str, TypeNode]]:
    """``(name, element spec)`` of each tf.data or distributed dataset (or iterator over
    one) that ``namespace`` (a frame's locals or globals) holds."""
    import tensorflow as tf

    kinds = (tf.data.Dataset, tf.distribute.DistributedDataset, tf.data.Iterator)
    kinds += (tf.distribute.DistributedIterator,)
    found = []
    for name, value in list(namespace.items()):
        if name.startswith("__") or not isinstance(value, kinds):
            continue
        try:
            node = describe_spec(value.element_spec)
        except Exception:  # an iterator past its end, a dataset TF cannot describe
            continue
        if node is not None:
            found.append((name, node))
    return found
