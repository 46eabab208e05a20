"""Records of merged trace reports (``graphlab merge-traces``, :func:`graphlab.merge_traces`):
the workers, every function's traces per rank, and the functions whose traces differ
between ranks (:func:`divergence`, derived again on load, never stored as truth).

Pure data, no TensorFlow; merging is :mod:`graphlab.tracing.merge`, showing them
:mod:`graphlab.tracing.render_merge` (named by ``MergedTraces.__renderer__``).

Schema history (the JSON written from :class:`MergedTraces`):

* ``graphlab.merged_traces/1`` (2026-11-30): first version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graphlab import _display, _schema
from graphlab._text import plural

MERGED_TRACES_SCHEMA = "graphlab.merged_traces/1"


@dataclass(frozen=True, slots=True)
class WorkerSource:
    """One merged report: which worker recorded it.

    Attributes:
        rank: The worker's rank (from its report, or its place in the file list).
        source: Where the report came from (its file name).
        tensorflow: The TensorFlow version that recorded it.
        task: ``worker:1`` as ``TF_CONFIG`` named it, or "".
        traces: Traces of the user's functions on this rank (TensorFlow-internal ones
            left out).
    """

    rank: int
    source: str
    tensorflow: str
    task: str = ""
    traces: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "source": self.source,
            "tensorflow": self.tensorflow,
            "task": self.task or None,
            "traces": self.traces,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkerSource:
        return cls(
            rank=int(data["rank"]),
            source=data.get("source", ""),
            tensorflow=data.get("tensorflow", ""),
            task=data.get("task") or "",
            traces=int(data.get("traces", 0)),
        )


@dataclass(frozen=True, slots=True)
class RankTraces:
    """One function's traces on one rank.

    Attributes:
        rank: The worker.
        traces: Every trace seen, folded ones included.
        actionable_retraces: Traces the worker could have avoided.
        total_tracing: Seconds spent tracing.
        causes: Each recorded trace's reason, in order (``x changed shape (4,) -> (5,)``).
        cause_keys: The same traces' causes without values, which ranks compare:
            ``new_input_type(x:shape)``.
        folded: Traces dropped from ``causes`` by the recorder's per-function cap.
    """

    rank: int
    traces: int
    actionable_retraces: int = 0
    total_tracing: float = 0.0
    causes: tuple[str, ...] = ()
    cause_keys: tuple[str, ...] = ()
    folded: int = 0

    def __post_init__(self) -> None:
        if len(self.causes) != len(self.cause_keys):
            raise ValueError("RankTraces.causes and cause_keys must be of the same length")

    def to_dict(self) -> dict[str, Any]:
        return {
            "traces": self.traces,
            "actionable_retraces": self.actionable_retraces,
            "total_tracing_ms": round(self.total_tracing * 1e3, 4),
            "causes": list(self.causes),
            "cause_keys": list(self.cause_keys),
            "folded": self.folded,
        }

    @classmethod
    def from_dict(cls, rank: int, data: dict[str, Any]) -> RankTraces:
        return cls(
            rank=rank,
            traces=int(data["traces"]),
            actionable_retraces=int(data.get("actionable_retraces", 0)),
            total_tracing=float(data.get("total_tracing_ms", 0.0)) / 1e3,
            causes=tuple(data.get("causes", ())),
            cause_keys=tuple(data.get("cause_keys", ())),
            folded=int(data.get("folded", 0)),
        )


@dataclass(frozen=True, slots=True)
class MergedFunction:
    """One function over every rank it traced on.

    Attributes:
        function: Its name as reports show it.
        qualname: Qualified name (with the Keras role).
        defined_at: ``file:line`` as the first rank recorded it.
        internal: A function TensorFlow traced for itself (tf.data, initializers).
        ranks: Its traces per rank, in rank order; a rank where it never traced is absent.
    """

    function: str
    qualname: str
    defined_at: str
    internal: bool
    ranks: tuple[RankTraces, ...]

    def on(self, rank: int) -> RankTraces | None:
        """Its traces on ``rank``, or None when it did not trace there."""
        return next((r for r in self.ranks if r.rank == rank), None)

    def traces_by_rank(self, ranks: Iterable[int]) -> dict[int, int]:
        """Traces on each of ``ranks`` (0 where it never traced)."""
        return {rank: (found.traces if (found := self.on(rank)) else 0) for rank in ranks}

    def to_dict(self, ranks: Sequence[int]) -> dict[str, Any]:
        return {
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "internal": self.internal,
            "traces_by_rank": {str(r): n for r, n in self.traces_by_rank(ranks).items()},
            "by_rank": {str(r.rank): r.to_dict() for r in self.ranks},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MergedFunction:
        return cls(
            function=data["function"],
            qualname=data.get("qualname", data["function"]),
            defined_at=data.get("defined_at", "?"),
            internal=bool(data.get("internal", False)),
            ranks=tuple(
                sorted(
                    (RankTraces.from_dict(int(r), d) for r, d in data.get("by_rank", {}).items()),
                    key=lambda r: r.rank,
                )
            ),
        )


@dataclass(frozen=True, slots=True)
class Divergence:
    """A function whose traces differ between ranks (derived, never stored).

    Attributes:
        function: Its name.
        qualname: Qualified name.
        defined_at: ``file:line``.
        traces_by_rank: Traces on every rank (0 where it never traced).
        differs: ``count`` (ranks traced it a different number of times) or ``causes``
            (as often, for different reasons).
        extra_causes: Per rank, the reasons of its traces that not every rank had.
    """

    function: str
    qualname: str
    defined_at: str
    traces_by_rank: dict[int, int]
    differs: str
    extra_causes: dict[int, tuple[str, ...]]

    @property
    def message(self) -> str:
        """``step (train.py:5): 1 trace on rank 0, 2 traces on rank 1``."""
        by_count: dict[int, list[int]] = {}
        for rank, count in self.traces_by_rank.items():
            by_count.setdefault(count, []).append(rank)
        parts = [f"{plural(n, 'trace')} on {ranks_text(r)}" for n, r in sorted(by_count.items())]
        if self.differs == "causes":
            parts.append("for different reasons")
        return f"{self.function} ({self.defined_at}): {', '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "qualname": self.qualname,
            "defined_at": self.defined_at,
            "traces_by_rank": {str(r): n for r, n in self.traces_by_rank.items()},
            "differs": self.differs,
            "extra_causes_by_rank": {str(r): list(c) for r, c in self.extra_causes.items()},
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class MergedTraces:
    """Trace reports of several workers, side by side.

    Attributes:
        workers: One per merged report, in rank order.
        functions: Every function that traced on some rank, in order of first trace
            (rank 0's first).
        ranks_from_file_order: The reports had no ranks; they were numbered in the
            order they were given.
    """

    workers: tuple[WorkerSource, ...]
    functions: tuple[MergedFunction, ...]
    ranks_from_file_order: bool = False

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(w.rank for w in self.workers)

    @property
    def divergent(self) -> tuple[Divergence, ...]:
        """The user's functions whose traces differ between ranks."""
        found = (divergence(f, self.ranks) for f in self.functions if not f.internal)
        return tuple(d for d in found if d is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": MERGED_TRACES_SCHEMA,
            "ranks": list(self.ranks),
            "ranks_from_file_order": self.ranks_from_file_order,
            "workers": [w.to_dict() for w in self.workers],
            "functions": [f.to_dict(self.ranks) for f in self.functions],
            "divergent": [d.to_dict() for d in self.divergent],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MergedTraces:
        """Load a saved merge (``merge-traces --format json``); ``divergent`` is derived
        again from the functions."""
        _schema.check(data, (MERGED_TRACES_SCHEMA,), "merged trace report", _schema.MERGED_TRACES)
        return cls(
            workers=tuple(WorkerSource.from_dict(w) for w in data["workers"]),
            functions=tuple(MergedFunction.from_dict(f) for f in data["functions"]),
            ranks_from_file_order=bool(data.get("ranks_from_file_order", False)),
        )

    __renderer__ = "graphlab.tracing.render_merge"  # imported when first shown

    def _repr_html_(self) -> str:
        return _display.render(self, "html")

    def __str__(self) -> str:
        return _display.render(self, "text")


def divergence(function: MergedFunction, ranks: Sequence[int]) -> Divergence | None:
    """How ``function``'s traces differ between ``ranks``; None when they agree."""
    counts = function.traces_by_rank(ranks)
    keys = {
        rank: Counter(r.cause_keys) if (r := function.on(rank)) else Counter() for rank in ranks
    }
    if len(set(counts.values())) > 1:
        differs = "count"
    elif any(keys[rank] != keys[ranks[0]] for rank in ranks):
        differs = "causes"
    else:
        return None
    common = _common(list(keys.values()))
    extra: dict[int, tuple[str, ...]] = {}
    for rank in ranks:
        found = function.on(rank)
        if found is None:
            continue
        left = Counter(common)
        mine = []
        for text, key in zip(found.causes, found.cause_keys):
            if left[key] > 0:
                left[key] -= 1
            else:
                mine.append(text)
        if mine:
            extra[rank] = tuple(mine)
    return Divergence(
        function.function, function.qualname, function.defined_at, counts, differs, extra
    )


def _common(counters: list[Counter[str]]) -> Counter[str]:
    common = counters[0].copy()
    for counter in counters[1:]:
        common &= counter
    return common


def ranks_text(ranks: Sequence[int]) -> str:
    """``rank 1``, ``ranks 0, 2-5``: runs of ranks shortened."""
    ordered = sorted(ranks)
    runs: list[list[int]] = []
    for rank in ordered:
        if runs and rank == runs[-1][-1] + 1:
            runs[-1].append(rank)
        else:
            runs.append([rank])
    parts: list[str] = []
    for run in runs:
        parts += [f"{run[0]}-{run[-1]}"] if len(run) > 2 else [str(r) for r in run]
    text = ", ".join(parts)
    return f"{'rank' if len(ordered) == 1 else 'ranks'} {text}"
