"""The modes a function is compared in: eager, a fresh ``tf.function``, XLA, a
ConcreteFunction called directly, or user variants given as callables.

Each mode is built right before it is timed, so that a graph mode's first call really
traces (and a failure to build is that row's error). TensorFlow is imported then, not
with this module: the parent of isolated workers uses its names without loading it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphlab.bench.modenames import BUILTIN_MODES

#: The modes ``compare`` and ``bench`` run when none are given.
DEFAULT_MODES = ("eager", "graph", "xla")


class CompareError(ValueError):
    """Bad arguments to :func:`compare` (unknown mode, nothing to run)."""


@dataclass(frozen=True, slots=True)
class Case:
    """One row to measure: a function's label, a mode, and how to build the callable."""

    function: str
    mode: str
    build: Callable[[], Callable[..., Any]]


def _mode_builder(fn: Any, mode: str) -> Callable[[], Callable[..., Any]]:
    """A factory for ``fn`` in ``mode``: built right before timing, so a graph mode's
    first call really traces (and a failure to build is that row's error)."""
    from graphlab._tf import functions as tf_functions

    if mode == "eager":
        return lambda: tf_functions.python_function_of(fn)
    if mode == "graph":
        return lambda: tf_functions.rebuild(fn, jit_compile=False)
    if mode == "xla":
        return lambda: tf_functions.rebuild(fn, jit_compile=True)
    if mode == "concrete":
        return lambda: _concrete_caller(tf_functions.rebuild(fn, jit_compile=False))
    raise CompareError(
        f"unknown mode {mode!r}: use {', '.join(BUILTIN_MODES)} or a dict name -> callable"
    )


def build_mode(fn: Any, mode: str) -> Callable[..., Any]:
    """``fn`` as run in ``mode`` (``eager``, ``graph``, ``xla``, ``concrete``), fresh."""
    return _mode_builder(fn, mode)()


def _concrete_caller(function: Any) -> Callable[..., Any]:
    """Call a ConcreteFunction: obtained on the first call (which then pays tracing,
    like the other modes), called directly afterwards, skipping the dispatch cache."""
    concrete: list[Any] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if not concrete:
            concrete.append(function.get_concrete_function(*args, **kwargs))
        return concrete[0](*args, **kwargs)

    return call


def functions_of(fn: Any) -> list[tuple[str, Any]]:
    if isinstance(fn, Mapping):
        items = list(fn.items())
    elif isinstance(fn, (list, tuple)):
        items = [(_name_of(f), f) for f in fn]
    else:
        items = [(_name_of(fn), fn)]
    if not items:
        raise CompareError("nothing to compare: give a function")
    for name, f in items:
        if not callable(f):
            raise CompareError(f"{name!r} is a {type(f).__name__}, not a callable")
    return [(str(name), f) for name, f in items]


def _name_of(fn: Any) -> str:
    from graphlab._tf import functions as tf_functions

    target = tf_functions.python_function_of(fn)
    return getattr(target, "__name__", None) or type(target).__name__


def cases(functions: list[tuple[str, Any]], modes: Any) -> list[Case]:
    if isinstance(modes, str):
        modes = [m.strip() for m in modes.split(",") if m.strip()]
    if isinstance(modes, Mapping):
        modes = [modes]
    cases = []
    for name, fn in functions:
        for mode in modes:
            if isinstance(mode, Mapping):
                for variant, variant_fn in mode.items():
                    if not callable(variant_fn):
                        raise CompareError(f"variant {variant!r} is not callable")
                    cases.append(Case(name, str(variant), lambda f=variant_fn: f))
            else:
                cases.append(Case(name, mode, _mode_builder(fn, mode)))
    if not cases:
        raise CompareError("no modes to run")
    return cases
