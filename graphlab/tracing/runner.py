"""Run a user's program under a recorder, as ``python script.py`` / ``python -m`` would.

The program sees its own ``sys.argv``, ``__main__`` and ``sys.path[0]``; its exit code
is kept; if it raises, its traceback is printed as Python prints it (without graphlab's
frames) and the report is still produced.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from graphlab import _source
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
) -> RunResult:
    """Run ``program`` with a :class:`graphlab.Watch` recording what ``options`` say
    (memory, XLA compilations, the rank...; the defaults without) and return its report.

    ``on_hard_exit`` gets the result when the program ends the process with
    ``os._exit`` (which skips everything else), just before the process ends.
    """
    from graphlab.tracing.api import Watch

    recorder = Watch.from_options(options or WatchOptions())
    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    saved_main = sys.modules.get("__main__")
    exit_code = 0
    real_exit, our_pid = os._exit, os.getpid()

    def hard_exit(code: int) -> None:
        if os.getpid() == our_pid and on_hard_exit is not None:  # not in a forked child
            os._exit = real_exit
            recorder.stop()
            try:
                on_hard_exit(RunResult(code, recorder.report()))
            except BaseException:  # the process ends either way
                pass
        real_exit(code)

    os._exit = hard_exit
    recorder.start()
    try:
        if program.path is not None:
            sys.argv = [program.path, *program.argv]
            sys.path[0] = os.path.dirname(os.path.abspath(program.path))
            runpy.run_path(program.path, run_name="__main__")
        else:
            assert program.module_name is not None
            sys.argv = [program.module_name, *program.argv]
            sys.path[0] = os.getcwd()
            runpy.run_module(program.module_name, run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        exit_code = _exit_code(stop.code)
    except BaseException as error:  # the user's program failed: show it as Python would
        _print_user_traceback(error, program)
        exit_code = 130 if isinstance(error, KeyboardInterrupt) else 1
    finally:
        os._exit = real_exit
        recorder.stop()
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
    return RunResult(exit_code, recorder.report())


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _ours(filename: str) -> bool:
    """graphlab's and runpy's frames, which stand before the user's program."""
    return _source.is_graphlab_file(filename) or filename in (runpy.__file__, "<frozen runpy>")


def _print_user_traceback(error: BaseException, program: Program) -> None:
    """Print the traceback from the user's first frame on, as ``python`` would."""
    tb = error.__traceback__
    while tb is not None and _ours(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb, file=sys.stderr)
    sys.stderr.flush()
