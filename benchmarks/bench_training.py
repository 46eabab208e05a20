"""Figures for whole training steps and the pytest plugin.

Run: ``.venv/bin/python benchmarks/bench_training.py [--quick]``

1. eager / graph / XLA / Keras fit speedups for the seed chapter's MLP training step
   (``bench_training_step``) and for ``power(x, 100)`` (``compare``).
2. graphlab's training-step speedup against a hand-written timing of the same step in
   the same run: N calls, one sync, median of blocks (goal: within 5%).
3. pytest-benchmark's rounds for a fresh tf.function, handed to plain ``benchmark``
   vs to graphlab's ``graph_benchmark`` (the calibration trap).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

import graphlab
from graphlab import examples
from graphlab.bench import training

OPTIMIZER = lambda: keras.optimizers.Nadam(learning_rate=1e-2)  # noqa: E731
LOSS = keras.losses.sparse_categorical_crossentropy


def mlp_modes(max_time: float) -> dict[str, float]:
    x, y = examples.fashion_mnist_like(256)
    result = graphlab.bench_training_step(
        examples.make_mlp,
        OPTIMIZER,
        LOSS,
        (x, y),
        32,
        modes=["eager", "graph", "xla", "fit_eager", "fit", "fit_xla", "fit_spe"],
        max_time=max_time,
    )
    print(result)
    return {row.mode: result.speedup(row) or 1.0 for row in result.rows if row.ok}


def power_modes(max_time: float) -> dict[str, float]:
    result = graphlab.compare(examples.power, examples.power_input(), 100, max_time=max_time)
    return {row.mode: result.speedup(row) or 1.0 for row in result.rows if row.ok}


def hand_timed(step, batch, calls: int, blocks: int) -> float:
    """N calls, one sync (fetch the last loss), median of blocks: seconds per call."""
    step(*batch)
    step(*batch)
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            loss = step(*batch)
        float(loss)
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def against_hand_timing(max_time: float, blocks: int, repeats: int) -> dict[str, float]:
    """graphlab's eager/graph speedup and a hand-written one, measured back to back
    ``repeats`` times so that drift on a shared machine hits both; the median of the
    per-repeat ratios is the figure, the range shows the noise."""
    x, y = examples.fashion_mnist_like(32)  # one batch: no smaller last batch
    ratios, ours, theirs = [], [], []
    for _ in range(repeats):
        result = graphlab.bench_training_step(
            examples.make_mlp,
            OPTIMIZER,
            LOSS,
            (x, y),
            32,
            modes=["eager", "graph"],
            max_time=max_time,
        )
        graphlab_speedup = result.speedup(result.row("train_step", "graph"))
        setups = {
            mode: training.build_setup(examples.make_mlp, OPTIMIZER, LOSS, (x, y))
            for mode in ("eager", "graph")
        }
        eager = hand_timed(setups["eager"].step_function(), (x, y), calls=20, blocks=blocks)
        graph_step = tf.function(setups["graph"].step_function())
        graph = hand_timed(graph_step, (x, y), calls=200, blocks=blocks)
        ours.append(graphlab_speedup)
        theirs.append(eager / graph)
        ratios.append(graphlab_speedup / (eager / graph))
    return {
        "graphlab eager/graph speedup (median)": statistics.median(ours),
        "hand-written eager/graph speedup (median)": statistics.median(theirs),
        "ratio graphlab / hand-written (median)": statistics.median(ratios),
        "ratio, lowest of the repeats": min(ratios),
        "ratio, highest of the repeats": max(ratios),
    }


PLUGIN_TESTS = """
import tensorflow as tf

def cube(x):
    return x ** 3

def test_plain(benchmark):
    benchmark(tf.function(cube), tf.constant(2.0))

def test_graphlab(graph_benchmark):
    graph_benchmark(cube, tf.constant(2.0))
"""


def plugin_rounds(max_time: float) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "test_rounds.py").write_text(textwrap.dedent(PLUGIN_TESTS))
        out = Path(directory, "rounds.json")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--benchmark-max-time={max_time}",
                "--graphlab-modes=graph",
                f"--benchmark-json={out}",
                directory,
            ],
            check=True,
            capture_output=True,
            cwd=directory,
        )
        benchmarks = json.loads(out.read_text())["benchmarks"]
    return {b["name"]: b["stats"]["rounds"] for b in benchmarks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budgets, for a smoke run")
    args = parser.parse_args()
    max_time, blocks, repeats = (0.2, 5, 1) if args.quick else (2.0, 15, 5)
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs\n")
    sections = {
        "1a. MLP training step, speedup vs eager": mlp_modes(max_time),
        "1b. power(x, 100), speedup vs eager": power_modes(max_time),
        "2. training step: graphlab vs hand-written timing": against_hand_timing(
            max_time, blocks, repeats
        ),
        "3. pytest-benchmark rounds for a fresh tf.function (default max-time 1 s)": plugin_rounds(
            1.0
        ),
    }
    for title, figures in sections.items():
        print(f"\n{title}")
        for name, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            print(f"  {name:40s} {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
