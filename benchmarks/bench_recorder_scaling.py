"""Does recording a trace cost the same with 2,000 cached graphs as with 2?

Run: ``.venv/bin/python benchmarks/bench_recorder_scaling.py [--shapes 2000] [--pairs 3]``

A tf.function is called with ``--shapes`` new input shapes (each call traces), once
plain and once under ``graphlab.watch()``, each run in a fresh process, alternating
plain, watched, plain, watched ... so that drift on a shared machine hits both alike.
The figure is the median over the pairs of watched time / plain time (goal: <= 1.15),
in CPU time of the process (``time.process_time``: on a machine shared with other
work, wall time mostly measures the others) and, for reference, in wall time. It also
prints the CPU ratio over the last quarter of the shapes alone: a recorder whose cost
grows with the cache shows there first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import logging
import tensorflow as tf
import graphlab
tf.get_logger().setLevel("ERROR")
logging.getLogger("graphlab").setLevel(logging.ERROR)
mode, shapes = sys.argv[1], int(sys.argv[2])
inputs = [tf.ones([n]) for n in range(1, shapes + 1)]

@tf.function
def step(x):
    return tf.reduce_sum(x * 2.0 + 1.0)

step(tf.ones([shapes + 1]))  # the first trace (imports, first graph) is not timed
marks = []
watch = graphlab.watch() if mode == "watch" else None
if watch is not None:
    watch.start()
start, cpu_start = time.perf_counter(), time.process_time()
for i, x in enumerate(inputs):
    step(x)
    if i == (3 * shapes) // 4 - 1:
        marks.append(time.process_time() - cpu_start)
wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
if watch is not None:
    watch.stop()
    report = watch.report()
    assert sum(s.traces for s in report.summaries) == shapes, "not every trace was recorded"
print(json.dumps({"wall": wall, "total": cpu, "last_quarter": cpu - marks[0]}))
"""


def run_once(mode: str, shapes: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(shapes)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.shapes} new shapes, {args.pairs} pairs of fresh processes, load {load:.2f}")
    ratios, tail_ratios, wall_ratios = [], [], []
    for pair in range(args.pairs):
        order = ("plain", "watch") if pair % 2 == 0 else ("watch", "plain")
        times = {mode: run_once(mode, args.shapes) for mode in order}
        ratio = times["watch"]["total"] / times["plain"]["total"]
        tail = times["watch"]["last_quarter"] / times["plain"]["last_quarter"]
        wall = times["watch"]["wall"] / times["plain"]["wall"]
        ratios.append(ratio)
        tail_ratios.append(tail)
        wall_ratios.append(wall)
        print(
            f"pair {pair + 1}: CPU plain {times['plain']['total']:.2f} s, "
            f"watched {times['watch']['total']:.2f} s, ratio {ratio:.3f} "
            f"(last quarter {tail:.3f}); wall ratio {wall:.3f}",
            flush=True,
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"median watched/plain, CPU time: {statistics.median(ratios):.3f} (goal <= 1.15)")
    print(f"median over the last quarter of the shapes: {statistics.median(tail_ratios):.3f}")
    print(f"median watched/plain, wall time: {statistics.median(wall_ratios):.3f}")
    print(f"load average at the end: {load:.2f}; {time.strftime('%Y-%m-%d %H:%M:%S')}")


if __name__ == "__main__":
    main()
