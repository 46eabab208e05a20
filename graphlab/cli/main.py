"""``graphlab`` / ``python -m graphlab``: a thin layer over the library.

Each command is a module of this package with ``add_parser(sub)`` and ``run(args)``:
parse, call the library, pick a renderer, write. Reports go to stdout or ``-o``;
``watch`` keeps stdout for the user's program and reports on stderr. TensorFlow is
imported inside handlers only, so ``graphlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from graphlab._version import NEEDS_TENSORFLOW, __version__
from graphlab.cli import bench, compare_runs, demo, fix, inspect, merge_traces, watch
from graphlab.cli._common import EXIT_FAILURE, EXIT_USAGE, UsageError

#: The commands, in the order ``--help`` lists them.
COMMANDS = (watch, fix, merge_traces, inspect, bench, compare_runs, demo)


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
    ours, program_args = watch.split_program_args(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(ours)
    if program_args:
        args.args = program_args
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
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
