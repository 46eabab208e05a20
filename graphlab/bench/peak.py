"""Peak memory of a mode while it runs: the resident memory (RSS) the process gained at
its highest point, on any machine, and the GPU allocator's peak where TensorFlow reports
one.

TensorFlow reports no allocator figures for the CPU, so the CPU figure is the process's
own: before a mode runs, its RSS is read and its high-water mark reset
(:func:`graphlab._memory.reset_peak_rss`); after, the high-water mark minus that RSS is
what the mode needed at its peak (tensors, graphs, XLA's compiled code, allocator
caches). Modes take turns (:func:`graphlab.bench.schedule.interleave`), so each of the
mode's spans (its warm-up, each of its blocks) is measured that way and the largest
counts; memory the allocator kept from another mode's block is reused, so a figure
reads what the mode needed above what the process already held. How it was measured
goes with the figure:

* ``worker process``: the modes of one target ran in a fresh process (``--isolate``,
  ``--processes N``), nothing before them but imports and setup;
* ``in-process``: in the user's process, after whatever it ran before;
* ``in-process, peak not resettable``: the OS did not let the high-water mark be reset;
  the figure shows only how far the mode rose above every earlier peak of the process
  (often 0); ``worker process, peak not resettable`` the same in a worker.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from graphlab import _memory
from graphlab.bench.records_rows import ComparisonRow, Measurement

#: Measurement.metadata keys (metadata values are strings).
PEAK_RSS_KEY = "peak_rss_increase_bytes"
PEAK_RSS_HOW_KEY = "peak_rss_how"
PEAK_GPU_KEY = "peak_memory_bytes"

IN_PROCESS = "in-process"
WORKER_PROCESS = "worker process"
NOT_RESETTABLE = "in-process, peak not resettable"
WORKER_NOT_RESETTABLE = "worker process, peak not resettable"
#: What an in-process label becomes when the process was a fresh worker.
_IN_WORKER = {IN_PROCESS: WORKER_PROCESS, NOT_RESETTABLE: WORKER_NOT_RESETTABLE}


@dataclass(slots=True)
class PeakTracker:
    """The highest RSS increase over one or more spans of a mode's run (one span for a
    mode timed in one go; one per block when modes take turns).

    Attributes:
        how: How the figure was measured (``in-process`` or ``worker process``).
        increase: The largest increase seen so far, in bytes; None before any span or
            where the OS does not tell.
        resettable: False once resetting the high-water mark has failed.
        gpu_peak: The GPU allocator's peak over the spans, where there is a GPU.
    """

    how: str = IN_PROCESS
    increase: int | None = None
    resettable: bool = True
    gpu_peak: int | None = None

    @contextmanager
    def span(
        self,
        gpu_reset: Callable[[], None] | None = None,
        gpu_peak: Callable[[], int | None] | None = None,
    ) -> Iterator[None]:
        """Measure the code in the block; ``gpu_reset`` / ``gpu_peak`` read the GPU's
        allocator (:mod:`graphlab._runtime`) where the caller has TensorFlow."""
        if gpu_reset is not None:
            gpu_reset()
        # The mark is reset first and the RSS read right after, with the collector
        # paused: a collection between the two (opening /proc files can start one)
        # would free garbage from before the span after ``before`` counted it, and the
        # mode's rise would read that much too low.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.resettable = _memory.reset_peak_rss() and self.resettable
            before = _memory.rss_bytes()
        finally:
            if collecting:
                gc.enable()
        try:
            yield
        finally:
            peak = _memory.peak_rss_bytes()
            if before is not None and peak is not None:
                rise = max(0, peak - before)
                self.increase = rise if self.increase is None else max(self.increase, rise)
            if gpu_peak is not None:
                gpu = gpu_peak()
                if gpu is not None:
                    self.gpu_peak = gpu if self.gpu_peak is None else max(self.gpu_peak, gpu)

    def metadata(self) -> dict[str, str]:
        """What goes into a Measurement's metadata (nothing when nothing was measured)."""
        found: dict[str, str] = {}
        if self.increase is not None:
            found[PEAK_RSS_KEY] = str(self.increase)
            found[PEAK_RSS_HOW_KEY] = self.how if self.resettable else NOT_RESETTABLE
        if self.gpu_peak is not None:
            found[PEAK_GPU_KEY] = str(self.gpu_peak)
        return found


