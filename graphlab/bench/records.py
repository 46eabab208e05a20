"""Benchmark records: a Comparison of functions x modes, its rows (a Measurement of one
callable, in :mod:`graphlab.bench.records_rows`, re-exported here) and their schemas.

Records hold raw data (seconds inside; ``_ms``/``_us`` suffixes in JSON); every figure
is derived once per row by pure functions (:mod:`graphlab.bench.figures`, over
:mod:`graphlab.bench.stats` and :mod:`graphlab.bench.pairing`), so a reloaded record
gives the same figures. They never import TensorFlow and never know how they are shown
(``str()`` and Jupyter ask :mod:`graphlab._display`, where :mod:`graphlab.bench.render`
registers itself).

Schema history of the JSON written from these records:

* ``graphlab.comparison/1`` (2026-11-26): first version. Rows carry their raw
  per-block times (``block_times_s``, ``block_calls``) so that a saved run can be
  reloaded exactly and compared with significance tests.
* ``graphlab.comparison/2`` (2026-11-30): a failed row carries every key an ok row
  has (null, empty or 0 where there is no measurement) instead of a subset. Files of
  version 1 still load.
* ``graphlab.comparison/3`` (2026-11-30): modes timed interleaved. Rows carry each
  block's round and worker process (``block_rounds``, ``block_processes``) and the
  speedup's basis: ``pairs``, ``processes``, ``schedule``, ``unstable`` (its reason in
  the notes); the document its ``processes``. Versions 1 and 2 still load. Since
  2026-11-30 (issue 12) rows measured with ``--profile`` also carry the keys of
  :class:`graphlab.profiling.records.RowProfile` (absent otherwise); since 2026-11-30
  (issue 14) rows of a training step under a distribution strategy carry the keys of
  :class:`graphlab.distributed.records.Placement` (absent otherwise), and rows of
  ``bench --python LABEL=PATH`` carry ``environment`` (the label) and
  ``time_vs_baseline``, and ``metadata.environments`` maps labels to TensorFlow versions.
* ``graphlab.rundiff/1`` (2026-11-26): ``compare-runs --format json``; its records
  and history are in :mod:`graphlab.bench.records_runs`.
* ``graphlab.pytest/1`` (2026-11-27): the plugin's table in pytest-benchmark's JSON;
  since 2026-11-30 (issue 10) interleaved tests' rows also carry ``{mode}_speedup_ci``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from graphlab import _display, _schema
from graphlab.bench import figures as _figures
from graphlab.bench.frame import flat_rows
from graphlab.bench.pairing import PairedSpeedup
from graphlab.bench.records_rows import (  # noqa: F401  (the rows, re-exported)
    NO_MEASUREMENT,
    OVERHEAD_FACTOR,
    ComparisonRow,
    Measurement,
    OverheadFloor,
)
from graphlab.distributed.records import Placement

COMPARISON_SCHEMA = "graphlab.comparison/3"
#: Every comparison schema this graphlab reads.
COMPARISON_SCHEMAS = ("graphlab.comparison/1", "graphlab.comparison/2", COMPARISON_SCHEMA)
#: The plugin's table in pytest-benchmark's JSON (under the ``graphlab`` key).
PYTEST_SCHEMA = "graphlab.pytest/1"


@dataclass(frozen=True, slots=True)
class Comparison:
    """Rows of function x mode, with what a reader needs to judge them.

    Attributes:
        rows: One per function and mode, in the order measured.
        tensorflow: TensorFlow version.
        floor: The dispatch-overhead floor of this run (None if not measured).
        metadata: Device, threads, Python, platform, graphlab version, date.
        reference_mode: The mode speedups are relative to.
    """

    rows: tuple[ComparisonRow, ...]
    tensorflow: str = ""
    floor: OverheadFloor | None = None
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    reference_mode: str = "eager"

    # -- derived ------------------------------------------------------------
    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.function for row in self.rows))

    @property
    def all_failed(self) -> bool:
        return bool(self.rows) and not any(row.ok for row in self.rows)

    def row(self, function: str, mode: str, env: str | None = None) -> ComparisonRow | None:
        """The row of ``function`` in ``mode`` (of environment ``env``; None: any)."""
        return _figures.find(self.rows, function, mode, env)

    @property
    def processes(self) -> int:
        """Worker processes the measurements came from (1: this one)."""
        return max((r.measurement.processes for r in self.rows if r.measurement), default=1)

    def figures(self) -> tuple[_figures.RowFigures, ...]:
        """Every row's derived figures (:mod:`graphlab.bench.figures`), in row order:
        what the JSON, the tables and ``to_frame`` show. Computed on each call: a
        renderer calls it once and reads the records."""
        return _figures.compute(self.rows, self.reference_mode, self.floor, self.metadata)

    def figures_of(self, row: ComparisonRow) -> _figures.RowFigures:
        """The derived figures of one row (it need not be one of :attr:`rows`: it is
        compared with their reference row)."""
        return _figures.of_row(self.rows, row, self.reference_mode, self.floor, self.metadata)

    def reference(self, row: ComparisonRow) -> ComparisonRow | None:
        """The eager row of the same function (and environment), when it ran (and is not
        ``row``)."""
        return _figures.reference_row(self.rows, row, self.reference_mode)

    def paired(self, row: ComparisonRow) -> PairedSpeedup | None:
        """The speedup of ``row`` from rounds timed next to the reference's
        (:mod:`graphlab.bench.pairing`); None when the two were not interleaved."""
        return self.figures_of(row).paired

    def speedup(self, row: ComparisonRow) -> float | None:
        """How many times faster than eager ``row`` runs (> 1: faster): the median of
        paired rounds' ratios when interleaved, else median eager / median of ``row``."""
        return self.figures_of(row).speedup

    def speedup_ci(self, row: ComparisonRow) -> tuple[float, float] | None:
        return self.figures_of(row).interval

    def unstable(self, row: ComparisonRow) -> str:
        """Why ``row``'s speedup cannot be trusted (drift, processes that disagree);
        empty when it can or when it was not interleaved."""
        return self.figures_of(row).unstable

    def break_even(self, row: ComparisonRow) -> int | None:
        """Calls after which ``row`` has paid back its first-call cost against eager."""
        return self.figures_of(row).break_even

    def dominated_by_overhead(self, row: ComparisonRow) -> bool:
        return self.figures_of(row).dominated_by_overhead

    def notes(self, row: ComparisonRow) -> tuple[str, ...]:
        """Everything a reader must know about a row, most serious first."""
        return self.figures_of(row).notes

    # -- conversions --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``graphlab.comparison/3``)."""
        return self._to_dict(self.figures())

    def _to_dict(self, figures: tuple[_figures.RowFigures, ...]) -> dict[str, Any]:
        return {
            "schema": COMPARISON_SCHEMA,
            "tensorflow": self.tensorflow,
            "reference_mode": self.reference_mode,
            "processes": self.processes,
            "metadata": dict(self.metadata),
            "floor": None if self.floor is None else self.floor.to_dict(),
            "rows": [_row_dict(f) for f in figures],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        """Load a saved comparison; every ``graphlab.comparison/<=3`` file loads."""
        _schema.check(data, COMPARISON_SCHEMAS, "comparison", _schema.COMPARISON)
        if not isinstance(data.get("rows"), list):
            raise ValueError("its 'rows' must be a list of rows")
        rows = []
        for item in data["rows"]:
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("function", "mode")
            ):
                raise ValueError(f"a row must be an object with function and mode, got {item!r}")
            measurement = None
            if item.get("block_times_s"):
                measurement = Measurement.from_dict(
                    {**item, "label": f"{item['function']}/{item['mode']}"}
                )
            rows.append(
                ComparisonRow(
                    function=item["function"],
                    mode=item["mode"],
                    measurement=measurement,
                    error=item.get("error", "") or ("" if measurement else "no data"),
                    parity=item.get("parity", ""),
                    parity_ok=item.get("parity_ok"),
                    placement=Placement.from_dict(item),
                    environment=item.get("environment") or "",
                )
            )
        floor_data = data.get("floor")
        floor = OverheadFloor.from_dict(floor_data) if floor_data else None
        return cls(
            rows=tuple(rows),
            tensorflow=data.get("tensorflow", ""),
            floor=floor,
            metadata=dict(data.get("metadata", {})),
            reference_mode=data.get("reference_mode", "eager"),
        )

    def flat_rows(self) -> list[dict[str, Any]]:
        """One flat dict per row: the columns of :meth:`to_frame` and of the CSV."""
        figures = self.figures()
        rows = self._to_dict(figures)["rows"]
        return flat_rows(figures, rows, self.metadata)

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per function x mode (columns of :meth:`flat_rows`)."""
        import pandas as pd

        return pd.DataFrame(self.flat_rows())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    __renderer__ = "graphlab.bench.render"  # imported when first shown

    def _repr_html_(self) -> str:
        return _display.render(self, "html")

    def __str__(self) -> str:
        return _display.render(self, "text")


def _row_dict(figures: _figures.RowFigures) -> dict[str, Any]:
    """A row's JSON: its measurement (or the keys of one, empty) and its figures."""
    row, m = figures.row, figures.row.measurement
    data: dict[str, Any] = {"function": row.function, "mode": row.mode}
    if row.environment:
        data["environment"] = row.environment
        ratio = figures.time_ratio
        data["time_vs_baseline"] = ratio.to_dict() if ratio is not None else None
    if m is not None:
        data.update(m.to_dict())
        del data["label"]
    else:
        data.update(NO_MEASUREMENT)
    data["speedup_vs_eager"] = figures.speedup
    data["speedup_ci"] = list(figures.interval) if figures.interval else None
    data["schedule"] = figures.schedule
    data["pairs"] = figures.pairs
    data["processes"] = figures.processes
    data["unstable"] = bool(figures.unstable)
    data["break_even_calls"] = figures.break_even
    data["dominated_by_overhead"] = figures.dominated_by_overhead
    data["parity"] = row.parity
    data["parity_ok"] = row.parity_ok
    data["error"] = row.error
    data["notes"] = list(figures.notes)
    data.update(row.placement.to_dict() if row.placement is not None else {})
    return data


def combine(*comparisons: Comparison) -> Comparison:
    """One table from several comparisons (e.g. one function on two inputs). The floor
    and metadata of the first are kept."""
    if not comparisons:
        raise ValueError("combine needs at least one Comparison")
    first = comparisons[0]
    return Comparison(
        rows=tuple(row for c in comparisons for row in c.rows),
        tensorflow=first.tensorflow,
        floor=first.floor,
        metadata=first.metadata,
        reference_mode=first.reference_mode,
    )
