"""Records of what a profile shows: XLA compilations, first-call phases, top ops (the
host events they are read from are :class:`graphlab._types.Event`, what ``_tf`` reads).

Records hold raw data, seconds inside; ``_ms`` in JSON. They never import TensorFlow.
:class:`Compilation` is part of ``graphlab.tracelog/2`` (its optional top-level
``compilations`` list, written by ``watch --compiles``, since 2026-11-30).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The compilers graphlab recognises in a profile.
COMPILERS = ("xla",)

Shape = tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class Compilation:
    """One compilation of a function by XLA.

    Attributes:
        function: The tf.function's name, as trace events name it.
        compiler: One of :data:`COMPILERS`.
        duration: Seconds, from the start of the kernel that compiled to the end of
            XLA's backend (the run that follows is left out).
        input_shapes: The shapes of the call's tensor inputs (None: a dimension not known,
            when the call was made inside another graph).
        after_trace: The call that compiled also traced (a new trace compiles once; a
            compilation without one is XLA's own cache missing, on a new shape).
        at: When it started, seconds after the profile began.
    """

    function: str
    compiler: str
    duration: float
    input_shapes: tuple[Shape, ...]
    after_trace: bool
    at: float = 0.0

    def __post_init__(self) -> None:
        if self.compiler not in COMPILERS:
            raise ValueError(f"compiler must be one of {COMPILERS}, got {self.compiler!r}")
        if self.duration < 0:
            raise ValueError(f"duration must be >= 0 seconds, got {self.duration}")

    @property
    def duration_ms(self) -> float:
        return self.duration * 1e3

    def shapes_text(self) -> str:
        """``(3,), (4, 5)``."""
        return ", ".join(_shape_text(s) for s in self.input_shapes) or "(no tensors)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "compiler": self.compiler,
            "duration_ms": round(self.duration * 1e3, 4),
            "input_shapes": [list(shape) for shape in self.input_shapes],
            "after_trace": self.after_trace,
            "at_s": round(self.at, 6),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Compilation:
        return cls(
            function=data["function"],
            compiler=data["compiler"],
            duration=float(data["duration_ms"]) / 1e3,
            input_shapes=tuple(tuple(shape) for shape in data["input_shapes"]),
            after_trace=bool(data["after_trace"]),
            at=float(data.get("at_s", 0.0)),
        )


def _shape_text(shape: Shape) -> str:
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


#: The phases of a first call, in the order they happen.
PHASES = ("tracing", "graph_optimization", "xla_compile", "first_run", "other")


@dataclass(frozen=True, slots=True)
class FirstCallBreakdown:
    """Where a first call's time went (seconds; they sum to the call's wall time).

    Attributes:
        tracing: Python tracing and AutoGraph (``tf.function-graph_building``).
        graph_optimization: Instantiating the graph for the runtime before its kernel
            runs: Grappler's passes, placement, partitioning.
        xla_compile: XLA compilations during the call.
        first_run: The run itself, compilations left out (first runs allocate and
            initialise kernels: often far slower than later ones).
        other: The rest of the wall time (Python, argument conversion, profiler).
    """

    tracing: float
    graph_optimization: float
    xla_compile: float
    first_run: float
    other: float

    @property
    def total(self) -> float:
        return sum(getattr(self, phase) for phase in PHASES)

    def to_dict(self) -> dict[str, float]:
        return {f"{phase}_ms": round(getattr(self, phase) * 1e3, 4) for phase in PHASES}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FirstCallBreakdown:
        return cls(**{phase: float(data[f"{phase}_ms"]) / 1e3 for phase in PHASES})


@dataclass(frozen=True, slots=True)
class TopOp:
    """One op (or fused XLA cluster) and the time it spends per call in the steady state.

    Attributes:
        op_type: The TensorFlow op type (``MatMul``), or ``XLA fusion`` / ``XLA MatMul``
            for what XLA runs.
        name: The op's name in the graph, or the HLO instruction's.
        where: ``file:line`` of the user's code that made it ('' when unknown: fused
            clusters, TensorFlow's own ops).
        self_time: Seconds per call spent in it, nested events left out.
        share: ``self_time`` over the step's median time per call.
    """

    op_type: str
    name: str
    where: str
    self_time: float
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "op_type": self.op_type,
            "name": self.name,
            "where": self.where,
            "self_us": round(self.self_time * 1e6, 3),
            "share": round(self.share, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopOp:
        return cls(
            data["op_type"],
            data["name"],
            data["where"],
            float(data["self_us"]) / 1e6,
            float(data["share"]),
        )


@dataclass(frozen=True, slots=True)
class RowProfile:
    """What ``bench --profile`` adds to a row: below the timings, where they come from.

    Attributes:
        first_call_breakdown: The first call's phases (None when it was not profiled).
        top_ops: The steady state's ops by self time per call, most first.
        flops: Floating-point operations per call (None: unknown, or not a graph).
        compilations: XLA compilations of the first call.
        later_compilations: XLA compilations after it (profiled steady-state calls):
            there should be none; each one is compile time inside the steady state.
        profile_dir: Where the profiles were kept (``--profile-dir``; '' when not).
    """

    first_call_breakdown: FirstCallBreakdown | None = None
    top_ops: tuple[TopOp, ...] = ()
    flops: int | None = None
    compilations: tuple[Compilation, ...] = ()
    later_compilations: tuple[Compilation, ...] = ()
    profile_dir: str = ""

    def gflops_per_s(self, seconds_per_call: float | None) -> float | None:
        """Achieved GFLOP/s at ``seconds_per_call``."""
        if self.flops is None or not seconds_per_call:
            return None
        return self.flops / seconds_per_call / 1e9

    def notes(self) -> tuple[str, ...]:
        """Warnings for the row's notes, like retraces while timing."""
        if not self.later_compilations:
            return ()
        shapes = "; ".join(dict.fromkeys(c.shapes_text() for c in self.later_compilations))
        return (
            f"XLA compiled {len(self.later_compilations)}x after the first call "
            f"(input shapes {shapes}): compile time in the steady state",
        )

    def to_dict(self, seconds_per_call: float | None) -> dict[str, Any]:
        """The row's JSON keys (``gflops_per_s`` derived at ``seconds_per_call``)."""
        breakdown = self.first_call_breakdown
        gflops = self.gflops_per_s(seconds_per_call)
        return {
            "first_call_breakdown": None if breakdown is None else breakdown.to_dict(),
            "top_ops": [op.to_dict() for op in self.top_ops],
            "flops": self.flops,
            "gflops_per_s": None if gflops is None else round(gflops, 6),
            "compilations": [c.to_dict() for c in self.compilations],
            "compilations_after_first_call": [c.to_dict() for c in self.later_compilations],
            "profile_dir": self.profile_dir,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowProfile | None:
        """The profile in a row's JSON, or None when the row has none."""
        if "top_ops" not in data:
            return None
        breakdown = data.get("first_call_breakdown")
        return cls(
            first_call_breakdown=None
            if breakdown is None
            else FirstCallBreakdown.from_dict(breakdown),
            top_ops=tuple(TopOp.from_dict(op) for op in data["top_ops"]),
            flops=data.get("flops"),
            compilations=tuple(Compilation.from_dict(c) for c in data.get("compilations", ())),
            later_compilations=tuple(
                Compilation.from_dict(c) for c in data.get("compilations_after_first_call", ())
            ),
            profile_dir=data.get("profile_dir", ""),
        )
