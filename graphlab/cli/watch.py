"""``graphlab watch script.py``: run a program and report every tf.function trace."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graphlab.cli._common import UsageError, pick_format, write_output
from graphlab.tracing.render import FORMATS


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "watch",
        help="run a Python program and report every tf.function trace and its cause",
        description="Run a program as `python script.py` would, record every tf.function "
        "trace (Keras and tf.data included) and report why each one happened. The "
        "program's stdout is left alone: the report goes to stderr or -o FILE.",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="report format (default: from the -o extension, else text); html is one "
        "self-contained page",
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
    parser.add_argument(
        "--compiles",
        action="store_true",
        help="also record every XLA compilation (duration, input shapes, whether a trace "
        "caused it) with TensorFlow's profiler; costs while the program runs",
    )
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    parser.add_argument("script", nargs="?", help="the Python script to run")
    parser.add_argument("args", nargs="*", metavar="ARG", help="arguments for the program")
    parser.set_defaults(handler=run)


# Options of `watch` that take a value; everything after the script (or -m MODULE)
# belongs to the user's program, as with `python script.py ...`.
_WATCH_VALUE_OPTIONS = {"--format", "-o", "--output", "--max-events"}


def split_program_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split ``[... watch OPTS script ARGS]`` into our part and the program's ARGS."""
    command = next((i for i, token in enumerate(argv) if not token.startswith("-")), None)
    if command is None or argv[command] != "watch":
        return argv, []
    index = command + 1
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


def run(args: argparse.Namespace) -> int:
    from graphlab.tracing import render, runner

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

    fmt = pick_format(args.output, args.format, FORMATS, "a trace report")
    result = runner.run_watched(
        target, max_events_per_function=args.max_events, compiles=args.compiles
    )
    if fmt == "html":  # a whole page to attach to a bug report
        text = render.render_page(result.report, include_internal=args.include_internal)
    else:
        text = render.render(result.report, fmt, include_internal=args.include_internal)
    write_output(text, args.output, sys.stderr)
    if args.output:
        print(f"graphlab: trace report written to {args.output}", file=sys.stderr)
    return result.exit_code
