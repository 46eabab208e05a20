"""``graphlab.function`` and ``graphlab.watch``: record every tf.function trace and
explain why it happened.

Two entry points share one recorder (:mod:`graphlab.tracing.recorder`):

* :func:`function` is a drop-in for ``tf.function`` whose objects keep their own
  trace events (``.traces``) for their whole life;
* :func:`watch` records every trace in the process while it is active, Keras and
  tf.data functions included.

:func:`expect_traces` and :func:`no_retrace` turn a watch into a test guard.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import tensorflow as tf

from graphlab import _source
from graphlab._tf import PolymorphicFunction, hook
from graphlab._tf import functions as tf_functions
from graphlab._tf import profiler as tf_profiler
from graphlab.profiling import xplane
from graphlab.profiling.records import Compilation
from graphlab.profiling.session import Profile, ProfilerBusy
from graphlab.tracing import ranks
from graphlab.tracing.options import DEFAULT_MAX_EVENTS, DEFAULT_MEMORY_INTERVAL, WatchOptions
from graphlab.tracing.recorder import RECORDER, Entry, Log, report_of
from graphlab.tracing.records import TraceEvent, TraceReport
from graphlab.tracing.sampler import MemoryMonitor

logger = logging.getLogger("graphlab")


class RetraceError(AssertionError):
    """A function traced more often than a guard allowed.

    Attributes:
        events: The trace events seen inside the guard, with their explanations.
        limit: The number of traces the guard allowed.
    """

    def __init__(self, message: str, events: tuple[TraceEvent, ...], limit: int):
        super().__init__(message)
        self.events = events
        self.limit = limit


# ---------------------------------------------------------------------------
# graphlab.function


class GraphlabFunction(PolymorphicFunction):
    """A ``tf.function`` that remembers its traces.

    It *is* a ``tf.function`` object (a subclass of TensorFlow's class, created by
    ``tf.function`` itself), so results, trace counts, ``get_concrete_function``,
    SavedModel export and method binding are TensorFlow's own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Reached for per-instance copies that TensorFlow makes for methods.
        super().__init__(*args, **kwargs)
        _adopt(self)

    def __get__(self, instance: Any, owner: Any) -> Any:
        bound = super().__get__(instance, owner)
        if bound is not self and isinstance(bound, GraphlabFunction):
            self._graphlab_children.add(bound)
        return bound

    @property
    def traces(self) -> tuple[TraceEvent, ...]:
        """Every recorded trace of this function (and its per-instance copies)."""
        entries = self._graphlab_log.entries()
        for child in list(self._graphlab_children):
            entries.extend(child._graphlab_log.entries())
        entries.sort(key=lambda e: e.sequence)
        return tuple(e.event for e in entries)

    def trace_report(self) -> TraceReport:
        """Events and summary of this function, ready for a renderer."""
        log = Log(DEFAULT_MAX_EVENTS)
        for child_or_self in [self, *list(self._graphlab_children)]:
            for entry in child_or_self._graphlab_log.entries():
                log.add(entry)
        return report_of(log)


def _adopt(function: Any) -> None:
    function._graphlab_log = Log(DEFAULT_MAX_EVENTS)
    function._graphlab_children = weakref.WeakSet()
    RECORDER.register_function(function)
    weakref.finalize(function, RECORDER.release_hook_if_unused)


def function(
    func: Callable[..., Any] | None = None,
    input_signature: Any = None,
    autograph: bool = True,
    jit_compile: bool | None = None,
    reduce_retracing: bool = False,
    experimental_implements: Any = None,
    experimental_autograph_options: Any = None,
    experimental_attributes: Any = None,
    experimental_relax_shapes: bool | None = None,
    experimental_compile: bool | None = None,
    experimental_follow_type_hints: bool | None = None,
) -> Any:
    """Drop-in for ``tf.function`` that records every trace with its cause.

    Takes exactly ``tf.function``'s arguments and works as ``@graphlab.function``,
    ``@graphlab.function(...)`` and ``graphlab.function(fn, ...)``. Given an existing
    ``tf.function``, it returns a new recorded function with the same options (the
    original object is left untouched); arguments passed here override them.

    Returns:
        A :class:`GraphlabFunction`: a real ``tf.function`` object with ``.traces``.
    """
    options: dict[str, Any] = {
        "input_signature": input_signature,
        "autograph": autograph,
        "jit_compile": jit_compile,
        "reduce_retracing": reduce_retracing,
        "experimental_implements": experimental_implements,
        "experimental_autograph_options": experimental_autograph_options,
        "experimental_attributes": experimental_attributes,
    }
    deprecated = {
        "experimental_relax_shapes": experimental_relax_shapes,
        "experimental_compile": experimental_compile,
        "experimental_follow_type_hints": experimental_follow_type_hints,
    }
    options.update({k: v for k, v in deprecated.items() if v is not None})
    defaults = {
        "input_signature": None,
        "autograph": True,
        "jit_compile": None,
        "reduce_retracing": False,
    }
    explicit = {k for k, v in options.items() if defaults.get(k, None) != v}

    def decorate(inner: Callable[..., Any]) -> Any:
        return _make(inner, options, explicit)

    if func is None:
        return decorate
    return decorate(func)


