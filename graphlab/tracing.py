"""Record every tf.function trace and explain why it happened.

Two entry points share one recorder:

* :func:`function` is a drop-in for ``tf.function`` whose objects keep their own
  trace events (``.traces``) for their whole life;
* :func:`watch` records every trace in the process while it is active, Keras and
  tf.data functions included.

The recorder hooks the single place where TensorFlow builds a new graph on a cache miss
(see ``graphlab._tf``). Cache hits never reach it, so a recorded function calls exactly
as fast as a plain one.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from graphlab import _tf
from graphlab.explain import Lineage, explain, render_type
from graphlab.records import Cause, FunctionSummary, TraceEvent, TraceReport

logger = logging.getLogger("graphlab")

#: Events kept per function; older ones are folded into the summary's counters.
DEFAULT_MAX_EVENTS = 1000

#: Avoidable retraces logged as warnings per function; later ones go to DEBUG.
MAX_WARNINGS_PER_FUNCTION = 5

_sequence = itertools.count()


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
# Per-function logs


@dataclass(slots=True)
class _Entry:
    sequence: int
    event: TraceEvent
    owner_id: int  # id() of the tf.function object that traced (0 if unknown)
    code: Any  # the Python code it traced, to match plain functions after the object died


@dataclass(slots=True)
class _FunctionLog:
    """The events of one function, capped, with counters over every trace seen."""

    max_events: int
    entries: deque[_Entry] = field(default_factory=deque)
    traces: int = 0
    actionable: int = 0
    total_ms: float = 0.0
    folded: int = 0
    advice: list[str] = field(default_factory=list)

    def add(self, entry: _Entry) -> None:
        if self.max_events and len(self.entries) >= self.max_events:
            self.entries.popleft()
            self.folded += 1
        self.entries.append(entry)
        self.traces += 1
        self.total_ms += entry.event.duration_ms
        if entry.event.actionable:
            self.actionable += 1
            advice = entry.event.cause.advice
            if advice and advice not in self.advice:
                self.advice.append(advice)
                del self.advice[:-4]

    def summary(self) -> FunctionSummary:
        last = self.entries[-1].event
        return FunctionSummary(
            function=last.function,
            qualname=last.qualname,
            defined_at=last.defined_at,
            traces=self.traces,
            actionable_retraces=self.actionable,
            total_tracing_ms=self.total_ms,
            last_cause=last.cause.summary(),
            advice="\n".join(self.advice),
            internal=all(e.event.internal for e in self.entries),
            folded=self.folded,
        )


class _Log:
    """Events grouped per function (qualified name + definition site)."""

    def __init__(self, max_events: int):
        self._max_events = max_events
        self._functions: dict[tuple[str, str], _FunctionLog] = {}
        self._lock = threading.Lock()

    def add(self, entry: _Entry) -> None:
        key = (entry.event.qualname, entry.event.defined_at)
        with self._lock:
            log = self._functions.get(key)
            if log is None:
                log = self._functions[key] = _FunctionLog(self._max_events)
            log.add(entry)

    def entries(self) -> list[_Entry]:
        with self._lock:
            merged = [e for log in self._functions.values() for e in log.entries]
        return sorted(merged, key=lambda e: e.sequence)

    def summaries(self) -> tuple[FunctionSummary, ...]:
        with self._lock:
            return tuple(log.summary() for log in self._functions.values())


def _report(log: _Log) -> TraceReport:
    return TraceReport(
        events=tuple(e.event for e in log.entries()),
        summaries=log.summaries(),
        tensorflow=_tf.TF_VERSION,
    )


# ---------------------------------------------------------------------------
# The recorder


class _Recorder:
    """The process-wide listener behind the trace hook."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._watches: list[Watch] = []
        self._functions: weakref.WeakSet[GraphlabFunction] = weakref.WeakSet()
        # Python code -> the tf.function objects and instances that traced it.
        self._code_owners: dict[Any, _CodeSeen] = {}
        # (qualname, defined_at) -> retrace warnings logged so far.
        self._warnings: dict[tuple[str, str], int] = {}

    # -- activation -------------------------------------------------------
    def register_function(self, function: GraphlabFunction) -> None:
        with self._lock:
            self._functions.add(function)
            _tf.install_trace_hook(self)

    def start(self, watch: Watch) -> None:
        with self._lock:
            if watch in self._watches:
                raise RuntimeError("this graphlab.watch() is already active")
            self._watches.append(watch)
            if len(self._watches) == 1:
                self._warnings.clear()  # a new session of interest: warn afresh
            _tf.install_trace_hook(self)

    def stop(self, watch: Watch) -> None:
        with self._lock:
            if watch in self._watches:
                self._watches.remove(watch)
            if not self._watches and not self.live_functions():
                _tf.uninstall_trace_hook()

    def active_watches(self) -> list[Watch]:
        with self._lock:
            return list(self._watches)

    def live_functions(self) -> int:
        # Iterating a WeakSet skips referents that died but whose removal is pending.
        return sum(1 for _ in self._functions)

    # -- the hook ---------------------------------------------------------
    def __call__(self, pending: _tf.PendingTrace, run: Callable[[], Any]) -> Any:
        watches = self.active_watches()
        owner = _tf.owner_function(pending)
        recorded_owner = owner if isinstance(owner, GraphlabFunction) else None
        if not watches and recorded_owner is None:
            return run()
        timestamp = time.time()
        start = time.perf_counter()
        concrete = run()
        duration_ms = (time.perf_counter() - start) * 1e3
        try:
            event, code = self._make_event(pending, owner, concrete, timestamp, duration_ms)
        except Exception:  # never break the user's program over a report
            logger.debug("graphlab could not record a trace", exc_info=True)
            return concrete
        entry = _Entry(next(_sequence), event, id(owner) if owner is not None else 0, code)
        if recorded_owner is not None:
            recorded_owner._graphlab_log.add(entry)
        for watch in watches:
            watch._log.add(entry)
        self._log_event(event)
        return concrete

    def _log_event(self, event: TraceEvent) -> None:
        """Warn about avoidable retraces, a few per function: a loop that retraces on
        every step must not bury the program's own output (the report has them all)."""
        if not event.actionable:
            logger.debug("%s", event.message)
            return
        key = (event.qualname, event.defined_at)
        with self._lock:
            count = self._warnings[key] = self._warnings.get(key, 0) + 1
        if count > MAX_WARNINGS_PER_FUNCTION:
            logger.debug("%s", event.message)
            return
        advice = event.cause.advice.replace("\n", "\n    ")
        logger.warning("%s%s", event.message, f"\n    {advice}" if advice else "")
        if count == MAX_WARNINGS_PER_FUNCTION:
            logger.warning(
                "%s: further retrace warnings are not shown; every trace is still recorded "
                "(graphlab.watch() report, fn.traces)",
                event.function,
            )

    def _make_event(
        self,
        pending: _tf.PendingTrace,
        owner: Any,
        concrete: Any,
        timestamp: float,
        duration_ms: float,
    ) -> tuple[TraceEvent, Any]:
        """The event, and the Python code object that was traced (for matching)."""
        options = pending.tracing_options
        lookup_type, function_context = _tf.lookup_and_context(pending)
        new_key = _tf.describe_key(function_context, lookup_type)
        traced_as = (
            _tf.describe_key(function_context, pending.function_type)
            if pending.function_type is not lookup_type
            else None
        )
        cached = _tf.describe_keys(_tf.cached_keys(options))
        target = _tf.python_target(options)
        name, qualname, defined_at = _tf.names_of(target, options.name)
        internal = _tf.is_internal(options)

        call_site = _tf.user_call_site(pending.caller)
        lineage = Lineage()
        code = _tf.code_of(target)
        if code is not None and owner is not None and not cached:
            lineage = self._note_code(code, owner, _tf.bound_instance(target), call_site)

        cause = explain(
            new_key,
            cached,
            traced_as=traced_as,
            lineage=lineage,
        )
        if internal:
            cause = Cause(
                "internal", cause.changes, detail=_internal_detail(options.name), expected=True
            )
        actionable = not internal and not cause.expected
        shown_key = traced_as or new_key
        context = shown_key.context.as_dict()
        context["jit_compile"] = str(_tf.jit_compile(options))
        event = TraceEvent(
            function=name,
            qualname=qualname,
            defined_at=defined_at,
            call_site=call_site,
            trace_index=len(cached) + 1,
            timestamp=timestamp,
            duration_ms=duration_ms,
            signature={p: render_type(node) for p, node in shown_key.params},
            context=context,
            op_count=_tf.count_ops(concrete.graph),
            cause=cause,
            actionable=bool(actionable),
            internal=internal,
            concrete_function=weakref.ref(concrete),
        )
        return event, code

    def _note_code(self, code: Any, owner: Any, instance: Any, call_site: str) -> Lineage:
        """Record that ``owner`` traced ``code`` and say what came before it.

        A function bound to an instance (a method, or Keras's step closures over
        ``self``) traced for an instance not seen before is that instance's own
        function: expected. The same instance getting a new function, or a new object
        traced from a call site an earlier one was traced from, means the tf.function
        was re-created (a recompiled model, a tf.function made in a loop).
        """
        with self._lock:
            seen = self._code_owners.setdefault(code, _CodeSeen())
            known = seen.has_owner(owner)
            others = seen.objects - known
            if not known:
                seen.objects += 1
                seen.add_owner(owner)
            same_site = call_site in seen.call_sites
            if len(seen.call_sites) < _MAX_CALL_SITES:
                seen.call_sites.add(call_site)
            new_instance = ""
            if instance is not None:
                if not seen.has_instance(instance):
                    new_instance = type(instance).__qualname__
                else:
                    same_site = True  # the same instance got a new function object
                seen.add_instance(instance)
            return Lineage(others, new_instance, same_site)


