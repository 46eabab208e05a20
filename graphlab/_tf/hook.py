"""The trace hook, and what it reads off a trace that is about to happen.

tracing_compilation._maybe_define_function calls the module-global
_create_concrete_function only on a cache miss, while the function cache still holds
only the earlier entries: the moment to diff, time and count. The steady-state call
path never reaches it, so the hook costs nothing per call.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tensorflow as tf
from tensorflow.python.eager.polymorphic_function import tracing_compilation

from graphlab._source import short_path
from graphlab._tf import PolymorphicFunction

# Attribute tf.data sets on the functions it traces for itself.
_TF_DATA_ATTRIBUTE = "_tf_data_function"

_XLA_ATTRIBUTE = "_XlaMustCompile"

# Functions TensorFlow traces for itself around a user's tf.function.
_INTERNAL_NAMES = frozenset({"initialize_variables", "fn_with_cond"})

# TensorFlow's packages whose own tf.functions are plumbing, not the user's code.
_TF_DIR = os.path.dirname(os.path.abspath(tf.__file__))
_PLUMBING_DIRS = tuple(
    os.path.join(_TF_DIR, "python", part) + os.sep for part in ("data", "distribute")
)


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


def call_arguments(pending: PendingTrace) -> dict[str, Any]:
    """The Python arguments of the call that traced, by parameter name (``self`` left
    out for methods): ``bound_args`` of ``_maybe_define_function``, the caller of the
    hooked function. Empty when TensorFlow's internals differ."""
    frame = pending.caller
    if frame is None or frame.f_code.co_name != "_maybe_define_function":
        return {}  # pragma: no cover - TF changed
    bound = frame.f_locals.get("bound_args")
    arguments = getattr(bound, "arguments", None)
    return dict(arguments) if arguments else {}


def _make_context(options: Any) -> Any:  # pragma: no cover - fallback only
    from tensorflow.python.eager.polymorphic_function import function_context

    return function_context.make_function_context(options.scope_type)


def cached_keys(options: Any) -> list[tuple[Any, Any]]:
    """``(context, function_type)`` of every entry in the function's cache, oldest first."""
    return newest_cached_keys(options)[1]


def newest_cached_keys(
    options: Any, newest: int | None = None
) -> tuple[int, list[tuple[Any, Any]]]:
    """How many entries the function's cache holds, and ``(context, function_type)`` of
    the ``newest`` of them (all by default), oldest first. Only those are read: walking a
    whole OrderedDict hashes every key, and a FunctionType's hash is slow, so reading the
    whole cache on every trace would cost more with every cached graph."""
    cache = options.function_cache
    primary = getattr(cache, "_primary", None) if cache is not None else None
    if primary is None:  # pragma: no cover - TF changed
        return 0, []
    size = len(primary)
    count = size if newest is None else min(newest, size)
    return size, list(itertools.islice(reversed(primary), count))[::-1]


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


def is_internal(options: Any) -> bool:
    """tf.data functions, the initializers TF traces around a user's function, and the
    functions of TensorFlow's own data and distribution plumbing (a distributed
    dataset's ``_init_func`` / ``_next_func`` / ``_finalize_func``, made again for
    every epoch's iterator)."""
    attributes = options.attributes or {}
    if attributes.get(_TF_DATA_ATTRIBUTE) or options.name in _INTERNAL_NAMES:
        return True
    code = code_of(python_target(options))
    return code is not None and code.co_filename.startswith(_PLUMBING_DIRS)


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
# Which function a traced callable is: closures and Keras's step factory

#: How deep a closure fingerprint follows functions held in closure cells.
_FINGERPRINT_DEPTH = 3

_PLAIN = (bool, int, float, complex, str, bytes, type(None))


def closure_fingerprint(target: Any, depth: int = _FINGERPRINT_DEPTH) -> Any:
    """A hashable token of what a callable computes: its code and what its closure
    holds, leaving out the instance it belongs to (``self``, a bound method's object).

    Two tf.function objects over the same code are *the same function re-created* only
    when their tokens are equal. Keras 3 builds its train, test and predict functions
    with one factory (``TensorFlowTrainer._make_function(step_function)``): the same
    code, closures over different step methods, so different tokens. Functions and
    tf.functions in closure cells are followed by their own token (a factory call makes
    fresh inner objects every time); other objects count by identity, plain values by
    value.
    """
    target = unwrap(target)
    function = getattr(target, "__func__", target)
    code = getattr(function, "__code__", None)
    if code is None:
        return ("object", id(target))
    cells: tuple[Any, ...] = ()
    if depth > 0:
        closure = getattr(function, "__closure__", None) or ()
        cells = tuple(
            _cell_token(cell, depth - 1)
            for name, cell in zip(code.co_freevars, closure)
            if name != "self"  # the instance is tracked on its own (a new model is expected)
        )
    return ("function", code, cells)


def _cell_token(cell: Any, depth: int) -> Any:
    try:
        value = cell.cell_contents
    except ValueError:  # an empty cell
        return ("empty",)
    if isinstance(value, _PLAIN):
        return ("value", type(value).__name__, value)
    if (
        isinstance(value, PolymorphicFunction)
        or hasattr(value, "__code__")
        or (hasattr(value, "__func__") and hasattr(value, "__self__"))
    ):
        return closure_fingerprint(value, depth)
    return ("object", id(value))


# Keras step methods -> the name of the function Keras builds around them.
_KERAS_STEPS = {
    "train_step": "train_function",
    "test_step": "test_function",
    "predict_step": "predict_function",
}


def keras_role(target: Any) -> str:
    """``'Sequential.test_function'`` when ``target`` is one of the functions Keras
    builds around a model's train/test/predict step, '' otherwise.

    Found from what the closure holds (the bound step method that the factory closed
    over, followed through inner functions and tf.functions), or, for the predict
    functions Keras builds without the factory, from ``make_predict_function`` in the
    qualified name.
    """
    target = unwrap(target)
    function = getattr(target, "__func__", target)
    module = getattr(function, "__module__", "") or ""
    if not module.startswith("keras"):
        return ""
    step = _find_step_method(function, depth=_FINGERPRINT_DEPTH)
    if step is not None:
        name, model = step
        return f"{type(model).__name__}.{_KERAS_STEPS[name]}"
    if "make_predict_function" in (getattr(function, "__qualname__", "") or ""):
        model = bound_instance(function)
        if model is not None:
            return f"{type(model).__name__}.predict_function"
    return ""


def _find_step_method(function: Any, depth: int) -> tuple[str, Any] | None:
    for cell in getattr(function, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        name = getattr(value, "__name__", "")
        model = getattr(value, "__self__", None)
        if name in _KERAS_STEPS and model is not None:
            return name, model
        if depth > 0 and (isinstance(value, PolymorphicFunction) or hasattr(value, "__code__")):
            inner = unwrap(value)
            found = _find_step_method(getattr(inner, "__func__", inner), depth - 1)
            if found is not None:
                return found
    return None
