"""``graphlab inspect TARGET``: the graphs tf.function makes of a function."""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

from graphlab.cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_format_option,
    check_writable,
    pick_format,
    write_output,
)
from graphlab.graphs.render import FORMATS


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


def add_parser(sub: Any) -> None:
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
    add_format_option(parser, FORMATS, "report")
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback when the function fails to trace",
    )
    parser.set_defaults(handler=run, calls=None)


def run(args: argparse.Namespace) -> int:
    from graphlab import inputs

    try:
        calls = [_call_args(group) for group in (args.calls or [[]])]
        target = inputs.load_target(args.target)
    except inputs.InputError as error:
        raise UsageError(str(error)) from None
    export_format = args.export
    if export_format and not args.output:
        raise UsageError(f"--export {export_format} needs -o PATH (where to write it)")
    report_path = None if export_format else args.output
    fmt = pick_format(report_path, args.format, FORMATS, "an inspection")
    check_writable(args.output, "-o", directory=export_format == "tensorboard")

    import tensorflow as tf

    from graphlab.graphs import export, inspection, render
    from graphlab.graphs.records import Export

    sections = [s for s in render.SECTIONS if getattr(args, s)]
    try:
        result = inspection.inspect_calls(
            target, [c.for_tracing() for c in calls if not c.empty], lines=True
        )
        if args.diff and len(result.concrete_functions) < 2:
            raise UsageError(
                "--diff needs two traces: give a second set of inputs after --then "
                "(e.g. --arg f32[2] --then --arg f32[3])"
            )
        xla = None
        if args.xla:
            xla = (args.xla, _compile(target, calls, args.xla))
        exports = []
        if export_format in export.XLA_STAGES:
            text = _compile(target, calls, export_format)
            write_output(text, args.output)
            exports.append(Export(export_format, args.output))
        elif export_format:
            concrete = _last_concrete(target, calls)
            try:
                exports.append(export.export_graph(concrete, export_format, args.output))
            except (OSError, subprocess.CalledProcessError, tf.errors.OpError) as error:
                reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
                raise UsageError(f"cannot write {args.output}: {reason}") from None
    except (inputs.InputError, inspection.InspectError) as error:
        raise UsageError(str(error)) from None
    except (inspection.TraceFailure, export.XlaError) as error:
        if getattr(args, "debug", False):
            raise
        print(f"graphlab inspect: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    if fmt == "html":  # a whole page to attach to a bug report
        text = render.render_page(result)
    else:
        text = render.render(
            result, fmt, sections=sections, annotate=args.annotate, xla=xla, exports=exports
        )
    write_output(text, report_path)
    return EXIT_OK


def _call_args(group: list[tuple[str, str]]) -> Any:
    from graphlab import inputs

    values = [inputs.parse_value(text) for kind, text in group if kind == "arg"]
    pairs = [inputs.parse_kwarg(text) for kind, text in group if kind == "kwarg"]
    return inputs.CallArgs(tuple(values), tuple(pairs))


def _compile(target: Any, calls: list[Any], stage: str) -> str:
    """XLA IR for the last input set (concrete values: specs become random data)."""
    from graphlab import inputs
    from graphlab.graphs.export import compiler_ir
    from graphlab.graphs.inspection import as_tf_function

    call = next((c for c in reversed(calls) if not c.empty), None)
    if call is None:
        signature = getattr(as_tf_function(target), "input_signature", None)
        call = inputs.spec_args(signature) if signature is not None else inputs.CallArgs()
    call_args, call_kwargs = call.for_running()
    return compiler_ir(target, *call_args, stage=stage, **call_kwargs)


def _last_concrete(target: Any, calls: list[Any]) -> Any:
    from graphlab.graphs.inspection import concrete_function

    call = next((c for c in reversed(calls) if not c.empty), None)
    call_args, call_kwargs = call.for_tracing() if call is not None else ((), {})
    return concrete_function(target, call_args, call_kwargs)