# Call sites remembered per piece of code (a bound on memory, not on correctness:
# past it, a new site is not remembered and its objects are not called re-created).
_MAX_CALL_SITES = 256


class _CodeSeen:
    """The function objects and instances that traced one piece of Python code."""

    __slots__ = ("call_sites", "instance_ids", "instances", "objects", "owners")

    def __init__(self) -> None:
        self.objects = 0  # tf.function objects that traced the code, dead ones included
        self.owners: weakref.WeakSet[Any] = weakref.WeakSet()  # the live ones
        self.call_sites: set[str] = set()
        self.instances: weakref.WeakSet[Any] = weakref.WeakSet()
        self.instance_ids: set[int] = set()

    def has_owner(self, owner: Any) -> bool:
        return owner in self.owners

    def add_owner(self, owner: Any) -> None:
        self.owners.add(owner)

    def has_instance(self, instance: Any) -> bool:
        try:
            return instance in self.instances
        except TypeError:  # unhashable or not weak-referenceable
            return id(instance) in self.instance_ids

    def add_instance(self, instance: Any) -> None:
        try:
            self.instances.add(instance)
        except TypeError:
            self.instance_ids.add(id(instance))


def _internal_detail(name: str) -> str:
    if name == "initialize_variables":
        return "TensorFlow's initializer for variables created on a first call"
    if name == "fn_with_cond":
        return "TensorFlow's conditional variable initializer"
    return "a function tf.data traced for itself"


