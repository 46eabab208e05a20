"""The one door to TensorFlow's private API.

Everything graphlab needs from ``tensorflow.python`` / ``tensorflow.core`` goes through
this module, with version guards and documented fallbacks, so that a TensorFlow upgrade
breaks one file. A ruff banned-api rule keeps private imports out of every other module.

Checked against TensorFlow 2.16 - 2.21.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:
    import tensorflow as tf
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "graphlab needs TensorFlow >= 2.16. Install it with one of the extras: "
        "pip install 'graphlab[cpu]' (tensorflow-cpu), 'graphlab[gpu]' "
        "(tensorflow[and-cuda]) or 'graphlab[tf]' (tensorflow)."
    ) from error

from tensorflow.core.function.trace_type import default_types
from tensorflow.python.eager.polymorphic_function import polymorphic_function, tracing_compilation
from tensorflow.python.framework import tensor as tensor_lib
from tensorflow.python.ops import resource_variable_ops

from graphlab.explain import Context, Key, TypeNode

TF_VERSION: str = tf.__version__
_MIN_VERSION = (2, 16)


def _version_tuple(version: str) -> tuple[int, int]:
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):  # pragma: no cover - odd nightly strings
        return _MIN_VERSION


if _version_tuple(TF_VERSION) < _MIN_VERSION:  # pragma: no cover
    raise ImportError(
        f"graphlab needs TensorFlow >= 2.16, found {TF_VERSION}. "
        "Upgrade with: pip install -U 'graphlab[cpu]'"
    )

#: The class of ``tf.function`` objects (``tf.types.experimental.PolymorphicFunction``).
PolymorphicFunction = polymorphic_function.Function

# Attribute tf.data sets on the functions it traces for itself.
_TF_DATA_ATTRIBUTE = "_tf_data_function"
_XLA_ATTRIBUTE = "_XlaMustCompile"
# Functions TensorFlow traces for itself around a user's tf.function.
_INTERNAL_NAMES = frozenset({"initialize_variables", "fn_with_cond"})


# ---------------------------------------------------------------------------
# The trace hook
#
# tracing_compilation._maybe_define_function calls the module-global
# _create_concrete_function only on a cache miss, while the function cache still holds
# only the earlier entries: the moment to diff, time and count. The steady-state call
# path never reaches it, so the hook costs nothing per call.


@dataclass(slots=True)
class PendingTrace:
    """What the hook knows about a trace that is about to happen."""

    function_type: Any
    type_context: Any
    tracing_options: Any
    caller: types.FrameType | None


TraceListener = Callable[[PendingTrace, Callable[[], Any]], Any]

_hook_lock = threading.Lock()
# TensorFlow's own function, captured once: a thread that looked up the hooked function
# just before an uninstall must still reach it (never cleared, never None).
_ORIGINAL_CREATE: Callable[..., Any] = tracing_compilation._create_concrete_function
_listener: TraceListener | None = None


def _hooked_create_concrete_function(function_type, type_context, func_graph, tracing_options):
    original = _ORIGINAL_CREATE
    listener = _listener
    if listener is None:
        return original(function_type, type_context, func_graph, tracing_options)
    pending = PendingTrace(function_type, type_context, tracing_options, sys._getframe(1))
    try:
        return listener(
            pending,
            lambda: original(function_type, type_context, func_graph, tracing_options),
        )
    finally:
        pending.caller = None  # no frame cycles


def install_trace_hook(listener: TraceListener) -> None:
    """Route every new trace in the process through ``listener``."""
    global _listener
    with _hook_lock:
        _listener = listener
        tracing_compilation._create_concrete_function = _hooked_create_concrete_function


def uninstall_trace_hook() -> None:
    """Give TensorFlow back exactly the function it had before."""
    global _listener
    with _hook_lock:
        _listener = None
        if tracing_compilation._create_concrete_function is _hooked_create_concrete_function:
            tracing_compilation._create_concrete_function = _ORIGINAL_CREATE


def trace_hook_installed() -> bool:
    return tracing_compilation._create_concrete_function is _hooked_create_concrete_function


# ---------------------------------------------------------------------------
# Reading a pending trace


def lookup_and_context(pending: PendingTrace) -> tuple[Any, Any]:
    """The type of the call as made (before ``reduce_retracing`` generalized it) and its
    function context. Both are locals of ``_maybe_define_function``, the caller of the
    hooked function; fall back to the traced type when TF's internals differ."""
    frame = pending.caller
    options = pending.tracing_options
    if frame is not None and frame.f_code.co_name == "_maybe_define_function":
        local_vars = frame.f_locals
        lookup = local_vars.get("lookup_func_type", pending.function_type)
        context = local_vars.get("current_func_context")
        if context is not None:
            return lookup, context
        return lookup, _make_context(options)
    return pending.function_type, _make_context(options)  # pragma: no cover - TF changed


