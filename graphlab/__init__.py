"""graphlab: see what ``tf.function`` does to your code, why it retraces, and whether
it pays.

Importing ``graphlab`` is cheap: TensorFlow is imported the first time one of the
names below that needs it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from graphlab._version import NEEDS_TENSORFLOW, __version__

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
    "merge_traces",
    "no_retrace",
    "watch",
    "watch_program",
]

# Public name -> module that defines it. Modules that need TensorFlow are imported on
# first use so that `graphlab --help` and `import graphlab` stay fast.
_LAZY = {
    # trace recording
    "function": "graphlab.tracing.api",
    "watch": "graphlab.tracing.api",
    "Watch": "graphlab.tracing.api",
    "GraphlabFunction": "graphlab.tracing.api",
    "RetraceError": "graphlab.tracing.api",
    "expect_traces": "graphlab.tracing.api",
    "no_retrace": "graphlab.tracing.api",
    "TraceEvent": "graphlab.tracing.records",
    "TraceReport": "graphlab.tracing.records",
    "merge_traces": "graphlab.tracing.merge",
    "watch_program": "graphlab.tracing.verify",
    # benchmarks
    "compare": "graphlab.bench.compare",
    "compare_runs": "graphlab.bench.runs",
    "Timer": "graphlab.bench.timer",
    "Measurement": "graphlab.bench.records",
    "ComparisonRow": "graphlab.bench.records",
    "Comparison": "graphlab.bench.records",
    "combine": "graphlab.bench.records",
    "bench_training_step": "graphlab.bench.training",
    "make_train_step": "graphlab.bench.training",
    # graph inspection
    "autograph_code": "graphlab.graphs.autograph",
    "inspect": "graphlab.graphs.inspection",
    "inspect_calls": "graphlab.graphs.inspection",
    "diff_graphs": "graphlab.graphs.summarize",
    "export_graph": "graphlab.graphs.export",
    "compiler_ir": "graphlab.graphs.export",
    "Inspection": "graphlab.graphs.records",
    "GraphSummary": "graphlab.graphs.records",
    "GraphDiff": "graphlab.graphs.records",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphlab' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ImportError as error:
        if error.name == "tensorflow":
            raise ImportError(NEEDS_TENSORFLOW) from error
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