_recorder = _Recorder()


def active_watches() -> list[Watch]:
    """The watches recording right now (for tests and tools)."""
    return _recorder.active_watches()


def hook_installed() -> bool:
    """Whether graphlab's trace hook is in TensorFlow right now."""
    return _tf.trace_hook_installed()


def live_functions() -> int:
    """How many graphlab.function objects are alive (they keep the hook installed)."""
    return _recorder.live_functions()


# ---------------------------------------------------------------------------
# graphlab.function


class GraphlabFunction(_tf.PolymorphicFunction):
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
        log = _Log(DEFAULT_MAX_EVENTS)
        for child_or_self in [self, *list(self._graphlab_children)]:
            for entry in child_or_self._graphlab_log.entries():
                log.add(entry)
        return _report(log)


def _adopt(function: Any) -> None:
    function._graphlab_log = _Log(DEFAULT_MAX_EVENTS)
    function._graphlab_children = weakref.WeakSet()
    _recorder.register_function(function)
    weakref.finalize(function, _release_hook_if_unused)


def _release_hook_if_unused() -> None:
    # Runs from a GC finalizer: under the recorder's lock, so that a watch starting in
    # another thread cannot lose the hook between its start() and its first trace.
    with _recorder._lock:
        if not _recorder._watches and not _recorder.live_functions():
            _tf.uninstall_trace_hook()


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
    if isinstance(inner, _tf.PolymorphicFunction):
        inherited = _tf.function_options(inner)
        inherited.update({k: options[k] for k in explicit})
        options, inner = inherited, inner.python_function
    if not callable(inner):
        raise TypeError(
            "graphlab.function expects a Python function, a callable object or a "
            f"tf.function, got {type(inner).__name__}: {inner!r:.80}"
        )
    created = _tf.tf.function(inner, **options)
    created.__class__ = GraphlabFunction
    _adopt(created)
    return created


