"""``graphlab watch script.py``: run a program and report every tf.function trace."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

from graphlab import _text
from graphlab.cli._common import (
    UsageError,
    add_format_option,
    check_writable,
    pick_format,
    write_output,
)
from graphlab.tracing.render import FORMATS


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "watch",
        help="run a Python program and report every tf.function trace and its cause",
        description="Run a program as `python script.py` would, record every tf.function "
        "trace (Keras and tf.data included) and report why each one happened. The "
        "program's stdout is left alone: the report goes to stderr or -o FILE.",
    )
    add_format_option(parser, FORMATS, "report")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the report to FILE; {rank} in it is replaced by the worker's rank, so "
        "one command line serves every worker (traces-{rank}.json)",
    )
    parser.add_argument(
        "--rank",
        type=int,
        metavar="N",
        help="this worker's rank, recorded in the report for merge-traces (default: from "
        "TF_CONFIG: the chief is 0, workers follow it; none without TF_CONFIG)",
    )
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
        "caused it) with TensorFlow's profiler, started once XLA is first used",
    )
    parser.add_argument(
        "--keep-tf-warning",
        action="store_true",
        help="let TensorFlow's generic 'N out of the last M calls triggered tf.function "
        "retracing' warning through (held back by default: graphlab explains each retrace)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also sample the process's resident memory (RSS), count the graphs each "
        "function keeps alive, and say whether memory grew and whether retracing is why",
    )
    parser.add_argument(
        "--memory-interval",
        type=float,
        default=0.1,
        metavar="SECONDS",
        help="seconds between memory samples, with --memory: 0.001 to 3600 (default: 0.1)",
    )
    parser.add_argument(
        "--verify-advice",
        action="store_true",
        help="re-run the program once per function the advice would fix, with the fix "
        "applied, and keep only fixes that run and reduce the traces (graphlab fix shows "
        "them as a diff)",
    )
    parser.add_argument(
        "--verify-timeout",
        type=float,
        metavar="SECONDS",
        help="seconds each re-run of --verify-advice gets (default: 60 plus three times "
        "the watched run)",
    )
    add_program_arguments(parser)
    parser.set_defaults(handler=run)


def add_program_arguments(parser: argparse.ArgumentParser) -> None:
    """``[-m MODULE] [script] [ARG ...]``: the program a command runs (watch, fix)."""
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    parser.add_argument("script", nargs="?", help="the Python script to run")
    parser.add_argument(
        "args", nargs="*", default=[], metavar="ARG", help="arguments for the program"
    )


def program_of(args: argparse.Namespace) -> Any:
    """The :class:`graphlab.tracing.runner.Program` the command line names, checked:
    a UsageError that says what to give when there is none or it does not exist."""
    from graphlab.tracing import runner

    if args.module:
        target = runner.Program.module(args.module, list(args.args))
    elif args.script:
        target = runner.Program.script(args.script, list(args.args))
    else:
        raise UsageError(
            f"give a script (graphlab {getattr(args, 'command', 'watch')} train.py ...) "
            "or a module (-m pkg.mod)"
        )
    try:
        target.check()
    except runner.ProgramNotFound as error:
        raise UsageError(str(error)) from error
    return target


def _takes_value(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Each option string of a command -> whether it takes a value, from its parser."""
    actions = parser._actions  # argparse keeps no public list
    return {option: action.nargs != 0 for action in actions for option in action.option_strings}


def _watch_parser() -> argparse.ArgumentParser:
    holder = argparse.ArgumentParser(add_help=False).add_subparsers()
    add_parser(holder)
    return holder.choices["watch"]


def _option_of(token: str, options: dict[str, bool]) -> str | None:
    """The option ``token`` names: itself, or the one option it abbreviates (argparse
    accepts ``--out`` for ``--output`` as in every other command); None when it names
    none or several (argparse then says so)."""
    if token in options:
        return token
    if not token.startswith("--") or "=" in token:
        return None
    found = [option for option in options if option.startswith(token)]
    return found[0] if len(found) == 1 else None


