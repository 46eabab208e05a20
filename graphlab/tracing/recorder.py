"""The process-wide recorder behind ``graphlab.function`` and ``graphlab.watch``.

It hooks the single place where TensorFlow builds a new graph on a cache miss (see
:mod:`graphlab._tf.hook`), turns each trace into a :class:`TraceEvent` with its cause,
and hands it to the logs that want it: the recorded function that traced and every
active watch. Cache hits never reach it, so a recorded function calls exactly as fast
as a plain one. The public entry points are in :mod:`graphlab.tracing.api`.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from graphlab import _source, _text, _tf
from graphlab._tf import graphs as tf_graphs
from graphlab._tf import hook
from graphlab._types import render_type
from graphlab.tracing import effects
from graphlab.tracing import records as _records
from graphlab.tracing.cache import CacheIndexes, CacheView
from graphlab.tracing.datasets import datasets_near
from graphlab.tracing.explain import (
    Lineage,
    Situation,
    advice_items,
    advice_topic,
    explain,
)
from graphlab.tracing.records import Cause, Finding, FunctionSummary, TraceEvent, TraceReport

logger = logging.getLogger("graphlab")

#: Avoidable retraces logged as warnings per function; later ones go to DEBUG.
MAX_WARNINGS_PER_FUNCTION = 5

_sequence = itertools.count()


# ---------------------------------------------------------------------------
# Per-function logs


@dataclass(slots=True)
class Entry:
    sequence: int
    event: TraceEvent
    owner_id: int  # id() of the tf.function object that traced (0 if unknown)
    code: Any  # the Python code it traced, to match plain functions after the object died
    captures: tuple[effects.Capture, ...] = ()  # plain values it read while tracing


@dataclass(slots=True)
class _FunctionLog:
    """The events of one function, capped, with counters over every trace seen."""

    max_events: int
    entries: deque[Entry] = field(default_factory=deque)
    traces: int = 0
    actionable: int = 0
    total_tracing: float = 0.0
    folded: int = 0
    advice: list[str] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        if self.max_events and len(self.entries) >= self.max_events:
            self.entries.popleft()
            self.folded += 1
        self.entries.append(entry)
        self.traces += 1
        self.total_tracing += entry.event.duration
        if entry.event.actionable:
            self.actionable += 1
            for item in advice_items(entry.event.cause.advice):
                topic = advice_topic(item)  # the newest advice on a topic covers every call so far
                self.advice = [a for a in self.advice if advice_topic(a) != topic]
                self.advice.append(item)
            del self.advice[:-6]

    def summary(self) -> FunctionSummary:
        last = self.entries[-1].event
        return FunctionSummary(
            function=last.function,
            qualname=last.qualname,
            defined_at=last.defined_at,
            traces=self.traces,
            actionable_retraces=self.actionable,
            total_tracing=self.total_tracing,
            last_cause=last.cause.summary(),
            advice="\n".join(self.advice),
            internal=all(e.event.internal for e in self.entries),
            folded=self.folded,
            instance=last.instance,
        )


class Log:
    """Events grouped per tf.function object (qualified name + definition site + the
    object): three Keras models' ``train_function`` are three functions."""

    def __init__(self, max_events: int, on_add: Callable[[Entry], None] | None = None):
        self._max_events = max_events
        self._functions: dict[tuple[str, str], _FunctionLog] = {}
        self._lock = threading.Lock()
        self._on_add = on_add  # told of each trace (a watch's memory monitor)

    def add(self, entry: Entry) -> None:
        key = (entry.event.qualname, entry.event.defined_at, entry.owner_id)
        with self._lock:
            log = self._functions.get(key)
            if log is None:
                log = self._functions[key] = _FunctionLog(self._max_events)
            log.add(entry)
        if self._on_add is not None:
            self._on_add(entry)

    def entries(self) -> list[Entry]:
        with self._lock:
            merged = [e for log in self._functions.values() for e in log.entries]
        return sorted(merged, key=lambda e: e.sequence)

    def labelled(self) -> tuple[tuple[TraceEvent, ...], tuple[FunctionSummary, ...]]:
        """Every event in order and every summary, with what tells its object apart."""
        with self._lock:
            logs = self._functions.items()
            labels = _records.object_labels({k: g.entries[-1].event.instance for k, g in logs})
            keyed = [(e, labels[k]) for k, g in logs for e in g.entries]
            summaries = tuple(replace(g.summary(), instance=labels[k]) for k, g in logs)
        keyed.sort(key=lambda pair: pair[0].sequence)
        return tuple(replace(e.event, instance=label) for e, label in keyed), summaries

    def findings(self) -> tuple[Finding, ...]:
        """Stale captures: per function, the plain values its newest trace that read
        them saw, compared with their values now."""
        with self._lock:
            logs = list(self._functions.values())
        found: list[Finding] = []
        for log in logs:
            latest: dict[str, effects.Capture] = {}
            function = ""
            for entry in reversed(log.entries):
                function = function or entry.event.function
                graph = entry.event.concrete_function
                if graph is not None and graph() is None:
                    continue  # the graph is gone: nothing left to compute with old values
                for capture in entry.captures:
                    latest.setdefault(capture.name, capture)
            found += effects.stale_findings(function, list(latest.values()))
        return tuple(found)


