"""Where a training-step row ran: workers, replicas, and how far the workers' step
times spread.

A :class:`Placement` rides on a :class:`~graphlab.bench.records.ComparisonRow` of
``graphlab.comparison/3``: since 2026-11-30 (issue 14) rows measured under a
distribution strategy carry ``workers``, ``replicas``, ``strategy`` and
``worker_median_us`` (absent otherwise; files without them load as before). Seconds
inside, ``_us`` in JSON; no TensorFlow.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: The JSON keys a placement adds to a comparison row.
KEYS = ("workers", "replicas", "strategy", "worker_median_us")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one row's steps ran.

    Attributes:
        workers: Processes that ran the step together (1: one process).
        replicas: Replicas in sync (devices over all workers); each step's global batch
            is split over them.
        strategy: The ``tf.distribute`` strategy's class name; empty for one device.
        worker_medians: Each worker's median step time, by rank (seconds); the row's
            own timing is the chief's (rank 0). Empty for one process.
    """

    workers: int
    replicas: int
    strategy: str = ""
    worker_medians: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.workers < 1 or self.replicas < 1:
            raise ValueError(
                f"a Placement needs workers >= 1 and replicas >= 1, got "
                f"{self.workers} and {self.replicas}"
            )
        if self.worker_medians and len(self.worker_medians) != self.workers:
            raise ValueError("worker_medians must be empty or hold one median per worker")

    @property
    def spread(self) -> float | None:
        """(slowest - fastest) / median of the workers' median step times; None for
        one worker. Workers of one all-reduce wait for each other, so a large spread
        means some time the step was measured differently (startup, a busy core)."""
        if len(self.worker_medians) < 2:
            return None
        middle = statistics.median(self.worker_medians)
        spread = max(self.worker_medians) - min(self.worker_medians)
        return spread / middle if middle > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "replicas": self.replicas,
            "strategy": self.strategy,
            "worker_median_us": [t * 1e6 for t in self.worker_medians],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Placement | None:
        """The placement of a JSON row; None when the row has none (older files)."""
        if data.get("workers") is None:
            return None
        medians = tuple(float(t) / 1e6 for t in data.get("worker_median_us") or ())
        if not all(math.isfinite(t) and t > 0 for t in medians):
            raise ValueError("worker_median_us must be finite microseconds > 0")
        return cls(
            int(data["workers"]),
            int(data["replicas"]),
            str(data.get("strategy") or ""),
            medians,
        )


def scaling_efficiency(rows: Sequence[Any], row: Any) -> float | None:
    """Step throughput of ``row`` over (replicas x that of the same mode on one device),
    at the same global batch: 1.0 is perfect scaling (each replica's share of the batch
    takes 1/replicas of the one-device step). ``rows`` are the comparison's rows. None
    without a one-device row of the same mode, for that row itself, or for a failed row.
    """
    placement = row.placement
    if placement is None or placement.replicas == 1 or row.measurement is None:
        return None
    single = next(
        (
            other
            for other in rows
            if other.mode == row.mode
            and other.measurement is not None
            and other.placement is not None
            and other.placement.replicas == other.placement.workers == 1
        ),
        None,
    )
    if single is None or row.measurement.median <= 0:
        return None
    return single.measurement.median / (placement.replicas * row.measurement.median)


def placement_notes(rows: Sequence[Any], row: Any) -> tuple[str, ...]:
    """What a reader of a distributed row must know: the spread across workers and the
    scaling efficiency."""
    placement = row.placement
    if placement is None or row.measurement is None:
        return ()
    notes = []
    efficiency = scaling_efficiency(rows, row)
    if efficiency is not None:
        notes.append(f"scaling efficiency {efficiency:.0%} of {placement.replicas}x one device")
    spread = placement.spread
    if spread is not None:
        notes.append(f"workers' medians spread {spread:.0%} (row: the chief's)")
    return tuple(notes)
