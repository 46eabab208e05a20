"""Do graphlab's speedups repeat? N fresh runs, back to back, of graphlab and of a
hand-written alternating loop, for ``power(x, 100)`` and the MLP training step.

Run: ``.venv/bin/python benchmarks/bench_repeatability.py [--runs 8] [--quick]``;
``--aa`` runs only the A/A test of the interleaved schedule (see :func:`aa_test`).

Every run is a fresh process: graphlab's as a user starts it (``python -m graphlab bench
graphlab.examples:power --arg 'i32[10,10]' --arg 100 --modes eager,graph``; for the
training step ``bench_training_step(..., modes=["eager", "graph"])``), each at its
default settings, and right after it a hand-written loop that alternates eager and
graph blocks for the same time (the yardstick). Per workload it prints:

* spread: max/min of the N speedups, for graphlab and for the hand loop;
* how many of graphlab's printed 95% intervals contain the median of the N speedups
  (and the same for the hand loop's order-statistic interval of its median ratio);
* graphlab's median speedup / the hand loop's median speedup;
* how often graphlab marked a run unstable;
* the wall time of the default ``bench`` of one function in eager, graph and XLA.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

POWER = ["graphlab.examples:power", "--arg", "i32[10,10]", "--arg", "100"]
HAND_SECONDS = 2.0  # what graphlab's default budget gives two modes: 1 s each


def _hand_loop(eager, graph, seconds: float) -> dict:
    """Alternate blocks of eager and graph calls (~20 ms each) for ``seconds``; the
    speedup is the median of the per-pair ratios."""
    from graphlab.bench import stats

    def block(fn, calls: int) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            out = fn()
        out.numpy()  # fetch the last result: the work is done
        return (time.perf_counter() - start) / calls

    for fn in (eager, graph):
        fn(), fn()
    calls = {fn: max(1, round(0.02 / block(fn, 1))) for fn in (eager, graph)}
    ratios, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        ratios.append(block(eager, calls[eager]) / block(graph, calls[graph]))
    low, high = stats.median_ci(ratios)
    return {"speedup": statistics.median(ratios), "ci": [low, high], "unstable": False}


def child(kind: str) -> dict:
    """One fresh run; prints nothing else on stdout."""
    if kind == "graphlab-power":
        command = [sys.executable, "-m", "graphlab", "bench", *POWER]
        command += ["--modes", "eager,graph", "--format", "json", "-q"]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout)["rows"][1]
        return {
            "speedup": row["speedup_vs_eager"],
            "ci": row["speedup_ci"],
            "unstable": row["unstable"],
        }

    import keras
    import tensorflow as tf

    import graphlab
    from graphlab import examples, inputs
    from graphlab.bench import training

    if kind == "hand-power":
        x = inputs.to_value(inputs.parse_value("i32[10,10]"))
        eager = functools.partial(examples.power, x, 100)
        graph = functools.partial(tf.function(examples.power), x, 100)
        return _hand_loop(eager, graph, HAND_SECONDS)
    optimizer = lambda: keras.optimizers.Nadam(learning_rate=1e-2)  # noqa: E731
    loss = keras.losses.sparse_categorical_crossentropy
    x, y = examples.fashion_mnist_like(256)
    if kind == "graphlab-mlp":
        result = graphlab.bench_training_step(
            examples.make_mlp, optimizer, loss, (x, y), 32, modes=["eager", "graph"]
        )
        row = result.row("train_step", "graph")
        return {
            "speedup": result.speedup(row),
            "ci": list(result.speedup_ci(row)),
            "unstable": bool(result.unstable(row)),
        }
    if kind == "hand-mlp":
        xb, yb = x[:32], y[:32]
        steps = {
            mode: training.build_setup(examples.make_mlp, optimizer, loss, (xb, yb)).step_function()
            for mode in ("eager", "graph")
        }
        eager = functools.partial(steps["eager"], xb, yb)
        graph = functools.partial(tf.function(steps["graph"]), xb, yb)
        return _hand_loop(eager, graph, HAND_SECONDS)
    raise SystemExit(f"unknown kind {kind}")


def aa_test(repeats: int) -> dict:
    """Is the interleaved schedule biased? Two timers of the *same* function (eager and
    eager, graph and graph) must read 1.0; eager and graph, timed the same way, give the
    speedup for scale. One process, ``repeats`` repetitions, 1 s per timer."""
    import tensorflow as tf

    from graphlab import examples, inputs
    from graphlab.bench.records import Comparison, ComparisonRow
    from graphlab.bench.schedule import interleave
    from graphlab.bench.timer import Timer

    x = inputs.to_value(inputs.parse_value("i32[10,10]"))
    graphs = tf.function(examples.power), tf.function(examples.power)

    def ratio(first, second) -> float:
        timers = [
            Timer(functools.partial(f, x, 100), label=name, max_time=1.0)
            for f, name in ((first, "eager"), (second, "other"))
        ]
        rows = [ComparisonRow("power", t.label, m) for t, m in zip(timers, interleave(timers))]
        comparison = Comparison(tuple(rows), "")
        return comparison.speedup(comparison.rows[1])

    pairs = {
        "eager vs eager": (examples.power, examples.power),
        "graph vs graph": graphs,
        "eager vs graph": (examples.power, graphs[0]),
    }
    found: dict[str, list[float]] = {name: [] for name in pairs}
    for _ in range(repeats):
        for name, (first, second) in pairs.items():
            found[name].append(round(ratio(first, second), 3))
    return {name: {"ratios": v, "median": statistics.median(v)} for name, v in found.items()}


def fresh(kind: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"{kind} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(runs: list[dict]) -> dict:
    speedups = [r["speedup"] for r in runs]
    middle = statistics.median(speedups)
    return {
        "speedups": [round(s, 3) for s in speedups],
        "intervals": [[round(v, 3) for v in r["ci"]] for r in runs],
        "spread max/min": max(speedups) / min(speedups),
        "median": middle,
        "intervals containing the median": sum(r["ci"][0] <= middle <= r["ci"][1] for r in runs),
        "unstable": sum(bool(r["unstable"]) for r in runs),
    }


def bench_wall_time(repeats: int) -> list[float]:
    """Seconds of the default ``bench`` of one function (eager, graph, XLA), end to end."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "graphlab", "bench", *POWER, "-q"],
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="fresh runs per workload (8)")
    parser.add_argument("--quick", action="store_true", help="2 runs, for a smoke test")
    parser.add_argument("--aa", action="store_true", help="only the A/A test of the schedule")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.aa:
        print(f"A/A test, load average {os.getloadavg()[0]:.2f}")
        print(json.dumps(aa_test(2 if args.quick else 5), indent=2))
        print(f"load average after {os.getloadavg()[0]:.2f}")
        return 0
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    runs = 2 if args.quick else args.runs
    load = os.getloadavg()
    print(f"{runs} fresh runs per workload, {os.cpu_count()} CPUs, load average {load[0]:.2f}")
    results: dict[str, list[dict]] = {
        k: [] for k in ("graphlab-power", "hand-power", "graphlab-mlp", "hand-mlp")
    }
    for index in range(runs):
        for workload in ("power", "mlp"):
            order = ("graphlab", "hand") if index % 2 == 0 else ("hand", "graphlab")
            for who in order:
                results[f"{who}-{workload}"].append(fresh(f"{who}-{workload}"))
        print(
            f"  run {index + 1}: "
            + ", ".join(f"{k} {v[-1]['speedup']:.3f}" for k, v in results.items()),
            flush=True,
        )
    raw = os.path.join(tempfile.gettempdir(), "graphlab-repeatability-runs.json")
    with open(raw, "w", encoding="utf-8") as handle:  # the raw runs, before any summary
        json.dump(results, handle, indent=1)
    print(f"raw runs: {raw}")
    report = {}
    for workload in ("power", "mlp"):
        ours, hand = (
            summary(results[f"graphlab-{workload}"]),
            summary(results[f"hand-{workload}"]),
        )
        report[workload] = {
            "graphlab": ours,
            "hand-written alternating loop": hand,
            "graphlab median / hand median": ours["median"] / hand["median"],
        }
    report["default bench wall time (s), eager+graph+xla"] = [
        round(t, 2) for t in bench_wall_time(1 if args.quick else 3)
    ]
    report["load average after"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
