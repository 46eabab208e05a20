"""Figures for the memory watch (``graphlab.watch(memory=True)``, ``watch --memory``).

Run: ``.venv/bin/python benchmarks/bench_memory.py [--rounds N] [--quick] [--parts ...]``

1. What sampling costs on the seed chapter's Keras ``fit`` (the MLP on Fashion-MNIST-like
   data; goal: at most 2%): the wall time (and the process CPU time) of ``fit`` under
   ``graphlab.watch()`` with ``memory=True`` over the same with ``memory=False``, each in
   a fresh process, the two alternated in each round (on/off, then off/on) so that drift
   hits both alike; the median of the per-round ratios with its spread. On a shared,
   loaded machine those ratios swing by tens of percent between processes, so the
   figure that decides is the watch's own cost: the CPU time of the sampling thread
   plus the time spent weighing new graphs (``MemoryReport.cost``), as a share of the
   time ``fit`` took.
   The same in one process as well: after a warm-up ``fit``, one-epoch ``fit`` calls
   alternately under a watch with and without memory (pairs in alternating order),
   which leaves out the differences between processes.
2. No cost per steady-state call: a warmed-up tf.function called in blocks, alternately
   with and without a memory watch active in the same process (median block ratio).
3. The verdicts on the issue's three loops, in this process: a tiny tf.function given a
   new input shape on every call (the first call count from which the verdict over the
   calls so far is ``retrace_growth``, checked every 50 calls), the same with one fixed
   shape, and eager tensors appended to a list.
4. Peak memory per mode (RSS rise) of the seed chapter's training step (the MLP), by
   ``bench_training_step`` in this process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FIT_WORKER = """
