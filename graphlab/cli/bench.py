"""``graphlab bench TARGET``: time a function eagerly, as a tf.function and with XLA."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from graphlab.bench.modenames import BUILTIN_MODES
from graphlab.bench.render import FORMATS
from graphlab.bench.runs import RUNS_DIR, save_path
from graphlab.bench.settings import MAX_PROCESSES
from graphlab.cli import _common
from graphlab.cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_format_option,
    check_finite,
    check_writable,
    note,
    pick_format,
    write_output,
)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "bench",
        help="time a function eagerly, as a tf.function and with XLA, and compare",
        description="Time TARGET(*args) in each mode: first call (tracing + compilation) "
        "apart, calibration, then the modes in alternating blocks (round robin, order "
        "rotated) so that all see the same machine, until the ratios' IQR/median <= "
        "--precision or the budget (--max-time per mode) is spent. The speedup vs eager "
        "is the median ratio of neighbouring blocks, with an interval that includes how "
        "far it moved during the run (and between --processes); a row whose speedup "
        "moved is marked unstable. The table also shows break-even calls, retraces and "
        "op counts. Tensor specs (--arg f32[1000,1000]) become random data.",
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
        help="time budget per mode in seconds, first call excluded; the modes' budgets "
        "add up, as they are timed in turns (default: 1.0)",
    )
    parser.add_argument(
        "--precision",
        type=float,
        default=0.05,
        metavar="R",
        help="stop once every mode's ratio to eager has IQR/median <= R, after half the "
        "budget at least (default: 0.05)",
    )
    parser.add_argument("--rtol", type=float, default=1e-5, help="parity check rtol (1e-5)")
    parser.add_argument("--atol", type=float, default=1e-6, help="parity check atol (1e-6)")
    add_format_option(parser, FORMATS, "table")
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
        help="measure in a fresh worker process even with --processes 1",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="run the whole interleaved measurement in N fresh worker processes, one "
        "after the other, and combine them (pyperf-style); the interval then includes "
        "how far processes disagree. 1 measures in this process (default: 1)",
    )
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="measure in the Python at PATH (a venv's bin/python, or the venv) instead of "
        "this one, shown as LABEL; repeat it for each environment to compare: one row per "
        "environment and mode, their TensorFlow and Keras versions in the header, time per "
        "call vs the first environment. Implies --isolate; the environments' workers take "
        "turns round by round, so that ratio pairs neighbouring rounds. The environment "
        "needs TensorFlow (graphlab's own source is put on its path)",
    )
    parser.add_argument(
        "--threads",
        metavar="INTRA,INTER",
        help="TensorFlow thread pools, each 0 (its default) to 4 per CPU (at least 64); "
        "settable once per process",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="with --isolate / --processes / --python: seconds a worker process may run "
        "before it is killed and its rows say so (default: 120 plus 30 + 3 x --max-time "
        "per mode)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each mode's first call (tracing, graph optimization, XLA compile, "
        "first run) and, after timing, a few steady-state calls (top ops by self time, "
        "XLA compilations); count FLOPs per call. The timed blocks are not profiled",
    )
    parser.add_argument(
        "--profile-dir",
        metavar="DIR",
        help="with --profile: keep the profiles in DIR/FUNCTION_MODE "
        "(tensorboard --logdir DIR opens them in the profile plugin)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=run)


def _parse_modes(text: str) -> list[str]:
    from graphlab.bench.modenames import parse_modes

    try:
        return parse_modes(text, BUILTIN_MODES)
    except ValueError as error:
        raise UsageError(f"--modes: {error}") from None


def _parse_threads(text: str | None) -> tuple[int, int] | None:
    from graphlab.bench.settings import check_threads

    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UsageError(f"--threads expects INTRA,INTER (two integers, 0 = default), got {text!r}")
    try:
        return check_threads((int(parts[0]), int(parts[1])))
    except ValueError as error:
        raise UsageError(f"--{error}") from None


def _check_bench_numbers(args: argparse.Namespace) -> None:
    for option, value in (("--max-time", args.max_time), ("--precision", args.precision)):
        check_finite(value, option)
        if value <= 0:
            raise UsageError(f"{option} must be > 0, got {value:g}")
    check_finite(args.rtol, "--rtol")
    check_finite(args.atol, "--atol")
    if not 1 <= args.processes <= MAX_PROCESSES:
        raise UsageError(
            f"--processes must be from 1 to {MAX_PROCESSES}, got {args.processes} (the "
            "workers run one after the other, each starting TensorFlow)"
        )
    if args.timeout is not None:
        check_finite(args.timeout, "--timeout")
        if args.timeout <= 0:
            raise UsageError(f"--timeout must be > 0, got {args.timeout:g}")
        if not (args.isolate or args.processes > 1 or args.python):
            raise UsageError("--timeout applies to worker processes: add --isolate")
    if args.profile_dir and not args.profile:
        args.profile = True  # a place to keep profiles asks for them
    if args.profile and (args.isolate or args.processes > 1 or args.python):
        raise UsageError(
            "--profile profiles in this process: drop --isolate / --processes / --python"
        )


def run(args: argparse.Namespace) -> int:
    from graphlab import inputs

    modes = _parse_modes(args.modes)
    threads = _parse_threads(args.threads)
    _check_bench_numbers(args)
    try:
        arg_values = [inputs.parse_value(text) for text in args.arg]
        kwarg_values = [inputs.parse_kwarg(text) for text in args.kwarg]
    except inputs.InputError as error:
        raise UsageError(str(error)) from error
    fmt = pick_format(args.output, args.format, FORMATS, "a comparison")
    check_writable(args.output, "-o")  # before the benchmark, not after it
    check_writable(args.plot, "--plot")
    check_writable(args.profile_dir, "--profile-dir", directory=True)
    check_writable(save_path(args.save) if args.save else args.save, "--save", make_dirs=True)
    settings = _settings(args, modes, threads)
    isolated = args.isolate or args.processes > 1 or bool(args.python)
    if isolated:  # in the parent, before any worker starts (as in process)
        from graphlab.bench.preflight import check_target

        try:
            for target in args.targets:
                check_target(target, arg_values, dict(kwarg_values))
        except inputs.InputError as error:
            raise UsageError(str(error)) from error
    environments = _probe_environments(args.python)
    progress = _common.progress(args)
    if isolated:
        from graphlab.bench.isolate import compare_isolated

        comparison = compare_isolated(
            args.targets,
            args.arg,
            args.kwarg,
            settings=settings,
            progress=progress,
            environments=environments,
        )
    else:
        comparison = _bench_in_process(args, settings, arg_values, kwarg_values, progress)
    _write_bench(comparison, fmt, args)
    return EXIT_FAILURE if comparison.all_failed else EXIT_OK


def _settings(args: argparse.Namespace, modes: list[str], threads: Any) -> Any:
    from graphlab.bench.settings import BenchSettings

    try:
        return BenchSettings(
            modes=tuple(modes),
            max_time=args.max_time,
            precision=args.precision,
            rtol=args.rtol,
            atol=args.atol,
            threads=threads,
            processes=args.processes,
            timeout=args.timeout,
        )
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None


def _probe_environments(texts: list[str]) -> list[Any]:
    """``--python LABEL=PATH`` -> probed environments (versions known), before any
    measurement; a bad one is a usage error."""
    if not texts:
        return []
    from graphlab.bench import environments

    try:
        return environments.probe_all(environments.parse(texts))
    except environments.EnvironmentProblem as error:
        raise UsageError(str(error)) from None


def _bench_in_process(
    args: argparse.Namespace,
    settings: Any,
    arg_values: list[Any],
    kwarg_values: list[tuple[str, Any]],
    progress: Callable[[str], None] | None,
) -> Any:
    from graphlab import _runtime, inputs
    from graphlab.bench.compare import compare
    from graphlab.bench.records import combine

    if settings.threads is not None:
        try:
            _runtime.set_thread_settings(*settings.threads)
        except RuntimeError as error:
            raise UsageError(f"--threads: {error} (use --isolate)") from error
    try:
        functions = [(t.rpartition(":")[2], inputs.load_target(t)) for t in args.targets]
        for label, fn in functions:
            inputs.check_call(fn, arg_values, dict(kwarg_values), label)
        values = [inputs.to_value(v) for v in arg_values]
        kwargs = {name: inputs.to_value(v) for name, v in kwarg_values}
    except inputs.InputError as error:
        raise UsageError(str(error)) from error
    comparisons = [
        compare(
            fn,
            *values,
            modes=list(settings.modes),
            label=label,
            max_time=settings.max_time,
            precision=settings.precision,
            rtol=settings.rtol,
            atol=settings.atol,
            measure_floor=index == 0,
            progress=progress,
            call_kwargs=kwargs,
            profile=args.profile,
            profile_dir=args.profile_dir,
        )
        for index, (label, fn) in enumerate(functions)
    ]
    return combine(*comparisons)


def _write_bench(comparison: Any, fmt: str, args: argparse.Namespace) -> None:
    from graphlab.bench import render

    if fmt == "html":  # a whole page to attach to a bug report
        write_output(render.render_page(comparison), args.output)
    else:
        write_output(render.render(comparison, fmt), args.output)
    if args.output:
        note(args, f"comparison written to {args.output}")
    if args.save:
        path = save_path(args.save)
        directory = os.path.dirname(path)
        try:
            if directory:
                os.makedirs(directory, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot write --save {path}: {error.strerror}") from error
        write_output(comparison.to_json(), path)
        note(args, f"run saved to {path}")
    if args.plot:
        png = render.render_png(comparison)
        try:
            with open(args.plot, "wb") as handle:
                handle.write(png)
        except OSError as error:
            raise UsageError(f"cannot write {args.plot}: {error.strerror}") from error
        note(args, f"plot written to {args.plot}")
