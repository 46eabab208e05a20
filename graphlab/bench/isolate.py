"""Isolation: the whole interleaved measurement in N fresh worker processes, combined
as pyperf does. A process's memory layout, thread pools and allocator state shift its
figures as a whole; several processes show how much, and thread pools can be set once
per process only.

The parent never imports TensorFlow: workers (:func:`graphlab.bench.worker_task.measure`,
started by :mod:`graphlab._workers`) measure every mode of a target interleaved, check
output parity among them and hand back JSON. Workers may run in other Python
environments (:mod:`graphlab.bench.environments`): one row per environment and mode.
"""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from graphlab._workers.parent import Child, WorkerError, Workers
from graphlab._workers.sendable import (
    NotSendable,
    check_callable,
    check_main_guard,
    check_sendable,
    target_of,
)
from graphlab.bench import environments as envs
from graphlab.bench import stats, turns
from graphlab.bench.modenames import BUILTIN_MODES, parse_modes
from graphlab.bench.modes import CompareError
from graphlab.bench.peak import pooled_peaks
from graphlab.bench.progress import Progress, progress_line, say
from graphlab.bench.records import Comparison, ComparisonRow, Measurement, OverheadFloor
from graphlab.bench.settings import BenchSettings

#: The task a worker process runs, named by string (not imported: the worker task
#: imports this module's callers).
MEASURE = "graphlab.bench.worker_task:measure"


def compare_isolated(
    targets: Sequence[str],
    arg_texts: Sequence[str] = (),
    kwarg_texts: Sequence[str] = (),
    *,
    settings: BenchSettings,
    progress: Progress | None = None,
    environments: Sequence[envs.Environment] = (),
    values: Any = None,
    main: bool = False,
    label: str | None = None,
) -> Comparison:
    """Run the interleaved measurement of every target (all ``settings.modes``) in
    ``settings.processes`` fresh worker processes, one after the other, and combine
    them as pyperf does: the blocks of all workers are pooled, each tagged with its
    process, so that a speedup pairs rounds within a process and its interval shows how
    far processes disagree; first and second calls are the median over workers.

    Workers see targets and ``--arg`` texts, not Python objects, so this takes what the
    CLI takes (or ``values``: ``(args, kwargs, bound method or None)`` sent by pickle,
    see :func:`compare_in_processes`; ``main``: they name what the running script
    defines). Thread
    settings apply to each worker before TensorFlow starts; a worker that runs past
    ``settings.worker_timeout`` is killed and its rows say so.

    With ``environments`` (probed by :func:`graphlab.bench.environments.probe_all`),
    process ``p`` is one worker per environment, started together and taking turns
    round by round (:mod:`graphlab.bench.turns`), so that round ``r`` of a mode in two
    environments ran side by side in time; rows carry the environment's label.
    """
    processes, modes = settings.processes, list(settings.modes)
    rows: list[ComparisonRow] = []
    floors: list[OverheadFloor] = []
    metadata: dict[str, object] = {}
    tensorflow = ""
    places: list[envs.Environment | None] = list(environments) or [None]
    with Workers() as workers:
        source = envs.source_path(workers.folder) if environments else None
        values_path = ""
        if values is not None:
            values_path = workers.path("values.pkl")
            with open(values_path, "wb") as handle:
                pickle.dump(values, handle, protocol=pickle.HIGHEST_PROTOCOL)
        for target in targets:
            found: dict[str, list[Comparison | None]] = {}  # by process: pairs stay paired
            errors: dict[str, str] = {}
            for index in range(processes):
                where = f" in {', '.join(p.label for p in environments)}" if environments else ""
                say(progress, f"{target}: worker process {index + 1} of {processes}{where} ...")
                payload = {
                    "target": target,
                    "label": label,
                    "args": list(arg_texts),
                    "kwargs": list(kwarg_texts),
                    "settings": settings.to_dict(),
                    "values": values_path,
                    "measure_floor": not floors and not any(found.values()) and index == 0,
                }
                run = _Run(workers, settings.worker_timeout(), source, main)
                for place_label, data, error in run.places(places, index, payload):
                    errors[place_label] = error
                    comparison = Comparison.from_dict(data) if data is not None else None
                    found.setdefault(place_label, []).append(comparison)
                    if comparison is not None and comparison.floor is not None:
                        floors.append(comparison.floor)
            name = label or target.rpartition(":")[2]
            for place in places:
                place_label = place.label if place is not None else ""
                comparisons = found.get(place_label, [])
                ran = [c for c in comparisons if c is not None]
                if not ran:
                    error = errors.get(place_label) or "worker failed"
                    rows += [
                        ComparisonRow(name, m, None, error, environment=place_label) for m in modes
                    ]
                    continue
                if not tensorflow:
                    tensorflow = ran[0].tensorflow
                    metadata = {**ran[0].metadata, "isolation": f"{processes} process(es)"}
                for mode in modes:
                    row = pool_rows([c.row(name, mode) if c else None for c in comparisons])
                    row = row if row is not None else ComparisonRow(name, mode, None, "no data")
                    rows.append(replace(row, environment=place_label))
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