def _make_context(options: Any) -> Any:  # pragma: no cover - fallback only
    from tensorflow.python.eager.polymorphic_function import function_context

    return function_context.make_function_context(options.scope_type)


def cached_keys(options: Any) -> list[tuple[Any, Any]]:
    """``(context, function_type)`` of every entry in the function's cache, oldest first."""
    cache = options.function_cache
    if cache is None:
        return []
    primary = getattr(cache, "_primary", None)
    if primary is None:  # pragma: no cover - TF changed
        return []
    return list(primary.keys())


def cache_size(options: Any) -> int:
    cache = options.function_cache
    return 0 if cache is None else len(cache)


def owner_function(pending: PendingTrace) -> Any | None:
    """The ``tf.function`` object whose cache this trace fills, found up the stack."""
    cache = pending.tracing_options.function_cache
    if cache is None:
        return None
    frame = pending.caller
    for _ in range(16):
        if frame is None:
            return None
        candidate = frame.f_locals.get("self") if "self" in frame.f_code.co_varnames else None
        if isinstance(candidate, PolymorphicFunction) and candidate._function_cache is cache:
            return candidate
        frame = frame.f_back
    return None


def function_cache_of(function: Any) -> Any:
    return function._function_cache


def is_internal(options: Any) -> bool:
    """tf.data functions and the initializers TF traces around a user's function."""
    attributes = options.attributes or {}
    return bool(attributes.get(_TF_DATA_ATTRIBUTE)) or options.name in _INTERNAL_NAMES


def jit_compile(options: Any) -> bool:
    attributes = options.attributes or {}
    value = attributes.get(_XLA_ATTRIBUTE)
    return bool(getattr(value, "b", value)) if value is not None else False


def python_target(options: Any) -> Any:
    """The user's Python callable behind TF's wrappers (autograph, variable scopes)."""
    return unwrap(options.python_function)


def unwrap(function: Any) -> Any:
    """Follow ``__wrapped__`` (tf_decorator, functools.wraps) to the user's callable."""
    seen = set()
    while hasattr(function, "__wrapped__") and id(function) not in seen:
        seen.add(id(function))
        function = function.__wrapped__
    if isinstance(function, PolymorphicFunction):
        return unwrap(function.python_function)
    return function


def bound_instance(target: Any) -> Any | None:
    """The instance a function belongs to: the ``self`` of a per-instance tf.function
    method, or a ``self`` the function closes over (Keras's step functions)."""
    owner = getattr(target, "__self__", None)
    if owner is not None:
        weak_target = getattr(owner, "weakrefself_target__", None)
        if weak_target is not None:  # TfMethodTarget
            return weak_target()
        return owner
    code = getattr(target, "__code__", None)
    closure = getattr(target, "__closure__", None)
    if code is not None and closure and "self" in code.co_freevars:
        try:
            return closure[code.co_freevars.index("self")].cell_contents
        except ValueError:  # empty cell
            return None
    return None


def code_of(target: Any) -> types.CodeType | None:
    function = getattr(target, "__func__", target)
    code = getattr(function, "__code__", None)
    if code is None and callable(function) and not isinstance(function, type):
        code = getattr(type(function).__call__, "__code__", None)
    return code


def names_of(target: Any, fallback: str) -> tuple[str, str, str]:
    """``(name, qualname, defined_at)`` of a Python callable."""
    function = getattr(target, "__func__", target)
    name = getattr(function, "__name__", None) or fallback
    qualname = getattr(function, "__qualname__", None) or name
    code = code_of(target)
    defined_at = f"{short_path(code.co_filename)}:{code.co_firstlineno}" if code else "?"
    return name, qualname, defined_at


# ---------------------------------------------------------------------------
# Call sites


def _package_dirs() -> tuple[str, ...]:
    dirs = []
    for name in ("tensorflow", "keras", "tf_keras", "graphlab", "absl", "optree", "tree"):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            dirs.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    return tuple(dirs)


_PACKAGE_DIRS: tuple[str, ...] = ()


def user_call_site(frame: types.FrameType | None) -> str:
    """``file:line`` of the first frame outside TensorFlow, Keras and graphlab's own
    machinery (graphlab's examples and demo count as user code)."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_framework_file(filename):
            return f"{short_path(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def short_path(filename: str) -> str:
    """A path relative to the working directory when it is below it, else from its top
    package (``graphlab/examples.py``) when it is in one, else as it is."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # pragma: no cover - other drive on Windows
        return filename
    if not relative.startswith(".."):
        return relative
    directory = os.path.dirname(os.path.abspath(filename))
    if not os.path.exists(os.path.join(directory, "__init__.py")):
        return filename
    while os.path.exists(os.path.join(directory, "__init__.py")):
        directory = os.path.dirname(directory)
    return os.path.relpath(filename, directory)  # from the top package: pkg/mod.py


