"""The one door to TensorFlow's private API.

Everything graphlab needs from ``tensorflow.python`` / ``tensorflow.core`` goes through
this package, with version guards and documented fallbacks, so that a TensorFlow upgrade
breaks one folder. A ruff banned-api rule keeps private imports out of every other module.
Public TensorFlow facts about the runtime (devices, sync, threads, memory) live in
:mod:`graphlab._runtime` instead.

Modules:
    hook: the trace hook and what it reads off a pending trace.
    trace_types: TensorFlow's trace types and contexts as neutral trees.
    graphs: the insides of FuncGraphs (nested bodies, op tracebacks, captures).
    functions: the options of a ``tf.function`` object, rebuilding one, its class.

Checked against TensorFlow 2.16 - 2.21.
"""

from __future__ import annotations

from typing import Any

from graphlab._version import NEEDS_TENSORFLOW

try:
    import tensorflow as tf
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(NEEDS_TENSORFLOW, name="tensorflow") from error

from tensorflow.python.eager.polymorphic_function import polymorphic_function

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

PolymorphicFunction = polymorphic_function.Function


def is_concrete_function(obj: Any) -> bool:
    return isinstance(obj, tf.types.experimental.ConcreteFunction)