class _Run:
    """Process ``index`` of every place: one worker alone, or one per environment
    taking turns round by round (:mod:`graphlab.bench.turns`)."""

    def __init__(self, workers: Workers, timeout: float, source: str | None, main: bool) -> None:
        self.workers, self.timeout, self.source, self.main = workers, timeout, source, main

    def places(
        self, places: list[envs.Environment | None], index: int, payload: dict[str, Any]
    ) -> list[tuple[str, dict[str, Any] | None, str]]:
        """``(label, result or None, error)`` per place; the first measures the
        overhead floor when the payload asks."""
        workers = self.workers
        if places == [None]:
            child = workers.start(
                MEASURE, payload, name=f"{len(workers.children)}-{index}", main=self.main
            )
            try:
                workers.wait([child], self.timeout)
            except WorkerError:
                pass
            return [("", *self.collect(child))]
        channels = [turns.Channel() for _ in places]
        children: list[Child] = []
        try:
            for number, (place, channel) in enumerate(zip(places, channels)):
                assert place is not None
                child = workers.start(
                    MEASURE,
                    {
                        **payload,
                        "turns": list(channel.child_fds),
                        "measure_floor": payload["measure_floor"] and number == 0,
                    },
                    name=f"{len(workers.children)}-{place.label}-{index}",
                    python=place.python,
                    pythonpath=self.source,
                    pass_fds=channel.child_fds,
                    timeout=self.timeout,
                )
                children.append(child)
                channel.started(child.process)
            turns.referee(channels, min(turns.TURN_TIMEOUT, self.timeout))  # per answer
        finally:  # never leave a worker behind
            workers.end(children)
            for channel in channels:
                channel.close()
        return [
            (place.label if place is not None else "", *self.collect(child))
            for place, child in zip(places, children)
        ]

    def collect(self, child: Child) -> tuple[dict[str, Any] | None, str]:
        """The worker's result, or why there is none (one line)."""
        import json

        if child.done():
            try:
                return json.loads(child.result_text()), ""
            except (OSError, ValueError):
                pass
        code = child.process.poll()
        if code == -9 and child.timed_out:
            return None, f"worker timed out after {self.timeout:.0f} s (give a larger timeout)"
        return None, f"worker exited {code}: {child.last_line()}"


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
    settings: BenchSettings,
    modes: Any,
    label: str | None,
    progress: Progress | None = None,
) -> Comparison:
    """``graphlab.compare(fn, *args, processes=N)``: :func:`compare_isolated` for a
    Python caller. ``fn`` travels by name (``module:qualname``; the running script's
    own as ``__main__:qualname``, the workers importing the script as multiprocessing's
    spawn does), a bound method and the arguments by pickle (tensors keep their values
    and dtypes). What cannot reach the workers is refused here, before any starts."""
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
        inner = getattr(fn, "python_function", fn)
        method = None
        if inspect.ismethod(inner):  # its instance goes along, by pickle
            check_callable("fn", inner.__func__)
            method = inner
            uses_main = check_sendable("fn (a bound method, with its instance)", method)
        else:
            check_callable("fn", fn)
            uses_main = False
        target = target_of(inner.__func__ if method is not None else fn)
        uses_main = check_sendable("an argument", (list(args), dict(kwargs))) or uses_main
        uses_main = uses_main or target.startswith("__main__:")
        if uses_main:
            check_main_guard("compare(processes=N)")
    except NotSendable as error:
        raise CompareError(f"processes=: {error}") from None
    return compare_isolated(
        [target],
        settings=replace(settings, modes=tuple(modes)),
        values=(list(args), dict(kwargs), method),
        main=uses_main,
        label=label or target.rpartition(":")[2],
        progress=progress,
    )
