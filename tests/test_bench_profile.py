"""``bench --profile``: a first call's phases, the steady state's top ops, FLOPs and
achieved GFLOP/s in every ok row, compilations in training modes; real TensorFlow,
tiny functions, small budgets."""

from __future__ import annotations

import glob
import json
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import run_cli

import graphlab
from graphlab.bench.records import Comparison

M, K, N = 64, 32, 48
MATMUL_LINE = sys._getframe().f_lineno + 4  # the tf.matmul line of `product`


def product(a, b):
    y = tf.matmul(a, b)
    return tf.reduce_sum(y)


def test_compare_with_profile_fills_every_ok_row():
    a, b = tf.ones([M, K]), tf.ones([K, N])
    comparison = graphlab.compare(
        product, a, b, modes="eager,graph,xla", max_time=0.05, profile=True, measure_floor=False
    )
    rows = {row["mode"]: row for row in comparison.to_dict()["rows"]}
    for mode, row in rows.items():
        assert not row["error"] and row["parity"] in ("", "ok"), (mode, row["error"])
        assert row["retraces"] == 0  # profiling traces nothing more
        breakdown = row["first_call_breakdown"]
        assert sum(breakdown.values()) == pytest.approx(row["first_call_ms"], rel=0.10)
    for mode in ("graph", "xla"):
        row = rows[mode]
        assert row["flops"] == 2 * M * N * K + (M * N - 1)  # MatMul, then the Sum
        assert row["gflops_per_s"] > 0
        matmul = next(op for op in row["top_ops"] if "MatMul" in op["op_type"])
        assert matmul["where"].endswith(f"test_bench_profile.py:{MATMUL_LINE}")
        assert set(matmul) == {"op_type", "name", "where", "self_us", "share"}
    assert rows["xla"]["first_call_breakdown"]["xla_compile_ms"] > 0
    assert rows["graph"]["first_call_breakdown"]["xla_compile_ms"] == 0
    assert len(rows["xla"]["compilations"]) == 1
    loaded = Comparison.from_dict(json.loads(comparison.to_json()))
    assert loaded.to_dict() == comparison.to_dict()
    text = str(comparison)
    assert "First call by phase (--profile):" in text and "XLA compile" in text
    assert "<svg" in comparison._repr_html_() and "First call by phase" in comparison._repr_html_()


def test_training_modes_report_xla_compilations():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)

    def model_fn():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])

    comparison = graphlab.bench_training_step(
        model_fn,
        lambda: keras.optimizers.SGD(),
        keras.losses.MeanSquaredError(),
        (x, y),
        32,
        modes=["xla", "fit_xla"],
        max_time=0.05,
        fit_steps=4,
        profile=True,
    )
    for row in comparison.to_dict()["rows"]:
        assert not row["error"], row["error"]
        assert row["compilations"], row["mode"]  # the first step compiles
        assert row["first_call_breakdown"]["xla_compile_ms"] > 0
    assert comparison.to_dict()["rows"][0]["flops"] > 0


def test_bench_cli_profile_json_and_kept_profiles(tmp_path):
    target = tmp_path / "work.py"
    target.write_text("import tensorflow as tf\n\ndef mm(a, b):\n    return tf.matmul(a, b)\n")
    out, profiles = tmp_path / "run.json", tmp_path / "profiles"
    # 128x64 @ 64x32: TensorFlow's executor leaves ops it measures as cheap (a 16x8 @ 8x4
    # MatMul) out of the profile in some runs, and the top-ops table came out empty
    result = run_cli(
        "module", "bench", f"{target}:mm", "--arg", "f32[128,64]", "--arg", "f32[64,32]",
        "--modes", "graph", "--max-time", "0.05", "--profile-dir", str(profiles),
        "-o", str(out), "-q",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(out.read_text())["rows"]
    assert row["flops"] == 2 * 128 * 32 * 64
    assert set(row["first_call_breakdown"]) == {
        "tracing_ms", "graph_optimization_ms", "xla_compile_ms", "first_run_ms", "other_ms"
    }  # fmt: skip
    assert row["top_ops"][0]["op_type"] == "MatMul"
    assert glob.glob(str(profiles / "mm_graph" / "plugins" / "profile" / "*" / "*.xplane.pb"))


def test_profile_refuses_worker_processes():
    result = run_cli("module", "bench", "x.py:f", "--profile", "--processes", "2")
    assert result.returncode == 2
    assert "--profile profiles in this process" in result.stderr
