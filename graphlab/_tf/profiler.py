"""TensorFlow's profiler: one session at a time, its XPlane read back as neutral events,
and a call probe that writes each XLA call's input shapes into the profile.

graphlab's sessions are made with TensorFlow's binding (``_pywrap_profiler``, private)
apart from ``tf.profiler.experimental``'s bookkeeping, so the program's own calls of
that API behave as without graphlab; while graphlab listens
(:func:`add_program_listener`), ``profiler_v2`` sees a binding that tells graphlab when
the program starts a session, so that graphlab's can end first (one per process).

The profiler itself is public (``tf.profiler.experimental.start/stop``); what it writes,
``LOGDIR/plugins/profile/RUN/HOST.xplane.pb``, is read with the protobuf TensorFlow ships
(``tensorflow.tsl.profiler.protobuf.xplane_pb2``, private). Host events (the plane
``/host:CPU``) hold tf.function calls, eager kernels and XLA's compiler passes, one line
per thread; they come back as :class:`graphlab._types.Event`, with times in
picoseconds on the profile's clock. If TensorFlow moves the protobuf, :func:`read_events`
returns no events (every figure built from them is then empty, never wrong).

XLA compiles per concrete input shape, but no event says for which shapes. While
:func:`install_call_probe` is active, every call of a ``jit_compile=True`` tf.function
notes its input shapes (a thread-local stack, :func:`current_call_shapes`) and, while
the profiler runs, runs inside an extra event, :data:`CALL_EVENT`, whose
``input_shapes`` stat lists them (``[3][4x?][]``: TraceMe metadata cannot hold commas).
Other calls pay one attribute test; without the probe, nothing.
"""

from __future__ import annotations

import bisect
import contextlib
import glob
import os
import re
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import tensorflow as tf
from tensorflow.python.profiler import trace as profiler_trace

try:
    from tensorflow.python.profiler import profiler_v2 as _profiler_v2
    from tensorflow.python.profiler.internal import _pywrap_profiler, _pywrap_traceme
except ImportError:  # pragma: no cover - TensorFlow moved them: tf.profiler.experimental
    _profiler_v2 = _pywrap_profiler = _pywrap_traceme = None

from graphlab import _stderr
from graphlab._tf import PolymorphicFunction
from graphlab._types import CALL_EVENT, Event

_lock = threading.Lock()
_ORIGINAL_CALL = PolymorphicFunction.__call__
_probe_users = 0
_sessions = 0  # graphlab's own sessions running (0 or 1)


#: What TensorFlow's C++ logs at INFO when graphlab's own session starts and stops
#: ("Profiler session initializing.", "Collecting XSpace to repository: ..."): the
#: program did not ask for a profile, so these are held back; its own lines stay.
_SESSION_LINES = re.compile(r".*\b(?:profiler_session|save_profile)\.cc:\d+\] ")


class ProfilerBusy(RuntimeError):
    """Another profiler session is running in this process."""


def start(logdir: str) -> Any:
    """Start a profiler session of graphlab's own writing to ``logdir`` and return it
    (for :func:`stop`); :class:`ProfilerBusy` if a session (anyone's) runs.

    The session is apart from ``tf.profiler.experimental``'s bookkeeping, so a program
    under graphlab sees that API as it would without graphlab: its ``stop()`` with none
    of its own running raises UnavailableError as usual, and its ``start()`` first calls
    the listeners of :func:`add_program_listener`, which end graphlab's session to make
    room (TensorFlow runs one session per process).
    """
    global _sessions
    if _pywrap_profiler is None:  # pragma: no cover - TensorFlow moved its binding
        session = None
        starting = lambda: tf.profiler.experimental.start(logdir)  # noqa: E731
    else:
        session = _pywrap_profiler.ProfilerSession()
        starting = lambda: session.start(logdir, {})  # noqa: E731
    try:
        with _stderr.held_back(_SESSION_LINES):
            starting()
    except (tf.errors.AlreadyExistsError, tf.errors.UnavailableError) as error:
        raise ProfilerBusy(
            "TensorFlow's profiler is already running in this process (one session at a "
            "time): stop it, or do not ask graphlab to profile at the same time"
        ) from error
    with _lock:
        _sessions += 1
    return session


def profiler_running() -> bool:
    """Whether a profiler session records TraceMe events now: anyone's on TensorFlow
    2.17+ (``trace.enabled()`` asks C++); on 2.16, where ``trace.enabled`` is a plain
    flag that nothing sets, graphlab's own and one started through
    ``tf.profiler.experimental``."""
    enabled = getattr(profiler_trace, "enabled", False)
    if callable(enabled):
        return bool(enabled())
    return bool(_sessions) or getattr(_profiler_v2, "_profiler", None) is not None


