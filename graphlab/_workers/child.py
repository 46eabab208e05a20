"""The child side: ``python -m graphlab._workers.child REQUEST_FILE``.

The parent starts it in its own session (a terminal's Ctrl-C reaches the parent only;
the parent ends its children). It dies with its parent however the parent ends: it asks
Linux for SIGKILL on the parent's death (``PR_SET_PDEATHSIG``) and, everywhere, a
watchdog thread polls the parent's pid. It restores the parent's ``sys.path``, imports
the parent's script as ``__mp_main__`` aliased as ``__main__`` (as multiprocessing's
spawn does) so that what the script defines unpickles, calls the task named in the
request and writes its JSON result to the request's result file (whole or not at all).

Exit status: 0 done; 2 the task refused its input (a ``ValueError`` or
``RuntimeError``, one line on stderr); 1 any other error (its traceback, then one
line). Internal to graphlab.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Sequence
from typing import Any

from graphlab._workers.records import WORKER_ENV, Request

#: Seconds between the watchdog's looks at the parent's pid.
WATCH_INTERVAL_S = 0.2


def follow_parent(parent_pid: int) -> None:
    """Exit when the parent goes away: SIGKILL on its death (Linux), and a watchdog
    thread polling the parent's pid (other systems, and before the first took effect)."""
    if not parent_pid:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass  # the watchdog below still works
    if os.getppid() != parent_pid:  # the parent died before prctl
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCH_INTERVAL_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="graphlab-parent-watchdog", daemon=True).start()


def restore_path(sys_path: Sequence[str]) -> None:
    """The parent's ``sys.path`` ahead of this interpreter's own entries."""
    if sys_path:
        sys.path[:] = list(dict.fromkeys([*sys_path, *sys.path]))


def import_main(path: str, name: str = "") -> types.ModuleType:
    """The parent's script as ``__mp_main__``, also ``sys.modules["__main__"]``: its
    ``if __name__ == "__main__":`` block does not run, and pickles that name
    ``__main__.X`` find X (multiprocessing's ``_fixup_main_from_path``, and
    ``_fixup_main_from_name`` for a script run as ``python -m name``)."""
    import runpy

    module = types.ModuleType("__mp_main__")
    sys.modules["__main__"] = sys.modules["__mp_main__"] = module
    if name:
        namespace = runpy.run_module(name, run_name="__mp_main__", alter_sys=True)
    else:
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in sys.path:
            sys.path.insert(0, folder)
        namespace = runpy.run_path(path, run_name="__mp_main__")
    module.__dict__.update(namespace)
    return module


def resolve(task: str) -> Any:
    module, _, function = task.partition(":")
    target: Any = importlib.import_module(module)
    for part in function.split("."):
        target = getattr(target, part)
    return target


def write_result(path: str, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(path + ".tmp", path)  # the parent sees a whole file or none


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not os.path.isfile(args[0]):
        print("usage: python -m graphlab._workers.child REQUEST (internal)", file=sys.stderr)
        return 2
    request = Request.read(args[0])
    follow_parent(request.parent_pid)
    os.environ[WORKER_ENV] = "1"
    try:
        restore_path(request.sys_path)
        if request.main_path or request.main_module:
            import_main(request.main_path, request.main_module)
        result = resolve(request.task)(request.payload)
        write_result(request.result, result)
    except (ValueError, RuntimeError) as error:  # the task refused its input: one line
        print(f"graphlab worker: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the parent shows the tail of this
        import traceback

        traceback.print_exc()
        print(f"graphlab worker {request.rank}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
