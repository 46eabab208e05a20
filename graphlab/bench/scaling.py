"""The scaling table of ``bench_training_step(workers=N)``: one device, a
``MirroredStrategy`` over N devices in one process, and N worker processes under
``MultiWorkerMirroredStrategy``, each layout in fresh processes, one after the other.

Factories travel to the workers by pickle, that is by name: module-level functions (a
script's own included, imported there without running its ``__main__`` block), or
``"module:function"`` texts. Lambdas, nested functions and a notebook's functions
cannot; the error says what to do instead.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Callable, Sequence
from typing import Any

from graphlab._workers.parent import WorkerError, Workers, check_not_in_worker
from graphlab._workers.sendable import NotSendable, check_main_guard, check_sendable
from graphlab.bench.isolate import pool_rows
from graphlab.bench.progress import say
from graphlab.bench.records import Comparison, ComparisonRow
from graphlab.bench.settings import MAX_WORKERS, TrainingSettings, check_count
from graphlab.distributed import cluster
from graphlab.distributed.records import Placement

LAYOUTS = ("single", "mirrored", "multi_worker")

#: The task a worker process runs, named by string (not imported: the worker task
#: imports this module's callers).
TRAIN = "graphlab.bench.worker_task:train"


class LayoutError(ValueError):
    """Bad arguments of a multi-worker run; the message says what to do."""


def label(layout: str, workers: int) -> str:
    """The function column of a layout's rows."""
    return {
        "single": "1 device",
        "mirrored": f"{workers} devices",
        "multi_worker": f"{workers} workers",
    }[layout]


def bench_workers(
    workers: int,
    factories: dict[str, Any],
    data: tuple[Any, Any],
    batch_size: int,
    modes: Sequence[str],
    metrics: Any,
    settings: TrainingSettings,
    *,
    layouts: Sequence[str] = LAYOUTS,
    progress: Callable[[str], None] | None = None,
    validate: Callable[..., Any] | None = None,
    unsupported: Sequence[str] = (),
    called_as: str = "workers=N",
) -> Comparison:
    """Measure the scaling table; see :func:`graphlab.bench_training_step`. With
    ``processes`` > 1 every layout runs that many times, each in fresh processes, and
    its rows pool the blocks of all runs (tagged by run, as ``--processes`` does).
    ``called_as``: the argument the user gave, for messages (``processes=N``)."""
    layouts = _check(workers, layouts, batch_size, unsupported, called_as)
    processes, timeout = settings.processes, settings.worker_timeout(len(modes))
    uses_main = False
    for name, value in {**factories, "metrics": metrics}.items():
        try:
            uses_main = check_sendable(name, value) or uses_main
        except NotSendable as error:
            raise LayoutError(str(error)) from None
    if uses_main:
        try:
            check_main_guard(f"bench_training_step({called_as})")
        except NotSendable as error:
            raise LayoutError(str(error)) from None
    if validate is not None:  # bad factories or data: named here, before any process
        validate(
            *(_load(factories[n]) for n in ("model_fn", "optimizer_fn", "loss_fn")), _load(metrics)
        )
    job = {
        "factories": factories,
        "metrics": metrics,
        "data": data,
        "batch_size": batch_size,
        "modes": list(modes),
        "options": settings.step_options(),
    }
    gpu = _gpus() >= workers
    rows: list[ComparisonRow] = []
    metadata: dict[str, str] = {}
    tensorflow = ""
    with Workers() as pool:
        job_path = pool.path("job.pkl")
        with open(job_path, "wb") as handle:
            pickle.dump(job, handle, protocol=pickle.HIGHEST_PROTOCOL)
        for layout in layouts:
            name = label(layout, workers)
            placement = _placement(layout, workers)
            count = workers if layout == "multi_worker" else 1
            runs: list[Comparison] = []
            error: WorkerError | None = None
            for index in range(processes):
                which = f" (run {index + 1} of {processes})" if processes > 1 else ""
                say(progress, f"{name}: starting {count} process(es){which} ...")
                payload = {"layout": layout, "devices": workers, "gpu": gpu, "job": job_path}
                children = [
                    pool.start(
                        TRAIN,
                        payload,
                        name=f"{layout}-{index}-{rank}",
                        rank=rank,
                        env=env,
                        main=uses_main,
                        timeout=timeout,
                    )
                    for rank, env in enumerate(_envs(layout, workers, gpu))
                ]
                try:
                    pool.wait(children, timeout)
                except WorkerError as failed:
                    error = failed
                    say(progress, f"{name}: failed: {str(failed).splitlines()[0]}")
                    continue
                runs.append(Comparison.from_dict(json.loads(children[0].result_text())))
            if not runs:
                rows += [
                    ComparisonRow(name, m, None, error=str(error), placement=placement)
                    for m in modes
                ]
                continue
            tensorflow = tensorflow or runs[0].tensorflow
            if not metadata:
                metadata = _shared(runs[0].metadata)
            for row in _pooled(runs, processes):
                rows.append(
                    dataclasses.replace(row, function=name, placement=row.placement or placement)
                )
            say(progress, f"{name}: done")
    metadata = metadata or {"unit": "training step", "batch_size": str(batch_size)}
    metadata["layouts"] = ", ".join(label(layout, workers) for layout in layouts)
    metadata["device_kind"] = "GPU" if gpu else "CPU"
    return Comparison(tuple(rows), tensorflow, None, metadata)