def stop(session: Any) -> bool:
    """Stop a session :func:`start` returned and write its XPlane file; False when it
    was stopped already (by another user of the profiler: nothing more was written)."""
    global _sessions
    with _lock:
        _sessions = max(0, _sessions - 1)
    try:
        if session is None:  # pragma: no cover - TensorFlow moved its binding
            tf.profiler.experimental.stop()
        else:
            with _stderr.held_back(_SESSION_LINES):
                session.export_to_tb()
    except tf.errors.OpError:
        return False
    return True


# ---------------------------------------------------------------------------
# The program's own profiler sessions


_program_listeners: list[Callable[[], None]] = []


def add_program_listener(listener: Callable[[], None]) -> None:
    """Call ``listener`` (no arguments) whenever the program starts a profiler session
    through ``tf.profiler.experimental`` (``start``, ``Profile``, ``tf.summary.trace_on``,
    Keras' TensorBoard callback), just before it starts: graphlab's own session steps
    aside there, so the program's start succeeds as it would without graphlab."""
    with _lock:
        _program_listeners.append(listener)
        if _profiler_v2 is not None and _pywrap_profiler is not None:
            _profiler_v2._pywrap_profiler = _SHIM


def remove_program_listener(listener: Callable[[], None]) -> None:
    """Undo :func:`add_program_listener` (TensorFlow as it was once the last is gone)."""
    with _lock:
        if listener in _program_listeners:
            _program_listeners.remove(listener)
        if not _program_listeners and _profiler_v2 is not None:
            if _profiler_v2._pywrap_profiler is _SHIM:
                _profiler_v2._pywrap_profiler = _pywrap_profiler


def _program_session() -> Any:
    """``ProfilerSession()`` as ``tf.profiler.experimental.start`` makes it, after the
    listeners have made room."""
    with _lock:
        listeners = list(_program_listeners)
    for listener in listeners:
        listener()
    return _pywrap_profiler.ProfilerSession()


