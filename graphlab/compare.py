"""Run one callable in several modes (eager, graph, XLA, concrete, user variants) and
build a :class:`graphlab.records.Comparison`; diff two saved comparisons.

TensorFlow is imported inside the functions that run code, so :func:`diff_runs` and
:func:`check_parity` work in a process that never loads it (the parent of isolated
workers, ``compare-runs`` in CI).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from graphlab import stats
from graphlab._version import __version__
from graphlab.records import (
    BUILTIN_MODES,
    Comparison,
    ComparisonRow,
    Measurement,
    OverheadFloor,
    RowChange,
    RunDiff,
)

DEFAULT_MODES = ("eager", "graph", "xla")
Progress = Callable[[str], None]


class CompareError(ValueError):
    """Bad arguments to :func:`compare` (unknown mode, nothing to run)."""


# ---------------------------------------------------------------------------
# Modes


@dataclass(frozen=True, slots=True)
class _Case:
    function: str
    mode: str
    build: Callable[[], Callable[..., Any]]


def _mode_builder(fn: Any, mode: str) -> Callable[[], Callable[..., Any]]:
    """A factory for ``fn`` in ``mode``: built right before timing, so a graph mode's
    first call really traces (and a failure to build is that row's error)."""
    from graphlab import _tf

    if mode == "eager":
        return lambda: _tf.python_function_of(fn)
    if mode == "graph":
        return lambda: _tf.make_tf_function(fn, jit_compile=False)
    if mode == "xla":
        return lambda: _tf.make_tf_function(fn, jit_compile=True)
    if mode == "concrete":
        return lambda: _concrete_caller(_tf.make_tf_function(fn, jit_compile=False))
    raise CompareError(
        f"unknown mode {mode!r}: use {', '.join(BUILTIN_MODES)} or a dict name -> callable"
    )


def build_mode(fn: Any, mode: str) -> Callable[..., Any]:
    """``fn`` as run in ``mode`` (``eager``, ``graph``, ``xla``, ``concrete``), fresh."""
    return _mode_builder(fn, mode)()


def _concrete_caller(function: Any) -> Callable[..., Any]:
    """Call a ConcreteFunction: obtained on the first call (which then pays tracing,
    like the other modes), called directly afterwards, skipping the dispatch cache."""
    concrete: list[Any] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if not concrete:
            concrete.append(function.get_concrete_function(*args, **kwargs))
        return concrete[0](*args, **kwargs)

    return call


def _functions(fn: Any) -> list[tuple[str, Any]]:
    if isinstance(fn, Mapping):
        items = list(fn.items())
    elif isinstance(fn, (list, tuple)):
        items = [(_name_of(f), f) for f in fn]
    else:
        items = [(_name_of(fn), fn)]
    if not items:
        raise CompareError("nothing to compare: give a function")
    for name, f in items:
        if not callable(f):
            raise CompareError(f"{name!r} is a {type(f).__name__}, not a callable")
    return [(str(name), f) for name, f in items]


def _name_of(fn: Any) -> str:
    from graphlab import _tf

    target = _tf.python_function_of(fn)
    return getattr(target, "__name__", None) or type(target).__name__


def _cases(functions: list[tuple[str, Any]], modes: Any) -> list[_Case]:
    if isinstance(modes, str):
        modes = [m.strip() for m in modes.split(",") if m.strip()]
    if isinstance(modes, Mapping):
        modes = [modes]
    cases = []
    for name, fn in functions:
        for mode in modes:
            if isinstance(mode, Mapping):
                for variant, variant_fn in mode.items():
                    if not callable(variant_fn):
                        raise CompareError(f"variant {variant!r} is not callable")
                    cases.append(_Case(name, str(variant), lambda f=variant_fn: f))
            else:
                cases.append(_Case(name, mode, _mode_builder(fn, mode)))
    if not cases:
        raise CompareError("no modes to run")
    return cases


# ---------------------------------------------------------------------------
# Parity


def check_parity(
    reference: Sequence[Any], candidate: Sequence[Any], rtol: float, atol: float
) -> tuple[bool, str]:
    """Compare two outputs given as lists of numpy arrays. A mismatch is a finding to
    report (a bug, a different algorithm, float reordering beyond the tolerance)."""
    import numpy as np

    if len(reference) != len(candidate):
        return False, f"mismatch: {len(candidate)} outputs vs {len(reference)}"
    for index, (ref, cand) in enumerate(zip(reference, candidate)):
        ref, cand = np.asarray(ref), np.asarray(cand)
        if ref.shape != cand.shape:
            return False, f"mismatch: output {index} has shape {cand.shape} vs {ref.shape}"
        if ref.dtype.kind in "fc" or cand.dtype.kind in "fc":
            if not np.allclose(cand, ref, rtol=rtol, atol=atol, equal_nan=True):
                diff = np.abs(cand.astype(np.complex128) - ref.astype(np.complex128))
                worst = float(np.nanmax(diff)) if diff.size else 0.0
                return False, (
                    f"mismatch: output {index} differs by up to {worst:.3g} "
                    f"(rtol={rtol:g}, atol={atol:g})"
                )
        elif not np.array_equal(ref, cand):
            return False, f"mismatch: output {index} differs ({int((ref != cand).sum())} values)"
    return True, "ok"


# ---------------------------------------------------------------------------
# compare()


def compare(
    fn: Any,
    *args: Any,
    modes: Any = DEFAULT_MODES,
    label: str | None = None,
    max_time: float = 1.0,
    precision: float = 0.05,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    measure_floor: bool = True,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.perf_counter,
    call_kwargs: Mapping[str, Any] | None = None,
    on_output: Callable[[ComparisonRow, list[Any]], None] | None = None,
    **kwargs: Any,
) -> Comparison:
    """Time ``fn(*args, **kwargs)`` in several modes and compare them.

    Args:
        fn: A callable, a ``tf.function`` (its Python function is used for eager and
            fresh ``tf.function`` objects for the graph modes), a list of them, or a
            dict label -> callable: several functions go into one table.
        *args: Positional arguments for every call.
        modes: Names among ``eager``, ``graph``, ``xla``, ``concrete`` (a sequence or
            ``"eager,graph"``), and/or a dict name -> callable of user variants timed as
            given (A/B tests of two implementations on the same arguments).
        label: Table label when ``fn`` is a single callable.
        max_time: Budget per mode in seconds for calibration plus timed blocks.
        precision: Stop a mode once IQR/median is at most this.
        rtol: Relative tolerance of the output parity check against the first mode.
        atol: Absolute tolerance of the parity check.
        measure_floor: Measure the dispatch-overhead floor (a bare tf.function call and
            an eager op) once, to annotate rows that mostly measure overhead.
        progress: Called with a short line as each mode starts and ends.
        clock: The timer's clock.
        call_kwargs: Keyword arguments for ``fn`` whose names clash with the options
            here (``modes``, ``label``...).
        on_output: Called with each successful row and its first output as numpy
            arrays (isolated workers hand them to the parent for the parity check).
        **kwargs: Keyword arguments for every call.

    Returns:
        A :class:`~graphlab.records.Comparison`, one row per function x mode. A mode that
        fails does not stop the others: its row says why.
    """
    kwargs = {**kwargs, **dict(call_kwargs or {})}
    functions = _functions(fn)
    if label is not None and len(functions) == 1:
        functions = [(label, functions[0][1])]
    cases = _cases(functions, modes)
    from graphlab import _tf

    rows: list[ComparisonRow] = []
    outputs: dict[str, list[Any]] = {}
    metadata = environment()
    for case in cases:
        _say(progress, f"{case.function}/{case.mode}: timing ...")
        with recorder_quiet():
            row, output = _run_case(case, args, kwargs, max_time, precision, clock, metadata)
        if row.ok and output is not None:
            row = _with_parity(row, outputs, output, rtol, atol)
            if on_output is not None:
                on_output(row, output)
        rows.append(row)
        _say(progress, _progress_line(row))
    floor = None
    if measure_floor and any(row.ok for row in rows):
        _say(progress, "overhead floor: timing ...")
        floor = overhead_floor(max_time=min(max_time, 0.2), clock=clock)
    return Comparison(tuple(rows), _tf.TF_VERSION, floor, metadata)


@contextmanager
def recorder_quiet() -> Iterator[None]:
    """Each mode gets a fresh tf.function of the same Python code on purpose; the
    recorder would warn about re-created functions. Retraces that matter are counted
    in the measurement and explained in the table instead."""
    logger = logging.getLogger("graphlab")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _with_parity(
    row: ComparisonRow, outputs: dict[str, list[Any]], output: list[Any], rtol: float, atol: float
) -> ComparisonRow:
    reference = outputs.get(row.function)
    if reference is None:
        outputs[row.function] = output
        return row
    ok, text = check_parity(reference, output, rtol, atol)
    return ComparisonRow(row.function, row.mode, row.measurement, parity=text, parity_ok=ok)


def _run_case(
    case: _Case,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    max_time: float,
    precision: float,
    clock: Callable[[], float],
    metadata: dict[str, str],
) -> tuple[ComparisonRow, list[Any] | None]:
    from graphlab import _tf
    from graphlab.timing import Timer

    try:
        callable_ = case.build()
        timer = Timer(
            functools.partial(callable_, *args, **kwargs),
            label=f"{case.function}/{case.mode}",
            clock=clock,
            max_time=max_time,
            precision=precision,
            metadata=metadata,
        )
        measurement = timer.measure()
        output = _tf.to_numpy_list(timer.first_output)
    except Exception as error:  # one failing mode must not hide the others
        return ComparisonRow(case.function, case.mode, None, error=describe_error(error)), None
    return ComparisonRow(case.function, case.mode, measurement), output


_XLA_UNSUPPORTED = re.compile(
    r"Detected unsupported operations when trying to compile graph \S+ on (\S+): (.*)"
)


def describe_error(error: BaseException) -> str:
    """One readable line: TensorFlow's messages run to pages of graph context."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    match = _XLA_UNSUPPORTED.search(first)
    if match:
        first = f"XLA cannot compile this op on {match.group(1).rstrip(':')}: {match.group(2)}"
    first = re.sub(r"\{\{node [^}]*\}\}", "", first).strip()
    text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return text if len(text) <= 240 else text[:239] + "…"


def _progress_line(row: ComparisonRow) -> str:
    m = row.measurement
    if m is None:
        return f"{row.function}/{row.mode}: failed: {row.error}"
    return (
        f"{row.function}/{row.mode}: {m.median * 1e6:.4g} us/call, {m.rounds} blocks, "
        f"IQR {m.relative_iqr:.1%} ({m.stop_reason})"
    )


def _say(progress: Progress | None, line: str) -> None:
    if progress is not None:
        progress(line)


def overhead_floor(
    max_time: float = 0.2, clock: Callable[[], float] = time.perf_counter
) -> OverheadFloor:
    """Time a bare ``tf.function`` call and one eager op: what doing nothing costs."""
    from graphlab import _tf
    from graphlab.timing import Timer

    function_call, eager_op = _tf.overhead_probes()
    medians = []
    for probe in (function_call, eager_op):
        timer = Timer(probe, clock=clock, max_time=max_time, record_traces=False)
        medians.append(timer.measure().median)
    return OverheadFloor(function_call=medians[0], eager_op=medians[1])


def environment() -> dict[str, str]:
    """Where a comparison ran: device, thread pools, versions, date."""
    from graphlab import _tf

    intra, inter = _tf.thread_settings()
    return {
        "device": _tf.device_description(),
        "intra_op_threads": str(intra or f"default ({os.cpu_count()} cores)"),
        "inter_op_threads": str(inter or "default"),
        "cpu_count": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "graphlab": __version__,
        "tensorflow": _tf.TF_VERSION,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


# ---------------------------------------------------------------------------
# Isolation: one fresh worker process per mode (and per repeat), as pyperf does


def compare_isolated(
    targets: Sequence[str],
    arg_texts: Sequence[str] = (),
    kwarg_texts: Sequence[str] = (),
    *,
    modes: Sequence[str] = DEFAULT_MODES,
    processes: int = 1,
    threads: tuple[int, int] | None = None,
    max_time: float = 1.0,
    precision: float = 0.05,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    progress: Progress | None = None,
) -> Comparison:
    """Run every target x mode in ``processes`` fresh ``python -m graphlab bench``
    workers and aggregate them as pyperf does: the per-block values of all workers are
    pooled into one sample; first and second calls are the median over workers.

    Workers see targets and ``--arg`` texts, not Python objects, so this takes what the
    CLI takes. Thread settings apply to each worker before TensorFlow starts.
    """
    if processes < 1:
        raise CompareError(f"processes must be >= 1, got {processes}")
    rows: list[ComparisonRow] = []
    floors: list[OverheadFloor] = []
    metadata: dict[str, str] = {}
    tensorflow = ""
    with tempfile.TemporaryDirectory(prefix="graphlab-workers-") as scratch:
        outputs: dict[str, list[Any]] = {}
        for target in targets:
            for mode in modes:
                _say(progress, f"{target}/{mode}: {processes} worker process(es) ...")
                results, error = [], ""
                for index in range(processes):
                    out_dir = os.path.join(scratch, f"{len(rows)}-{index}")
                    os.makedirs(out_dir)
                    data, error = _run_worker(
                        target,
                        arg_texts,
                        kwarg_texts,
                        mode,
                        threads,
                        max_time,
                        precision,
                        out_dir,
                    )
                    if data is not None:
                        results.append((data, out_dir))
                if not results:
                    name = target.rpartition(":")[2]
                    rows.append(ComparisonRow(name, mode, None, error=error or "worker failed"))
                    continue
                comparisons = [Comparison.from_dict(data) for data, _ in results]
                tensorflow = comparisons[0].tensorflow
                metadata = {
                    **comparisons[0].metadata,
                    "isolation": f"{processes} process(es) per mode",
                }
                floors += [c.floor for c in comparisons if c.floor is not None]
                row = _pool_rows([c.rows[0] for c in comparisons])
                if row.ok:
                    output = _load_outputs(results[0][1])
                    if output is not None:
                        row = _with_parity(row, outputs, output, rtol, atol)
                rows.append(row)
                _say(progress, _progress_line(row))
    floor = None
    if floors:
        floor = OverheadFloor(
            stats.median([f.function_call for f in floors]),
            stats.median([f.eager_op for f in floors]),
        )
    return Comparison(tuple(rows), tensorflow, floor, metadata)


def _run_worker(
    target: str,
    arg_texts: Sequence[str],
    kwarg_texts: Sequence[str],
    mode: str,
    threads: tuple[int, int] | None,
    max_time: float,
    precision: float,
    out_dir: str,
) -> tuple[dict[str, Any] | None, str]:
    command = [sys.executable, "-m", "graphlab", "bench", target, "--modes", mode]
    for text in arg_texts:
        command += ["--arg", text]
    for text in kwarg_texts:
        command += ["--kwarg", text]
    command += ["--max-time", str(max_time), "--precision", str(precision)]
    command += ["--format", "json", "--quiet", "--worker-dir", out_dir]
    if threads is not None:
        command += ["--threads", f"{threads[0]},{threads[1]}"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return None, f"worker exited {done.returncode}: {lines[-1] if lines else 'no output'}"
    row = data["rows"][0] if data.get("rows") else {}
    if row.get("error"):
        return None, row["error"]
    return data, ""


def _pool_rows(rows: list[ComparisonRow]) -> ComparisonRow:
    ok = [r for r in rows if r.measurement is not None]
    if not ok:
        return rows[0]
    ms: list[Measurement] = [r.measurement for r in ok if r.measurement is not None]
    pooled = Measurement(
        label=ms[0].label,
        block_times=tuple(t for m in ms for t in m.block_times),
        block_calls=tuple(n for m in ms for n in m.block_calls),
        first_call=_median_or_none([m.first_call for m in ms]),
        second_call=_median_or_none([m.second_call for m in ms]),
        tracing=stats.median([m.tracing for m in ms]),
        retraces=sum(m.retraces for m in ms),
        retrace_causes=tuple(c for m in ms for c in m.retrace_causes),
        op_count=ms[0].op_count,
        stop_reason=f"{len(ms)} processes",
        metadata=ms[0].metadata,
    )
    return ComparisonRow(ok[0].function, ok[0].mode, pooled)


def _median_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return stats.median(present) if present else None


def save_outputs(output: list[Any], out_dir: str) -> None:
    """Write a worker's first output for the parent's parity check."""
    import numpy as np

    np.savez(os.path.join(out_dir, "outputs.npz"), *output)


def _load_outputs(out_dir: str) -> list[Any] | None:
    import numpy as np

    path = os.path.join(out_dir, "outputs.npz")
    if not os.path.exists(path):
        return None
    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


# ---------------------------------------------------------------------------
# Runs over time


def diff_runs(
    old: Comparison,
    new: Comparison,
    *,
    old_label: str = "old",
    new_label: str = "new",
    fail_if_slower: float | None = None,
) -> RunDiff:
    """Compare two runs row by row.

    Times are compared with a Mann-Whitney U test on the per-call block times. The CI
    gate (``fail_if_slower``, in percent) looks at *speedup vs eager*, a ratio measured
    within each run, so two runs on different machines can still be compared: a row
    fails when its speedup dropped by more than the gate.
    """
    changes, failures, only_old = [], [], []
    for old_row in old.rows:
        new_row = new.row(old_row.function, old_row.mode)
        name = f"{old_row.function}/{old_row.mode}"
        if new_row is None or new_row.measurement is None or old_row.measurement is None:
            if new_row is None or (old_row.ok and not new_row.ok):
                only_old.append(name)
                if fail_if_slower is not None and old_row.ok:
                    why = "missing" if new_row is None else f"failed: {new_row.error}"
                    failures.append(f"{name}: ran in {old_label}, {why} in {new_label}")
            continue
        _, p_value = stats.mann_whitney_u(old_row.measurement.times, new_row.measurement.times)
        change = RowChange(
            old_row.function,
            old_row.mode,
            old_row.measurement.median,
            new_row.measurement.median,
            p_value,
            old.speedup(old_row),
            new.speedup(new_row),
        )
        changes.append(change)
        drop = change.speedup_change
        if fail_if_slower is not None and drop is not None and -drop * 100 > fail_if_slower:
            failures.append(
                f"{name}: speedup vs eager {change.old_speedup:.3g}x -> "
                f"{change.new_speedup:.3g}x ({drop:+.1%}, gate -{fail_if_slower:g}%)"
            )
    only_new = [f"{r.function}/{r.mode}" for r in new.rows if old.row(r.function, r.mode) is None]
    return RunDiff(
        old_label,
        new_label,
        tuple(changes),
        tuple(only_old),
        tuple(only_new),
        fail_if_slower,
        tuple(failures),
    )


def compare_runs(
    old: str | Comparison, new: str | Comparison, *, fail_if_slower: float | None = None
) -> RunDiff:
    """:func:`diff_runs` for saved files (paths) or Comparison objects."""
    old_label = old if isinstance(old, str) else "old"
    new_label = new if isinstance(new, str) else "new"
    old_run = load(old) if isinstance(old, str) else old
    new_run = load(new) if isinstance(new, str) else new
    return diff_runs(
        old_run, new_run, old_label=old_label, new_label=new_label, fail_if_slower=fail_if_slower
    )


def load(path: str) -> Comparison:
    """Read a comparison saved with ``--save`` / ``--format json``."""
    with open(path, encoding="utf-8") as handle:
        return Comparison.from_dict(json.load(handle))
