"""The flat columns of a comparison (``Comparison.flat_rows``, ``to_frame``, CSV).

One flat dict per row: the JSON row's figures, peak memory, and for training steps
per-step names and throughput. Works on a :class:`~graphlab.bench.records.Comparison`
and its rows without importing them (records import this module).
"""

from __future__ import annotations

from typing import Any

from graphlab.bench.peak import peak_columns
from graphlab.distributed.records import Placement, scaling_efficiency


def flat_row(comparison: Any, row: Any, data: dict[str, Any]) -> dict[str, Any]:
    ci = data.get("speedup_ci") or [None, None]
    flat = {
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
        "speedup_vs_eager": data.get("speedup_vs_eager"),
        "speedup_ci_low": ci[0],
        "speedup_ci_high": ci[1],
        "pairs": data.get("pairs"),
        "processes": data.get("processes"),
        "unstable": data.get("unstable"),
        "break_even_calls": data.get("break_even_calls"),
        "retraces": data.get("retraces"),
        "op_count": data.get("op_count"),
        "parity": row.parity,
        "error": row.error,
        "notes": "; ".join(data.get("notes", [])),
        **peak_columns(row.measurement.metadata if row.measurement is not None else {}),
    }
    if comparison.metadata.get("unit") == "training step":
        flat.update(_training_columns(comparison, row, data))
        if any(other.placement is not None for other in comparison.rows):
            flat.update(_placement_columns(comparison, row))
    return flat


def _placement_columns(comparison: Any, row: Any) -> dict[str, Any]:
    """Workers, replicas, the spread across workers and the scaling efficiency (a row
    without a placement ran on one device in one process)."""
    placement = row.placement or Placement(1, 1)
    return {
        "workers": placement.workers,
        "replicas": placement.replicas,
        "strategy": placement.strategy,
        "worker_spread": placement.spread,
        "scaling_efficiency": scaling_efficiency(comparison.rows, row),
    }


def _training_columns(comparison: Any, row: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Per-step names and throughput for :func:`graphlab.bench_training_step`."""
    median_us = data.get("median_us")
    steps_per_s = 1e6 / median_us if median_us else None
    batch = int(comparison.metadata.get("batch_size", "0") or 0)
    shared = comparison.metadata.get("peak_memory_bytes")  # of modes timed in turns
    peak = row.measurement.metadata.get("peak_memory_bytes", shared) if row.measurement else None
    return {
        "first_step_ms": data.get("first_call_ms"),
        "median_step_us": median_us,
        "steps_per_s": steps_per_s,
        "examples_per_s": steps_per_s * batch if steps_per_s else None,
        "peak_memory_mb": int(peak) / 2**20 if peak else None,
    }
