"""The trace hook, and what it reads off a trace that is about to happen.

tracing_compilation._maybe_define_function calls the module-global
_create_concrete_function only on a cache miss, while the function cache still holds
only the earlier entries: the moment to diff, time and count. The steady-state call
path never reaches it, so the hook costs nothing per call.
"""

from __future__ import annotations

import itertools
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tensorflow.python.eager.polymorphic_function import tracing_compilation

from graphlab._source import short_path
from graphlab._tf import PolymorphicFunction

# Attribute tf.data sets on the functions it traces for itself.
_TF_DATA_ATTRIBUTE = "_tf_data_function"

_XLA_ATTRIBUTE = "_XlaMustCompile"

# Functions TensorFlow traces for itself around a user's tf.function.
_INTERNAL_NAMES = frozenset({"initialize_variables", "fn_with_cond"})


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