# ---------------------------------------------------------------------------
# Trace types -> neutral trees (graphlab.explain)


def describe_type(trace_type: Any) -> TypeNode:
    """A TensorFlow TraceType as a :class:`graphlab.explain.TypeNode`."""
    if isinstance(trace_type, resource_variable_ops.VariableSpec):
        return TypeNode(
            "variable", dtype=trace_type.dtype.name, shape=shape_tuple(trace_type.shape)
        )
    if isinstance(trace_type, tensor_lib.TensorSpec):
        return TypeNode("tensor", dtype=trace_type.dtype.name, shape=shape_tuple(trace_type.shape))
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
    """A FunctionContext as a :class:`graphlab.explain.Context`."""
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


def describe_keys(pairs: list[tuple[Any, Any]]) -> list[Key]:
    """Many cache keys at once; entries share few contexts, so each is described once."""
    contexts: dict[Any, Context] = {}
    keys = []
    for function_context, function_type in pairs:
        context = contexts.get(function_context)
        if context is None:
            context = contexts[function_context] = describe_context(function_context)
        keys.append(describe_key(function_context, function_type, context))
    return keys


# ---------------------------------------------------------------------------
# Graphs


def count_ops(graph: Any) -> int:
    """Ops in a FuncGraph, including the bodies of nested functions (cond and while
    branches, nested tf.function calls), which live in its function library.

    The recorder's ``op_count`` and ``graphlab.inspect``'s ``op_count_total`` both come
    from here (via :func:`function_bodies`), so the two always agree."""
    return len(graph.get_operations()) + sum(len(b.node_defs) for b in function_bodies(graph))


def functions_run_eagerly() -> bool:
    return tf.config.functions_run_eagerly()


def signature_params(function: Any) -> list[str]:
    """Parameter names of a Python callable, for messages."""
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []


def function_options(function: Any) -> dict[str, Any]:
    """The ``tf.function`` arguments an existing tf.function object was made with."""
    return {
        "input_signature": function.input_signature,
        "autograph": function._autograph,
        "jit_compile": function._jit_compile,
        "reduce_retracing": function._reduce_retracing,
        "experimental_autograph_options": function._experimental_autograph_options,
        "experimental_attributes": dict(function._attributes) or None,
    }


# --- timing ---
#
# What graphlab.timing and graphlab.compare need from TensorFlow: how to wait for a
# block of calls to finish, where the work runs, the thread pools, and the forms of one
# Python function (eager, tf.function, XLA, concrete). Public API where one exists.


def gpu_present() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def _materialize(output: Any) -> None:
    for item in tf.nest.flatten(output, expand_composites=True):
        numpy = getattr(item, "numpy", None)
        if numpy is not None and isinstance(item, (tf.Tensor, tf.Variable)):
            numpy()


def _sync_devices(output: Any) -> None:
    tf.test.experimental.sync_devices()


def device_sync() -> Callable[[Any], None] | None:
    """The per-call device sync on a GPU machine; None where calls are synchronous (CPU)."""
    if gpu_present() and hasattr(tf.test.experimental, "sync_devices"):
        return _sync_devices
    return None


def block_sync() -> Callable[[Any], None]:
    """What to call once after a block of calls so the clock sees finished work.

    GPU kernels run asynchronously, so without this a timer measures the enqueue:
    ``tf.test.experimental.sync_devices()`` waits for every device (TF >= 2.12). On a
    CPU-only machine eager ops are synchronous and fetching the last output is enough.
    """
    return device_sync() or _materialize


def device_description() -> str:
    """``CPU`` or the GPUs' names, for the metadata of a measurement."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    names = []
    for gpu in gpus:
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:  # pragma: no cover - older drivers
            details = {}
        names.append(details.get("device_name", gpu.name))
    return ", ".join(names)


def thread_settings() -> tuple[int, int]:
    """``(intra_op, inter_op)`` pool sizes; 0 means TensorFlow picks (all cores)."""
    return (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )


def set_thread_settings(intra: int, inter: int) -> None:
    """Set the thread pools; only possible before TensorFlow runs its first op, which is
    why comparing thread settings needs one process per setting."""
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)


def python_function_of(fn: Any) -> Any:
    """The Python callable behind a ``tf.function`` (itself for anything else)."""
    if isinstance(fn, PolymorphicFunction):
        return fn.python_function
    return fn


def make_tf_function(fn: Any, *, jit_compile: bool | None = None) -> Any:
    """A fresh ``tf.function`` (empty cache, so its first call really traces) of ``fn``,
    keeping the options of ``fn`` when it already is one."""
    if isinstance(fn, PolymorphicFunction):
        options = function_options(fn)
        options = {k: v for k, v in options.items() if v is not None}
        options["jit_compile"] = jit_compile if jit_compile is not None else fn._jit_compile
        return tf.function(fn.python_function, **options)
    return tf.function(fn, jit_compile=jit_compile)


def to_numpy_list(output: Any) -> list[Any]:
    """The leaves of an output as numpy arrays, for parity checks across modes."""
    import numpy as np

    leaves = []
    for item in tf.nest.flatten(output, expand_composites=True):
        if isinstance(item, (tf.Tensor, tf.Variable)):
            leaves.append(item.numpy())
        else:
            leaves.append(np.asarray(item))
    return leaves


def overhead_probes() -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Two do-nothing calls: a bare ``tf.function`` (an identity on a scalar) and one
    eager op on a scalar. Their times are the floor below which a row measures
    dispatch rather than work."""
    scalar = tf.constant(1.0)
    identity = tf.function(lambda x: x)
    return (lambda: identity(scalar)), (lambda: tf.add(scalar, scalar))


