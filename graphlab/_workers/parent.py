"""The parent side: one way to start N children, wait for them, time them out, kill
them, and collect each one's result file and error tail. No TensorFlow.

:class:`Workers` owns a scratch folder and the children started in it. Leaving its
``with`` block, however (an error, Ctrl-C, SIGTERM turned into ``SystemExit``), ends
every child still running, its whole process group, and removes the folder; a parent
killed outright (SIGKILL) leaves that to its :class:`~graphlab._workers.tracker.Tracker`
and to the children, which die with it (:func:`graphlab._workers.child.follow_parent`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphlab._workers.records import WORKER_ENV, Request
from graphlab._workers.sendable import main_file, main_module
from graphlab._workers.tracker import Tracker

#: Prefix of every scratch folder (in ``tempfile.gettempdir()``).
SCRATCH_PREFIX = "graphlab-workers-"
#: Lines of a failed child's output shown in its error.
TAIL_LINES = 8
#: Log lines of TensorFlow's C++ start-up that say nothing about a failure.
_NOISE = ("W0000", "I0000", "WARNING: All log")


class WorkerError(RuntimeError):
    """A child failed, died or timed out; the message says which and why."""


@dataclass
class Child:
    """One started child: its process, result file and output log."""

    rank: int
    process: subprocess.Popen[bytes]
    result_path: str
    log_path: str
    #: Killed because the parent's timeout passed.
    timed_out: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def lines(self) -> list[str]:
        """Its output (stdout and stderr), blank lines and start-up noise left out."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                lines = [line.rstrip() for line in handle if line.strip()]
        except OSError:
            return []
        return [line for line in lines if not line.startswith(_NOISE)]

    def tail(self, count: int = TAIL_LINES) -> str:
        """``: its output ends with: ...`` (or `` (no output)``), for an error."""
        tail = self.lines()[-count:]
        return (": its output ends with:\n  " + "\n  ".join(tail)) if tail else " (no output)"

    def last_line(self) -> str:
        lines = self.lines()
        return lines[-1] if lines else "no output"

    def how(self) -> str:
        """How it ended: ``exited with status 3``, ``was killed by SIGKILL``."""
        code = self.process.poll()
        if code is not None and code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with status {code}"

    def done(self) -> bool:
        """Exited with status 0 and left its result."""
        return self.process.poll() == 0 and os.path.exists(self.result_path)

    def failed(self) -> bool:
        code = self.process.poll()
        return code is not None and not self.done()

    def result_text(self) -> str:
        with open(self.result_path, encoding="utf-8") as handle:
            return handle.read()


def check_not_in_worker(what: str = "this call") -> None:
    """Refuse to start workers from inside a worker (a script without a
    ``__main__`` guard would start them again in every worker)."""
    if os.environ.get(WORKER_ENV):
        raise WorkerError(
            f"{what} ran inside one of its own worker processes: the script that makes it "
            "runs there to find your functions. Put the call under "
            '`if __name__ == "__main__":`'
        )


