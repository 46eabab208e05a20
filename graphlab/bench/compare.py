"""``graphlab.compare``: time one callable in several modes and build a
:class:`~graphlab.bench.records.Comparison`, with output parity and the overhead floor.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from graphlab import _runtime, _source
from graphlab._text import clip
from graphlab._tf import TF_VERSION
from graphlab.bench.modes import DEFAULT_MODES, Case, CompareError, cases, functions_of
from graphlab.bench.parity import output_parity
from graphlab.bench.progress import Progress, progress_line, say
from graphlab.bench.records import Comparison, ComparisonRow, Measurement, OverheadFloor
from graphlab.bench.schedule import interleave
from graphlab.bench.settings import BenchSettings
from graphlab.bench.timer import Timer, frozen_heap
from graphlab.profiling.calls import profiling_for

__all__ = ["CompareError", "compare", "describe_error", "overhead_floor", "recorder_quiet"]


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
    profile: bool = False,
    profile_dir: str | None = None,
    processes: int = 1,
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
        max_time: Budget per mode in seconds for calibration plus timed blocks. The
            modes of a function are timed interleaved (alternating blocks, order
            rotated each round), so that each sees the same machine; their budgets add.
        precision: Stop once every mode's ratio to the first has IQR/median at most
            this (after at least half the budget).
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
        profile: Profile each row's first call (its phases) and, after timing, a few
            steady-state calls (top ops, XLA compilations), and count its FLOPs; the
            timed blocks are never profiled.
        profile_dir: Keep the profiles there (``DIR/FUNCTION_MODE``, one TensorBoard run
            each); None: read and removed.
        processes: Run the whole interleaved measurement in this many fresh worker
            processes and pool them, as ``graphlab bench --processes N`` does: the
            interval then shows how far processes disagree. ``fn`` (one function, or a
            bound method whose instance pickles) must be importable by name (defined at
            the top level of a module or of the running script, not inside its
            ``if __name__ == "__main__":`` block) and the arguments picklable (tensors
            are); built-in modes only. The workers get this process's ``sys.path`` and
            import the running script without running its ``__main__`` block; what
            cannot reach them is refused before any starts. A worker that runs past
            120 s plus 30 s + 3 x ``max_time`` per mode is killed and its rows say so.
            1 (default): in this process.
        **kwargs: Keyword arguments for every call.

    Returns:
        A :class:`~graphlab.bench.records.Comparison`, one row per function x mode. A mode that
        fails does not stop the others: its row says why.
    """
    settings = BenchSettings(
        max_time=max_time, precision=precision, rtol=rtol, atol=atol, processes=processes
    )  # checks them all
    kwargs = {**kwargs, **dict(call_kwargs or {})}
    if processes > 1:
        if profile or profile_dir or on_output is not None or clock is not time.perf_counter:
            raise CompareError("processes= cannot be combined with profile, on_output or clock")
        from graphlab.bench.isolate import compare_in_processes

        return compare_in_processes(
            fn, args, kwargs, settings=settings, modes=modes, label=label, progress=progress
        )
    functions = functions_of(fn)
    if label is not None and len(functions) == 1:
        functions = [(label, functions[0][1])]
    to_run = cases(functions, modes)

    rows: list[ComparisonRow] = []
    metadata = _runtime.environment()
    floor = None
    with frozen_heap():  # one collection of TensorFlow's heap for every mode
        for function in dict.fromkeys(case.function for case in to_run):
            group = [case for case in to_run if case.function == function]
            names = ", ".join(case.mode for case in group)
            say(progress, f"{function}: timing {names} interleaved ...")
            with recorder_quiet():
                measured = _run_cases(
                    group, args, kwargs, settings, clock, metadata, profile, profile_dir
                )
            parity = output_parity(settings.rtol, settings.atol)
            for row, output in measured:
                if row.ok and output is not None:
                    row = parity.apply(row, output)
                    if on_output is not None:
                        on_output(row, output)
                rows.append(row)
                say(progress, progress_line(row))
        if measure_floor and any(row.ok for row in rows):
            say(progress, "overhead floor: timing ...")
            floor = overhead_floor(max_time=min(max_time, 0.1), clock=clock)
    return Comparison(tuple(rows), TF_VERSION, floor, metadata)


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


def _run_cases(
    group: list[Case],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: BenchSettings,
    clock: Callable[[], float],
    metadata: dict[str, str],
    profile: bool = False,
    profile_dir: str | None = None,
) -> list[tuple[ComparisonRow, list[Any] | None]]:
    """Build every mode of one function and time them interleaved
    (:func:`graphlab.bench.schedule.interleave`): each row with its first output."""
    timers: dict[int, Timer] = {}
    errors: dict[int, BaseException] = {}
    for index, case in enumerate(group):
        try:
            callable_ = case.build()
        except Exception as error:  # one failing mode must not hide the others
            errors[index] = error
            continue
        timers[index] = Timer(
            functools.partial(callable_, *args, **kwargs),
            label=f"{case.function}/{case.mode}",
            clock=clock,
            max_time=settings.max_time,
            precision=settings.precision,
            metadata=metadata,
            profile=profiling_for(
                callable_,
                args,
                kwargs,
                label=f"{case.function}_{case.mode}",
                profile_dir=profile_dir,
                trace_eager=case.mode == "eager",
            )
            if profile
            else None,
        )
    results = dict(zip(timers, interleave(list(timers.values()))))
    rows: list[tuple[ComparisonRow, list[Any] | None]] = []
    for index, case in enumerate(group):
        result = results.get(index)
        output = None
        if isinstance(result, Measurement):
            try:
                output = _runtime.to_numpy_list(timers[index].first_output)
            except Exception as error:
                result = error
        if isinstance(result, Measurement):
            rows.append((ComparisonRow(case.function, case.mode, result), output))
        else:
            error = errors.get(index, result)
            message = describe_error(error) if error is not None else "not measured"
            rows.append((ComparisonRow(case.function, case.mode, None, error=message), None))
    return rows


_XLA_UNSUPPORTED = re.compile(
    r"Detected unsupported operations when trying to compile graph \S+ on (\S+): (.*)"
)


def describe_error(error: BaseException) -> str:
    """One readable line: TensorFlow's messages run to pages of graph context."""
    if "in user code:" in str(error):  # graph and XLA: the user's error and line
        location, reason = _source.error_origin(error)
        return clip(f"{reason} (at {location})" if location else reason, 240)
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    match = _XLA_UNSUPPORTED.search(first)
    if match:
        first = f"XLA cannot compile this op on {match.group(1).rstrip(':')}: {match.group(2)}"
    first = re.sub(r"\{\{node [^}]*\}\}", "", first).strip()
    text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return clip(text, 240)


def overhead_floor(
    max_time: float = 0.2, clock: Callable[[], float] = time.perf_counter
) -> OverheadFloor:
    """Time a bare ``tf.function`` call and one eager op: what doing nothing costs."""
    function_call, eager_op = _runtime.overhead_probes()
    medians = []
    for probe in (function_call, eager_op):
        timer = Timer(probe, clock=clock, max_time=max_time, record_traces=False)
        medians.append(timer.measure().median)
    return OverheadFloor(function_call=medians[0], eager_op=medians[1])