class _Binding(types.ModuleType):
    """TensorFlow's profiler binding as ``profiler_v2`` sees it while graphlab listens:
    the same, except that making a session tells the listeners first."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_pywrap_profiler, name)


_SHIM = _Binding("_pywrap_profiler")
_SHIM.ProfilerSession = _program_session  # type: ignore[attr-defined]


def xplane_files(logdir: str) -> list[str]:
    """The XPlane files of every run under ``logdir``, oldest run first."""
    found = glob.glob(os.path.join(logdir, "plugins", "profile", "*", "*.xplane.pb"))
    return sorted(found, key=os.path.getmtime)


def read_events(path: str, *, around: Callable[[str], bool] | None = None) -> list[Event]:
    """Host events of one XPlane file.

    Args:
        path: The ``.xplane.pb`` file.
        around: Keep only the events this accepts by name and, on every line, the events
            that span the start of one of them (the calls and kernels they happened in).
            A long program's profile holds hundreds of thousands of events; reading
            only these makes ``watch --compiles`` cost milliseconds, not seconds.
    """
    try:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2
    except ImportError:  # pragma: no cover - TensorFlow moved its protobuf
        return []
    space = xplane_pb2.XSpace()
    with open(path, "rb") as file:
        space.ParseFromString(file.read())
    planes = [plane for plane in space.planes if plane.name.startswith("/host:")]
    anchors: list[int] | None = None
    if around is not None:
        anchors = []
        for plane in planes:
            wanted = {k for k, meta in plane.event_metadata.items() if around(meta.name)}
            for line in plane.lines:
                base_ps = line.timestamp_ns * 1000
                anchors += [base_ps + e.offset_ps for e in line.events if e.metadata_id in wanted]
        anchors.sort()
    events: list[Event] = []
    for plane in planes:
        events.extend(_plane_events(plane, anchors))
    return events


def _plane_events(plane: Any, anchors: list[int] | None) -> Iterator[Event]:
    names = {key: meta.name for key, meta in plane.event_metadata.items()}
    stat_names = {key: meta.name for key, meta in plane.stat_metadata.items()}

    def value(stat: Any) -> str | int | float:
        kind = stat.WhichOneof("value")
        if kind == "ref_value":
            return stat_names.get(stat.ref_value, "")
        if kind == "bytes_value":
            return stat.bytes_value.decode("utf-8", "replace")
        return getattr(stat, kind) if kind else ""

    for line in plane.lines:
        line_name = line.display_name or line.name
        base_ps = line.timestamp_ns * 1000
        for event in line.events:
            start_ps = base_ps + event.offset_ps
            if anchors is not None:
                first = bisect.bisect_left(anchors, start_ps)
                if first == len(anchors) or anchors[first] > start_ps + event.duration_ps:
                    continue
            metadata = plane.event_metadata.get(event.metadata_id)
            stats = {stat_names.get(s.metadata_id, ""): value(s) for s in event.stats}
            if metadata is not None:
                for stat in metadata.stats:
                    stats.setdefault(stat_names.get(stat.metadata_id, ""), value(stat))
            yield Event(
                line=f"{plane.name}/{line_name}",
                name=names.get(event.metadata_id, ""),
                start_ps=start_ps,
                duration_ps=event.duration_ps,
                stats=stats,
            )


# ---------------------------------------------------------------------------
# The call probe


def encode_shapes(shapes: list[tuple[int | None, ...]]) -> str:
    """``[(3,), (4, None), ()]`` -> ``[3][4x?][]`` (no commas: TraceMe metadata)."""
    return "".join("[" + "x".join("?" if d is None else str(d) for d in s) + "]" for s in shapes)


def _input_shapes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    shapes = []
    for value in tf.nest.flatten((args, kwargs)):
        shape = getattr(value, "shape", None)
        if shape is None or isinstance(value, tf.Variable):
            continue
        try:
            shapes.append(tuple(shape))
        except (TypeError, ValueError):  # unknown rank
            continue
    return encode_shapes(shapes)


_calls = threading.local()


def current_call_shapes() -> str | None:
    """The input shapes of the XLA call running on this thread (innermost), as
    :func:`encode_shapes` writes them; None outside one. For a profile started in the
    middle of a call, whose own event it missed."""
    stack = getattr(_calls, "stack", None)
    return stack[-1] if stack else None


#: Called (no arguments) on a call of an XLA function while the profiler is off: a
#: recording that starts the profiler only once XLA is used sets it.
xla_call_listener: Callable[[], None] | None = None


def _probed_call(self: Any, *args: Any, **kwds: Any) -> Any:
    if not getattr(self, "_jit_compile", None):
        return _ORIGINAL_CALL(self, *args, **kwds)
    listener = xla_call_listener
    if listener is not None and not profiler_running():
        listener()
    shapes = _input_shapes(args, kwds)
    stack = getattr(_calls, "stack", None)
    if stack is None:
        stack = _calls.stack = []
    stack.append(shapes)
    try:
        if not _sessions:  # none of graphlab's: the program's own profile stays its own
            return _ORIGINAL_CALL(self, *args, **kwds)
        with _marker(CALL_EVENT, input_shapes=shapes):
            return _ORIGINAL_CALL(self, *args, **kwds)
    finally:
        stack.pop()


def install_call_probe() -> None:
    """Wrap ``tf.function`` calls (class-wide) so that XLA calls record their shapes."""
    global _probe_users
    with _lock:
        _probe_users += 1
        if _probe_users == 1:
            PolymorphicFunction.__call__ = _probed_call


def remove_call_probe() -> None:
    """Undo :func:`install_call_probe` once its last user is done."""
    global _probe_users
    with _lock:
        _probe_users = max(0, _probe_users - 1)
        if _probe_users == 0:
            PolymorphicFunction.__call__ = _ORIGINAL_CALL


def probe_installed() -> bool:
    return PolymorphicFunction.__call__ is not _ORIGINAL_CALL


def concrete_input_shapes(concrete: Any) -> tuple[tuple[int | None, ...], ...]:
    """The tensor input shapes a ConcreteFunction was traced for (None: unknown dim)."""
    shapes = []
    for spec in tf.nest.flatten(concrete.structured_input_signature):
        shape = getattr(spec, "shape", None)
        if shape is None or isinstance(spec, tf.Variable) or shape.rank is None:
            continue
        if type(spec).__name__ == "VariableSpec":
            continue
        shapes.append(tuple(shape.as_list()))
    return tuple(shapes)


@contextlib.contextmanager
def _marker(name: str, **metadata: Any) -> Iterator[None]:
    """A TraceMe event around the block. ``tf.profiler.experimental.Trace`` records
    only when its module flag says so, and on TensorFlow 2.16 nothing sets that flag:
    the binding's ``TraceMe`` records whenever a session runs, on every version."""
    if _pywrap_traceme is None:  # pragma: no cover - TensorFlow moved its binding
        with tf.profiler.experimental.Trace(name, **metadata):
            yield
        return
    event = _pywrap_traceme.TraceMe(name, **metadata)
    try:
        yield
    finally:
        event.Stop()