import json, logging, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
import graphlab
from graphlab import examples
logging.getLogger("graphlab").setLevel(logging.ERROR)
memory = sys.argv[1] == "on"
x, y = examples.fashion_mnist_like(int(sys.argv[2]))
model = examples.make_mlp()
model.compile(optimizer="nadam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
with graphlab.watch(memory=memory) as watch:
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, epochs=int(sys.argv[3]), batch_size=32, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
report = watch.report()
m = report.memory
print(json.dumps({"seconds": seconds, "cpu": cpu, "samples": len(m.samples) if m else 0,
                  "verdict": m.verdict if m else None, "cost": m.cost if m else 0.0}))
"""


def fit_once(memory: bool, n: int, epochs: int) -> dict[str, float]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", FIT_WORKER, "on" if memory else "off", str(n), str(epochs)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _quartiles(values: list[float]) -> list[float]:
    return statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3


def sampling_cost(rounds: int, n: int, epochs: int) -> dict[str, object]:
    """Wall-time and CPU-time ratios on/off per round, and the watch's own cost (the
    sampling thread's CPU time plus weighing new graphs) as a share of fit's time: the
    ratios carry the machine's noise, the share does not."""
    wall, cpu, shares, on_times, off_times, verdicts = [], [], [], [], [], []
    for index in range(rounds):
        order = (True, False) if index % 2 == 0 else (False, True)
        runs = {memory: fit_once(memory, n, epochs) for memory in order}
        on, off = runs[True], runs[False]
        wall.append(on["seconds"] / off["seconds"])
        cpu.append(on["cpu"] / off["cpu"])
        shares.append(on["cost"] / on["seconds"])
        on_times.append(on["seconds"])
        off_times.append(off["seconds"])
        verdicts.append(on["verdict"])
        print(
            f"  round {index + 1}: fit on {on['seconds']:.3f} s, off {off['seconds']:.3f} s "
            f"(wall ratio {wall[-1]:.3f}, cpu ratio {cpu[-1]:.3f}); the watch's own cost "
            f"{on['cost'] * 1e3:.1f} ms = {shares[-1]:.3%} of fit",
            file=sys.stderr,
        )
    wall_q, cpu_q = _quartiles(wall), _quartiles(cpu)
    return {
        "wall_ratio_median": round(statistics.median(wall), 4),
        "wall_ratio_iqr": [round(wall_q[0], 4), round(wall_q[2], 4)],
        "cpu_ratio_median": round(statistics.median(cpu), 4),
        "cpu_ratio_iqr": [round(cpu_q[0], 4), round(cpu_q[2], 4)],
        "own_cost_share_median": round(statistics.median(shares), 6),
        "own_cost_share_max": round(max(shares), 6),
        "median_fit_s_on": round(statistics.median(on_times), 3),
        "median_fit_s_off": round(statistics.median(off_times), 3),
        "verdicts": sorted(set(verdicts)),
    }


def in_process_fit(pairs: int, n: int) -> dict[str, object]:
    import graphlab
    from graphlab import examples

    x, y = examples.fashion_mnist_like(n)
    model = examples.make_mlp()
    model.compile(optimizer="nadam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # warm-up: traces, kernels

    def one_fit(memory: bool) -> float:
        with graphlab.watch(memory=memory):
            start = time.perf_counter()
            model.fit(x, y, epochs=1, batch_size=32, verbose=0)
            return time.perf_counter() - start

    ratios = []
    for index in range(pairs):
        times = {memory: one_fit(memory) for memory in ((True, False), (False, True))[index % 2]}
        ratios.append(times[True] / times[False])
    quartiles = _quartiles(ratios)
    return {
        "pairs": pairs,
        "wall_ratio_median": round(statistics.median(ratios), 4),
        "wall_ratio_iqr": [round(quartiles[0], 4), round(quartiles[2], 4)],
    }


def per_call_cost(blocks: int, calls: int) -> float:
    import tensorflow as tf

    import graphlab

    step = tf.function(lambda x: x * 2.0 + 1.0)
    x = tf.zeros([8])
    step(x)

    def block() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            step(x)
        return time.perf_counter() - start

    ratios = []
    for index in range(blocks):
        times = {}
        for memory in (True, False) if index % 2 == 0 else (False, True):
            with graphlab.watch(memory=memory, memory_interval=0.01):
                times[memory] = block()
        ratios.append(times[True] / times[False])
    return statistics.median(ratios)


def verdicts(calls: int) -> dict[str, object]:
    import tensorflow as tf

    import graphlab
    from graphlab.tracing.memory import classify

    @tf.function
    def step(x):
        return tf.reduce_sum(x * 2.0 + 1.0)

    found: dict[str, object] = {}
    start = time.perf_counter()
    with graphlab.watch(memory=True) as watch:
        for n in range(1, calls + 1):
            step(tf.zeros([n]))
    memory = watch.report().memory
    first = None
    for upto in range(50, calls + 1, 50):
        seen = [s for s in memory.samples if s.traces <= upto]
        if classify(seen).verdict == "retrace_growth":
            first = upto
            break
    found["new_shapes"] = {
        "calls": calls,
        "seconds": round(time.perf_counter() - start, 1),
        "verdict": memory.verdict,
        "growth_mb": round(memory.growth_mb, 1),
        "retrace_growth_from_call": first,
        "message": memory.message,
    }

    x = tf.zeros([8])
    with graphlab.watch(memory=True) as watch:
        for _ in range(max(calls, 3000)):
            step(x)
    memory = watch.report().memory
    found["fixed_shape"] = {"verdict": memory.verdict, "growth_mb": round(memory.growth_mb, 1)}

    kept = []
    with graphlab.watch(memory=True) as watch:
        for _ in range(200):
            kept.append(tf.random.normal([256, 1024]))  # 1 MB each
            time.sleep(0.01)
    memory = watch.report().memory
    found["eager_list"] = {"verdict": memory.verdict, "growth_mb": round(memory.growth_mb, 1)}
    return found


def training_peaks(max_time: float) -> dict[str, object]:
    import keras

    from graphlab import examples
    from graphlab.bench import training

    x, y = examples.fashion_mnist_like(1024)
    comparison = training.bench_training_step(
        examples.make_mlp,
        lambda: keras.optimizers.Nadam(learning_rate=1e-2),
        keras.losses.sparse_categorical_crossentropy,
        (x, y),
        32,
        modes=["eager", "graph", "xla", "fit"],
        max_time=max_time,
    )
    return {
        row["mode"]: {"peak_rss_mb": row["peak_rss_mb"], "how": row["peak_rss_how"]}
        for row in comparison.flat_rows()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="on/off pairs of fit processes")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls")
    parser.add_argument(
        "--parts",
        default="fit,in-process,per-call,verdicts,peaks",
        help="which figures, comma-separated (default: all)",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    logging.getLogger("graphlab").setLevel(logging.ERROR)
    rounds = 2 if args.quick else args.rounds
    load = os.getloadavg()
    figures: dict[str, object] = {
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(v, 2) for v in load],
    }
    if "fit" in parts:
        print("1. sampling cost on the seed chapter's Keras fit", file=sys.stderr)
        figures["fit_sampling"] = sampling_cost(rounds, 8192, 3)
    if "in-process" in parts:
        print("1b. the same, alternating in one process", file=sys.stderr)
        figures["fit_sampling_in_process"] = in_process_fit(4 if args.quick else 16, 8192)
    if "per-call" in parts:
        print("2. per-call cost of a memory watch", file=sys.stderr)
        figures["per_call_ratio"] = round(per_call_cost(20 if not args.quick else 6, 2000), 4)
    if "verdicts" in parts:
        print("3. verdicts", file=sys.stderr)
        figures["verdicts"] = verdicts(300 if args.quick else 1000)
    if "peaks" in parts:
        print("4. peak memory per mode of the seed chapter's training step", file=sys.stderr)
        figures["training_step_peaks"] = training_peaks(0.5 if args.quick else 2.0)
    figures["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
