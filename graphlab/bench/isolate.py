"""Isolation: the whole interleaved measurement in N fresh worker processes, combined
as pyperf does. A process's memory layout, thread pools and allocator state shift its
figures as a whole; several processes show how much, and thread pools can be set once
per process only.

The parent never imports TensorFlow: workers (:mod:`graphlab.bench.worker`) measure
every mode of a target interleaved, check output parity among them and hand back JSON.
Workers may run in other Python environments
(:mod:`graphlab.bench.environments`): one row per environment and mode.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from graphlab.bench import environments as envs
from graphlab.bench import stats, turns, worker
from graphlab.bench.modenames import BUILTIN_MODES, parse_modes
from graphlab.bench.modes import DEFAULT_MODES, CompareError
from graphlab.bench.peak import pooled_peaks
from graphlab.bench.progress import Progress, progress_line, say
from graphlab.bench.records import Comparison, ComparisonRow, Measurement, OverheadFloor
from graphlab.bench.sendable import NotSendable, check_sendable, target_of


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
    environments: Sequence[envs.Environment] = (),
    values: str | None = None,
) -> Comparison:
    """Run the interleaved measurement of every target (all ``modes``) in ``processes``
    fresh worker processes, one after the other, and combine them as pyperf does: the
    blocks of all workers are pooled, each tagged with its process, so that a speedup
    pairs rounds within a process and its interval shows how far processes disagree;
    first and second calls are the median over workers.

    Workers see targets and ``--arg`` texts, not Python objects, so this takes what the
    CLI takes (or ``values``: a pickle of ``(args, kwargs)``, see
    :func:`compare_in_processes`). Thread settings apply to each worker before
    TensorFlow starts.

    With ``environments`` (probed by :func:`graphlab.bench.environments.probe_all`),
    process ``p`` is one worker per environment, started together and taking turns
    round by round (:mod:`graphlab.bench.turns`), so that round ``r`` of a mode in two
    environments ran side by side in time; rows carry the environment's label.
    """
    if processes < 1:
        raise CompareError(f"processes must be >= 1, got {processes}")
    rows: list[ComparisonRow] = []
    floors: list[OverheadFloor] = []
    metadata: dict[str, object] = {}
    tensorflow = ""
    places: list[envs.Environment | None] = list(environments) or [None]
    with tempfile.TemporaryDirectory(prefix="graphlab-workers-") as scratch:
        source = envs.source_path(scratch) if environments else None
        for target in targets:
            found: dict[str, list[Comparison | None]] = {}  # by process: pairs stay paired
            errors: dict[str, str] = {}
            for index in range(processes):
                where = f" in {', '.join(p.label for p in environments)}" if environments else ""
                say(progress, f"{target}: worker process {index + 1} of {processes}{where} ...")
                options = {
                    "target": target,
                    "modes": modes,
                    "arg_texts": arg_texts,
                    "kwarg_texts": kwarg_texts,
                    "threads": threads,
                    "max_time": max_time,
                    "precision": precision,
                    "rtol": rtol,
                    "atol": atol,
                    "pythonpath": source,
                    "values": values,
                }
                first = not floors and not any(found.values()) and index == 0
                for label, data, error in _run_workers(scratch, places, index, first, options):
                    errors[label] = error
                    comparison = Comparison.from_dict(data) if data is not None else None
                    found.setdefault(label, []).append(comparison)
                    if comparison is not None and comparison.floor is not None:
                        floors.append(comparison.floor)
            name = target.rpartition(":")[2]
            for place in places:
                label = place.label if place is not None else ""
                comparisons = found.get(label, [])
                ran = [c for c in comparisons if c is not None]
                if not ran:
                    error = errors.get(label) or "worker failed"
                    rows += [ComparisonRow(name, m, None, error, environment=label) for m in modes]
                    continue
                if not tensorflow:
                    tensorflow = ran[0].tensorflow
                    metadata = {**ran[0].metadata, "isolation": f"{processes} process(es)"}
                for mode in modes:
                    row = pool_rows([c.row(name, mode) if c else None for c in comparisons])
                    row = row if row is not None else ComparisonRow(name, mode, None, "no data")
                    rows.append(replace(row, environment=label))
                    say(progress, progress_line(rows[-1]))
    if environments:
        for key in ("python", "tensorflow"):  # one per environment, in environment_details
            metadata.pop(key, None)
        metadata.update(envs.metadata(environments))
        metadata["environment_schedule"] = "rounds interleaved"
        tensorflow = " / ".join(dict.fromkeys(e.tensorflow for e in environments))
    floor = None
    if floors:
        floor = OverheadFloor(
            stats.median([f.function_call for f in floors]),
            stats.median([f.eager_op for f in floors]),
        )
    return Comparison(tuple(rows), tensorflow, floor, metadata)


def _run_workers(
    scratch: str,
    places: list[envs.Environment | None],
    index: int,
    measure_floor: bool,
    options: dict[str, object],
) -> list[tuple[str, dict[str, object] | None, str]]:
    """Process ``index`` of every place: one worker alone, or one per environment
    taking turns round by round (:mod:`graphlab.bench.turns`); the first measures the
    overhead floor when asked. ``(label, result or None, error)`` per place."""
    out_dirs = []
    for place in places:
        label = place.label if place is not None else ""
        out_dirs.append(os.path.join(scratch, f"{len(os.listdir(scratch))}-{label}-{index}"))
        os.makedirs(out_dirs[-1])
    if places == [None]:
        data, error = worker.run(out_dirs[0], measure_floor=measure_floor, **options)
        return [("", data, error)]
    channels = [turns.Channel() for _ in places]
    try:
        for number, (place, out_dir, channel) in enumerate(zip(places, out_dirs, channels)):
            assert place is not None
            process = worker.start(
                out_dir,
                python=place.python,
                turns=channel.child_fds,
                measure_floor=measure_floor and number == 0,
                **options,
            )
            channel.started(process)
        turns.referee(channels)
    finally:  # never leave a worker behind
        for channel in channels:
            if channel.process is not None and channel.process.poll() is None:
                channel.process.kill()
            channel.close()
    return [
        (place.label if place is not None else "", *worker.collect(out_dir, channel.process))
        for place, out_dir, channel in zip(places, out_dirs, channels)
        if channel.process is not None
    ]


def pool_rows(rows: list[ComparisonRow | None]) -> ComparisonRow | None:
    """One row from the same row of every process: blocks pooled and tagged with their
    process; the first process's parity verdict (each worker checks its own)."""
    present = [r for r in rows if r is not None]
    ok = [(index, r) for index, r in enumerate(rows) if r is not None and r.ok]
    if not ok:
        return present[0] if present else None
    ms: list[Measurement] = [r.measurement for _, r in ok if r.measurement is not None]
    processes = tuple(i for (i, _), m in zip(ok, ms) for _ in m.block_times)
    interleaved = all(m.block_rounds for m in ms)
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
        metadata=pooled_peaks(ms),
        block_rounds=tuple(r for m in ms for r in m.block_rounds) if interleaved else (),
        block_processes=processes,
    )
    first = ok[0][1]
    parity_rows = [r for _, r in ok if r.parity_ok is False] or [first]
    return ComparisonRow(
        first.function,
        first.mode,
        pooled,
        parity=parity_rows[0].parity,
        parity_ok=parity_rows[0].parity_ok,
        placement=first.placement,
        environment=first.environment,
    )


