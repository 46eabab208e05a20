"""graphlab: see what ``tf.function`` does to your code, why it retraces, and whether
it pays.

Importing ``graphlab`` is cheap: TensorFlow is imported the first time one of the
names below that needs it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from graphlab._version import __version__

# `compare` is both a submodule and a function: importing the submodule anywhere would
# set `graphlab.compare` to the module. Binding the function here (the module itself
# imports no TensorFlow) keeps `graphlab.compare(...)` callable.
from graphlab.compare import compare

__all__ = [
    "Comparison",
    "ComparisonRow",
    "GraphDiff",
    "GraphSummary",
    "GraphlabFunction",
    "Inspection",
    "Measurement",
    "RetraceError",
    "Timer",
    "TraceEvent",
    "TraceReport",
    "Watch",
    "__version__",
    "autograph_code",
    "bench_training_step",
    "combine",
    "compare",
    "compare_runs",
    "compiler_ir",
    "diff_graphs",
    "expect_traces",
    "export_graph",
    "function",
    "inspect",
    "inspect_calls",
    "make_train_step",
    "no_retrace",
    "watch",
]

# Public name -> module that defines it. Modules that need TensorFlow are imported on
# first use so that `graphlab --help` and `import graphlab` stay fast.
_LAZY = {
    "function": "graphlab.tracing",
    "watch": "graphlab.tracing",
    "Watch": "graphlab.tracing",
    "GraphlabFunction": "graphlab.tracing",
    "RetraceError": "graphlab.tracing",
    "expect_traces": "graphlab.tracing",
    "no_retrace": "graphlab.tracing",
    "TraceEvent": "graphlab.records",
    "TraceReport": "graphlab.records",
    "compare_runs": "graphlab.compare",
    "Timer": "graphlab.timing",
    "Measurement": "graphlab.records",
    "ComparisonRow": "graphlab.records",
    "Comparison": "graphlab.records",
    "combine": "graphlab.records",
    # training steps
    "bench_training_step": "graphlab.training",
    "make_train_step": "graphlab.training",
    # graph inspection
    "autograph_code": "graphlab.autograph",
    "inspect": "graphlab.graphs",
    "inspect_calls": "graphlab.graphs",
    "diff_graphs": "graphlab.graphs",
    "export_graph": "graphlab.graphs",
    "compiler_ir": "graphlab.graphs",
    "Inspection": "graphlab.records",
    "GraphSummary": "graphlab.records",
    "GraphDiff": "graphlab.records",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