def _make(inner: Any, options: dict[str, Any], explicit: set[str]) -> Any:
    if isinstance(inner, GraphlabFunction) and not explicit:
        return inner
    if isinstance(inner, PolymorphicFunction):  # same options, those given here on top
        created = tf_functions.rebuild(inner, **{k: options[k] for k in explicit})
    elif callable(inner):
        created = tf.function(inner, **options)
    else:
        raise TypeError(
            "graphlab.function expects a Python function, a callable object or a "
            f"tf.function, got {type(inner).__name__}: {inner!r:.80}"
        )
    created = tf_functions.with_class(created, GraphlabFunction)
    _adopt(created)
    return created


# ---------------------------------------------------------------------------
# graphlab.watch


class Watch:
    """Records every trace in the process while active.

    Use it as ``with graphlab.watch() as w: ...`` or with ``w.start()`` / ``w.stop()``.
    Watches nest (each sees the traces of its own span) and record traces from every
    thread. Stopping leaves TensorFlow exactly as it was.

    While a watch is active, TensorFlow's generic "N out of the last M calls triggered
    tf.function retracing" warning is held back (graphlab explains the same retraces);
    ``keep_tf_warning=True`` lets it through.

    ``compiles=True`` also records every XLA compilation (duration, input shapes, whether
    a trace caused it) by running TensorFlow's profiler while the watch is active: it
    costs (every TensorFlow event is recorded), so it is off by default, and only one
    such watch can run at a time. The program's own profiler session wins: when it
    starts one, the compile records stop there and the report says so
    (:attr:`TraceReport.compiles_stopped`).
    With ``memory=True`` it also samples the process's resident memory every
    ``memory_interval`` seconds in a background thread and follows the concrete
    functions each trace keeps alive; the report then says whether memory grew and
    whether retracing is to blame (:mod:`graphlab.tracing.memory`).

    The report carries the worker's ``rank`` (for ``graphlab merge-traces``): the one
    given, else the one ``TF_CONFIG`` names when the report is made (a program may set
    ``TF_CONFIG`` itself; the chief is 0, workers follow it; see
    :mod:`graphlab.tracing.ranks`), else None.

    The keywords are the fields of :class:`~graphlab.tracing.options.WatchOptions`
    (checked there: a ValueError says what to give); :attr:`options` holds them, and
    :meth:`from_options` makes a watch from the record.
    """

    def __init__(
        self,
        *,
        max_events_per_function: int = DEFAULT_MAX_EVENTS,
        keep_tf_warning: bool = False,
        compiles: bool = False,
        memory: bool = False,
        memory_interval: float = DEFAULT_MEMORY_INTERVAL,
        rank: int | None = None,
    ):
        self.options = options = WatchOptions(
            max_events_per_function=max_events_per_function,
            keep_tf_warning=keep_tf_warning,
            compiles=compiles,
            memory=memory,
            memory_interval=memory_interval,
            rank=rank,
        )
        self._rank = options.rank
        self._memory = MemoryMonitor(options.memory_interval) if options.memory else None
        on_add = self._memory.note_trace if self._memory is not None else None
        self._log = Log(options.max_events_per_function, on_add)
        self._active = False
        self.keep_tf_warning = options.keep_tf_warning
        self.compiles = options.compiles
        self._profile: Profile | None = None
        self._profile_lock = threading.Lock()
        self._pending: dict[str, tuple[Any, ...]] = {}
        self._compiles_stopped = ""  # why compile records stop early ("" when they don't)
        self._started_at = 0.0
        self._compilations: tuple[Compilation, ...] | None = None

    @classmethod
    def from_options(cls, options: WatchOptions) -> Watch:
        """A watch recording what ``options`` says."""
        return cls(**options.to_dict())

    def start(self) -> Watch:
        if self.compiles:
            if tf_profiler.xla_call_listener is not None or tf_profiler.profiler_running():
                raise ProfilerBusy(
                    "TensorFlow's profiler is already running in this process (another "
                    "watch(compiles=True), bench --profile, or tf.profiler): one at a time"
                )
            tf_profiler.install_call_probe()
            tf_profiler.xla_call_listener = self._start_profile
            tf_profiler.add_program_listener(self._program_profiles)
            self._started_at = time.perf_counter()
        RECORDER.start(self)
        self._active = True
        if self._memory is not None:
            self._memory.start()
        return self

    def stop(self) -> Watch:
        if self._memory is not None:
            self._memory.stop()
        RECORDER.stop(self)
        self._active = False
        if self.compiles:
            tf_profiler.remove_program_listener(self._program_profiles)
            with self._profile_lock:
                profile, self._profile = self._profile, None
            events = profile.stop() if profile is not None else []
            if tf_profiler.xla_call_listener == self._start_profile:
                tf_profiler.xla_call_listener = None
            tf_profiler.remove_call_probe()
            self._compilations = _compilations(events, self._log.entries(), self._pending)
        return self

    def _program_profiles(self) -> None:
        """The program starts TensorFlow's profiler: its session wins (one per process),
        so compile records stop here (the running profile steps aside by itself)."""
        with self._profile_lock:
            if not self._active or self._compiles_stopped:
                return
            where = _source.user_call_site(sys._getframe(1))
            self._compiles_stopped = (
                f"compile records stop {time.perf_counter() - self._started_at:.2f} s into "
                f"the watch, where the program started TensorFlow's profiler itself ({where}):"
                " TensorFlow runs one profiler session per process, and the program's wins"
            )

    def _record(self, entry: Entry) -> None:
        """Keep a trace event; with ``compiles``, the first trace that asks for XLA
        starts the profiler (nothing compiles before one: a program without XLA is not
        profiled at all, and the cost starts with the first XLA function)."""
        self._log.add(entry)
        if not self.compiles or entry.event.context.get("jit_compile") != "True":
            return
        if self._start_profile():  # the call that traced is running: note its shapes
            shapes = tf_profiler.current_call_shapes()
            concrete = entry.event.concrete_function
            function = concrete() if concrete is not None else None
            if shapes is not None and function is not None:
                self._pending[_name_of(function)] = xplane.parse_shapes(shapes)

    def _start_profile(self) -> bool:
        """Start the profiler unless it runs; True when this call started it. Before a
        call of an XLA function (the call probe asks), or when one traces (inside
        another graph, it is never called from Python)."""
        with self._profile_lock:
            if self._profile is not None or not self._active or self._compiles_stopped:
                return False
            profile = Profile(probe_calls=False, around=xplane.is_compilation)
            try:
                profile.start()
            except ProfilerBusy:  # the program runs its own: never break it over a report
                self._compiles_stopped = (
                    "compile records stop where XLA was first used "
                    f"({time.perf_counter() - self._started_at:.2f} s into the watch): "
                    "another profiler session (the program's) was running, and TensorFlow "
                    "runs one per process"
                )
                return False
            self._profile = profile
            return True

    @property
    def worker(self) -> ranks.Worker:
        """This process's place in a multi-worker job: the rank given, else
        ``TF_CONFIG``'s as it is now (unset or malformed: no rank, with a warning for
        the latter; TensorFlow itself will say more)."""
        try:
            return ranks.current(self._rank)
        except ValueError as error:
            logger.warning("graphlab: no rank for this report: %s", error)
            return ranks.Worker()

    @property
    def compilations(self) -> tuple[Compilation, ...] | None:
        """XLA compilations seen (``compiles=True``, once stopped); None otherwise."""
        return self._compilations

    @property
    def active(self) -> bool:
        return self._active

    def __enter__(self) -> Watch:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def events(self) -> tuple[TraceEvent, ...]:
        """Recorded events in order (capped per function)."""
        return tuple(e.event for e in self._log.entries())

    @property
    def user_events(self) -> tuple[TraceEvent, ...]:
        """Events of the user's functions: TensorFlow-internal ones (tf.data, variable
        initializers) left out, as every count of "traces" in graphlab does."""
        return tuple(e for e in self.events if not e.internal)

    def events_for(self, fn: Any) -> tuple[TraceEvent, ...]:
        """Events of one tf.function object (its per-instance copies included), or of
        every tf.function that traced a plain Python function."""
        return tuple(e.event for e in self._log.entries() if _belongs_to(e, fn))

    def report(self) -> TraceReport:
        """Events and per-function summaries (and memory, if watched; XLA compilations,
        if recorded), ready for a renderer."""
        worker = self.worker
        report = dataclasses.replace(
            report_of(self._log),
            compilations=self._compilations,
            compiles_stopped=self._compiles_stopped if self._compilations is not None else "",
            rank=worker.rank,
            task=worker.task,
        )
        if self._memory is not None:
            report = dataclasses.replace(report, memory=self._memory.report())
        return report

    def _repr_html_(self) -> str:
        return self.report()._repr_html_()

    def __repr__(self) -> str:
        state = "active" if self._active else "stopped"
        return f"<graphlab.Watch {state}, {len(self.events)} traces>"


