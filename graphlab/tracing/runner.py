"""Run a user's program under a recorder, as ``python script.py`` / ``python -m`` would.

The program sees its own ``sys.argv``, ``__main__`` and ``sys.path[0]``, and a script
runs in a fresh ``__main__`` module whose globals are the ones ``python script.py``
gives (absolute ``__file__``, the ``builtins`` module, a ``SourceFileLoader``,
``__package__`` and ``__spec__`` None); a module runs as ``python -m`` runs it. Its exit
code is kept; if it raises, ``sys.excepthook`` (the program's own, if it set one) gets
the error with a traceback that starts at the program's first frame, as Python would
call it. As the interpreter does before it exits, the report waits for the program's
non-daemon threads (after ``threading``'s own exit hooks, which stop thread pools).
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import threading
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphlab import _source, _tfimport
from graphlab.tracing.options import WatchOptions
from graphlab.tracing.records import TraceReport


class ProgramNotFound(Exception):
    """The script or module to run does not exist."""


@dataclass(frozen=True, slots=True)
class Program:
    """A script path or a module name, with the arguments it gets."""

    path: str | None
    module_name: str | None
    argv: tuple[str, ...]

    @classmethod
    def script(cls, path: str, args: list[str]) -> Program:
        return cls(path, None, tuple(args))

    @classmethod
    def module(cls, name: str, args: list[str]) -> Program:
        return cls(None, name, tuple(args))

    def check(self) -> None:
        """Raise :class:`ProgramNotFound` with a message that says what to do."""
        if self.path is not None:
            if not os.path.exists(self.path):
                raise ProgramNotFound(f"no such script: {self.path!r}")
            if os.path.isdir(self.path) and not os.path.exists(
                os.path.join(self.path, "__main__.py")
            ):
                raise ProgramNotFound(
                    f"{self.path!r} is a directory without __main__.py; give a .py file"
                )
            return
        assert self.module_name is not None
        sys.path.insert(0, os.getcwd())
        try:
            spec = importlib.util.find_spec(self.module_name)
        except (ImportError, ValueError) as error:
            raise ProgramNotFound(f"cannot find module {self.module_name!r}: {error}") from error
        finally:
            sys.path.pop(0)
        if spec is None:
            raise ProgramNotFound(
                f"no module named {self.module_name!r} (run from the directory that "
                "contains it, or install it)"
            )


@dataclass(frozen=True, slots=True)
class RunResult:
    """What running a program under a recorder gave."""

    exit_code: int
    report: TraceReport


def run_watched(
    program: Program,
    options: WatchOptions | None = None,
    *,
    on_hard_exit: Callable[[RunResult], None] | None = None,
    process_ends: bool = False,
    with_tensorflow: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
) -> RunResult:
    """Run ``program`` with a :class:`graphlab.Watch` recording what ``options`` say
    (memory, XLA compilations, the rank...; the defaults without) and return its report.

    ``on_hard_exit`` gets the result when the program ends the process with
    ``os._exit`` (which skips everything else), just before the process ends.

    ``process_ends``: the process ends after the report (the CLI, a worker), so the
    program's non-daemon threads are waited for as the interpreter does at exit, its
    ``threading`` exit hooks first. Otherwise (the API, in a process that goes on)
    only the threads the program started are waited for, idle thread-pool workers
    aside, and the host process's thread pools keep working.

    ``with_tensorflow``: a context entered once TensorFlow is imported (with the
    watch) and left when the program ends, before the report.

    The process is the program's from here on: ``sys.argv`` and ``__main__`` stay its
    own (its ``atexit`` handlers see them, as under python); ``sys.path[0]`` is set back.
    """
    _tfimport.check_installed()  # before the program runs, as without it
    watching: list[Any] = []  # the Watch, from when TensorFlow is imported
    contexts = contextlib.ExitStack()

    def start() -> None:
        from graphlab.tracing.api import Watch

        watching.append(Watch.from_options(options or WatchOptions()).start())
        if with_tensorflow is not None:
            contexts.enter_context(with_tensorflow())

    def recorder() -> Any:
        """The watch; started now if the program never imported TensorFlow (then
        its report is empty)."""
        if hook is not None and hook.error is not None:
            raise hook.error  # the watch could not start when the program imported TF
        if not watching:
            _tfimport.remove(hook)  # graphlab's own import must not start a second watch
            _tfimport.import_quietly()
            start()
        return watching[0]

    saved_path0 = sys.path[0] if sys.path else None
    exit_code = 0
    real_exit, our_pid = os._exit, os.getpid()

    def hard_exit(code: int) -> None:
        if os.getpid() == our_pid and on_hard_exit is not None:  # not in a forked child
            os._exit = real_exit
            try:
                on_hard_exit(RunResult(code, recorder().stop().report()))
            except BaseException:  # the process ends either way
                pass
        real_exit(code)

    os._exit = hard_exit
    before = set(threading.enumerate())
    hook = None
    try:
        hook = _tfimport.on_import(start)  # when the program imports it, as under python
        try:
            if program.path is not None:
                sys.argv = [program.path, *program.argv]
                _run_script(program.path)
            else:
                assert program.module_name is not None
                sys.argv = [program.module_name, *program.argv]
                sys.path[0] = os.getcwd()
                sys.modules["__main__"] = _fresh_main()
                runpy._run_module_as_main(program.module_name, alter_argv=True)  # python -m
        except SystemExit as stop:
            exit_code = _exit_code(stop.code)
        except BaseException as error:  # the user's program failed: tell it as Python would
            _report_uncaught(error)
            exit_code = 130 if isinstance(error, KeyboardInterrupt) else 1
        if not watching and os.getpid() == our_pid:
            recorder()  # no TensorFlow yet: imported now, before the exit hooks run
        _wait_for_threads(process_ends, before)
    finally:
        os._exit = real_exit
        _tfimport.remove(hook)
        contexts.close()
        if watching:
            watching[0].stop()
        if saved_path0 is not None:  # graphlab's own imports, while it reports
            sys.path[0] = saved_path0
    if os.getpid() != our_pid:  # a child the program forked, back here: it ends as under
        raise SystemExit(exit_code)  # python, without a report (its parent writes that)
    return RunResult(exit_code, watching[0].report())


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _fresh_main() -> types.ModuleType:
    """A ``__main__`` module as the interpreter makes it at start-up."""
    main = types.ModuleType("__main__")
    main.__annotations__ = {}
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    return main


def _run_script(path: str) -> None:
    """Run a script file as ``python path`` does: compiled from its bytes (its coding
    cookie honoured) under its absolute path, in a fresh ``__main__`` left in
    ``sys.modules`` (pickling by reference and ``multiprocessing`` find it there)."""
    filename = os.path.abspath(path)
    if os.path.isdir(path) or _is_zip(path):
        sys.path[0] = filename  # a folder or zip with __main__.py: python runs that
        sys.modules["__main__"] = _fresh_main()
        runpy._run_module_as_main("__main__", alter_argv=False)
        return
    sys.path[0] = os.path.dirname(filename)
    with open(filename, "rb") as file:
        source = file.read()
    code = compile(source, filename, "exec", dont_inherit=True)
    main = _fresh_main()
    main.__file__ = filename
    main.__cached__ = None  # type: ignore[attr-defined]
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", filename)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _is_zip(path: str) -> bool:
    import zipfile

    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _wait_for_threads(process_ends: bool, before: set[threading.Thread]) -> None:
    """Wait for the program's non-daemon threads. When the process ends next, as the
    interpreter does before it exits (its ``threading`` exit hooks first: they stop
    idle thread pools; the interpreter's own wait then has nothing left to do). In a
    process that goes on, the exit hooks must not run (they shut down every thread
    pool of the process), so only the threads started during the run are joined."""
    try:
        main = threading.current_thread() is threading.main_thread()
        if process_ends and main and hasattr(threading, "_shutdown"):
            threading._shutdown()  # type: ignore[attr-defined]
        else:
            _join_non_daemon(before)
    except KeyboardInterrupt:  # Ctrl-C while waiting: Python stops waiting too
        pass


def _join_non_daemon(before: set[threading.Thread]) -> None:
    current = threading.current_thread()
    while True:
        waiting = [
            t
            for t in threading.enumerate()
            if t is not current
            and not t.daemon
            and t is not threading.main_thread()
            and t not in before
            and not _idle_pool_worker(t)
        ]
        if not waiting:
            return
        for thread in waiting:
            thread.join()


def _idle_pool_worker(thread: threading.Thread) -> bool:
    """A ``concurrent.futures`` worker thread: it waits for work until its pool is shut
    down, which only the interpreter's exit does for a pool left open."""
    target = getattr(thread, "_target", None)
    return getattr(target, "__module__", "") == "concurrent.futures.thread"


def _report_uncaught(error: BaseException) -> None:
    """What Python does with an uncaught error: ``sys.excepthook(type, error, tb)``
    (the default prints the traceback), the traceback starting at the program's frame."""
    tb = error.__traceback__ = _theirs(error.__traceback__)
    hook = getattr(sys, "excepthook", None)
    try:
        if hook is None:
            print("sys.excepthook is missing", file=sys.stderr)
            raise RuntimeError
        hook(type(error), error, tb)
    except BaseException as failure:  # Python prints both, then carries on exiting
        if hook is not None:
            print("Error in sys.excepthook:", file=sys.stderr)
            traceback.print_exception(
                type(failure), failure, _theirs(failure.__traceback__), chain=False
            )
            print("\nOriginal exception was:", file=sys.stderr)
        traceback.print_exception(type(error), error, tb, file=sys.stderr)
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # the program closed or dropped it
        pass


def _theirs(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` from the program's first frame on."""
    while tb is not None and _ours(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def _ours(filename: str) -> bool:
    """graphlab's and runpy's frames, which stand before the user's program."""
    return _source.is_graphlab_file(filename) or filename in (runpy.__file__, "<frozen runpy>")
