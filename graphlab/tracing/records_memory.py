"""Records of the tracelog's ``memory`` field (``graphlab.tracelog/2``, written by a
watch with ``memory=True``): RSS samples, the graphs each function kept, the verdict and
the sentence that says it. Pure data, no TensorFlow; the verdict is read by
:func:`graphlab.tracing.memory.classify`, the report made by
:func:`graphlab.tracing.memory.report_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphlab._text import format_bytes, plural

#: Verdicts, in the order the docs explain them.
VERDICTS = ("stable", "retrace_growth", "growth_without_retraces")

#: Concrete functions of one function that a stable verdict still points out.
MANY_GRAPHS = 100


@dataclass(frozen=True, slots=True)
class MemorySample:
    """Resident memory at one moment of a watch.

    Attributes:
        t: Seconds since the watch started.
        rss_mb: Resident set size in MB (2**20 bytes).
        traces: Traces of the user's functions so far (TensorFlow-internal ones left
            out, as in every count of traces).
    """

    t: float
    rss_mb: float
    traces: int

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": round(self.t, 4), "rss_mb": round(self.rss_mb, 3), "traces": self.traces}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemorySample:
        return cls(float(data["t_s"]), float(data["rss_mb"]), int(data["traces"]))


@dataclass(frozen=True, slots=True)
class FunctionMemory:
    """The graphs one function kept alive.

    Attributes:
        function: The function's name, as the trace summary shows it.
        defined_at: ``file:line``.
        traces: Its traces while watched.
        concrete_functions: The most of its concrete functions alive at one time.
        graph_bytes: Their serialized GraphDef size (nested bodies included). A graph
            takes many times its serialized size in memory (Python objects for every
            op and tensor, TensorFlow's C++ graph and function library).
        graph_nodes: Their ops, nested bodies included.
        live_at_end: Concrete functions still alive when the report was made (after a
            program under ``graphlab watch`` ends, its functions may be gone).
    """

    function: str
    defined_at: str
    traces: int
    concrete_functions: int
    graph_bytes: int
    graph_nodes: int
    live_at_end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "defined_at": self.defined_at,
            "traces": self.traces,
            "concrete_functions": self.concrete_functions,
            "graph_bytes": self.graph_bytes,
            "graph_nodes": self.graph_nodes,
            "live_at_end": self.live_at_end,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FunctionMemory:
        return cls(
            function=data["function"],
            defined_at=data.get("defined_at", ""),
            traces=int(data.get("traces", 0)),
            concrete_functions=int(data["concrete_functions"]),
            graph_bytes=int(data["graph_bytes"]),
            graph_nodes=int(data.get("graph_nodes", 0)),
            live_at_end=int(data.get("live_at_end", 0)),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :func:`classify` read from the samples.

    Attributes:
        verdict: One of :data:`VERDICTS`.
        steady_growth_mb: RSS growth over the second half of the run.
        steady_traces: Traces in that half.
        traced_share: Share of that half's growth that came in sampling intervals in
            which something traced (0 to 1).
        threshold_mb: Growth below which the run reads as stable.
        growing_slices: Slices of the second half in which memory grew.
    """

    verdict: str
    steady_growth_mb: float
    steady_traces: int
    traced_share: float
    threshold_mb: float
    growing_slices: int


Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class MemoryReport:
    """Resident memory over a watch, the graphs each function kept, and the verdict.

    Attributes:
        rss_start_mb: RSS when the watch started.
        rss_end_mb: RSS when it stopped (or when the report was made, if still active).
        rss_peak_mb: The highest sample.
        interval: Seconds between samples at the end (the sampler halves its rate
            whenever it has kept too many samples, so that long jobs stay cheap).
        samples: RSS and traces over time, oldest first.
        functions: Per function with traces, the graphs it kept alive.
        verdict: One of :data:`VERDICTS` (what :func:`classify` said when recorded).
        steady_growth_mb: Growth over the second half of the run.
        steady_traces: Traces in the second half.
        cost: Seconds the memory watch itself used: the sampling thread's CPU time and
            the time spent weighing each new graph (on the thread that traced).
        tracing: Spans of time (seconds since the watch started) in which traces ran;
            spans less than a sampling interval apart are merged.
    """

    rss_start_mb: float
    rss_end_mb: float
    rss_peak_mb: float
    interval: float
    samples: tuple[MemorySample, ...]
    functions: tuple[FunctionMemory, ...]
    verdict: str
    steady_growth_mb: float = 0.0
    steady_traces: int = 0
    cost: float = 0.0
    tracing: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(
                f"MemoryReport.verdict must be one of {VERDICTS}, got {self.verdict!r}"
            )

    @property
    def growth_mb(self) -> float:
        return self.rss_end_mb - self.rss_start_mb

    @property
    def duration(self) -> float:
        return self.samples[-1].t - self.samples[0].t if self.samples else 0.0

    @property
    def graph_bytes(self) -> int:
        return sum(f.graph_bytes for f in self.functions)

    @property
    def message(self) -> str:
        """The verdict as a sentence or two."""
        return verdict_message(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rss_start_mb": round(self.rss_start_mb, 3),
            "rss_end_mb": round(self.rss_end_mb, 3),
            "rss_peak_mb": round(self.rss_peak_mb, 3),
            "growth_mb": round(self.growth_mb, 3),
            "steady_growth_mb": round(self.steady_growth_mb, 3),
            "steady_traces": self.steady_traces,
            "verdict": self.verdict,
            "message": self.message,
            "interval_s": self.interval,
            "cost_s": round(self.cost, 6),
            "samples": [sample.to_dict() for sample in self.samples],
            "tracing_s": [[round(s, 4), round(e, 4)] for s, e in self.tracing],
            "functions": [function.to_dict() for function in self.functions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryReport:
        return cls(
            rss_start_mb=float(data["rss_start_mb"]),
            rss_end_mb=float(data["rss_end_mb"]),
            rss_peak_mb=float(data.get("rss_peak_mb", data["rss_end_mb"])),
            interval=float(data.get("interval_s", 0.0)),
            samples=tuple(MemorySample.from_dict(s) for s in data.get("samples", ())),
            functions=tuple(FunctionMemory.from_dict(f) for f in data.get("functions", ())),
            verdict=data["verdict"],
            steady_growth_mb=float(data.get("steady_growth_mb", 0.0)),
            steady_traces=int(data.get("steady_traces", 0)),
            cost=float(data.get("cost_s", 0.0)),
            tracing=tuple((float(s), float(e)) for s, e in data.get("tracing_s", ())),
        )


def _mb(value: float) -> str:
    return f"{value:,.1f} MB"


def verdict_message(report: MemoryReport) -> str:
    """``retrace_growth``: "Memory grew by 140.2 MB ... retracing is the likely cause:
    f traced 1,000 times, see its causes above." and so on for each verdict."""
    grew = (
        f"RSS went from {_mb(report.rss_start_mb)} to {_mb(report.rss_end_mb)} "
        f"({report.growth_mb:+,.1f} MB; {report.steady_growth_mb:+,.1f} MB in the second half "
        f"of the run)"
    )
    graphs = sum(f.concrete_functions for f in report.functions)
    held = (
        f"{plural(graphs, 'concrete function')} alive at most, holding "
        f"{_mb(report.graph_bytes / 2**20)} of serialized graphs"
    )
    if report.verdict == "stable":
        text = (
            f"Memory stable: {grew}; it did not keep growing (growth early in a run, or in "
            "steps when something new runs for the first time, is TensorFlow's warm-up)."
        )
        heavy = max(report.functions, key=lambda f: f.concrete_functions, default=None)
        if heavy is not None and heavy.concrete_functions >= MANY_GRAPHS:
            text += (
                f" Still, {heavy.function} kept {heavy.concrete_functions:,} concrete functions "
                "alive at once: memory its retraces hold (see their causes above)."
            )
        return text
    if report.verdict == "retrace_growth":
        top = max(report.functions, key=lambda f: f.traces, default=None)
        per_trace = ""
        if report.steady_traces:
            each = report.steady_growth_mb * 2**20 / report.steady_traces
            per_trace = f", about {format_bytes(round(each))} per trace"
        blame = (
            f": {top.function} traced {top.traces:,} times, see its causes above"
            if top is not None
            else ""
        )
        return (
            f"Memory grew with retracing: {grew}, while "
            f"{plural(report.steady_traces, 'trace')} ran in that half{per_trace}; {held}. "
            f"Retracing is the likely cause{blame}."
        )
    return (
        f"Memory grew without retracing: {grew}, with "
        f"{plural(report.steady_traces, 'trace')} in that half. Not a tracing leak: look at "
        "Python objects kept alive, tf.data buffers, Keras state, the allocator (below)."
    )
