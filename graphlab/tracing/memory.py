"""Memory under a watch: the records of the tracelog's ``memory`` field and the verdict.

"Memory keeps growing while training" has two families of causes, and the first thing
to settle is which one: graphs kept by retracing (every trace keeps a concrete function
and its graph for as long as its ``tf.function`` lives), or everything else (Python
objects kept alive, tf.data buffers, Keras state, the allocator). A watch with
``memory=True`` samples the process's resident memory (RSS) with the number of traces
so far, and keeps per function how many concrete functions are alive and how big their
graphs are; :func:`classify` reads the samples. Pure: no TensorFlow, no threads (the
sampler is :mod:`graphlab.tracing.sampler`).

How the verdict is read. TensorFlow's own warm-up (importing Keras, first traces,
kernels, thread pools, Keras building its steps, the first ``predict``) grows memory in
steps, each the first time something new runs, and then stops; a leak keeps growing.
So the verdict looks at the *second half* of the run by time, cut into
:data:`SLICES` equal slices. Memory grew if it grew over that half by at least
:data:`GROWTH_MB` (or :data:`GROWTH_FRACTION` of the starting RSS, if more) *and* kept
growing, in at least :data:`SUSTAINED_SLICES` of the slices by at least a
:data:`SLICES`-th of that (a leak grows as much in each, though a slice in which a busy
machine hardly ran the program can miss; a step of warm-up grows in one or two: the seed chapter's
program, which meets Keras's ``evaluate``, ``predict`` and an eager ``fit`` late in its
run, grows in one or two of them); otherwise it is ``stable``. Growth is ``retrace_growth`` when
traces kept coming in that half (at least :data:`MIN_TRACES`) and at least half of the
growth happened in sampling intervals in which something was tracing (a trace that
runs across several intervals counts in each of them); otherwise
``growth_without_retraces``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from graphlab._text import format_bytes, plural

#: Verdicts, in the order the docs explain them.
VERDICTS = ("stable", "retrace_growth", "growth_without_retraces")

#: Growth in the second half of a run below this many MB reads as stable. A steady
#: loop's RSS moves by well under 1 MB; TensorFlow's warm-up is over by then.
GROWTH_MB = 10.0
#: ... or below this fraction of the RSS at the start, whichever is more.
GROWTH_FRACTION = 0.02
#: Traces in the second half needed before growth is blamed on retracing.
MIN_TRACES = 5
#: Slices of the second half; growth must show in :data:`SUSTAINED_SLICES` of them,
#: each by at least the threshold over ``SLICES`` (a steady leak grows as much in each).
SLICES = 4
SUSTAINED_SLICES = 3

#: Concrete functions of one function that a stable verdict still points out.
MANY_GRAPHS = 100

#: What to do when retraces make memory grow.
RETRACE_ADVICE = (
    "Every trace keeps a concrete function and its graph for as long as the tf.function "
    "lives, so fix the retraces (advice above). Bound them with an input_signature whose "
    "varying dimensions are None, or reduce_retracing=True; pass tensors, not Python "
    "numbers; create each tf.function (and Keras model) once, outside the loop."
)

#: Causes of growth that are not tracing, each with how to check it.
SUSPECTS = (
    (
        "Python objects kept alive (tensors appended to a list, outputs or losses kept per step)",
        "keep numbers, not tensors: losses.append(float(loss)); find what grows with "
        "tracemalloc snapshots (tracemalloc.take_snapshot().compare_to(...)) or by "
        "counting live tensors: sum(isinstance(o, tf.Tensor) for o in gc.get_objects())",
    ),
    (
        "tf.data buffers (shuffle, prefetch, an in-memory cache())",
        "growth that stops after the first epoch is cache() filling up; run the loop "
        "over the dataset alone, or with smaller shuffle/prefetch buffers",
    ),
    (
        "Keras state (models built in a loop, History, predict in a loop)",
        "call keras.backend.clear_session() between models; in a loop, call the model "
        "(model(x, training=False)) or predict_on_batch instead of predict",
    ),
    (
        "the memory allocator (glibc malloc keeps freed memory in fragmented arenas)",
        "rerun with MALLOC_ARENA_MAX=2, or with tcmalloc/jemalloc in LD_PRELOAD: if the "
        "growth goes away, nothing leaks",
    ),
)


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


def classify(
    samples: tuple[MemorySample, ...] | list[MemorySample], tracing: tuple[Span, ...] = ()
) -> Verdict:
    """The verdict on a run's samples (oldest first) and the spans of time in which
    traces ran (``(start, end)`` in the samples' seconds); see the module docstring."""
    if len(samples) < 2:
        return Verdict("stable", 0.0, 0, 0.0, GROWTH_MB, 0)
    start, end = samples[0], samples[-1]
    threshold = max(GROWTH_MB, GROWTH_FRACTION * start.rss_mb)
    middle = start.t + (end.t - start.t) / 2
    first = max(i for i, s in enumerate(samples) if s.t <= middle)
    window = samples[first:]
    growth = end.rss_mb - window[0].rss_mb
    traces = end.traces - window[0].traces
    rises = [
        (b.rss_mb - a.rss_mb, b.traces > a.traces or _overlaps(tracing, a.t, b.t))
        for a, b in itertools.pairwise(window)
    ]
    rise_total = sum(rise for rise, _ in rises if rise > 0)
    rise_traced = sum(rise for rise, traced in rises if rise > 0 and traced)
    share = rise_traced / rise_total if rise_total > 0 else 0.0
    step = (end.t - middle) / SLICES
    edges = [_rss_at(window, middle + i * step) for i in range(SLICES)] + [end.rss_mb]
    growing = sum(1 for a, b in itertools.pairwise(edges) if b - a >= threshold / SLICES)
    if growth < threshold or growing < SUSTAINED_SLICES:
        verdict = "stable"
    elif traces >= MIN_TRACES and share >= 0.5:
        verdict = "retrace_growth"
    else:
        verdict = "growth_without_retraces"
    return Verdict(verdict, growth, traces, share, threshold, growing)


def _overlaps(spans: tuple[Span, ...], start: float, end: float) -> bool:
    return any(s < end and e > start for s, e in spans)


def _rss_at(samples: tuple[MemorySample, ...] | list[MemorySample], t: float) -> float:
    """RSS of the last sample taken at or before ``t`` (the first one if none was)."""
    before = [s for s in samples if s.t <= t]
    return (before[-1] if before else samples[0]).rss_mb


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

    @classmethod
    def of(
        cls,
        samples: tuple[MemorySample, ...],
        functions: tuple[FunctionMemory, ...],
        interval: float,
        cost: float = 0.0,
        tracing: tuple[Span, ...] = (),
    ) -> MemoryReport:
        """The report of a run: the verdict is read from ``samples``."""
        if not samples:
            raise ValueError("a memory report needs at least one sample")
        verdict = classify(samples, tracing)
        return cls(
            rss_start_mb=samples[0].rss_mb,
            rss_end_mb=samples[-1].rss_mb,
            rss_peak_mb=max(s.rss_mb for s in samples),
            interval=interval,
            samples=samples,
            functions=functions,
            verdict=verdict.verdict,
            steady_growth_mb=verdict.steady_growth_mb,
            steady_traces=verdict.steady_traces,
            cost=cost,
            tracing=tracing,
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


def advice_lines(report: MemoryReport) -> list[str]:
    """What to do about the verdict: the retrace fixes, or the usual suspects with how to
    check each; nothing when memory is stable."""
    if report.verdict == "retrace_growth":
        return [RETRACE_ADVICE]
    if report.verdict == "growth_without_retraces":
        return [f"{suspect}: {check}." for suspect, check in SUSPECTS]
    return []
