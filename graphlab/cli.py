"""``graphlab`` / ``python -m graphlab``: a thin layer over the library.

Each handler parses, calls the library, picks a renderer and writes. Reports go to
stdout or ``-o``; ``watch`` keeps stdout for the user's program and reports on stderr.
TensorFlow is imported inside handlers only, so ``graphlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from graphlab._version import __version__

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


# ---------------------------------------------------------------------------
# Output helpers


def write_output(text: str, path: str | None, stream: Any = None) -> None:
    """Write to ``path`` if given, else to ``stream`` (stdout by default)."""
    if path:
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageError(f"cannot write {path}: {error.strerror}") from error
        return
    (stream or sys.stdout).write(text)
    (stream or sys.stdout).flush()


# ---------------------------------------------------------------------------
# watch


def _add_watch(sub: Any) -> None:
    parser = sub.add_parser(
        "watch",
        help="run a Python program and report every tf.function trace and its cause",
        description="Run a program as `python script.py` would, record every tf.function "
        "trace (Keras and tf.data included) and report why each one happened. The "
        "program's stdout is left alone: the report goes to stderr or -o FILE.",
    )
    parser.add_argument(
        "--format",
        choices=("text", "md", "json", "html"),
        help="report format (default: from the -o extension, else text)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--include-internal",
        action="store_true",
        help="show TensorFlow-internal traces (tf.data, initializers) in text/md views",
    )
    parser.add_argument(
        "--max-events",
        type=int,
        default=1000,
        metavar="N",
        help="events kept per function; older ones are folded into counts (default: 1000)",
    )
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    parser.add_argument("script", nargs="?", help="the Python script to run")
    parser.add_argument("args", nargs="*", metavar="ARG", help="arguments for the program")
    parser.set_defaults(handler=_cmd_watch)


# Options of `watch` that take a value; everything after the script (or -m MODULE)
# belongs to the user's program, as with `python script.py ...`.
_WATCH_VALUE_OPTIONS = {"--format", "-o", "--output", "--max-events"}


def _split_program_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split ``[... watch OPTS script ARGS]`` into our part and the program's ARGS."""
    if "watch" not in argv:
        return argv, []
    index = argv.index("watch") + 1
    while index < len(argv):
        token = argv[index]
        if token == "-m" or token in _WATCH_VALUE_OPTIONS:
            index += 2
            if token == "-m":
                return argv[:index], argv[index:]
        elif token.startswith("-m") and len(token) > 2:
            return argv[: index + 1], argv[index + 1 :]
        elif token.startswith("-") and token != "-":
            index += 1
        else:
            return argv[: index + 1], argv[index + 1 :]
    return argv, []


def _cmd_watch(args: argparse.Namespace) -> int:
    from graphlab import runner

    if args.module:
        target = runner.Program.module(args.module, list(args.args))
    elif args.script:
        target = runner.Program.script(args.script, list(args.args))
    else:
        raise UsageError("give a script (graphlab watch train.py ...) or a module (-m pkg.mod)")
    try:
        target.check()
    except runner.ProgramNotFound as error:
        raise UsageError(str(error)) from error
    if args.max_events < 1:
        raise UsageError(f"--max-events must be at least 1, got {args.max_events}")

    from graphlab.renderers import format_for, traces

    fmt = format_for(args.output, args.format)
    result = runner.run_watched(target, max_events_per_function=args.max_events)
    text = traces.render(result.report, fmt, include_internal=args.include_internal)
    write_output(text, args.output, sys.stderr)
    if args.output:
        print(f"graphlab: trace report written to {args.output}", file=sys.stderr)
    return result.exit_code


# ---------------------------------------------------------------------------
# demo


def _add_demo(sub: Any) -> None:
    parser = sub.add_parser(
        "demo",
        help="walk through the seed chapter's examples and print what graphlab sees",
        description="A bundled walkthrough: tf_cube's traces and why each happened.",
    )
    parser.add_argument("--format", choices=("text", "md", "json"), default="text")
    parser.set_defaults(handler=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from graphlab import demo

    sys.stdout.write(demo.run(args.format))
    return EXIT_OK


# ---------------------------------------------------------------------------
# main

_COMMANDS: list[Callable[[Any], None]] = [_add_watch, _add_demo]


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
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ours, program_args = _split_program_args(list(sys.argv[1:] if argv is None else argv))
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
        print(f"graphlab {args.command}: error: {error}", file=sys.stderr)
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