def report_of(log: Log) -> TraceReport:
    events, summaries = log.labelled()
    return TraceReport(
        events=events,
        summaries=summaries,
        tensorflow=_tf.TF_VERSION,
        findings=log.findings(),
    )


# ---------------------------------------------------------------------------
# A trace while it runs

_tracing = threading.local()


def _running() -> list[_Trace]:
    """The traces running on this thread, outermost first (a tf.function called while
    another traces is traced inside it)."""
    stack = getattr(_tracing, "stack", None)
    if stack is None:
        stack = _tracing.stack = []
    return stack


@dataclass(slots=True)
class _Trace:
    """What is known of a trace before TensorFlow builds its graph."""

    sequence: int  # events are listed in the order their traces started
    owner_id: int
    target: Any
    name: str
    qualname: str
    defined_at: str
    cache: CacheView  # the function's cache as the trace found it
    situation: Situation
    scopes: list[Any]
    observer: effects.Observer | None
    instance: str = ""  # the Keras model's name, to tell its functions from another's

    @classmethod
    def start(
        cls, pending: hook.PendingTrace, owner: Any, cache: CacheView, *, observe: bool
    ) -> _Trace:
        options = pending.tracing_options
        target = hook.python_target(options)
        name, qualname, defined_at = hook.names_of(target, options.name)
        role = hook.keras_role(target)
        instance = str(getattr(hook.bound_instance(target), "name", "") or "") if role else ""
        if role:  # Keras's train/test/predict functions share code: name them apart
            name, qualname = f"{role} ({name})", f"{role} ({qualname})"
        owner_id = id(owner) if owner is not None else 0
        running = _running()
        outer = running[-1] if running else None
        code = hook.code_of(target)
        situation = Situation(
            framework=code is not None and _source.is_framework_file(code.co_filename),
            outer_retrace=outer.name if outer is not None and outer.cache.count else "",
            recursion_depth=sum(1 for t in running if owner_id and t.owner_id == owner_id),
        )
        if cache.count and not hook.is_internal(options):  # a retrace: advice may name a dataset
            situation = replace(situation, datasets=datasets_near(pending.caller))
        scopes: list[Any] = []
        observer = None
        if observe and not hook.is_internal(options):
            arguments = hook.call_arguments(pending)
            scopes = effects.user_scopes(target, hook.bound_instance(target), arguments)
            observer = effects.Observer(scopes, _locate)
        return cls(
            next(_sequence),
            owner_id,
            target,
            name,
            qualname,
            defined_at,
            cache,
            situation,
            scopes,
            observer,
            instance,
        )


def _locate() -> tuple[str, int] | None:
    return tf_graphs.current_user_line(_source.is_framework_file)


# ---------------------------------------------------------------------------
# The recorder