class Workers:
    """A scratch folder and the children started in it (a context manager)."""

    def __init__(self, prefix: str = SCRATCH_PREFIX) -> None:
        self.prefix = prefix
        self.folder = ""
        self.children: list[Child] = []
        self._tracker: Tracker | None = None
        self._sigterm: Any = None

    def __enter__(self) -> Workers:
        self._tracker = Tracker()  # first: the folder is never without a remover
        self.folder = tempfile.mkdtemp(prefix=self.prefix)
        self._tracker.add_folder(self.folder)
        self._sigterm = _exit_on_sigterm()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.end()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._tracker is not None:
                self._tracker.remove_folder(self.folder)
                self._tracker.close()
            _restore_sigterm(self._sigterm)

    def path(self, *parts: str) -> str:
        """A path inside the scratch folder (its parent folders made)."""
        path = os.path.join(self.folder, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def start(
        self,
        task: str,
        payload: dict[str, Any],
        *,
        name: str = "",
        rank: int = 0,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
        pythonpath: str | None = None,
        main: bool = False,
        timeout: float | None = None,
        pass_fds: Sequence[int] = (),
    ) -> Child:
        """Start a child carrying out ``task(payload)``.

        ``python``: another interpreter (its own ``sys.path``; ``pythonpath`` goes
        ahead of its ``PYTHONPATH``); default this one, with this ``sys.path``.
        ``env``: extra environment; ``main``: the payload names what the running
        script defines (the child imports it first); ``pass_fds``: descriptors the
        child inherits."""
        check_not_in_worker()
        name = name or f"worker-{len(self.children)}"
        request = Request(
            task=task,
            payload=payload,
            result=self.path(name, "result.json"),
            parent_pid=os.getpid(),
            sys_path=tuple(sys.path) if python is None else (),
            main_path=(main_file() or "") if main else "",
            main_module=main_module() if main else "",
            timeout=timeout,
            rank=rank,
        )
        request_path = self.path(name, "request.json")
        request.write(request_path)
        environment = {**os.environ, **(env or {})}
        environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # The child's temporary files (AutoGraph's generated modules, the user's own)
        # live in the scratch folder: removed with it, even after a SIGKILL.
        environment["TMPDIR"] = os.path.dirname(self.path(name, "tmp", "x"))
        if pythonpath:
            parts = (pythonpath, environment.get("PYTHONPATH"))
            environment["PYTHONPATH"] = os.pathsep.join(p for p in parts if p)
        log_path = self.path(name, "output.txt")
        with open(log_path, "wb") as log:  # a pipe nobody reads would fill up and block
            process = subprocess.Popen(
                [python or sys.executable, "-m", "graphlab._workers.child", request_path],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                pass_fds=tuple(pass_fds),
                start_new_session=True,  # its own session and group: killed as one
            )
        if self._tracker is not None:
            self._tracker.add_group(process.pid)
        child = Child(rank, process, request.result, log_path)
        self.children.append(child)
        return child

    def wait(self, children: Sequence[Child], timeout: float) -> None:
        """Wait until every child is done; a child that fails ends the others (they
        might wait for it in a collective forever).

        Raises:
            WorkerError: a child failed or died (named, with its output's tail), or
                ``timeout`` seconds passed (the children are ended).
        """
        deadline = time.monotonic() + timeout
        try:
            while True:
                for child in children:
                    if child.failed():
                        raise WorkerError(f"worker {child.rank} {child.how()}{child.tail()}")
                if all(child.done() for child in children):
                    return
                if time.monotonic() > deadline:
                    waiting = [c for c in children if c.process.poll() is None]
                    for child in waiting:
                        child.timed_out = True
                    ranks = ", ".join(str(c.rank) for c in waiting)
                    raise WorkerError(
                        f"timed out after {timeout:.0f} s (worker(s) {ranks} still running; "
                        f"give a larger timeout){waiting[0].tail() if waiting else ''}"
                    )
                time.sleep(0.05)
        except BaseException:
            self.end(children)
            raise

    def end(self, children: Sequence[Child] | None = None) -> None:
        """Kill every child still running, its whole process group, and reap it."""
        children = self.children if children is None else children
        for child in children:
            if child.process.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    child.process.kill()
        for child in children:
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck kernel
                continue
            if self._tracker is not None:
                self._tracker.remove_group(child.pid)


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _exit_on_sigterm() -> Any:
    """SIGTERM raises ``SystemExit`` while workers run (so that the ``with`` block
    cleans up), when its handler is the default and this is the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None
    signal.signal(signal.SIGTERM, _raise_exit)
    return signal.SIG_DFL


def _restore_sigterm(previous: Any) -> None:
    if previous is not None and signal.getsignal(signal.SIGTERM) is _raise_exit:
        signal.signal(signal.SIGTERM, previous)
