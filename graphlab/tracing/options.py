"""What a watch records: :class:`WatchOptions`, one frozen record for ``graphlab.watch``,
:class:`~graphlab.tracing.api.Watch`, ``graphlab watch`` and its runner.

``graphlab.watch(...)`` and ``Watch(...)`` keep their keyword arguments and build the
record; everything below them passes the one record. A new option is a field here (with
its check), a keyword of ``watch``/``Watch``, and, if the CLI offers it, a flag in
:mod:`graphlab.cli.watch` named in :data:`FLAGS`. How the report is written (``-o``,
``--format``, ``--include-internal``) stays in the CLI: only the CLI writes.

No TensorFlow: the CLI checks its flags with this before the user's program starts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: Events kept per function; older ones are folded into the summary's counters.
DEFAULT_MAX_EVENTS = 1000
#: Seconds between two resident-memory samples (``memory=True``).
DEFAULT_MEMORY_INTERVAL = 0.1
#: The range of ``memory_interval``: shorter keeps a core busy sampling, longer than an
#: hour samples nothing but the start and the end (and past ~9e9 s the thread's wait fails).
MEMORY_INTERVAL_RANGE = (0.001, 3600.0)

#: Field -> the ``graphlab watch`` flag that sets it (for messages that name the flag).
FLAGS = {
    "max_events_per_function": "--max-events",
    "keep_tf_warning": "--keep-tf-warning",
    "compiles": "--compiles",
    "memory": "--memory",
    "memory_interval": "--memory-interval",
    "rank": "--rank",
}


class OptionError(ValueError):
    """A watch option out of range: ``str()`` names the keyword (``memory_interval must
    be positive, got 0``); :meth:`for_flag` says the same of the CLI flag."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"{name} {problem}")
        self.name = name
        self.problem = problem

    def for_flag(self) -> str:
        return f"{FLAGS.get(self.name, self.name)} {self.problem}"


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """What a watch records, checked when made.

    Attributes:
        max_events_per_function: Trace events kept per function; older ones are folded
            into the function's counters.
        keep_tf_warning: Let TensorFlow's generic "N out of the last M calls triggered
            tf.function retracing" warning through (held back by default).
        compiles: Also record XLA compilations with TensorFlow's profiler.
        memory: Also sample resident memory and follow the graphs each trace keeps alive.
        memory_interval: Seconds between memory samples (with ``memory``).
        rank: The worker's rank for ``merge-traces``; None: from ``TF_CONFIG``.
    """

    max_events_per_function: int = DEFAULT_MAX_EVENTS
    keep_tf_warning: bool = False
    compiles: bool = False
    memory: bool = False
    memory_interval: float = DEFAULT_MEMORY_INTERVAL
    rank: int | None = None

    def __post_init__(self) -> None:
        events = self.max_events_per_function
        if isinstance(events, bool) or not isinstance(events, int) or events < 1:
            raise OptionError(
                "max_events_per_function",
                f"must be at least 1 (a whole number of events kept per function), got {events!r}",
            )
        for name in ("keep_tf_warning", "compiles", "memory"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise OptionError(name, f"must be True or False, got {value!r}")
        interval = self.memory_interval
        low, high = MEMORY_INTERVAL_RANGE
        if (
            isinstance(interval, bool)
            or not isinstance(interval, (int, float))
            or not low <= interval <= high  # NaN too
        ):
            raise OptionError(
                "memory_interval",
                f"must be from {low:g} to {high:g} (seconds between memory samples, e.g. 0.1), "
                f"got {interval!r}",
            )
        rank = self.rank
        if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or rank < 0):
            raise OptionError(
                "rank",
                f"must be a whole number >= 0 (0 for the chief), got {rank!r}; leave it out "
                "to take the rank from TF_CONFIG",
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WatchOptions:
        """The options ``to_dict`` wrote; an unknown key is refused with the known ones."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(
                f"unknown watch option(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(known)}"
            )
        return cls(**data)
