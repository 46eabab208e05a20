"""One profiler session around a block of code, read back as events.

TensorFlow allows one profiler session per process; graphlab starts one only when asked
(``watch --compiles``, ``bench --profile``), because profiling costs: every TraceMe in
TensorFlow records an event while it runs. The program's own use of the profiler wins:
when it starts a session of its own (``tf.profiler.experimental.start``, ``Profile``,
``tf.summary.trace_on``, Keras' TensorBoard callback), graphlab's session ends there
(:attr:`Profile.stepped_aside`) and the program's starts as it would without graphlab.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable

from graphlab._tf import profiler as tf_profiler
from graphlab._types import Event

ProfilerBusy = tf_profiler.ProfilerBusy


class Profile:
    """``with Profile() as p: ...`` then ``p.events``.

    Args:
        logdir: Where TensorFlow writes the profile (it opens in TensorBoard's profile
            plugin: ``tensorboard --logdir LOGDIR``). None: a temporary folder, removed
            once read.
        probe_calls: Record the input shapes of every call of a ``jit_compile=True``
            function (see :mod:`graphlab._tf.profiler`).
        around: Read only the events this accepts by name and those that span their
            start (:func:`graphlab._tf.profiler.read_events`); None reads every event.
    """

    def __init__(
        self,
        logdir: str | None = None,
        *,
        probe_calls: bool = False,
        around: Callable[[str], bool] | None = None,
    ):
        self.logdir = logdir
        self.probe_calls = probe_calls
        self.around = around
        self.events: list[Event] = []
        #: True when the program started a profiler session of its own while this one
        #: ran: this one ended there (its events stop at that point).
        self.stepped_aside = False
        self._temporary = logdir is None
        self._running = False
        self._session: object = None
        self._ended = False
        self._lock = threading.Lock()

    def start(self) -> Profile:
        if self.logdir is None:
            self.logdir = tempfile.mkdtemp(prefix="graphlab-profile-")
        try:
            self._session = tf_profiler.start(self.logdir)
        except ProfilerBusy:
            self._remove_temporary()
            raise
        self._running, self._ended = True, False
        tf_profiler.add_program_listener(self._step_aside)
        if self.probe_calls:
            tf_profiler.install_call_probe()
        return self

    def _step_aside(self) -> None:
        """The program starts a profiler session: end this one now, to make room."""
        with self._lock:
            if self._running and not self._ended:
                self.stepped_aside = True
                self._end()

    def _end(self) -> None:
        self._ended = True
        tf_profiler.stop(self._session)

    def stop(self) -> list[Event]:
        """Stop profiling, read the profile, and remove it if it was temporary."""
        if not self._running:
            return self.events
        tf_profiler.remove_program_listener(self._step_aside)
        try:
            with self._lock:
                self._running = False
                if not self._ended:
                    self._end()
            assert self.logdir is not None
            files = tf_profiler.xplane_files(self.logdir)
            self.events = tf_profiler.read_events(files[-1], around=self.around) if files else []
        finally:
            if self.probe_calls:
                tf_profiler.remove_call_probe()
            self._remove_temporary()
        return self.events

    def _remove_temporary(self) -> None:
        if self._temporary and self.logdir is not None:
            shutil.rmtree(self.logdir, ignore_errors=True)
            self.logdir = None

    def __enter__(self) -> Profile:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