def _compilations(
    events: list[Any], entries: list[Entry], pending: dict[str, tuple[Any, ...]]
) -> tuple[Compilation, ...]:
    """The compilations in a profile, named as the watch's trace events name functions."""
    names: dict[str, str] = {}
    shapes: dict[str, tuple[Any, ...]] = {}
    for entry in entries:
        concrete = entry.event.concrete_function() if entry.event.concrete_function else None
        if concrete is not None:
            name = _name_of(concrete)
            names[name] = entry.event.function
            shapes[name] = tf_profiler.concrete_input_shapes(concrete)
    found = xplane.compilations(
        events, functions=names, traced_shapes=shapes, pending_shapes=pending, traced=set(names)
    )
    return tuple(found)


def _name_of(concrete: Any) -> str:
    """``__inference_f_12``: the name XLA's compilations carry."""
    name = concrete.name
    return name.decode() if isinstance(name, bytes) else str(name)


def _belongs_to(entry: Entry, fn: Any) -> bool:
    """A tf.function object matches its own traces (and its per-instance copies'); a
    plain Python function matches every trace of its code, through any tf.function
    object, including ones already garbage-collected (re-created in a loop)."""
    if isinstance(fn, PolymorphicFunction):
        if entry.owner_id == id(fn):
            return True
        children = getattr(fn, "_graphlab_children", ())
        return any(entry.owner_id == id(child) for child in list(children))
    code = hook.code_of(hook.unwrap(fn))
    return code is not None and entry.code is code


