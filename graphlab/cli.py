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
# inspect


class _CallAction(argparse.Action):
    """``--arg``/``--kwarg`` go into the current input set; ``--then`` starts the next.
    Values are kept as typed and parsed in the handler, so that a bad one is reported as
    one line (exit 2) rather than argparse's usage block."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None):
        calls = getattr(namespace, "calls", None) or [[]]
        if self.dest == "then":
            calls.append([])
        else:
            calls[-1].append((self.dest, values))
        namespace.calls = calls


def _add_inspect(sub: Any) -> None:
    from graphlab.inputs import SPEC_HELP

    parser = sub.add_parser(
        "inspect",
        help="show the graphs tf.function makes of a function: ops, captures, code, XLA",
        description="Trace TARGET (module:fn, module:obj.method or path/file.py:fn) with the "
        "given inputs and show its concrete functions: signatures, op counts (nested cond/"
        "while bodies included), ops per source line, captures, AutoGraph code, XLA IR; "
        "diff the graphs of several traces; export a graph. Without section options, a "
        "concise summary.",
    )
    parser.add_argument("target", help="module:fn, module:obj.method or path/to/file.py:fn")
    inputs = parser.add_argument_group("inputs (not needed with an input_signature)")
    inputs.add_argument(
        "--arg",
        dest="arg",
        action=_CallAction,
        metavar="VALUE",
        help=f"a positional input, in order: {SPEC_HELP}",
    )
    inputs.add_argument(
        "--kwarg",
        dest="kwarg",
        action=_CallAction,
        metavar="NAME=VALUE",
        help="a keyword input; VALUE as for --arg",
    )
    inputs.add_argument(
        "--then",
        dest="then",
        action=_CallAction,
        nargs=0,
        help="start another set of inputs (another trace, e.g. for --diff)",
    )
    sections = parser.add_argument_group("sections (default: a concise summary)")
    for name, text in (
        ("signatures", "concrete functions and their input/output signatures"),
        ("ops", "op counts by type, top level and with nested bodies"),
        ("lines", "op counts per line of the user's source"),
        ("captures", "captured variables and tensors"),
        ("code", "the AutoGraph-generated code of the function"),
        ("diff", "op-type differences between consecutive traces"),
    ):
        sections.add_argument(f"--{name}", action="store_true", help=text)
    sections.add_argument(
        "--annotate", action="store_true", help="with --code: op counts per source line"
    )
    sections.add_argument(
        "--xla", metavar="STAGE", help="XLA IR: hlo, optimized_hlo, stablehlo, optimized_hlo_dot"
    )
    parser.add_argument(
        "--export",
        metavar="FORMAT",
        help="write the last trace's graph with -o PATH: pbtxt, dot, svg, png, tensorboard "
        "(a log directory), or an XLA stage (hlo, optimized_hlo, stablehlo)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="with --export: where to write it; else write the report to PATH",
    )
    parser.add_argument(
        "--format",
        choices=("text", "md", "json"),
        help="report format (default: from the -o extension, else text)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback when the function fails to trace",
    )
    parser.set_defaults(handler=_cmd_inspect, calls=None)


def _cmd_inspect(args: argparse.Namespace) -> int:
    from graphlab import inputs

    try:
        calls = [_call_args(group) for group in (args.calls or [[]])]
        target = inputs.load_target(args.target)
    except inputs.InputError as error:
        raise UsageError(str(error)) from None
    export = args.export
    if export and not args.output:
        raise UsageError(f"--export {export} needs -o PATH (where to write it)")

    from graphlab import graphs
    from graphlab.renderers import format_for, inspection

    sections = [s for s in inspection.SECTIONS if getattr(args, s)]
    try:
        result = graphs.inspect_calls(
            target, [c.for_tracing() for c in calls if not c.empty], lines=True
        )
        if args.diff and len(result.concrete_functions) < 2:
            raise UsageError(
                "--diff needs two traces: give a second set of inputs after --then "
                "(e.g. --arg f32[2] --then --arg f32[3])"
            )
        xla = None
        if args.xla:
            xla = (args.xla, _compile(graphs, target, calls, args.xla))
        exports = []
        if export in graphs.XLA_STAGES:
            text = _compile(graphs, target, calls, export)
            write_output(text, args.output)
            exports.append(graphs.Export(export, args.output))
        elif export:
            exports.append(
                graphs.export_graph(_last_concrete(graphs, target, calls), export, args.output)
            )
    except (inputs.InputError, graphs.InspectError) as error:
        raise UsageError(str(error)) from None
    except (graphs.TraceFailure, graphs.XlaError) as error:
        if getattr(args, "debug", False):
            raise
        print(f"graphlab inspect: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    report_path = None if export else args.output
    fmt = format_for(report_path, args.format)
    text = inspection.render(
        result, fmt, sections=sections, annotate=args.annotate, xla=xla, exports=exports
    )
    write_output(text, report_path)
    return EXIT_OK


def _call_args(group: list[tuple[str, str]]) -> Any:
    from graphlab import inputs

    values = [inputs.parse_value(text) for kind, text in group if kind == "arg"]
    pairs = [inputs.parse_kwarg(text) for kind, text in group if kind == "kwarg"]
    return inputs.CallArgs(tuple(values), tuple(pairs))


def _compile(graphs: Any, target: Any, calls: list[Any], stage: str) -> str:
    """XLA IR for the last input set (concrete values: specs become random data)."""
    from graphlab import inputs

    call = next((c for c in reversed(calls) if not c.empty), None)
    if call is None:
        signature = getattr(graphs.as_tf_function(target), "input_signature", None)
        call = inputs.spec_args(signature) if signature is not None else inputs.CallArgs()
    call_args, call_kwargs = call.for_running()
    return graphs.compiler_ir(target, *call_args, stage=stage, **call_kwargs)


def _last_concrete(graphs: Any, target: Any, calls: list[Any]) -> Any:
    call = next((c for c in reversed(calls) if not c.empty), None)
    call_args, call_kwargs = call.for_tracing() if call is not None else ((), {})
    return graphs.concrete_function(target, call_args, call_kwargs)


# ---------------------------------------------------------------------------
# main

_COMMANDS: list[Callable[[Any], None]] = [_add_watch, _add_demo, _add_inspect]


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
