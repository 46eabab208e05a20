"""``tf.function`` objects: the options one was made with, rebuilding one, its class.

``tf.function`` keeps the arguments it was called with in private attributes; every
place that needs a fresh copy of a function (a graph and an XLA mode, compiler IR, a
recorded ``graphlab.function`` of an existing one) goes through :func:`rebuild`.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from graphlab._tf import PolymorphicFunction


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


def python_function_of(fn: Any) -> Any:
    """The Python callable behind a ``tf.function`` (itself for anything else)."""
    if isinstance(fn, PolymorphicFunction):
        return fn.python_function
    return fn


def rebuild(fn: Any, **overrides: Any) -> Any:
    """A fresh ``tf.function`` (empty cache, so its first call really traces) of ``fn``:
    the options of ``fn`` when it already is one, with ``overrides`` on top."""
    if isinstance(fn, PolymorphicFunction):
        options = {k: v for k, v in function_options(fn).items() if v is not None}
        options.update(overrides)
        return tf.function(fn.python_function, **options)
    return tf.function(fn, **overrides)


def autograph_enabled(fn: Any) -> bool:
    """Whether ``fn`` (a tf.function) converts its Python with AutoGraph."""
    return bool(getattr(fn, "_autograph", True))


def with_class(function: Any, cls: type) -> Any:
    """Give a ``tf.function`` object made by ``tf.function`` itself a subclass of
    TensorFlow's class (one that only adds attributes), keeping every behaviour."""
    if not (isinstance(function, PolymorphicFunction) and issubclass(cls, type(function))):
        raise TypeError(f"{cls.__name__} must subclass {type(function).__name__}")
    function.__class__ = cls
    return function
