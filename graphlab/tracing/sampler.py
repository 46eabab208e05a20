"""The memory side of a watch: a background thread that samples resident memory, and
the count of concrete functions each function keeps alive with the size of their graphs.

Nothing here runs per call of a tf.function: the thread wakes every ``interval``
seconds to read ``/proc/self/statm`` (a few microseconds), and the recorder tells
:meth:`MemoryMonitor.note_trace` about each trace, which weighs the new graph once
(its serialized GraphDef) and follows the concrete function with a weak reference whose
callback takes it off the counts when TensorFlow frees it.
"""

from __future__ import annotations

import _thread
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphlab import _memory
from graphlab._tf import graphs as tf_graphs
from graphlab.tracing.memory import report_of
from graphlab.tracing.options import DEFAULT_MEMORY_INTERVAL
from graphlab.tracing.records_memory import FunctionMemory, MemoryReport, MemorySample

#: Samples kept; past it every other one is dropped and the interval doubles.
MAX_SAMPLES = 1000
#: Spans of tracing kept; past it neighbours are merged two by two.
MAX_SPANS = 1000
_lock = threading.Lock()
_running: set[int] = set()  # the monitors whose sampling thread runs


def sampling_threads() -> int:
    """How many sampling threads run now (``threading`` does not list them)."""
    with _lock:
        return len(_running)


@dataclass(slots=True)
class _Graphs:
    """The concrete functions of one function that are still alive."""

    function: str
    defined_at: str
    traces: int = 0
    live: int = 0
    live_bytes: int = 0
    live_nodes: int = 0
    peak: tuple[int, int, int] = (0, 0, 0)  # (live, bytes, nodes) when most were alive
    refs: dict[int, tuple[Any, int, int]] = field(default_factory=dict)