# --- training ---


def reset_peak_memory() -> None:
    """Reset the GPU allocator's peak counter (TensorFlow reports none for the CPU)."""
    for device in tf.config.list_logical_devices("GPU")[:1]:
        tf.config.experimental.reset_memory_stats(device.name)


def peak_memory_bytes() -> int | None:
    """Peak bytes on the first GPU since the last reset; None on CPU-only machines."""
    for device in tf.config.list_logical_devices("GPU")[:1]:
        return int(tf.config.experimental.get_memory_info(device.name)["peak"])
    return None


# --- inspection ---
#
# Reading graphs for graphlab.graphs / graphlab.autograph. A FuncGraph's top-level ops
# are public (get_operations); the bodies of cond/while branches and nested calls live
# in its function library, reachable as ``graph._functions`` (name -> AtomicFunction,
# transitively: a while inside a cond is listed too). When that attribute is missing we
# fall back to the GraphDef library, which has the same nodes but no Python tracebacks.


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


def node_body_names(node_def: Any) -> tuple[str, ...]:
    """Names of the library functions a control-flow / call node runs."""
    names: list[str] = []
    for attribute in BODY_ATTRIBUTES:
        if attribute not in node_def.attr:
            continue
        value = node_def.attr[attribute]
        if value.HasField("func"):
            names.append(value.func.name)
        elif value.HasField("list"):
            names.extend(f.name for f in value.list.func)
    return tuple(names)


_STATEFUL_CACHE: dict[str, bool] = {}


def is_stateful(op_type: str) -> bool:
    """Whether TensorFlow registers ``op_type`` as stateful (variables, random, I/O...)."""
    known = _STATEFUL_CACHE.get(op_type)
    if known is None:
        from tensorflow.python.framework import op_def_registry

        op_def = op_def_registry.get(op_type)
        known = _STATEFUL_CACHE[op_type] = bool(op_def is not None and op_def.is_stateful)
    return known


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


def is_framework_file(filename: str) -> bool:
    """Files of TensorFlow, Keras and their helpers: not the user's code."""
    global _PACKAGE_DIRS
    if not _PACKAGE_DIRS or "keras" not in "".join(_PACKAGE_DIRS):
        _PACKAGE_DIRS = _package_dirs()
    ours = os.path.dirname(os.path.abspath(__file__)) + os.sep
    if filename.startswith(ours):  # graphlab's own machinery, not its examples
        return not filename.endswith(("examples.py", "demo.py"))
    return (
        filename.startswith(_PACKAGE_DIRS)
        or filename.startswith("<frozen")
        or "__autograph_generated_file" in filename
        or filename.endswith(("contextlib.py", "threading.py", "functools.py"))
    )


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


def is_concrete_function(obj: Any) -> bool:
    return isinstance(obj, tf.types.experimental.ConcreteFunction)


def graph_captures(concrete: Any) -> list[tuple[Any, Any]]:
    """``(external value, internal placeholder)`` for everything the graph captured."""
    return list(concrete.graph.captures)


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


def with_jit_compile(function: Any) -> Any:
    """A copy of a tf.function with ``jit_compile=True`` (needed for compiler IR), or the
    function itself when it already has it."""
    if getattr(function, "_jit_compile", None):
        return function
    options = function_options(function)
    options["jit_compile"] = True
    return tf.function(function.python_function, **options)


def compiler_ir(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any], stage: str) -> str:
    """XLA IR of ``function`` for these concrete inputs at ``stage``."""
    getter = with_jit_compile(function).experimental_get_compiler_ir(*args, **kwargs)
    return getter(stage=stage)


def write_graph_summary(graph: Any, logdir: str) -> None:
    """A TensorBoard event file whose graph shows in the Graphs dashboard."""
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        tf.summary.graph(graph)
    writer.flush()
    writer.close()


def required_params(function: Any) -> list[str]:
    """Parameters of a Python callable that have no default (``self`` excluded)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in parameters
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