class _Recorder:
    """The process-wide listener behind the trace hook."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._watches: list[Any] = []  # the active graphlab.Watch objects
        self._functions: weakref.WeakSet[Any] = weakref.WeakSet()  # graphlab.function objects
        # Python code and closure (a fingerprint) -> the tf.function objects and
        # instances that traced it.
        self._code_owners: dict[Any, _CodeSeen] = {}
        # (qualname, defined_at) -> retrace warnings logged so far.
        self._warnings: dict[tuple[str, str], int] = {}
        self._caches = CacheIndexes()  # each function cache's keys, described once
        self._filter_added = False

    # -- activation -------------------------------------------------------
    def _install(self) -> None:
        hook.install_trace_hook(self)
        if not self._filter_added:  # once; it only acts while graphlab records
            logging.getLogger("tensorflow").addFilter(_TfRetracingWarningFilter(self))
            self._filter_added = True

    def register_function(self, function: Any) -> None:
        with self._lock:
            self._functions.add(function)
            self._install()

    def start(self, watch: Any) -> None:
        with self._lock:
            if watch in self._watches:
                raise RuntimeError("this graphlab.watch() is already active")
            self._watches.append(watch)
            if len(self._watches) == 1:
                self._warnings.clear()  # a new session of interest: warn afresh
            self._install()

    def stop(self, watch: Any) -> None:
        with self._lock:
            if watch in self._watches:
                self._watches.remove(watch)
            if not self._watches and not self.live_functions():
                hook.uninstall_trace_hook()

    def active_watches(self) -> list[Any]:
        with self._lock:
            return list(self._watches)

    def release_hook_if_unused(self) -> None:
        """Give TensorFlow its function back once nothing records. Runs from a GC
        finalizer: under the lock, so that a watch starting in another thread cannot
        lose the hook between its start() and its first trace."""
        with self._lock:
            if not self._watches and not self.live_functions():
                hook.uninstall_trace_hook()

    def traced_code(self, code: Any) -> bool:
        """Whether a tf.function object has traced this Python code."""
        with self._lock:
            return code in self._code_owners

    def live_functions(self) -> int:
        # Iterating a WeakSet skips referents that died but whose removal is pending.
        return sum(1 for _ in self._functions)

    # -- the hook ---------------------------------------------------------
    def __call__(self, pending: hook.PendingTrace, run: Callable[[], Any]) -> Any:
        watches = self.active_watches()
        owner = hook.owner_function(pending)
        # graphlab.function objects carry their own log (tracing.api adopts them)
        recorded_owner = owner if hasattr(owner, "_graphlab_log") else None
        if not watches and recorded_owner is None:
            return run()
        try:
            cache = self._caches.view(pending)
            trace = _Trace.start(pending, owner, cache, observe=self.observe_effects)
        except Exception:  # never break the user's program over a report
            logger.debug("graphlab could not look at a trace", exc_info=True)
            return run()
        stack = _running()
        stack.append(trace)
        timestamp = time.time()
        start = time.perf_counter()
        try:
            if trace.observer is not None:
                with trace.observer:
                    concrete = run()
            else:
                concrete = run()
        finally:
            stack.pop()
        duration = time.perf_counter() - start
        try:
            event, code, captures = self._make_event(
                pending, owner, trace, concrete, timestamp, duration
            )
        except Exception:  # never break the user's program over a report
            logger.debug("graphlab could not record a trace", exc_info=True)
            return concrete
        owner_id = id(owner) if owner is not None else 0
        entry = Entry(trace.sequence, event, owner_id, code, captures)
        if recorded_owner is not None:
            recorded_owner._graphlab_log.add(entry)
        for watch in watches:
            watch._record(entry)
        self._log_event(event)
        return concrete

    #: Look for Python side effects and captured values while tracing (a switch for
    #: the overhead benchmark; always on otherwise).
    observe_effects: bool = True

    def mutes_tf_warning(self) -> bool:
        """Whether TensorFlow's generic "N out of the last M calls triggered tf.function
        retracing" warning is held back: while graphlab records and explains the same
        retraces, unless a watch asked to keep it."""
        with self._lock:
            watches = list(self._watches)
        if any(getattr(w, "keep_tf_warning", False) for w in watches):
            return False
        return bool(watches) or self.live_functions() > 0

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
        width = _text.terminal_width(sys.stderr)  # warnings go to stderr
        advice = "\n".join(_text.wrap(event.cause.advice, width, "    "))
        message = "\n".join(
            _text.wrap(event.message.replace(event.function, _text.keep(event.function), 1), width)
        )
        logger.warning("%s%s", message, f"\n{advice}" if advice else "")
        if count == MAX_WARNINGS_PER_FUNCTION:
            logger.warning(
                "%s: further retrace warnings are not shown; every trace is still recorded "
                "(graphlab.watch() report, fn.traces)",
                event.function,
            )

    def _make_event(
        self,
        pending: hook.PendingTrace,
        owner: Any,
        trace: _Trace,
        concrete: Any,
        timestamp: float,
        duration: float,
    ) -> tuple[TraceEvent, Any, tuple[effects.Capture, ...]]:
        """The event, the Python code object that was traced (for matching) and the
        plain values it read (for stale-capture findings)."""
        options = pending.tracing_options
        view = trace.cache  # read when the trace started, before the graph was built
        new_key, traced_as, cached = view.new_key, view.traced_as, view.newest
        target = trace.target
        internal = hook.is_internal(options)

        call_site = _source.user_call_site(pending.caller)
        lineage = Lineage()
        code = hook.code_of(target)
        if code is not None and owner is not None and not view.count:
            lineage = self._note_code(target, owner, hook.bound_instance(target), call_site)

        cause = explain(
            new_key,
            cached,
            traced_as=traced_as,
            lineage=lineage,
            situation=trace.situation,
            match=view.match,
            merge=view.merge,
        )
        if internal:
            cause = Cause(
                "internal", cause.changes, detail=_internal_detail(options.name), expected=True
            )
        actionable = not internal and not cause.expected
        shown_key = traced_as or new_key
        context = shown_key.context.as_dict()
        context["jit_compile"] = str(hook.jit_compile(options))
        side_effects = trace.observer.side_effects() if trace.observer is not None else ()
        captures = tuple(effects.captures_of(trace.scopes)) if trace.scopes else ()
        event = TraceEvent(
            function=trace.name,
            qualname=trace.qualname,
            defined_at=trace.defined_at,
            call_site=call_site,
            trace_index=view.count + trace.situation.recursion_depth + 1,
            timestamp=timestamp,
            duration=duration,
            signature={p: render_type(node) for p, node in shown_key.params},
            context=context,
            op_count=tf_graphs.count_ops(concrete.graph),
            cause=cause,
            actionable=bool(actionable),
            internal=internal,
            concrete_function=weakref.ref(concrete),
            side_effects=side_effects,
            instance=trace.instance,
        )
        return event, code, captures

    def _note_code(self, target: Any, owner: Any, instance: Any, call_site: str) -> Lineage:
        """Record that ``owner`` traced ``target`` and say what came before it.

        Functions count as the same when their code and what their closures hold are the
        same (:func:`graphlab._tf.hook.closure_fingerprint`): Keras's train and test
        functions share code but close over different step methods, so they are two
        functions, each with its own first trace.

        A function bound to an instance (a method, or Keras's step closures over
        ``self``) traced for an instance not seen before is that instance's own
        function: expected. The same instance getting a new function, or a new object
        traced from a call site an earlier one was traced from, means the tf.function
        was re-created (a recompiled model, a tf.function made in a loop).
        """
        fingerprint = hook.closure_fingerprint(target)
        with self._lock:
            if fingerprint not in self._code_owners and len(self._code_owners) >= _MAX_FUNCTIONS:
                del self._code_owners[next(iter(self._code_owners))]  # the oldest
            seen = self._code_owners.setdefault(fingerprint, _CodeSeen())
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


# Functions (fingerprints) remembered; past it the oldest are forgotten.
_MAX_FUNCTIONS = 4096

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


class _TfRetracingWarningFilter(logging.Filter):
    """Holds back TensorFlow's generic "5 out of the last 5 calls to <function> triggered
    tf.function retracing" warning while graphlab records and explains the same retraces
    (see :meth:`_Recorder.mutes_tf_warning`); lets it through otherwise."""

    def __init__(self, recorder: _Recorder):
        super().__init__()
        self._recorder = recorder

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if "triggered tf.function retracing" not in message:
            return True
        return not self._recorder.mutes_tf_warning()


def _internal_detail(name: str) -> str:
    if name == "initialize_variables":
        return "TensorFlow's initializer for variables created on a first call"
    if name == "fn_with_cond":
        return "TensorFlow's conditional variable initializer"
    if name.startswith(("_init_func", "_next_func", "_finalize_func", "_remote_")):
        return "a function TensorFlow's distributed input pipeline traced for itself"
    return "a function tf.data traced for itself"


RECORDER = _Recorder()


def active_watches() -> list[Any]:
    """The watches recording right now (for tests and tools)."""
    return RECORDER.active_watches()


def hook_installed() -> bool:
    """Whether graphlab's trace hook is in TensorFlow right now."""
    return hook.trace_hook_installed()


def live_functions() -> int:
    """How many graphlab.function objects are alive (they keep the hook installed)."""
    return RECORDER.live_functions()
