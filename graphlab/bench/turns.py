"""Turns between worker processes, so that Python environments are interleaved the way
modes are (``bench --python``).

A process holds one TensorFlow, so two TensorFlow versions cannot take turns inside
one process. Instead one worker per environment starts, and they take turns through
pipes: each warms up in its own turn, then every round of the interleaved schedule
(:func:`graphlab.bench.schedule.interleave`) runs in one worker at a time, A's round
``r`` next to B's round ``r``, so that the per-round ratio of one mode between two
environments cancels the machine's drift, as the ratio of two modes does. The other
workers wait on a pipe read meanwhile (no CPU).

Protocol (lines on two pipes per worker): the worker writes ``wait`` when it wants a
turn and ``stop`` when it wants no more; the parent answers ``go`` (take a turn) or
``end`` (no more turns: finish and exit). The parent ends everyone after the first
worker stops (its budget or precision reached): all then have the same rounds. Ends
come one worker at a time, each waited for, so that nothing a worker does after its
rounds (the overhead floor, writing its result) overlaps another's measurement. A
worker whose parent is gone sees end-of-file and finishes on its own.
"""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Sequence
from typing import IO

#: Seconds a worker may take to answer (its start with TensorFlow's import, one warm-up
#: or one round); then it is killed and the others go on.
TURN_TIMEOUT = 900.0


# ---------------------------------------------------------------------------
# Worker side


class Gate:
    """A worker's end of the turn pipes."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._in = os.fdopen(read_fd, "rb", buffering=0)
        self._out = os.fdopen(write_fd, "wb", buffering=0)
        self._ended = False

    def take(self) -> bool:
        """Block until the parent gives the turn (True) or ends the turns (False)."""
        if self._ended:
            return False
        answer = self._say(b"wait")
        self._ended = answer != b"go"
        return not self._ended

    def finish(self) -> None:
        """No more rounds wanted: block until the parent says to finish."""
        if not self._ended:
            self._ended = True
            self._say(b"stop")

    def _say(self, word: bytes) -> bytes:
        try:
            self._out.write(word + b"\n")
            return self._in.readline().strip()
        except OSError:  # the parent is gone
            return b""


_gate: Gate | None = None


def current() -> Gate | None:
    """The gate of this worker process, None when it measures alone."""
    return _gate


def install(read_fd: int, write_fd: int) -> None:
    global _gate
    _gate = Gate(read_fd, write_fd)


# ---------------------------------------------------------------------------
# Parent side (no TensorFlow)


class Channel:
    """The parent's end of one worker's pipes; :meth:`child_fds` go to the worker."""

    def __init__(self) -> None:
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        self.child_fds = (to_worker_read, from_worker_write)
        self._to: IO[bytes] = os.fdopen(to_worker_write, "wb", buffering=0)
        self._from: IO[bytes] = os.fdopen(from_worker_read, "rb", buffering=0)
        self.process: subprocess.Popen[bytes] | None = None
        self.stopped = False

    def started(self, process: subprocess.Popen[bytes]) -> None:
        """The worker runs: close the parent's copies of its ends."""
        self.process = process
        for fd in self.child_fds:
            os.close(fd)

    def read(self, timeout: float) -> str:
        """The worker's next word; ``""`` when it exited or did not answer in time
        (then it is killed)."""
        ready, _, _ = select.select([self._from], [], [], timeout)
        word = self._from.readline().strip().decode() if ready else ""
        if not word and self.process is not None:
            try:  # end of file: it is exiting; silence: it hangs
                self.process.wait(10.0 if ready else 0.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return word

    def send(self, word: str) -> None:
        try:
            self._to.write(word.encode() + b"\n")
        except OSError:  # it exited: read() says so
            pass

    def close(self) -> None:
        for stream in (self._to, self._from):
            stream.close()


def referee(channels: Sequence[Channel], timeout: float = TURN_TIMEOUT) -> int:
    """Give turns to the started workers of ``channels`` until one stops after a round,
    then end them one by one, each waited for. Returns the rounds given (after the
    warm-up turn)."""
    alive = [c for c in channels if c.read(timeout) == "wait"]
    turn, last, stop = 0, None, False
    while alive and not stop:
        order = alive[turn % len(alive) :] + alive[: turn % len(alive)]
        if len(order) > 1 and order[0] is last:  # nobody has two turns in a row
            order = order[1:] + order[:1]
        for channel in order:
            channel.send("go")
            word = channel.read(timeout)
            last = channel
            if word == "wait":
                continue
            alive.remove(channel)
            if word == "stop" and turn > 0:
                stop = True  # the others finish this round, then everyone ends
            else:  # it died, or stopped before any round: nothing to pair with
                _end(channel, timeout)
        turn += 1
    for channel in channels:
        _end(channel, timeout)
    return max(0, turn - 1)


def _end(channel: Channel, timeout: float) -> None:
    """Let the worker finish (its end-of-run work alone on the machine) and exit."""
    process = channel.process
    if process is None or process.poll() is not None:
        return
    channel.send("end")
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
