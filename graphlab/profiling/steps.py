"""Pure readings of a profiled call: a first call's phases, and the ops a steady-state
call spends its time in.

A first call of a ``tf.function`` on the calling thread (TF 2.16 - 2.21)::

    f                                          tf_function_call=traced-...
      tf.function-graph_building               tracing (Python, AutoGraph)
      EagerLocalExecute: __inference_f_21      instantiation (Grappler, placement) ...
        EagerKernelExecute                     ... then the kernel: XLA compiles here,
                                               then the first run

Ops run on the executor's threads as ``name:type`` events (``MatMul_1:MatMul``); what
XLA runs carries an ``hlo_op`` stat (``MatMul.2``, ``broadcast_maximum_fusion``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

from graphlab._types import Event
from graphlab.profiling import xplane
from graphlab.profiling.records import FirstCallBreakdown, TopOp

_GRAPH_BUILDING = "tf.function-graph_building"
_EAGER_EXECUTE = "EagerLocalExecute: "
_LOCAL_EXECUTE = "EagerLocalExecute: __inference_"
_KERNEL_EXECUTE = "EagerKernelExecute"
_OP = re.compile(r"^([^\s:]+):(_?[A-Za-z][A-Za-z0-9_]*)$")
#: oneDNN (on CPUs it optimizes for, e.g. with AVX-512 or AMX) rewrites an op in place:
#: same name, its type prefixed (``MatMul:_MklMatMul``, ``_MklNativeConv2D``).
_MKL = re.compile(r"^_Mkl(?:Native)?(?=[A-Z])")
#: Ops that run other graphs: their time is their bodies', counted there.
_RUNS_BODIES = frozenset(
    {"PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile", "If",
     "StatelessIf", "Case", "StatelessCase"}
)  # fmt: skip


def first_call_breakdown(
    events: Sequence[Event], wall: float, *, window: float | None = None
) -> FirstCallBreakdown:
    """The phases of one call, profiled alone, whose wall time was ``wall`` seconds.

    ``window``: only the first ``window`` seconds of the profile count (Keras ``fit``'s
    first call is its first step, while the profile holds the whole first ``fit``)."""
    if window is not None and events:
        end = min(e.start_ps for e in events) + int(window * 1e12)
        events = [e for e in events if e.start_ps < end]
    parent = xplane.parents(events)
    kernels: dict[int, int] = defaultdict(int)  # execute event -> its kernel's duration
    for index, event in enumerate(events):
        if event.name == _KERNEL_EXECUTE and parent[index] is not None:
            kernels[parent[index]] += event.duration_ps
    tracing = optimization = run = 0.0
    for index, event in enumerate(events):
        outer = [events[i].name for i in xplane.ancestors(index, parent)]
        if _GRAPH_BUILDING in outer:
            continue  # work done while tracing is tracing
        if event.name == _GRAPH_BUILDING:
            tracing += event.duration_ps / 1e12
        elif not event.name.startswith(_EAGER_EXECUTE) or any(
            name.startswith(_EAGER_EXECUTE) for name in outer
        ):
            continue
        elif not event.name.startswith(_LOCAL_EXECUTE):
            run += event.duration_ps / 1e12  # an eager op: all of it is running it
        else:
            kernel = kernels.get(index, 0)
            optimization += (event.duration_ps - kernel) / 1e12
            run += kernel / 1e12
    compile_time = sum(c.duration for c in xplane.compilations(events))
    run = max(0.0, run - compile_time)
    known = tracing + optimization + compile_time + run
    return FirstCallBreakdown(
        tracing=tracing,
        graph_optimization=optimization,
        xla_compile=compile_time,
        first_run=run,
        other=max(0.0, wall - known),
    )


def top_ops(
    events: Sequence[Event],
    *,
    calls: int,
    step_time: float,
    ops: Mapping[str, tuple[str, str]] | None = None,
    limit: int = 10,
) -> tuple[TopOp, ...]:
    """The ops with the most self time per call over ``calls`` profiled calls.

    Args:
        events: The profile of those calls.
        calls: How many calls it holds.
        step_time: The steady-state time per call (the share's denominator).
        ops: Op name in the graph -> ``(op type, file:line)`` (see
            :func:`graphlab.graphs.summarize.op_table`); XLA's instructions are named
            after the ops they came from (``MatMul_2.2``).
        limit: How many to keep.
    """
    ops = ops or {}
    parent = xplane.parents(events)
    children_ps: dict[int, int] = defaultdict(int)
    for index, up in enumerate(parent):
        if up is not None:
            children_ps[up] += events[index].duration_ps
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for index, event in enumerate(events):
        key = _op_key(event)
        if key is not None:
            totals[key] += max(0, event.duration_ps - children_ps[index])
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:limit]
    found = []
    for (op_type, name), total_ps in ranked:
        per_call = total_ps / 1e12 / max(calls, 1)
        graph_type, where = ops.get(name) or ops.get(_hlo_base(name)) or ("", "")
        if op_type == "XLA" and graph_type:
            op_type = f"XLA {graph_type}"
        elif op_type == "XLA":
            op_type = f"XLA {_hlo_base(name)}"
        elif graph_type:
            op_type = graph_type  # the type the user's graph has (not a oneDNN rewrite's)
        found.append(
            TopOp(
                op_type=op_type,
                name=name,
                where=where,
                self_time=per_call,
                share=per_call / step_time if step_time > 0 else 0.0,
            )
        )
    return tuple(found)


def _hlo_base(name: str) -> str:
    """``MatMul_2.2`` -> ``MatMul_2``; ``wrapped_reduce`` -> ``reduce``."""
    return re.sub(r"\.\d+$", "", name).removeprefix("wrapped_")


def _op_key(event: Event) -> tuple[str, str] | None:
    """``(op type, name)`` for an op's event, None for everything else."""
    hlo = event.stats.get("hlo_op")
    if hlo:
        name = str(hlo)
        return ("XLA fusion" if "fusion" in name else "XLA"), name
    match = _OP.match(event.name)
    if match is None:
        return None
    name, op_type = match.groups()
    op_type = _MKL.sub("", op_type)
    if op_type.startswith("_") or op_type in _RUNS_BODIES or name.startswith("__"):
        return None
    return op_type, name