class MemoryMonitor:
    """Samples RSS in a background thread and follows the graphs traces keep alive.

    Args:
        interval: Seconds between samples.
        read_rss: Where RSS comes from (bytes, or None when unknown): a seam for tests.
        clock: Seconds, monotonic.
    """

    def __init__(
        self,
        interval: float = DEFAULT_MEMORY_INTERVAL,
        *,
        read_rss: Callable[[], int | None] = _memory.rss_bytes,
        clock: Callable[[], float] = time.perf_counter,
        max_samples: int = MAX_SAMPLES,
    ):
        if not interval > 0:
            raise ValueError(f"the memory sampling interval must be positive, got {interval}")
        if max_samples < 4:
            raise ValueError(f"max_samples must be at least 4, got {max_samples}")
        self._interval = interval
        self._read_rss = read_rss
        self._clock = clock
        self._max_samples = max_samples
        self._lock = threading.RLock()  # weakref callbacks may run inside a locked section
        self._samples: list[MemorySample] = []
        self._functions: dict[tuple[str, str], _Graphs] = {}
        self._traces = 0
        self._started = 0.0
        self._stop = threading.Event()
        self._done: Any = None  # a lock the sampling thread holds while it runs
        self._pid = 0  # the process it runs in
        self._thread_cpu = 0.0  # CPU seconds the sampler thread used
        self._weighing = 0.0  # seconds spent weighing new graphs
        self._spans: list[list[float]] = []  # [start, end] of tracing, merged

    @property
    def running(self) -> bool:
        return self._done is not None

    def start(self) -> None:
        """Sample in a background thread. It is a bare ``_thread`` thread (like a
        daemon: it never holds the exit), which ``threading.enumerate()`` and
        ``threading.active_count()`` do not list: the watched program sees its own
        threads only."""
        if self._done is not None:
            raise RuntimeError("this memory monitor is already running")
        if not self._samples:  # a watch started again keeps one time line
            self._started = self._clock()
        self._stop.clear()
        self.sample()
        done = _thread.allocate_lock()
        done.acquire()
        self._done, self._pid = done, os.getpid()
        with _lock:
            _running.add(id(self))
        _thread.start_new_thread(self._run, (done,))

    def stop(self) -> None:
        """Stop the thread (it exits within one wake-up) and take a last sample."""
        done, self._done = self._done, None
        if done is None:
            return
        self._stop.set()
        if os.getpid() == self._pid:  # in a forked child the thread does not exist
            done.acquire()
        self.sample()

    def _run(self, done: Any) -> None:
        try:
            start = time.thread_time()
            while not self._stop.wait(self._interval):
                self.sample()
                self._thread_cpu = time.thread_time() - start
        finally:
            with _lock:
                _running.discard(id(self))
            done.release()

    def sample(self) -> None:
        rss = self._read_rss()
        if rss is None:
            return
        with self._lock:
            self._samples.append(
                MemorySample(self._clock() - self._started, rss / _memory.MB, self._traces)
            )
            if len(self._samples) > self._max_samples:  # a long job: halve the rate
                last = self._samples[-1]
                self._samples = [*self._samples[:-1:2], last]
                self._interval *= 2

    # -- traces --------------------------------------------------------------
    def note_trace(self, entry: Any) -> None:
        """Called by the recorder for each trace the watch records."""
        event = entry.event
        if event.internal:
            return
        concrete = event.concrete_function() if event.concrete_function is not None else None
        size, nodes = (0, 0)
        if concrete is not None:
            start = time.perf_counter()
            try:
                size, nodes = tf_graphs.graph_def_size(concrete.graph)
            except Exception:  # a graph we cannot serialize: count it, weigh nothing
                nodes = event.op_count
            self._weighing += time.perf_counter() - start
        key = (event.qualname, event.defined_at)
        with self._lock:
            self._traces += 1
            self._note_span(event.duration)
            graphs = self._functions.get(key)
            if graphs is None:
                graphs = self._functions[key] = _Graphs(event.function, event.defined_at)
            graphs.traces += 1
            if concrete is None:
                return
            ref = weakref.ref(concrete, lambda r, g=graphs: self._freed(g, r))
            graphs.refs[id(ref)] = (ref, size, nodes)
            graphs.live += 1
            graphs.live_bytes += size
            graphs.live_nodes += nodes
            if graphs.live > graphs.peak[0]:
                graphs.peak = (graphs.live, graphs.live_bytes, graphs.live_nodes)

    def _note_span(self, duration: float) -> None:
        """Remember that a trace ran for ``duration`` seconds until now (under the lock)."""
        end = self._clock() - self._started
        start = max(0.0, end - duration)
        spans = self._spans
        if spans and start <= spans[-1][1] + self._interval:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
        if len(spans) > MAX_SPANS:
            self._spans = [
                [pair[0][0], pair[-1][1]]
                for pair in (spans[i : i + 2] for i in range(0, len(spans), 2))
            ]

    def _freed(self, graphs: _Graphs, ref: Any) -> None:
        with self._lock:
            found = graphs.refs.pop(id(ref), None)
            if found is not None:
                graphs.live -= 1
                graphs.live_bytes -= found[1]
                graphs.live_nodes -= found[2]

    @property
    def traces(self) -> int:
        return self._traces

    # -- the record ------------------------------------------------------------
    def report(self) -> MemoryReport | None:
        """The memory record so far (a fresh sample first if still running); None when
        the OS does not tell this process's RSS."""
        if self.running:
            self.sample()
        with self._lock:
            samples = tuple(self._samples)
            functions = tuple(
                FunctionMemory(
                    function=g.function,
                    defined_at=g.defined_at,
                    traces=g.traces,
                    concrete_functions=g.peak[0],
                    graph_bytes=g.peak[1],
                    graph_nodes=g.peak[2],
                    live_at_end=g.live,
                )
                for g in self._functions.values()
            )
            interval = self._interval
            spans = tuple((s, e) for s, e in self._spans)
        if not samples:
            return None
        functions = tuple(sorted(functions, key=lambda f: -f.graph_bytes))
        cost = self._thread_cpu + self._weighing
        return report_of(samples, functions, interval, cost=cost, tracing=spans)
