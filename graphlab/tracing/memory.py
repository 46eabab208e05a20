"""Memory under a watch: the verdict on a run's samples and what to do about it (the
records of the tracelog's ``memory`` field are in :mod:`graphlab.tracing.records_memory`).

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
So the verdict looks at the *second half* of the run by time (the run starting at its
first trace: before it the program imports and sets up), cut into
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

from graphlab.tracing.records_memory import (
    FunctionMemory,
    MemoryReport,
    MemorySample,
    Span,
    Verdict,
)

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


def classify(
    samples: tuple[MemorySample, ...] | list[MemorySample], tracing: tuple[Span, ...] = ()
) -> Verdict:
    """The verdict on a run's samples (oldest first) and the spans of time in which
    traces ran (``(start, end)`` in the samples' seconds); see the module docstring."""
    # The run starts at its first trace (from the sample before it) when that comes in
    # the first half: what comes before is the program importing and setting up
    # (Keras's import, data), not its steps. A first trace later than that leaves the
    # run whole (an eager loop that leaks, with one trace at its end).
    first_trace = next((i for i, s in enumerate(samples) if s.traces), 0)
    if first_trace and samples[first_trace].t <= (samples[0].t + samples[-1].t) / 2:
        samples = samples[first_trace - 1 :]
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


def report_of(
    samples: tuple[MemorySample, ...],
    functions: tuple[FunctionMemory, ...],
    interval: float,
    cost: float = 0.0,
    tracing: tuple[Span, ...] = (),
) -> MemoryReport:
    """The report of a run: the verdict is read from ``samples`` (:func:`classify`)."""
    if not samples:
        raise ValueError("a memory report needs at least one sample")
    verdict = classify(samples, tracing)
    return MemoryReport(
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


def advice_lines(report: MemoryReport) -> list[str]:
    """What to do about the verdict: the retrace fixes, or the usual suspects with how to
    check each; nothing when memory is stable."""
    if report.verdict == "retrace_growth":
        return [RETRACE_ADVICE]
    if report.verdict == "growth_without_retraces":
        return [f"{suspect}: {check}." for suspect, check in SUSPECTS]
    return []
