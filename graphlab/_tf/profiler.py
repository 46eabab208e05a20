"""TensorFlow's profiler: one session at a time, its XPlane read back as neutral events,
and a call probe that writes each XLA call's input shapes into the profile.

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
import glob
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import tensorflow as tf
from tensorflow.python.profiler import trace as profiler_trace

from graphlab._tf import PolymorphicFunction
from graphlab._types import CALL_EVENT, Event

_lock = threading.Lock()
_ORIGINAL_CALL = PolymorphicFunction.__call__
_probe_users = 0


class ProfilerBusy(RuntimeError):
    """Another profiler session is running in this process."""


def start(logdir: str) -> None:
    """Start TensorFlow's profiler writing to ``logdir``; :class:`ProfilerBusy` if one runs."""
    try:
        tf.profiler.experimental.start(logdir)
    except (tf.errors.AlreadyExistsError, tf.errors.UnavailableError) as error:
        raise ProfilerBusy(
            "TensorFlow's profiler is already running in this process (one session at a "
            "time): stop it, or do not ask graphlab to profile at the same time"
        ) from error


def profiler_running() -> bool:
    """Whether a profiler session (anyone's) records TraceMe events now."""
    return bool(profiler_trace.enabled())


def stop() -> None:
    """Stop the profiler and write its XPlane file."""
    tf.profiler.experimental.stop()


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
    if listener is not None and not profiler_trace.enabled():
        listener()
    shapes = _input_shapes(args, kwds)
    stack = getattr(_calls, "stack", None)
    if stack is None:
        stack = _calls.stack = []
    stack.append(shapes)
    try:
        if not profiler_trace.enabled():
            return _ORIGINAL_CALL(self, *args, **kwds)
        with tf.profiler.experimental.Trace(CALL_EVENT, input_shapes=shapes):
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
