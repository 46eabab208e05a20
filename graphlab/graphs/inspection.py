"""``graphlab.inspect``: trace a function with example inputs and summarize every
concrete function it has, with errors that say whose fault a failure is."""

from __future__ import annotations

import inspect as pyinspect
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import tensorflow as tf

from graphlab import _source, _tf
from graphlab._tf import graphs as tf_graphs
from graphlab._tf import hook
from graphlab.graphs import autograph
from graphlab.graphs.records import Inspection
from graphlab.graphs.summarize import diff_graphs, summarize, text_of


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
    return tf.function(target)


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
        An :class:`~graphlab.graphs.records.Inspection`: every concrete function with its
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
        traced = [trace(function, call_args, call_kwargs) for call_args, call_kwargs in calls]
        # the traces of these calls, in order, not those the program made before (a
        # script's own top-level calls): a diff compares what this inspection asked for
        concretes = list({id(c): c for c in traced}.values())
        concretes = concretes or tf_graphs.concrete_functions_of(function)
        if not concretes:
            concretes = [trace(function, (), {})]
        python_function = hook.unwrap(function.python_function)
    summaries = tuple(summarize(c, lines=lines) for c in concretes)
    diffs = tuple(diff_graphs(a, b) for a, b in itertools.pairwise(summaries))
    code = autograph.autograph_code(function) if python_function is not None else None
    if python_function is not None:
        name, qualname, defined_at = hook.names_of(python_function, function.__name__)
    else:
        name = qualname = text_of(getattr(function, "name", "concrete_function"))
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
        required = _required_params(function.python_function)
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
            raise InspectError(first_lines(message)) from None
        raise _trace_failure(function, error) from error
    except Exception as error:
        raise _trace_failure(function, error) from error


def _trace_failure(function: Any, error: BaseException) -> TraceFailure:
    """The error with the user's line that raised it (see :func:`_source.error_origin`)."""
    location, reason = _source.error_origin(error)
    where = f" at {location}" if location else ""
    return TraceFailure(
        f"{function.__name__} raised while tracing{where}: {reason}", location, error
    )


def first_lines(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else message


def _required_params(function: Any) -> list[str]:
    """Parameters of a Python callable that have no default (``self`` excluded)."""
    try:
        parameters = pyinspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in parameters
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
