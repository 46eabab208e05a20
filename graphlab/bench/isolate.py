"""Isolation: every target x mode in fresh worker processes, aggregated as pyperf
does. Thread pools can be set once per process, and one mode's caches and allocator
state cannot leak into the next.

The parent never imports TensorFlow: workers (:mod:`graphlab.bench.worker`) measure
and hand back JSON and their first output; parity is checked here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from graphlab.bench import stats, worker
from graphlab.bench.modes import DEFAULT_MODES, CompareError
from graphlab.bench.parity import output_parity
from graphlab.bench.progress import Progress, progress_line, say
from graphlab.bench.records import Comparison, ComparisonRow, Measurement, OverheadFloor


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
    """Run every target x mode in ``processes`` fresh worker processes
    (:mod:`graphlab.bench.worker`) and aggregate them as pyperf does: the per-block
    values of all workers are pooled into one sample; first and second calls are the
    median over workers.

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
        parity = output_parity(rtol, atol)
        for target in targets:
            for mode in modes:
                say(progress, f"{target}/{mode}: {processes} worker process(es) ...")
                results, error = [], ""
                for index in range(processes):
                    out_dir = os.path.join(scratch, f"{len(rows)}-{index}")
                    os.makedirs(out_dir)
                    data, error = worker.run(
                        out_dir,
                        target=target,
                        mode=mode,
                        arg_texts=arg_texts,
                        kwarg_texts=kwarg_texts,
                        threads=threads,
                        max_time=max_time,
                        precision=precision,
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
                    output = worker.load_outputs(results[0][1])
                    if output is not None:
                        row = parity.apply(row, output)
                rows.append(row)
                say(progress, progress_line(row))
    floor = None
    if floors:
        floor = OverheadFloor(
            stats.median([f.function_call for f in floors]),
            stats.median([f.eager_op for f in floors]),
        )
    return Comparison(tuple(rows), tensorflow, floor, metadata)


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
