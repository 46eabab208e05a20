"""Change chosen tf.functions as they are created, and fingerprint what chosen
tf.functions return: how graphlab verifies its advice by re-running a program.

A fix is applied where every tf.function is born, ``Function.__init__``, to the Python
function it wraps (matched by qualified name and definition site): a decorator, a
``tf.function(f)`` call, a method, a function in an imported module or made by a
factory all pass there, and the program's own files stay untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.python.eager.polymorphic_function import polymorphic_function

from graphlab._tf.hook import names_of

Name = tuple[str, str]  # (qualname, defined_at)
#: Calls fingerprinted per function; later calls are counted only.
MAX_CALLS = 2000


def _name(python_function: Any) -> Name:
    _, qualname, defined_at = names_of(python_function, "?")
    return qualname, defined_at


@contextlib.contextmanager
def fixed_functions(fixes: dict[Name, str], applied: dict[Name, int]) -> Iterator[None]:
    """While inside, a tf.function created over a function named in ``fixes`` gets the
    keyword arguments of its text (``input_signature=[...]``), evaluated in the
    function's module with ``tf`` at hand; ``applied`` counts the functions fixed.

    A text that does not evaluate raises where the tf.function is created, as the same
    edit of the source would."""
    original = polymorphic_function.Function.__init__
    parameters = inspect.signature(original)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = parameters.bind(self, *args, **kwargs)
        python_function = bound.arguments.get("python_function")
        text = fixes.get(_name(python_function)) if python_function is not None else None
        if text is not None:
            namespace = {"tf": tf, **getattr(python_function, "__globals__", {})}
            bound.arguments.update(eval(f"dict({text})", namespace))
            applied[_name(python_function)] = applied.get(_name(python_function), 0) + 1
        original(*bound.args, **bound.kwargs)

    polymorphic_function.Function.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        polymorphic_function.Function.__init__ = original  # type: ignore[method-assign]


def _fingerprint(value: Any) -> list[Any]:
    """``[dtype, shape, sum]`` of each tensor in a call's result (strings hashed)."""
    out: list[Any] = []
    for leaf in tf.nest.flatten(value, expand_composites=True):
        if not hasattr(leaf, "numpy"):
            out.append(repr(type(leaf).__name__) if not isinstance(leaf, (int, float)) else leaf)
            continue
        array = np.asarray(leaf.numpy())
        if array.dtype.kind in "biuf":
            out.append([str(array.dtype), list(array.shape), float(array.astype(np.float64).sum())])
        else:
            digest = hashlib.sha1(array.tobytes()).hexdigest()  # the same in every process
            out.append([str(array.dtype), list(array.shape), digest])
    return out


@contextlib.contextmanager
def recorded_outputs(store: dict[Name, list[Any]]) -> Iterator[None]:
    """While inside, each eager call of a tf.function adds its result's fingerprint to
    ``store[(qualname, defined_at)]`` (the first :data:`MAX_CALLS` calls)."""
    original = polymorphic_function.Function.__call__
    names: dict[int, Name] = {}

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        try:
            if tf.executing_eagerly():
                function = self._python_function
                name = names.get(id(function))
                if name is None:
                    name = names[id(function)] = _name(function)
                calls = store.setdefault(name, [])
                if len(calls) < MAX_CALLS:
                    calls.append(_fingerprint(result))
        except Exception:  # never break the program over a fingerprint
            pass
        return result

    polymorphic_function.Function.__call__ = call  # type: ignore[method-assign]
    try:
        yield
    finally:
        polymorphic_function.Function.__call__ = original  # type: ignore[method-assign]


def output_difference(before: list[Any], after: list[Any]) -> str:
    """How two runs' fingerprints differ, '' when they agree (sums within float
    tolerance): a result's dtype or shape that changed names the call and both; a
    value that moved says so."""
    if len(before) != len(after):
        return f"the function returned {len(before)} times before, {len(after)} with the fix"
    values = ""
    for number, (a, b) in enumerate(zip(before, after), 1):
        if len(a) != len(b):
            return f"call {number} returned {len(a)} tensors before, {len(b)} with the fix"
        for x, y in zip(a, b):
            if isinstance(x, list) and isinstance(y, list):
                if x[0] != y[0]:
                    return f"call {number} returned {x[0]} before, {y[0]} with the fix"
                if x[1] != y[1]:
                    return f"call {number} returned shape {x[1]} before, {y[1]} with the fix"
                if not _close(x[2], y[2]):
                    values = values or "values"
            elif x != y:
                values = values or "values"
    return values


def _close(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        both_nan = math.isnan(x) and math.isnan(y)
        return both_nan or math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-6)
    return x == y