# ---------------------------------------------------------------------------
# graphlab.watch


class Watch:
    """Records every trace in the process while active.

    Use it as ``with graphlab.watch() as w: ...`` or with ``w.start()`` / ``w.stop()``.
    Watches nest (each sees the traces of its own span) and record traces from every
    thread. Stopping leaves TensorFlow exactly as it was.
    """

    def __init__(self, *, max_events_per_function: int = DEFAULT_MAX_EVENTS):
        if max_events_per_function < 1:
            raise ValueError(
                f"max_events_per_function must be at least 1, got {max_events_per_function}"
            )
        self._log = _Log(max_events_per_function)
        self._active = False

    def start(self) -> Watch:
        _recorder.start(self)
        self._active = True
        return self

    def stop(self) -> Watch:
        _recorder.stop(self)
        self._active = False
        return self

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
        """Events and per-function summaries, ready for a renderer."""
        return _report(self._log)

    def _repr_html_(self) -> str:
        return self.report()._repr_html_()

    def __repr__(self) -> str:
        state = "active" if self._active else "stopped"
        return f"<graphlab.Watch {state}, {len(self.events)} traces>"


def _belongs_to(entry: _Entry, fn: Any) -> bool:
    """A tf.function object matches its own traces (and its per-instance copies'); a
    plain Python function matches every trace of its code, through any tf.function
    object, including ones already garbage-collected (re-created in a loop)."""
    if isinstance(fn, _tf.PolymorphicFunction):
        if entry.owner_id == id(fn):
            return True
        children = getattr(fn, "_graphlab_children", ())
        return any(entry.owner_id == id(child) for child in list(children))
    code = _tf.code_of(_tf.unwrap(fn))
    return code is not None and entry.code is code


def watch(*, max_events_per_function: int = DEFAULT_MAX_EVENTS) -> Watch:
    """Record every tf.function trace in the process; see :class:`Watch`."""
    return Watch(max_events_per_function=max_events_per_function)


# ---------------------------------------------------------------------------
# Test guards


@contextmanager
def expect_traces(fn: Any = None, max: int = 0) -> Iterator[Watch]:
    """Fail with :class:`RetraceError` if ``fn`` (or any function) traces more than
    ``max`` times inside the block. TensorFlow-internal traces do not count."""
    if max < 0:
        raise ValueError(f"max must be >= 0, got {max}")
    recorder = Watch()
    with recorder:
        yield recorder
    events = recorder.events_for(fn) if fn is not None else recorder.events
    events = tuple(e for e in events if not e.internal)
    if len(events) > max:
        target = getattr(fn, "__name__", "a tf.function") if fn is not None else "tf.functions"
        lines = [f"{target} traced {len(events)} time(s), expected at most {max}:"]
        lines += [f"  - {event.message}" for event in events]
        advice = [e.cause.advice for e in events if e.cause.advice]
        if advice:
            lines.append("  advice: " + advice[-1].replace("\n", "\n          "))
        raise RetraceError("\n".join(lines), events, max)


def no_retrace(fn: Any = None) -> Any:
    """Shorthand for ``expect_traces(fn, max=0)``, for use after a warm-up call."""
    return expect_traces(fn, max=0)
