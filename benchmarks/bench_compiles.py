"""XLA compilations under ``watch --compiles``: how well their durations match the wall
time of the calls that compiled, and what recording them costs. The figures for issue 12
(goals: durations within 20% of the calls' wall time; the seed chapter under
``watch --compiles`` at most 1.10x its time under ``watch``).

Run: ``.venv/bin/python benchmarks/bench_compiles.py [--rounds N]``

Every measurement runs in a fresh process (TensorFlow's caches, XLA's included, are per
process), the modes alternated round by round (A B, then B A) so that the machine's
drift hits both alike.

1. Accuracy: the six-call example (``jit_compile=True``, a ``[None]`` signature, lengths
   3, 4, 5, 4, 3, 6). Each call is timed with ``perf_counter``; the compilations
   ``graphlab.watch(compiles=True)`` reports are compared with the wall time of the calls
   that compiled, minus the trace graphlab recorded in the same call (the first; the
   rest of that call, a few ms of instantiation and Python, is in the wall time too).
2. Cost: ``tests/corpus/seed_chapter.py`` (tf.functions, then a custom Keras model's
   ``fit`` with validation, ``evaluate``, ``predict``, a ``run_eagerly`` fit) run as
   ``graphlab watch`` runs it, with and without compiles, timed from just before the
   watch starts to just after its report is made (TensorFlow's import left out). It uses
   no XLA (Keras's ``jit_compile="auto"`` is off on a CPU), so ``--compiles`` never
   starts the profiler there; 2b is a Keras ``fit`` with ``jit_compile=True``, profiled
   from its first step on. Both wall time and the process's CPU time are compared: on a
   machine shared with other jobs, CPU time is the steadier of the two.
3. ``bench --profile`` cost: a default ``python -m graphlab bench`` run (three modes,
   1 s budget each) of ``graphlab.examples:cube`` on a 100x100 tensor, with and without
   ``--profile``: the wall time of the whole command, fresh processes alternated. On a
   shared machine that figure swings by more than what it measures, so each profiled
   process also adds up the time spent in profiling itself: around each first call
   (less the call), and after timing (the profiled steady-state blocks, the FLOPs).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "corpus" / "seed_chapter.py"
LENGTHS = (3, 4, 5, 4, 3, 6)


def accuracy_worker() -> dict:
    import tensorflow as tf

    import graphlab

    @tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.reduce_sum(x * x + 1.0)

    inputs = {n: tf.ones([n]) for n in set(LENGTHS)}
    walls = []
    with graphlab.watch(compiles=True) as w:
        for n in LENGTHS:
            start = time.perf_counter()
            f(inputs[n]).numpy()
            walls.append(time.perf_counter() - start)
    trace = w.user_events[0].duration
    compiled = [c for c in w.compilations if c.function == "f"]
    first_seen = [LENGTHS.index(n) for n in dict.fromkeys(LENGTHS)]
    rows = []
    for compilation, call in zip(compiled, first_seen):
        wall = walls[call] - (trace if compilation.after_trace else 0.0)
        rows.append(
            {
                "length": LENGTHS[call],
                "compile_ms": compilation.duration * 1e3,
                "call_wall_ms": walls[call] * 1e3,
                "wall_minus_trace_ms": wall * 1e3,
                "ratio": compilation.duration / wall,
            }
        )
    return {
        "traces": len(w.user_events),
        "compilations": len(compiled),
        "shapes": [list(c.input_shapes) for c in compiled],
        "rows": rows,
    }


def profile_cost_worker() -> dict:
    import tensorflow as tf

    import graphlab
    from graphlab.examples import cube
    from graphlab.profiling import calls

    spent = {"first_call": 0.0, "after_timing": 0.0}
    first_call, row_profile = calls.Profiling.first_call, calls.Profiling.row_profile

    def timed_first_call(self, run):
        start = time.perf_counter()
        found = first_call(self, run)
        spent["first_call"] += time.perf_counter() - start - (found.seconds or 0.0)
        return found

    def timed_row_profile(self, *args, **kwargs):
        start = time.perf_counter()
        found = row_profile(self, *args, **kwargs)
        spent["after_timing"] += time.perf_counter() - start
        return found

    calls.Profiling.first_call, calls.Profiling.row_profile = timed_first_call, timed_row_profile
    x = tf.random.normal([100, 100])
    start = time.perf_counter()
    graphlab.compare(cube, x, profile=True)
    return {**spent, "total": time.perf_counter() - start}


XLA_FIT = """
import keras
import numpy as np

