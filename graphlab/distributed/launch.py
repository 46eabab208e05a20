"""Local worker processes: free loopback ports, ``TF_CONFIG`` per worker, and cleanup
that leaves nothing behind.

The parent writes ``request.pkl`` into a scratch directory and starts
``python -m graphlab.distributed.worker DIR RANK`` once per worker, each in its own
process group (a terminal's Ctrl-C reaches the parent only; the parent ends them). A
worker dies with its parent however the parent ends: it asks Linux for SIGKILL on the
parent's death (``PR_SET_PDEATHSIG``) and, everywhere, watches its parent's pid. The
parent polls: a worker that exits with an error ends the others (they would wait in a
collective forever) and the error names it with its stderr's tail; so does the
timeout. No TensorFlow here.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

REQUEST = "request.pkl"
#: Environment of a worker: the parent's pid (the worker exits when it goes away).
PARENT_PID_ENV = "GRAPHLAB_PARENT_PID"
#: Set in every worker: starting workers from a worker is an error, not a fork bomb.
WORKER_ENV = "GRAPHLAB_DISTRIBUTED_WORKER"
STDERR_TAIL_LINES = 8


class WorkerError(RuntimeError):
    """A worker failed, died or timed out; the message says which and why."""


def result_path(scratch: str, rank: int) -> str:
    return os.path.join(scratch, f"result-{rank}.json")


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (bound together, then released)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports: Sequence[int], rank: int) -> str:
    """The ``TF_CONFIG`` of worker ``rank`` of a loopback cluster."""
    import json

    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": rank}})


def run_workers(
    scratch: str,
    request: dict[str, Any],
    envs: Sequence[dict[str, str]],
    timeout: float,
    on_start: Callable[[list[int]], None] | None = None,
) -> str:
    """Start one worker per entry of ``envs`` (extra environment for each) on
    ``request``, wait for all, and return the chief's result (JSON text).

    Raises:
        WorkerError: A worker exited with an error or was killed (the others are then
            ended), or ``timeout`` seconds passed.
    """
    with open(os.path.join(scratch, REQUEST), "wb") as handle:
        pickle.dump(request, handle)
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for rank, extra in enumerate(envs):
            env = {**os.environ, **extra, PARENT_PID_ENV: str(os.getpid()), WORKER_ENV: "1"}
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            log = open(os.path.join(scratch, f"stderr-{rank}.txt"), "wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "graphlab.distributed.worker", scratch, str(rank)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # its own process group: killed as one
                )
            )
        if on_start is not None:
            on_start([p.pid for p in processes])
        _wait(processes, scratch, timeout)
    finally:
        end(processes)
        for log in logs:
            log.close()
    with open(result_path(scratch, 0), encoding="utf-8") as handle:
        return handle.read()


def _wait(processes: Sequence[subprocess.Popen[bytes]], scratch: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        codes = [p.poll() for p in processes]
        for rank, code in enumerate(codes):
            if code not in (None, 0) or (
                code == 0 and not os.path.exists(result_path(scratch, rank))
            ):
                raise WorkerError(f"worker {rank} {_how(code)}{_tail(scratch, rank)}")
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            waiting = [rank for rank, code in enumerate(codes) if code is None]
            raise WorkerError(
                f"timed out after {timeout:.0f} s (worker(s) {', '.join(map(str, waiting))} "
                f"still running; pass a larger timeout=){_tail(scratch, waiting[0])}"
            )
        time.sleep(0.05)


def _how(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _tail(scratch: str, rank: int) -> str:
    try:
        with open(
            os.path.join(scratch, f"stderr-{rank}.txt"), encoding="utf-8", errors="replace"
        ) as handle:
            lines = [line.rstrip() for line in handle if line.strip()]
    except OSError:
        return ""
    interesting = [
        line for line in lines if not line.startswith(("W0000", "I0000", "WARNING: All log"))
    ]
    tail = interesting[-STDERR_TAIL_LINES:]
    return (": its output ends with:\n  " + "\n  ".join(tail)) if tail else " (no output)"


def end(processes: Sequence[subprocess.Popen[Any]]) -> None:
    """Kill every worker still running, its whole process group, and reap it."""
    for process in processes:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck kernel
            pass


# ---------------------------------------------------------------------------
# Worker side: die with the parent


def follow_parent() -> None:
    """Exit when the parent that started this worker goes away: SIGKILL on its death
    (Linux ``PR_SET_PDEATHSIG``), and a watchdog thread that polls the parent's pid
    (other systems, and the moment before the first took effect)."""
    import threading

    expected = int(os.environ.get(PARENT_PID_ENV, "0") or 0)
    if not expected:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass  # the watchdog below still works
    if os.getppid() != expected:  # the parent died before prctl
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != expected:
                os._exit(1)

    threading.Thread(target=watch, name="graphlab-parent-watchdog", daemon=True).start()
