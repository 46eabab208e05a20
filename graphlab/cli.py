"""``graphlab`` / ``python -m graphlab``: a thin layer over the library.

Each handler parses, calls the library, picks a renderer and writes. Reports go to
stdout or ``-o``; ``watch`` keeps stdout for the user's program and reports on stderr.
TensorFlow is imported inside handlers only, so ``graphlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from graphlab._version import __version__
from graphlab.records import BUILTIN_MODES

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
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    parser.add_argument("script", nargs="?", help="the Python script to run")
    parser.add_argument("args", nargs="*", metavar="ARG", help="arguments for the program")
    parser.set_defaults(handler=_cmd_watch)


# Options of `watch` that take a value; everything after the script (or -m MODULE)
# belongs to the user's program, as with `python script.py ...`.
_WATCH_VALUE_OPTIONS = {"--format", "-o", "--output", "--max-events"}


def _split_program_args(argv: list[str]) -> tuple[list[str], list[str]]:
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
    if fmt == "html":  # a whole page to attach to a bug report
        from graphlab.renderers import html_page

        text = html_page.render_traces(result.report, include_internal=args.include_internal)
    else:
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
# bench

#: Where ``--save NAME`` puts runs (a NAME with a / or ending in .json is a path).
RUNS_DIR = os.path.join(".graphlab", "runs")
_BENCH_FORMATS = ("text", "md", "json", "csv", "html")


def _add_bench(sub: Any) -> None:
    parser = sub.add_parser(
        "bench",
        help="time a function eagerly, as a tf.function and with XLA, and compare",
        description="Time TARGET(*args) in each mode: first call (tracing + compilation) "
        "apart, then calibrated blocks until IQR/median <= --precision or --max-time. "
        "The table shows speedup vs eager with its interval, break-even calls, retraces "
        "and op counts. Tensor specs (--arg f32[1000,1000]) become random data.",
    )
    parser.add_argument(
        "targets", nargs="+", metavar="TARGET", help="MODULE:FN or FILE.py:FN (several allowed)"
    )
    parser.add_argument(
        "--arg", action="append", default=[], metavar="VALUE", help="a positional argument"
    )
    parser.add_argument(
        "--kwarg", action="append", default=[], metavar="NAME=VALUE", help="a keyword argument"
    )
    parser.add_argument(
        "--modes",
        default="eager,graph,xla",
        metavar="LIST",
        help=f"comma-separated, from {','.join(BUILTIN_MODES)} (default: eager,graph,xla)",
    )
    parser.add_argument(
        "--max-time",
        type=float,
        default=1.0,
        metavar="S",
        help="time budget per mode in seconds, first call excluded (default: 1.0)",
    )
    parser.add_argument(
        "--precision",
        type=float,
        default=0.05,
        metavar="R",
        help="stop a mode once IQR/median <= R (default: 0.05)",
    )
    parser.add_argument("--rtol", type=float, default=1e-5, help="parity check rtol (1e-5)")
    parser.add_argument("--atol", type=float, default=1e-6, help="parity check atol (1e-6)")
    parser.add_argument(
        "--format",
        choices=_BENCH_FORMATS,
        help="table format (default: from the -o extension, else text); html is one "
        "self-contained page",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table to FILE")
    parser.add_argument(
        "--plot", metavar="FILE", help="write a PNG bar chart (needs the plot extra)"
    )
    parser.add_argument(
        "--save",
        metavar="NAME",
        help=f"also save the run as JSON ({RUNS_DIR}/NAME.json, or a path ending .json)",
    )
    parser.add_argument(
        "--isolate",
        action="store_true",
        help="run each mode in fresh worker processes (pyperf-style aggregation)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="worker processes per mode with --isolate (default: 1)",
    )
    parser.add_argument(
        "--threads",
        metavar="INTRA,INTER",
        help="TensorFlow thread pools (0 = default); settable once per process",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--worker-dir", help=argparse.SUPPRESS)
    parser.set_defaults(handler=_cmd_bench)


def _parse_modes(text: str) -> list[str]:
    from graphlab.records import parse_modes

    try:
        return parse_modes(text, BUILTIN_MODES)
    except ValueError as error:
        raise UsageError(f"--modes: {error}") from None


def _parse_threads(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UsageError(f"--threads expects INTRA,INTER (two integers, 0 = default), got {text!r}")
    return int(parts[0]), int(parts[1])


def _check_bench_numbers(args: argparse.Namespace) -> None:
    if args.max_time <= 0:
        raise UsageError(f"--max-time must be > 0 seconds, got {args.max_time:g}")
    if args.precision <= 0:
        raise UsageError(f"--precision must be > 0, got {args.precision:g}")
    if args.processes < 1:
        raise UsageError(f"--processes must be >= 1, got {args.processes}")


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    if args.quiet or not sys.stderr.isatty():
        return None
    return lambda line: print(f"graphlab: {line}", file=sys.stderr, flush=True)


def save_path(name: str) -> str:
    """``--save NAME`` -> the file it writes (and ``compare-runs NAME`` reads)."""
    if name.endswith(".json") or os.sep in name or "/" in name:
        return name
    return os.path.join(RUNS_DIR, f"{name}.json")


def _cmd_bench(args: argparse.Namespace) -> int:
    from graphlab import inputs

    modes = _parse_modes(args.modes)
    threads = _parse_threads(args.threads)
    _check_bench_numbers(args)
    try:
        arg_values = [inputs.parse_value(text) for text in args.arg]
        kwarg_values = [inputs.parse_kwarg(text) for text in args.kwarg]
    except inputs.InputError as error:
        raise UsageError(str(error)) from error
    fmt = format_for_bench(args.output, args.format)
    progress = _progress(args)
    if args.isolate:
        from graphlab.compare import compare_isolated

        comparison = compare_isolated(
            args.targets,
            args.arg,
            args.kwarg,
            modes=modes,
            processes=args.processes,
            threads=threads,
            max_time=args.max_time,
            precision=args.precision,
            rtol=args.rtol,
            atol=args.atol,
            progress=progress,
        )
    else:
        comparison = _bench_in_process(args, modes, threads, arg_values, kwarg_values, progress)
    _write_bench(comparison, fmt, args)
    return EXIT_FAILURE if comparison.all_failed else EXIT_OK


def format_for_bench(path: str | None, explicit: str | None) -> str:
    from graphlab.renderers import format_for

    fmt = format_for(path, explicit)
    if fmt not in _BENCH_FORMATS:
        raise UsageError(
            f"cannot write a comparison as {fmt}; use --format {'|'.join(_BENCH_FORMATS)}"
        )
    return fmt


def _bench_in_process(
    args: argparse.Namespace,
    modes: list[str],
    threads: tuple[int, int] | None,
    arg_values: list[Any],
    kwarg_values: list[tuple[str, Any]],
    progress: Callable[[str], None] | None,
) -> Any:
    from graphlab import _tf, inputs
    from graphlab.compare import compare, save_outputs
    from graphlab.records import combine

    if threads is not None:
        try:
            _tf.set_thread_settings(*threads)
        except RuntimeError as error:
            raise UsageError(f"--threads: {error} (use --isolate)") from error
    try:
        functions = [(t.rpartition(":")[2], inputs.load_target(t)) for t in args.targets]
        values = [inputs.to_value(v) for v in arg_values]
        kwargs = {name: inputs.to_value(v) for name, v in kwarg_values}
    except inputs.InputError as error:
        raise UsageError(str(error)) from error
    on_output = None
    if args.worker_dir:
        worker_dir = args.worker_dir
        on_output = lambda row, output: save_outputs(output, worker_dir)  # noqa: E731
    comparisons = [
        compare(
            fn,
            *values,
            modes=modes,
            label=label,
            max_time=args.max_time,
            precision=args.precision,
            rtol=args.rtol,
            atol=args.atol,
            measure_floor=index == 0,
            progress=progress,
            on_output=on_output,
            call_kwargs=kwargs,
        )
        for index, (label, fn) in enumerate(functions)
    ]
    return combine(*comparisons)


def _write_bench(comparison: Any, fmt: str, args: argparse.Namespace) -> None:
    from graphlab.renderers import comparison as renderer
    from graphlab.renderers import html_page

    if fmt == "html":  # a whole page to attach to a bug report
        write_output(html_page.render_comparison(comparison), args.output)
    else:
        write_output(renderer.render(comparison, fmt), args.output)
    if args.output:
        _note(args, f"comparison written to {args.output}")
    if args.save:
        path = save_path(args.save)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        write_output(renderer.render(comparison, "json"), path)
        _note(args, f"run saved to {path}")
    if args.plot:
        png = renderer.render_png(comparison)
        try:
            with open(args.plot, "wb") as handle:
                handle.write(png)
        except OSError as error:
            raise UsageError(f"cannot write {args.plot}: {error.strerror}") from error
        _note(args, f"plot written to {args.plot}")


def _note(args: argparse.Namespace, line: str) -> None:
    if not args.quiet:
        print(f"graphlab: {line}", file=sys.stderr)


# ---------------------------------------------------------------------------
# compare-runs


def _add_compare_runs(sub: Any) -> None:
    parser = sub.add_parser(
        "compare-runs",
        help="compare two saved bench runs (ratios, significance, a CI gate)",
        description="Compare two runs saved with `bench --save` (or --format json): time "
        "ratio and Mann-Whitney p-value per row, and the change of each speedup vs eager. "
        "Speedups are ratios within a run, so runs from different machines compare.",
    )
    parser.add_argument("old", metavar="OLD", help="old run: a .json file or a --save NAME")
    parser.add_argument("new", metavar="NEW", help="new run: a .json file or a --save NAME")
    parser.add_argument(
        "--fail-if-slower",
        type=float,
        metavar="PCT",
        help="exit 1 if any speedup vs eager dropped by more than PCT percent",
    )
    parser.add_argument("--format", choices=("text", "md", "json"), help="default: text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.set_defaults(handler=_cmd_compare_runs)


def _load_run(name: str) -> Any:
    import json

    from graphlab.compare import load

    path = name if os.path.exists(name) else save_path(name)
    try:
        return path, load(path)
    except FileNotFoundError:
        raise UsageError(f"no such run: {name!r} (looked for {path})") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise UsageError(f"{path} is not a graphlab comparison: {error}") from None


def _cmd_compare_runs(args: argparse.Namespace) -> int:
    from graphlab.compare import diff_runs
    from graphlab.renderers import comparison as renderer
    from graphlab.renderers import format_for

    if args.fail_if_slower is not None and args.fail_if_slower < 0:
        raise UsageError(f"--fail-if-slower must be >= 0 percent, got {args.fail_if_slower:g}")
    fmt = format_for(args.output, args.format)
    if fmt not in ("text", "md", "json"):
        raise UsageError(f"cannot write a run comparison as {fmt}; use text, md or json")
    old_path, old = _load_run(args.old)
    new_path, new = _load_run(args.new)
    diff = diff_runs(
        old, new, old_label=old_path, new_label=new_path, fail_if_slower=args.fail_if_slower
    )
    write_output(renderer.render_diff(diff, fmt), args.output)
    return EXIT_FAILURE if diff.failed else EXIT_OK


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
            concrete = _last_concrete(graphs, target, calls)
            try:
                exports.append(graphs.export_graph(concrete, export, args.output))
            except (OSError, subprocess.CalledProcessError) as error:
                reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
                raise UsageError(f"cannot write {args.output}: {reason}") from None
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

_COMMANDS: list[Callable[[Any], None]] = [
    _add_watch,
    _add_inspect,
    _add_bench,
    _add_compare_runs,
    _add_demo,
]


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