x = np.random.default_rng(0).normal(size=(2048, 8)).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = keras.Sequential(
    [keras.Input((8,)), keras.layers.Dense(30, activation="relu"), keras.layers.Dense(1)]
)
model.compile(optimizer="nadam", loss="mse", jit_compile=True)
model.fit(x, y, epochs=3, batch_size=32, validation_split=0.1, verbose=0)
"""


def cost_worker(compiles: bool, xla: bool = False) -> dict:
    import logging
    import tempfile

    import tensorflow as tf  # noqa: F401 - imported before the clock starts

    from graphlab.tracing.options import WatchOptions
    from graphlab.tracing.runner import Program, run_watched

    logging.getLogger("graphlab").setLevel(logging.ERROR)
    script = str(SEED)
    if xla:
        script = os.path.join(tempfile.mkdtemp(), "xla_fit.py")
        with open(script, "w") as file:
            file.write(XLA_FIT)
    start, cpu_start = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        result = run_watched(Program.script(script, []), WatchOptions(compiles=compiles))
        report = result.report
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "traces": len(report.events),
        "compilations": len(report.compilations or ()),
        "exit": result.exit_code,
    }


def run_worker(*args: str) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind = args.worker[0]
        if kind == "accuracy":
            data = accuracy_worker()
        elif kind == "profile_cost":
            data = profile_cost_worker()
        else:
            data = cost_worker(kind.endswith("compiles"), xla=kind.startswith("xla"))
        print(json.dumps(data))
        return 0

    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    print("1. compile durations vs the wall time of the calls that compiled")
    first, later = [], []
    for index in range(args.rounds):
        data = run_worker("accuracy")
        first.append(data["rows"][0]["ratio"])
        later += [row["ratio"] for row in data["rows"][1:]]
        cells = ", ".join(
            f"n={r['length']}: {r['compile_ms']:.1f} / {r['wall_minus_trace_ms']:.1f} ms"
            for r in data["rows"]
        )
        print(
            f"  process {index + 1}: {data['traces']} trace, {data['compilations']} "
            f"compilations {data['shapes']}; compile / call wall (minus trace): {cells}"
        )
    for name, ratios in (("calls without a trace", later), ("first calls", first)):
        print(
            f"  {name}: compile / wall min {min(ratios):.3f}, median "
            f"{statistics.median(ratios):.3f}, max {max(ratios):.3f} (goal: within 0.80-1.20)"
        )

    for title, prefix in (
        ("2. seed chapter (no XLA) under watch, with and without --compiles", ""),
        ("2b. a Keras fit with jit_compile=True (3 epochs of 58 steps), likewise", "xla_"),
    ):
        print(title + " (fresh processes)")
        per_round, cpu_round = [], []
        for index in range(args.rounds):
            kinds = (prefix + "plain", prefix + "compiles")
            order = kinds if index % 2 == 0 else kinds[::-1]
            runs = {kind: run_worker(kind) for kind in order}
            plain, watched = runs[kinds[0]], runs[kinds[1]]
            per_round.append(watched["seconds"] / plain["seconds"])
            cpu_round.append(watched["cpu_seconds"] / plain["cpu_seconds"])
            print(
                f"  round {index + 1}: watch {plain['seconds']:.2f} s "
                f"(CPU {plain['cpu_seconds']:.2f} s), watch --compiles "
                f"{watched['seconds']:.2f} s (CPU {watched['cpu_seconds']:.2f} s, "
                f"{watched['compilations']} compilations); ratio wall {per_round[-1]:.3f}, "
                f"CPU {cpu_round[-1]:.3f}"
            )
        print(
            f"  median per-round ratio: wall {statistics.median(per_round):.3f}, CPU time "
            f"{statistics.median(cpu_round):.3f} (goal: <= 1.10); load average after: "
            f"{os.getloadavg()[0]:.2f}"
        )

    print("3. a default bench run with and without --profile (fresh processes)")
    extra = []
    for index in range(args.rounds):
        order = (False, True) if index % 2 == 0 else (True, False)
        seconds = {profile: bench_seconds(profile) for profile in order}
        extra.append(seconds[True] - seconds[False])
        print(
            f"  round {index + 1}: bench {seconds[False]:.2f} s, bench --profile "
            f"{seconds[True]:.2f} s, +{extra[-1]:.2f} s"
        )
    print(f"  median difference {statistics.median(extra):+.2f} s (goal: <= 2 s added)")
    inside = []
    for index in range(args.rounds):
        data = run_worker("profile_cost")
        inside.append(data["first_call"] + data["after_timing"])
        print(
            f"  process {index + 1}: compare(cube, profile=True) {data['total']:.2f} s, of "
            f"which profiling {inside[-1]:.2f} s (first calls +{data['first_call']:.2f} s, "
            f"after timing {data['after_timing']:.2f} s)"
        )
    print(
        f"  median time in profiling {statistics.median(inside):.2f} s (goal: <= 2 s); "
        f"load average after: {os.getloadavg()[0]:.2f}"
    )
    return 0


def bench_seconds(profile: bool) -> float:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "graphlab", "bench", "graphlab.examples:cube"]
    command += ["--arg", "f32[100,100]", "-q", "-o", os.devnull]
    start = time.perf_counter()
    subprocess.run(command + (["--profile"] if profile else []), env=env, check=True, cwd=ROOT)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