def watch(
    *,
    max_events_per_function: int = DEFAULT_MAX_EVENTS,
    keep_tf_warning: bool = False,
    compiles: bool = False,
    memory: bool = False,
    memory_interval: float = DEFAULT_MEMORY_INTERVAL,
    rank: int | None = None,
) -> Watch:
    """Record every tf.function trace in the process; with ``memory=True`` also sample
    resident memory and say whether retracing makes it grow; with ``compiles=True``
    record XLA compilations; ``rank`` names the worker in a multi-worker job (default:
    from ``TF_CONFIG``). See :class:`Watch`."""
    return Watch(
        max_events_per_function=max_events_per_function,
        keep_tf_warning=keep_tf_warning,
        compiles=compiles,
        memory=memory,
        memory_interval=memory_interval,
        rank=rank,
    )


# ---------------------------------------------------------------------------
# Test guards


@contextmanager
def expect_traces(
    fn: Any = None, max: int = 0, *, allow_side_effects: bool = True
) -> Iterator[Watch]:
    """Fail with :class:`RetraceError` if ``fn`` (or any function) traces more than
    ``max`` times inside the block. TensorFlow-internal traces do not count. With
    ``allow_side_effects=False`` it also fails when a trace ran a Python side effect
    (``print``, Python/NumPy random numbers, changes to outside objects or globals)."""
    if isinstance(max, bool) or not isinstance(max, int):
        raise TypeError(f"max must be an int (a number of traces), got {max!r}")
    if max < 0:
        raise ValueError(f"max must be >= 0, got {max}")
    if fn is not None and not callable(fn):
        raise TypeError(f"expect_traces watches a tf.function, got {type(fn).__name__} {fn!r}")
    recorder = Watch()
    with recorder:
        yield recorder
    events = recorder.events_for(fn) if fn is not None else recorder.events
    if fn is not None and not events and not isinstance(fn, PolymorphicFunction):
        code = getattr(fn, "__code__", None)
        if code is None or not RECORDER.traced_code(code):
            raise TypeError(
                f"expect_traces got {getattr(fn, '__name__', repr(fn))}, a Python callable "
                "that no tf.function has traced: pass the tf.function object itself"
            )
    events = tuple(e for e in events if not e.internal)
    target = getattr(fn, "__name__", "a tf.function") if fn is not None else "tf.functions"
    if len(events) > max:
        lines = [f"{target} traced {len(events)} time(s), expected at most {max}:"]
        lines += [f"  - {event.message}" for event in events]
        advice = [e.cause.advice for e in events if e.cause.advice]
        if advice:
            lines.append("  advice: " + advice[-1].replace("\n", "\n          "))
        raise RetraceError("\n".join(lines), events, max)
    effects = [(e, effect) for e in events for effect in e.side_effects]
    if effects and not allow_side_effects:
        lines = [f"{target} ran Python side effects while tracing:"]
        lines += [f"  - {e.function} at {effect.where}: {effect.message}" for e, effect in effects]
        raise RetraceError("\n".join(lines), events, max)


def no_retrace(fn: Any = None) -> Any:
    """Shorthand for ``expect_traces(fn, max=0)``, for use after a warm-up call."""
    return expect_traces(fn, max=0)