def gpu_probes() -> tuple[Callable[[], None] | None, Callable[[], int | None] | None]:
    """The GPU allocator's reset and peak (:mod:`graphlab._runtime`) when TensorFlow is
    already loaded; ``(None, None)`` otherwise (timing fake clocks needs no TensorFlow)."""
    import sys

    if "tensorflow" not in sys.modules:
        return None, None
    from graphlab import _runtime

    return _runtime.reset_peak_memory, _runtime.peak_memory_bytes


def with_peak(measurement: Measurement, tracker: PeakTracker) -> Measurement:
    """``measurement`` with the tracker's figures in its metadata."""
    import dataclasses

    extra = tracker.metadata()
    if not extra:
        return measurement
    return dataclasses.replace(measurement, metadata={**measurement.metadata, **extra})


@dataclass(frozen=True, slots=True)
class PeakMemory:
    """A row's peak memory, typed: what a Measurement's metadata holds as strings.

    Attributes:
        rss_increase: Bytes the process's RSS rose at its highest while the mode ran
            (None: not measured, as in older files and synthetic records).
        how: How that was measured (:data:`IN_PROCESS`, :data:`WORKER_PROCESS`,
            :data:`NOT_RESETTABLE`); empty when it was not.
        gpu: The GPU allocator's peak in bytes (None: no GPU, or not measured).
    """

    rss_increase: int | None = None
    how: str = ""
    gpu: int | None = None

    @classmethod
    def of(cls, metadata: Mapping[str, str]) -> PeakMemory:
        """The figures of a Measurement's ``metadata`` (empty strings: not measured)."""
        rss, gpu = metadata.get(PEAK_RSS_KEY), metadata.get(PEAK_GPU_KEY)
        return cls(
            int(rss) if rss else None,
            metadata.get(PEAK_RSS_HOW_KEY, ""),
            int(gpu) if gpu else None,
        )

    @property
    def rss_increase_mb(self) -> float | None:
        return None if self.rss_increase is None else self.rss_increase / _memory.MB

    @property
    def gpu_mb(self) -> float | None:
        return None if self.gpu is None else self.gpu / _memory.MB


class _HasRows(Protocol):
    @property
    def rows(self) -> tuple[ComparisonRow, ...]: ...


_Comparison = TypeVar("_Comparison", bound=_HasRows)


def measured_in_worker(comparison: _Comparison) -> _Comparison:
    """``comparison`` (a :class:`~graphlab.bench.records.Comparison`) with its
    in-process peaks marked as taken in a fresh worker process (the worker ran nothing
    but the target's modes)."""
    import dataclasses

    rows = []
    for row in comparison.rows:
        m = row.measurement
        how = m.metadata.get(PEAK_RSS_HOW_KEY) if m is not None else None
        if m is not None and how in _IN_WORKER:
            metadata = {**m.metadata, PEAK_RSS_HOW_KEY: _IN_WORKER[how]}
            row = dataclasses.replace(row, measurement=dataclasses.replace(m, metadata=metadata))
        rows.append(row)
    return dataclasses.replace(comparison, rows=tuple(rows))


def pooled_peaks(measurements: Sequence[Measurement]) -> dict[str, str]:
    """The first process's metadata with the largest peaks over all processes."""
    metadata = dict(measurements[0].metadata)
    for key in (PEAK_RSS_KEY, PEAK_GPU_KEY):
        values = [int(m.metadata[key]) for m in measurements if m.metadata.get(key)]
        if values:
            metadata[key] = str(max(values))
    return metadata
