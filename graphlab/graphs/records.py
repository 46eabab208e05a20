"""Records of graph inspection (``graphlab.inspect``): what each concrete function's
graph holds, how graphs differ, what was exported.

Records hold raw data and never know how they are shown (``str()`` and Jupyter ask
:mod:`graphlab._display`, where :mod:`graphlab.graphs.render` registers itself).

Schema history of ``graphlab.inspect`` JSON:

* ``graphlab.inspect/1`` (2026-11-26): first version. 2026-11-30: the optional
  ``graph_bytes`` (serialized size) of each concrete function and of all of them; files
  without it still load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphlab import _display, _schema

INSPECT_SCHEMA = "graphlab.inspect/1"


@dataclass(frozen=True, slots=True)
class Capture:
    """A value from outside the graph that the graph reads (a variable or a tensor).

    Attributes:
        name: The variable's name (``dense/kernel:0``), or the placeholder standing for a
            captured tensor.
        kind: ``variable`` or ``tensor``.
        shape: Dimensions (``None`` for unknown ones), or None when the rank is unknown.
        dtype: ``float32``...
        trainable: For variables, whether they are trainable; None for tensors.
    """

    name: str
    kind: str
    shape: tuple[int | None, ...] | None
    dtype: str
    trainable: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "shape": list(self.shape) if self.shape is not None else None,
            "dtype": self.dtype,
            "trainable": self.trainable,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Capture:
        shape = data.get("shape")
        return cls(
            name=data["name"],
            kind=data["kind"],
            shape=tuple(shape) if shape is not None else None,
            dtype=data["dtype"],
            trainable=data.get("trainable"),
        )


@dataclass(frozen=True, slots=True)
class ControlFlowOp:
    """A ``cond``/``while``/``case`` or nested function call, with the bodies it runs.

    Attributes:
        name: The op's name in its graph (``cond``, ``while``).
        op_type: ``If``, ``StatelessIf``, ``While``, ``StatefulPartitionedCall``...
        graph: The graph that holds it: ``(top)`` or a library function's name.
        bodies: Library functions it runs, with their op counts.
        location: ``file:line`` of the user code that made it, or ``""``.
    """

    name: str
    op_type: str
    graph: str
    bodies: tuple[tuple[str, int], ...]
    location: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "op_type": self.op_type,
            "graph": self.graph,
            "bodies": {name: count for name, count in self.bodies},
            "location": self.location,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ControlFlowOp:
        return cls(
            name=data["name"],
            op_type=data["op_type"],
            graph=data["graph"],
            bodies=tuple(data.get("bodies", {}).items()),
            location=data.get("location", ""),
        )


@dataclass(frozen=True, slots=True)
class LineOps:
    """Ops made by one line of the user's source, nested bodies included.

    Attributes:
        location: ``file:line``; ``(tensorflow)`` for ops TensorFlow adds itself
            (input placeholders, output identities).
        function: The Python function that line is in.
        source: The line's text, stripped.
        op_count: Ops it made.
        ops_by_type: Those ops by type, most frequent first.
        flops: FLOPs of those ops per call (None when the graph's total is unknown).
    """

    location: str
    function: str
    source: str
    op_count: int
    ops_by_type: tuple[tuple[str, int], ...] = ()
    flops: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "function": self.function,
            "source": self.source,
            "op_count": self.op_count,
            "ops_by_type": dict(self.ops_by_type),
            "flops": self.flops,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineOps:
        return cls(
            location=data["location"],
            function=data["function"],
            source=data["source"],
            op_count=int(data["op_count"]),
            ops_by_type=tuple(data.get("ops_by_type", {}).items()),
            flops=data.get("flops"),
        )


@dataclass(frozen=True, slots=True)
class GraphSummary:
    """What one concrete function's graph holds.

    Attributes:
        name: The concrete function's name (``__inference_cube_12``).
        inputs: Parameter name -> readable type (``float32[None,28,28]``, ``3``).
        outputs: Readable output structure.
        op_count: Top-level ops (``graph.get_operations()``).
        op_count_total: Ops including nested bodies; equals a TraceEvent's ``op_count``.
        ops_by_type: Op type -> count, nested bodies included, most frequent first.
        top_ops_by_type: Op type -> count at the top level only.
        bodies: Library function name -> op count (cond/while branches, nested calls).
        lines: Op counts per user source line, in source order.
        captures: Captured variables and tensors.
        control_flow: Control-flow ops and nested calls, wherever they are.
        stateful_ops: Stateful op type -> count, nested bodies included.
        flops: Floating-point operations per call, by TensorFlow's FLOP registry (the
            tfprof analyzer's), nested calls included; None when it cannot be known
            (shapes not fully known, work inside a cond or while), with the reason in
            ``flops_note``.
        flops_by_type: Op type -> FLOPs, most first (empty when ``flops`` is None).
        flops_note: Why ``flops`` is None, or which op types were not counted.
        graph_bytes: The graph's size serialized as a GraphDef, nested bodies included;
            None when unknown (files written before it was added). In memory a graph
            takes several times this.
    """

    name: str
    inputs: tuple[tuple[str, str], ...]
    outputs: str
    op_count: int
    op_count_total: int
    ops_by_type: tuple[tuple[str, int], ...]
    top_ops_by_type: tuple[tuple[str, int], ...] = ()
    bodies: tuple[tuple[str, int], ...] = ()
    lines: tuple[LineOps, ...] = ()
    captures: tuple[Capture, ...] = ()
    control_flow: tuple[ControlFlowOp, ...] = ()
    stateful_ops: tuple[tuple[str, int], ...] = ()
    flops: int | None = None
    flops_by_type: tuple[tuple[str, int], ...] = ()
    flops_note: str = ""
    graph_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.op_count_total < self.op_count:
            raise ValueError(
                f"op_count_total ({self.op_count_total}) counts nested bodies on top of the "
                f"{self.op_count} top-level ops; it cannot be smaller"
            )

    @property
    def signature(self) -> str:
        """``(x: float32[2]) -> float32[2]``."""
        params = ", ".join(f"{name}: {kind}" for name, kind in self.inputs)
        return f"({params}) -> {self.outputs}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "signature": {
                "inputs": dict(self.inputs),
                "outputs": self.outputs,
                "text": self.signature,
            },
            "op_count": self.op_count,
            "op_count_total": self.op_count_total,
            "ops_by_type": dict(self.ops_by_type),
            "top_level_ops_by_type": dict(self.top_ops_by_type),
            "bodies": dict(self.bodies),
            "lines": [line.to_dict() for line in self.lines],
            "captures": [capture.to_dict() for capture in self.captures],
            "control_flow": [op.to_dict() for op in self.control_flow],
            "stateful_ops": dict(self.stateful_ops),
            "flops": self.flops,
            "flops_by_type": dict(self.flops_by_type),
            "flops_note": self.flops_note,
            **({"graph_bytes": self.graph_bytes} if self.graph_bytes is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphSummary:
        signature = data["signature"]
        return cls(
            name=data["name"],
            inputs=tuple(signature["inputs"].items()),
            outputs=signature["outputs"],
            op_count=int(data["op_count"]),
            op_count_total=int(data["op_count_total"]),
            ops_by_type=tuple(data["ops_by_type"].items()),
            top_ops_by_type=tuple(data.get("top_level_ops_by_type", {}).items()),
            bodies=tuple(data.get("bodies", {}).items()),
            lines=tuple(LineOps.from_dict(line) for line in data.get("lines", ())),
            captures=tuple(Capture.from_dict(c) for c in data.get("captures", ())),
            control_flow=tuple(ControlFlowOp.from_dict(op) for op in data.get("control_flow", ())),
            stateful_ops=tuple(data.get("stateful_ops", {}).items()),
            flops=data.get("flops"),
            flops_by_type=tuple(data.get("flops_by_type", {}).items()),
            flops_note=data.get("flops_note", ""),
            graph_bytes=data.get("graph_bytes"),
        )


@dataclass(frozen=True, slots=True)
class GraphDiff:
    """How one graph differs from another, by op type (nested bodies included).

    Attributes:
        before: Label of the first graph (its signature or name).
        after: Label of the second graph.
        before_ops: Total ops of the first graph.
        after_ops: Total ops of the second graph.
        changes: ``(op type, count before, count after)`` for every type whose count
            changed, largest change first.
    """

    before: str
    after: str
    before_ops: int
    after_ops: int
    changes: tuple[tuple[str, int, int], ...]

    @property
    def delta(self) -> int:
        return self.after_ops - self.before_ops

    def summary(self, limit: int = 6) -> str:
        """``graph grew from 11 to 32 ops: +7 AddV2, +7 Const, ...``."""
        if self.delta > 0:
            head = f"graph grew from {self.before_ops} to {self.after_ops} ops"
        elif self.delta < 0:
            head = f"graph shrank from {self.before_ops} to {self.after_ops} ops"
        else:
            head = f"graph size unchanged at {self.after_ops} ops"
        parts = [f"{after - before:+d} {op_type}" for op_type, before, after in self.changes]
        if len(parts) > limit:
            parts = [*parts[:limit], f"... ({len(parts) - limit} more types)"]
        return head + (": " + ", ".join(parts) if parts else " (same op types)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "before_ops": self.before_ops,
            "after_ops": self.after_ops,
            "delta": self.delta,
            "changes": [
                {"op_type": t, "before": b, "after": a, "delta": a - b} for t, b, a in self.changes
            ],
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphDiff:
        return cls(
            before=data["before"],
            after=data["after"],
            before_ops=int(data["before_ops"]),
            after_ops=int(data["after_ops"]),
            changes=tuple(
                (c["op_type"], int(c["before"]), int(c["after"])) for c in data["changes"]
            ),
        )


@dataclass(frozen=True, slots=True)
class Inspection:
    """Everything ``graphlab.inspect`` found out about one function.

    Attributes:
        function: The function's name.
        qualname: Its qualified name.
        defined_at: ``file:line`` of the Python function, or ``?``.
        concrete_functions: One summary per concrete function, oldest first.
        autograph_code: AutoGraph's code for the user's function, or None (a
            ConcreteFunction alone, or a callable AutoGraph cannot read).
        autograph_lines: Line of ``autograph_code`` (1-based) -> ``file:line`` of the
            user's source line it came from; used to annotate the code with op counts.
        diffs: Graph diffs between consecutive concrete functions.
        tensorflow: The TensorFlow version.
    """

    function: str
    qualname: str
    defined_at: str
    concrete_functions: tuple[GraphSummary, ...]
    autograph_code: str | None = None
    autograph_lines: tuple[tuple[int, str], ...] = ()
    diffs: tuple[GraphDiff, ...] = ()
    tensorflow: str = ""

    @property
    def graph_bytes(self) -> int | None:
        """What every concrete function's graph weighs serialized (None if unknown): a
        function with a thousand cached graphs shows it here."""
        sizes = [s.graph_bytes for s in self.concrete_functions]
        if not sizes or any(size is None for size in sizes):
            return None
        return sum(size for size in sizes if size is not None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``graphlab.inspect/1``; see docs/inspect.md)."""
        return {
            "schema": INSPECT_SCHEMA,
            "tensorflow": self.tensorflow,
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "autograph_code": self.autograph_code,
            "concrete_functions": [summary.to_dict() for summary in self.concrete_functions],
            "diffs": [diff.to_dict() for diff in self.diffs],
            **({"graph_bytes": self.graph_bytes} if self.graph_bytes is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inspection:
        """Load a saved inspection (``inspect --format json``); every
        ``graphlab.inspect/1`` file loads. The JSON keeps no AutoGraph source map, so a
        loaded inspection has no ``autograph_lines``."""
        _schema.check(data, (INSPECT_SCHEMA,), "inspection")
        return cls(
            function=data["function"],
            qualname=data["qualname"],
            defined_at=data["defined_at"],
            concrete_functions=tuple(
                GraphSummary.from_dict(summary) for summary in data["concrete_functions"]
            ),
            autograph_code=data.get("autograph_code"),
            diffs=tuple(GraphDiff.from_dict(diff) for diff in data.get("diffs", ())),
            tensorflow=data.get("tensorflow", ""),
        )

    __renderer__ = "graphlab.graphs.render"  # imported when first shown

    def _repr_html_(self) -> str:
        return _display.render(self, "html")

    def __str__(self) -> str:
        return _display.render(self, "text")


@dataclass(frozen=True, slots=True)
class Export:
    """A file (or directory) written by ``graphlab.export_graph``.

    Attributes:
        format: ``pbtxt``, ``dot``, ``svg``, ``png``, ``tensorboard`` or an XLA stage.
        path: Where it was written.
        note: Anything the user should know (``dot`` missing: wrote DOT text instead).
    """

    format: str
    path: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "path": self.path, "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Export:
        return cls(data["format"], data["path"], data.get("note", ""))
