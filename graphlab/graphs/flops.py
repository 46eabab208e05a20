"""How much arithmetic one call of a graph does: FLOPs by TensorFlow's own registry.

The registry is the tfprof model analyzer's (see :func:`graphlab._tf.graphs.op_flops`):
``2*M*N*K`` for ``[M,K] x [K,N]`` MatMuls, ``2*out*kh*kw*cin`` for a Conv2D, one per
element for element-wise math and reductions. Ops it has no entry for count nothing
(their types are named in the note when they are math a reader might expect counted).

A nested ``tf.function`` call runs its body once per call, so its FLOPs count in. Work
inside a ``tf.cond`` branch or a ``while`` body depends on run-time values: a graph with
FLOPs there has no per-call figure (None, with the reason), and neither has a graph
whose shapes are not fully known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphlab._tf import graphs as tf_graphs

#: Ops that run their bodies once per run of the op.
CALL_TYPES = frozenset({"PartitionedCall", "StatefulPartitionedCall"})

#: Math the registry does not count, named in the note when a graph has some.
_UNCOUNTED_MATH = frozenset(
    {"Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Exp", "Sqrt", "Softplus", "Erf",
     "Gelu", "LeakyRelu", "Einsum", "Conv3D", "DivNoNan", "Prod", "Max", "Min", "Log1p"}
)  # fmt: skip


@dataclass(slots=True)
class FlopCount:
    """FLOPs of one call of a graph."""

    total: int | None
    by_type: Counter[str] = field(default_factory=Counter)
    note: str = ""
    by_op: dict[int, int] = field(default_factory=dict)  # id(op) -> FLOPs per call

    def of(self, op: Any) -> int:
        return self.by_op.get(id(op), 0)


def count_flops(top_ops: Sequence[Any], bodies: Sequence[tf_graphs.Body]) -> FlopCount:
    """FLOPs per call of a graph given its top-level ops and its library's bodies."""
    runs, conditional = body_runs((op.node_def for op in top_ops), bodies)
    count = FlopCount(total=0)
    uncounted: Counter[str] = Counter()
    reason = ""
    placed: list[tuple[Any, int]] = [(op, 1) for op in top_ops]
    for body in bodies:
        times = runs.get(body.name, 0)
        in_control_flow = body.name in conditional
        if body.graph is None or not (times or in_control_flow):
            continue
        placed.extend((op, 0 if in_control_flow else times) for op in body.graph.get_operations())
    for op, times in placed:
        try:
            flops = tf_graphs.op_flops(op)
        except tf_graphs.UnknownShape as error:
            reason = reason or (
                f"shapes not fully known ({error}); inspect with concrete input shapes"
            )
            continue
        if flops is None:
            if op.type in _UNCOUNTED_MATH:
                uncounted[op.type] += 1
            continue
        if times == 0 and flops:
            reason = reason or (
                f"{op.type} {op.name!r} runs inside a tf.cond branch or a while body: how "
                "often depends on run-time values"
            )
            continue
        count.by_op[id(op)] = flops * times
        count.by_type[op.type] += flops * times
    if reason:
        return FlopCount(total=None, note=reason)
    count.total = sum(count.by_type.values())
    count.by_type = Counter({t: n for t, n in count.by_type.items() if n})
    if uncounted:
        names = ", ".join(sorted(uncounted))
        count.note = f"not counted (no FLOP formula in TensorFlow's registry): {names}"
    return count


def body_runs(
    top_nodes: Iterable[Any], bodies: Sequence[tf_graphs.Body]
) -> tuple[Counter[str], set[str]]:
    """How many times each library body runs per call of the graph (through nested
    calls), and which bodies run under control flow (a number only known at run time)."""
    nodes_of = {body.name: body.node_defs for body in bodies}
    runs: Counter[str] = Counter()
    conditional: set[str] = set()

    def visit(nodes: Iterable[Any], times: int, under_control: bool, depth: int) -> None:
        if depth > 50:  # pragma: no cover - recursion between library functions
            return
        for node in nodes:
            for _, name in tf_graphs.node_bodies(node):
                control = under_control or node.op not in CALL_TYPES
                if control:
                    conditional.add(name)
                else:
                    runs[name] += times
                visit(nodes_of.get(name, ()), times, control, depth + 1)

    visit(top_nodes, 1, False, 0)
    return runs, conditional
