"""One profiler session around a block of code, read back as events.

TensorFlow allows one profiler session per process; graphlab starts one only when asked
(``watch --compiles``, ``bench --profile``), because profiling costs: every TraceMe in
TensorFlow records an event while it runs.
"""

from __future__ import annotations

import shutil
import tempfile
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
        self._temporary = logdir is None
        self._running = False

    def start(self) -> Profile:
        if self.logdir is None:
            self.logdir = tempfile.mkdtemp(prefix="graphlab-profile-")
        tf_profiler.start(self.logdir)
        self._running = True
        if self.probe_calls:
            tf_profiler.install_call_probe()
        return self

    def stop(self) -> list[Event]:
        """Stop profiling, read the profile, and remove it if it was temporary."""
        if not self._running:
            return self.events
        self._running = False
        try:
            tf_profiler.stop()
        finally:
            if self.probe_calls:
                tf_profiler.remove_call_probe()
        assert self.logdir is not None
        files = tf_profiler.xplane_files(self.logdir)
        self.events = tf_profiler.read_events(files[-1], around=self.around) if files else []
        if self._temporary:
            shutil.rmtree(self.logdir, ignore_errors=True)
        return self.events

    def __enter__(self) -> Profile:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
