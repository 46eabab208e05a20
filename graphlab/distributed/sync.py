"""Workers of one ``MultiWorkerMirroredStrategy`` agree on every decision of the timing
loop.

Each step all-reduces its gradients across the workers, so they must run the same
steps: a worker that calibrates more calls per block, or stops a round earlier, leaves
the others waiting in a collective forever. :class:`Workers` gives
:func:`graphlab.bench.schedule.interleave` one primitive, a sum across workers (one
small all-reduce, ~10-20 ms on loopback here), from which it builds a barrier before
every timed block and the chief's decisions (calls per block, when to stop, which
mode failed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

#: ``strategy=`` value that builds a MultiWorkerMirroredStrategy from ``TF_CONFIG``.
MULTI_WORKER = "multi_worker"


class ClusterError(ValueError):
    """The cluster is not configured; the message says how to configure it."""


def multi_worker_strategy() -> Any:
    """A ``MultiWorkerMirroredStrategy`` over the cluster ``TF_CONFIG`` names, used as
    it is (a worker a user launched on a real cluster, or one of graphlab's own)."""
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        raise ClusterError(
            "strategy='multi_worker' reads the cluster from the TF_CONFIG environment "
            "variable, which is not set: set it in every worker (see the docs' recipe for "
            "N machines), or pass workers=N to start N local workers"
        )
    try:
        config = json.loads(text)
        workers = config["cluster"].get("worker", []) + config["cluster"].get("chief", [])
        if not isinstance(workers, list):  # two strings would join into one
            raise TypeError("cluster")
        if not {"type", "index"} <= set(config["task"]):
            raise KeyError("task")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise ClusterError(
            'TF_CONFIG must be JSON like {"cluster": {"worker": ["host1:port", '
            '"host2:port"]}, "task": {"type": "worker", "index": 0}}, got ' + repr(text[:200])
        ) from None
    if not workers:
        raise ClusterError("TF_CONFIG names no worker: its cluster needs a 'worker' list")
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:
        if "startup" not in str(error):
            raise
        raise ClusterError(
            "a multi-worker strategy must be created before TensorFlow runs its first op "
            "in this process: call bench_training_step(strategy='multi_worker') before "
            "any other TensorFlow work, or create "
            "tf.distribute.MultiWorkerMirroredStrategy() at the top of your script and "
            "pass it as strategy="
        ) from None


def is_multi_worker(strategy: Any) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def strategy_name(strategy: Any) -> str:
    """The public name (MultiWorkerMirroredStrategy is CollectiveAllReduceStrategy inside)."""
    return "MultiWorkerMirroredStrategy" if is_multi_worker(strategy) else type(strategy).__name__


class Workers:
    """The workers of one multi-worker strategy, as the timing loop sees them.

    Attributes:
        rank: 0 for the chief (the ``chief`` task, else worker 0), then the workers in
            order.
        count: Workers in the cluster (chief included).
    """

    def __init__(self, strategy: Any) -> None:
        self.strategy = strategy
        resolver = strategy.cluster_resolver
        cluster = resolver.cluster_spec().as_dict()
        chiefs = len(cluster.get("chief", []))
        self.count = chiefs + len(cluster.get("worker", []))
        task_type, task_id = resolver.task_type, int(resolver.task_id or 0)
        self.rank = 0 if task_type == "chief" else chiefs + task_id

    def all_sum(self, values: Sequence[float]) -> list[float]:
        """Element-wise sum of every worker's ``values`` (waits for all workers)."""
        numbers = [float(v) for v in values]
        per_replica = self.strategy.run(lambda: tf.constant(numbers, tf.float64))
        total = self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
        # one replica per worker; with more local devices each worker counts once each
        local = self.strategy.num_replicas_in_sync // self.count
        return [float(v) / max(local, 1) for v in total.numpy()]

    def any(self, flag: bool) -> bool:
        """True in every worker when ``flag`` is True in any."""
        return self.all_sum([float(flag)])[0] > 0

    def gather(self, values: Sequence[float]) -> list[list[float]]:
        """Every worker's ``values``, by rank (each worker the same table)."""
        mine = [0.0] * (len(values) * self.count)
        mine[self.rank * len(values) : (self.rank + 1) * len(values)] = [float(v) for v in values]
        flat = self.all_sum(mine)
        return [flat[r * len(values) : (r + 1) * len(values)] for r in range(self.count)]


def coordinator_for(strategy: Any) -> Workers | None:
    """The workers to agree with under ``strategy``; None when it runs in one process."""
    return Workers(strategy) if is_multi_worker(strategy) else None


def placed(rows: Sequence[Any], strategy: Any, workers: Workers | None) -> list[Any]:
    """``rows`` with where they ran; under a multi-worker strategy every worker's median
    step time, gathered from all workers (each worker calls this once)."""
    import dataclasses

    from graphlab.distributed.records import Placement

    medians: list[list[float]] = []
    if workers is not None:
        mine = [row.measurement.median if row.measurement is not None else 0.0 for row in rows]
        medians = workers.gather(mine)
    placed_rows = []
    for index, row in enumerate(rows):
        by_rank = tuple(medians[rank][index] for rank in range(len(medians)))
        placement = Placement(
            workers.count if workers is not None else 1,
            strategy.num_replicas_in_sync,
            strategy_name(strategy),
            by_rank if all(t > 0 for t in by_rank) else (),
        )
        placed_rows.append(dataclasses.replace(row, placement=placement))
    return placed_rows