def _pooled(runs: list[Comparison], processes: int) -> list[ComparisonRow]:
    """The rows of one layout: a run's own, or every run's blocks pooled per mode."""
    if len(runs) == 1 and processes == 1:
        return list(runs[0].rows)
    pooled = []
    for row in runs[0].rows:
        same = [run.row(row.function, row.mode) for run in runs]
        pooled.append(pool_rows(same) or row)  # keeps the first run's placement
    return pooled


def as_train_step(comparison: Comparison) -> Comparison:
    """The one-device rows of ``bench_training_step(processes=N)`` named as in-process
    rows (``train_step``), without the layout table's metadata."""
    rows = tuple(
        dataclasses.replace(row, function="train_step", placement=None) for row in comparison.rows
    )
    metadata = {k: v for k, v in comparison.metadata.items() if k not in ("layouts",)}
    return dataclasses.replace(comparison, rows=rows, metadata=metadata)


def _check(
    workers: Any,
    layouts: Sequence[str],
    batch_size: int,
    unsupported: Sequence[str],
    called_as: str = "workers=N",
) -> list[str]:
    try:
        check_not_in_worker(f"bench_training_step({called_as})")
    except WorkerError as error:
        raise LayoutError(str(error)) from None
    try:
        check_count("workers", workers, MAX_WORKERS)
    except ValueError as error:
        raise LayoutError(f"{error} (they run at once, on this machine)") from None
    if isinstance(layouts, str):
        layouts = [layouts]
    unknown = [layout for layout in layouts if layout not in LAYOUTS]
    if unknown or not layouts:
        raise LayoutError(f"layouts must be some of {', '.join(LAYOUTS)}, got {list(layouts)}")
    if batch_size % workers:
        raise LayoutError(f"batch_size {batch_size} does not split over {workers} workers")
    if unsupported:
        raise LayoutError(f"{', '.join(unsupported)} is not supported with {called_as}")
    return list(dict.fromkeys(layouts))


def _load(value: Any) -> Any:
    if isinstance(value, str):
        from graphlab import inputs

        try:
            return inputs.load_target(value)
        except inputs.InputError as error:
            raise LayoutError(str(error)) from None
    return value


def _gpus() -> int:
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def _envs(layout: str, workers: int, gpu: bool) -> list[dict[str, str]]:
    """Each process's environment: the cluster, and the devices it may see."""
    if layout != "multi_worker":
        visible = ",".join(map(str, range(workers if layout == "mirrored" else 1)))
        return [{"CUDA_VISIBLE_DEVICES": visible if gpu else ""}]
    ports = cluster.free_ports(workers)
    return [
        {
            "TF_CONFIG": cluster.tf_config(ports, rank),
            "CUDA_VISIBLE_DEVICES": str(rank) if gpu else "",
        }
        for rank in range(workers)
    ]


def _placement(layout: str, workers: int) -> Placement:
    if layout == "single":
        return Placement(1, 1)
    if layout == "mirrored":
        return Placement(1, workers, "MirroredStrategy")
    return Placement(workers, workers, "MultiWorkerMirroredStrategy")


def _shared(metadata: dict[str, str]) -> dict[str, str]:
    """The metadata every layout shares (not its strategy, replicas or rank)."""
    per_layout = ("strategy", "replicas", "per_replica_batch", "workers", "rank")
    return {k: v for k, v in metadata.items() if k not in per_layout}
