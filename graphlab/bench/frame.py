"""The flat columns of a comparison (``Comparison.flat_rows``, ``to_frame``, CSV).

One flat dict per row: the JSON row's measurement, the row's derived figures
(:class:`~graphlab.bench.figures.RowFigures`), peak memory, and for training steps
per-step names and throughput.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphlab import _memory
from graphlab.bench.figures import RowFigures
from graphlab.distributed.records import Placement


def flat_rows(
    figures: Sequence[RowFigures], rows: Sequence[dict[str, Any]], metadata: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One flat dict per row from each row's figures and its JSON (``rows``, from
    ``Comparison.to_dict``); ``metadata`` is the comparison's."""
    training = metadata.get("unit") == "training step"
    placed = training and any(f.row.placement is not None for f in figures)
    flat = []
    for row_figures, data in zip(figures, rows):
        columns = flat_row(row_figures, data)
        if training:
            columns.update(_training_columns(row_figures, data, metadata))
            if placed:
                columns.update(_placement_columns(row_figures))
        flat.append(columns)
    return flat


def flat_row(figures: RowFigures, data: dict[str, Any]) -> dict[str, Any]:
    """The columns every row has."""
    row = figures.row
    low, high = figures.interval or (None, None)
    return {
        "function": row.function,
        **({"environment": row.environment} if row.environment else {}),
        "mode": row.mode,
        "first_call_ms": data.get("first_call_ms"),
        "second_call_ms": data.get("second_call_ms"),
        "tracing_ms": data.get("tracing_ms"),
        "median_us": data.get("median_us"),
        "iqr_us": data.get("iqr_us"),
        "min_us": data.get("min_us"),
        "mean_us": data.get("mean_us"),
        "ci_low_us": data.get("ci_low_us"),
        "ci_high_us": data.get("ci_high_us"),
        "rounds": data.get("rounds"),
        "calls_per_block": data.get("calls_per_block"),
        "speedup_vs_eager": figures.speedup,
        "speedup_ci_low": low,
        "speedup_ci_high": high,
        "pairs": figures.pairs,
        "processes": figures.processes,
        "unstable": bool(figures.unstable),
        "break_even_calls": figures.break_even,
        "retraces": data.get("retraces"),
        "op_count": data.get("op_count"),
        "parity": row.parity,
        "error": row.error,
        "notes": "; ".join(figures.notes),
        "peak_rss_mb": figures.peak.rss_increase_mb,
        "peak_rss_how": figures.peak.how or None,
    }


def _placement_columns(figures: RowFigures) -> dict[str, Any]:
    """Workers, replicas, the spread across workers and the scaling efficiency (a row
    without a placement ran on one device in one process)."""
    placement = figures.row.placement or Placement(1, 1)
    return {
        "workers": placement.workers,
        "replicas": placement.replicas,
        "strategy": placement.strategy,
        "worker_spread": placement.spread,
        "scaling_efficiency": figures.scaling_efficiency,
    }


def _training_columns(
    figures: RowFigures, data: dict[str, Any], metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """Per-step names and throughput for :func:`graphlab.bench_training_step`."""
    median_us = data.get("median_us")
    steps_per_s = 1e6 / median_us if median_us else None
    batch = int(metadata.get("batch_size", "0") or 0)
    peak = figures.peak.gpu
    if peak is None and figures.row.measurement is not None:
        shared = metadata.get("peak_memory_bytes")  # older runs: one figure for all modes
        peak = int(shared) if shared else None
    return {
        "first_step_ms": data.get("first_call_ms"),
        "median_step_us": median_us,
        "steps_per_s": steps_per_s,
        "examples_per_s": steps_per_s * batch if steps_per_s else None,
        "peak_memory_mb": peak / _memory.MB if peak is not None else None,
    }