def _median_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return stats.median(present) if present else None


def compare_in_processes(
    fn: Any,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    *,
    processes: int,
    modes: Any,
    label: str | None,
    **options: Any,
) -> Comparison:
    """``graphlab.compare(fn, *args, processes=N)``: :func:`compare_isolated` for a
    Python caller. ``fn`` travels by name (``module:function``, or the running script's
    file), its arguments by pickle (tensors keep their values and dtypes)."""

    try:
        if isinstance(modes, Mapping):
            raise ValueError("user variants given")
        modes = parse_modes(modes, BUILTIN_MODES)
    except ValueError as error:
        raise CompareError(
            f"processes= takes the built-in modes only ({error}): a user variant is a "
            "Python object the worker processes cannot import"
        ) from None
    try:
        check_sendable("fn", getattr(fn, "python_function", fn))
        target = target_of(fn)
    except NotSendable as error:
        raise CompareError(f"processes=: {error}".replace("factories", "functions")) from None
    with tempfile.TemporaryDirectory(prefix="graphlab-values-") as scratch:
        path = os.path.join(scratch, "values.pkl")
        try:
            with open(path, "wb") as handle:
                pickle.dump((list(args), dict(kwargs)), handle)
        except Exception as error:
            raise CompareError(
                f"processes= sends the arguments to the worker processes by pickle, and "
                f"one cannot be pickled ({error}); pass tensors, NumPy arrays or plain values"
            ) from None
        comparison = compare_isolated(
            [target], modes=modes, processes=processes, values=path, **options
        )
    if label is None:
        return comparison
    rows = tuple(replace(row, function=label) for row in comparison.rows)
    return replace(comparison, rows=rows)