def split_program_args(
    argv: list[str], commands: dict[str, argparse.ArgumentParser] | None = None
) -> tuple[list[str], list[str]]:
    """Split ``[... watch OPTS script ARGS]`` into our part and the program's ARGS:
    everything after the script (or -m MODULE) belongs to the user's program, as with
    ``python script.py ...``, abbreviations of watch's own options included.
    ``commands``: each command's parser (``watch`` and ``fix`` run a program); watch's
    own when not given."""
    command = next((i for i, token in enumerate(argv) if not token.startswith("-")), None)
    if command is None or argv[command] not in ("watch", "fix"):
        return argv, []
    parser = (commands or {}).get(argv[command]) or _watch_parser()
    options = _takes_value(parser)
    index = command + 1
    while index < len(argv):
        token = argv[index]
        option = _option_of(token, options)
        if option is not None and options[option]:
            index += 2
            if option == "-m":
                return argv[:index], argv[index:]
        elif token.startswith("-m") and len(token) > 2:
            return argv[: index + 1], argv[index + 1 :]
        elif token.startswith("-") and token != "-":
            index += 1
        else:
            return argv[: index + 1], argv[index + 1 :]
    return argv, []


def run(args: argparse.Namespace) -> int:
    from graphlab.tracing import ranks, render, runner, verify
    from graphlab.tracing.options import OptionError, WatchOptions

    target = program_of(args)
    try:
        options = WatchOptions(
            max_events_per_function=args.max_events,
            keep_tf_warning=args.keep_tf_warning,
            compiles=args.compiles,
            memory=args.memory,
            memory_interval=args.memory_interval,
            rank=args.rank,
        )
    except OptionError as error:
        raise UsageError(error.for_flag()) from None
    try:  # a bad TF_CONFIG: before the program runs
        known = ranks.current(options.rank).rank
    except ValueError as error:
        raise UsageError(str(error)) from None
    output = args.output  # {rank} is filled in from the report: the program may set TF_CONFIG
    fmt = pick_format(output, args.format, FORMATS, "a trace report")
    # checked (and named) as the path the rank known now gives, the one written unless
    # the program sets TF_CONFIG itself; as given while no rank is known
    check_writable(ranks.fill_rank(output, known) if output and known is not None else output, "-o")
    stderr = sys.stderr  # the program may replace or close its own

    def report(result: runner.RunResult) -> None:
        if fmt == "html":  # a whole page to attach to a bug report
            text = render.render_page(result.report, include_internal=args.include_internal)
        else:
            text = render.render(result.report, fmt, include_internal=args.include_internal)
        stream = _usable(stderr)
        try:
            path = ranks.fill_rank(output, result.report.rank) if output else None
            write_output(text, path, stream)
        except (UsageError, ValueError) as error:  # the program ran: keep its report and code
            print(f"graphlab watch: error: {error}; the report follows", file=stream)
            write_output(text, None, stream)
            return
        if path:
            print(f"graphlab: trace report written to {path}", file=stream)

    def hard_exit(result: runner.RunResult) -> None:
        print(
            f"graphlab: the program ended the process with os._exit({result.exit_code}); "
            "here is the report so far",
            file=_usable(stderr),
        )
        report(result)

    # Live warnings would break the JSON; with --verify-advice they would print fixes
    # before they are verified (the report has every retrace, with the verified advice).
    quiet = (fmt == "json" and not output) or args.verify_advice
    if args.verify_timeout is not None and not 0 < args.verify_timeout < float("inf"):
        raise UsageError(
            f"--verify-timeout must be a positive, finite number of seconds, "
            f"got {args.verify_timeout}"
        )
    if args.verify_timeout is not None and not args.verify_advice:
        raise UsageError("--verify-timeout goes with --verify-advice")
    with _held_back(quiet):
        result, checked = verify.watch_program(
            target,
            options,
            verify_advice=args.verify_advice,
            timeout=args.verify_timeout,
            on_hard_exit=hard_exit,
            process_ends=getattr(args, "process_ends", False),
        )
    report(result)
    if args.verify_advice and (fmt == "text" or output):  # not after a JSON/HTML report
        err = _usable(stderr)
        print(verify.render(checked, _text.terminal_width(err)), file=err)
    return result.exit_code


def _usable(stream: Any) -> Any:
    """``stream``, or a new handle on file descriptor 2 when the program closed it."""
    if not getattr(stream, "closed", True):
        return stream
    try:
        return open(os.dup(2), "w", encoding="utf-8", errors="replace")
    except OSError:
        return sys.__stderr__ or stream


@contextlib.contextmanager
def _held_back(quiet: bool) -> Iterator[None]:
    """Hold graphlab's live retrace warnings back (the report has every one of them)."""
    if not quiet:
        yield
        return
    logger = logging.getLogger("graphlab")

    def drop(record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING

    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
