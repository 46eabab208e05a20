"""What a parent killed outright leaves behind, removed: a tiny watcher process per
scratch folder (as multiprocessing's ``resource_tracker`` removes what a killed parent
leaked). The parent writes ``+dir PATH`` / ``+pg PID`` lines on a pipe only it holds,
``-dir`` / ``-pg`` once it cleaned up itself; when the pipe ends (the parent exited,
however: SIGKILL included) the tracker kills the process groups still listed and
removes the folders still listed, then exits. No TensorFlow; the watcher runs with
``python -I`` and imports nothing of graphlab.
"""

from __future__ import annotations

import subprocess
import sys
from typing import IO

#: The watcher (runs in another interpreter process; plain Python only).
_CODE = r"""
import os, shutil, signal, sys
dirs, groups = [], []
for line in sys.stdin.buffer:
    kind, _, value = line.decode("utf-8", "surrogateescape").rstrip("\n").partition(" ")
    if kind == "+dir":
        dirs.append(value)
    elif kind == "-dir" and value in dirs:
        dirs.remove(value)
    elif kind == "+pg":
        groups.append(int(value))
    elif kind == "-pg" and int(value) in groups:
        groups.remove(int(value))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
for folder in dirs:
    shutil.rmtree(folder, ignore_errors=True)
"""


class Tracker:
    """The parent's end of one watcher process."""

    def __init__(self) -> None:
        self._pipe: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-c", _CODE],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl-C does not end it first
            )
            self._pipe = self._process.stdin
        except OSError:  # pragma: no cover - no interpreter to start: the parent cleans
            self._process = None

    def _say(self, kind: str, value: object) -> None:
        if self._pipe is None:
            return
        try:
            self._pipe.write(f"{kind} {value}\n".encode("utf-8", "surrogateescape"))
            self._pipe.flush()
        except OSError:  # pragma: no cover - the watcher died: the parent still cleans
            self._pipe = None

    def add_folder(self, path: str) -> None:
        self._say("+dir", path)

    def remove_folder(self, path: str) -> None:
        self._say("-dir", path)

    def add_group(self, pid: int) -> None:
        self._say("+pg", pid)

    def remove_group(self, pid: int) -> None:
        self._say("-pg", pid)

    def close(self) -> None:
        """End the watcher (it has nothing left to do when the parent cleaned up)."""
        if self._pipe is not None:
            try:
                self._pipe.close()
            except OSError:  # pragma: no cover
                pass
            self._pipe = None
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck watcher
                self._process.kill()
                self._process.wait()
            self._process = None
