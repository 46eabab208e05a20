"""``graphlab`` / ``python -m graphlab``: a thin layer over the library.

Each command is a module of this package with ``add_parser(sub)`` and ``run(args)``:
parse, call the library, pick a renderer, write. Reports go to stdout or ``-o``;
``watch`` keeps stdout for the user's program and reports on stderr. TensorFlow is
imported inside handlers only, so ``graphlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence

from graphlab import _tfimport
from graphlab._version import NEEDS_TENSORFLOW, __version__
from graphlab.cli import bench, compare_runs, demo, fix, inspect, merge_traces, watch
from graphlab.cli._common import EXIT_FAILURE, EXIT_USAGE, UsageError

#: The commands, in the order ``--help`` lists them.
COMMANDS = (watch, fix, merge_traces, inspect, bench, compare_runs, demo)

#: Commands that import TensorFlow themselves: its start-up lines are held back for them.
#: ``watch`` and ``fix`` leave the import to the program they run (:mod:`graphlab._tfimport`).
_TF_COMMANDS = frozenset({"inspect", "bench", "demo"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphlab",
        description="See what tf.function does to your code, why it retraces, and whether it pays.",
    )
    parser.add_argument("--version", action="version", version=f"graphlab {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks from graphlab itself"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    ours, program_args = watch.split_program_args(
        list(sys.argv[1:] if argv is None else argv), dict(sub.choices)
    )
    args = parser.parse_args(ours)
    if program_args:
        args.args = program_args
    # Read from sys.argv: this is the process's command line, which ends when the
    # command does (a watched program's threads are then waited for as at exit).
    args.process_ends = argv is None
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command in _TF_COMMANDS:
        _quiet_tensorflow_start()
    try:
        with _own_log_lines():
            return args.handler(args)
    except UsageError as error:
        print(f"graphlab {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError as error:
        if args.debug:
            raise
        message = NEEDS_TENSORFLOW if error.name == "tensorflow" else error
        print(f"graphlab {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("graphlab: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(
            f"graphlab {args.command}: internal error: {type(error).__name__}: {error}\n"
            "  (run with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        traceback.clear_frames(error.__traceback__)
        return EXIT_FAILURE


def _quiet_tensorflow_start() -> None:
    """Hold back TensorFlow's start-up lines (absl's notice, oneDNN, CPU features),
    unless the user set ``TF_CPP_MIN_LOG_LEVEL``: then they asked for TensorFlow's own
    logging and get it unchanged.

    These commands also set ``TF_CPP_MIN_LOG_LEVEL=2`` (C++ INFO and WARNING off)
    before TensorFlow is imported. ``watch`` and ``fix`` do neither: the program they
    run in this process imports TensorFlow itself, as it would alone
    (:mod:`graphlab._tfimport` holds back the same start-up lines then). Anything else
    printed while TensorFlow loads (errors, Python warnings) is passed on as it came.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"  # set by graphlab: the lines are held back
    with contextlib.suppress(ImportError):  # the command says what to install
        _tfimport.import_quietly(hold=True)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """graphlab's log lines as they are (no ``WARNING:graphlab:`` prefix), on whatever
    ``sys.stderr`` is when a line is written."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))
        self.setLevel(logging.WARNING)  # as before: a program's DEBUG root shows none

    @property  # type: ignore[override]
    def stream(self) -> object:
        stream = sys.stderr
        if stream is None or getattr(stream, "closed", False):
            return sys.__stderr__
        return stream

    @stream.setter
    def stream(self, value: object) -> None:
        pass  # always the current sys.stderr


@contextlib.contextmanager
def _own_log_lines() -> Iterator[None]:
    """While a command runs, the ``graphlab`` logger writes through its own handler and
    not through the root logger's: its lines keep one format whatever the program does
    to logging (``logging.basicConfig`` in the program, or in TensorFlow's checkpoint
    code, installs a root handler that would prefix ``WARNING:graphlab:``)."""
    logger = logging.getLogger("graphlab")
    handler = _StderrHandler()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
