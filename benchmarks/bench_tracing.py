"""What recording traces costs: the figures for the trace-recorder issue.

Run: ``.venv/bin/python benchmarks/bench_tracing.py [--quick]``

Every figure is a ratio against a baseline measured in the same run, with the two
interleaved (A, B, A, B, ...) so that drift on a shared machine hits both alike.

1. Steady-state call time of ``graphlab.function`` vs ``tf.function`` on a scalar
   function (goal: median ratio <= 1.01).
2. ``graphlab.watch()`` overhead on 300 steps of a small Keras model's ``fit``
   (goal: <= 1.02).
3. Time to explain one retrace of a function that already has 1,000 cache entries.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

import graphlab


def per_call_us(fn, arg, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn(arg)
    return (time.perf_counter() - start) / calls * 1e6


def steady_state(rounds: int, calls: int) -> dict[str, float]:
    def scalar(x):
        return x + 1.0

    plain = tf.function(scalar)
    recorded = graphlab.function(scalar)
    x = tf.constant(1.0)
    plain(x), recorded(x)  # trace both before timing
    per_call_us(plain, x, calls), per_call_us(recorded, x, calls)  # warm caches
    plain_times, recorded_times, ratios = [], [], []
    for i in range(rounds):
        gc.collect()
        order = (plain, recorded) if i % 2 == 0 else (recorded, plain)
        times = {id(fn): per_call_us(fn, x, calls) for fn in order}
        plain_times.append(times[id(plain)])
        recorded_times.append(times[id(recorded)])
        ratios.append(times[id(recorded)] / times[id(plain)])
    return {
        "tf.function median us/call": statistics.median(plain_times),
        "graphlab.function median us/call": statistics.median(recorded_times),
        "median of per-round ratios": statistics.median(ratios),
        "ratio of medians": statistics.median(recorded_times) / statistics.median(plain_times),
    }


def watch_overhead(repeats: int, steps: int) -> dict[str, float]:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    batch = 8
    x = np.random.default_rng(0).normal(size=(steps * batch, 8)).astype("float32")
    y = x.sum(axis=1, keepdims=True)

    def fit() -> float:
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        return time.perf_counter() - start

    fit()  # compile and trace the train function once, outside the measurement
    plain, watched, ratios, traces = [], [], [], 0
    for i in range(repeats):
        gc.collect()
        if i % 2 == 0:
            a = fit()
            with graphlab.watch() as w:
                b = fit()
        else:
            with graphlab.watch() as w:
                b = fit()
            a = fit()
        traces += len(w.events)
        plain.append(a)
        watched.append(b)
        ratios.append(b / a)
    return {
        "fit without watch, median s": statistics.median(plain),
        "fit with watch, median s": statistics.median(watched),
        "median of per-round ratios": statistics.median(ratios),
        "traces recorded per watched fit": traces / repeats,
    }


def explain_with_many_entries(entries: int, repeats: int = 3) -> dict[str, float]:
    """The retrace after ``entries`` cache entries, with and without a watch: the median
    of ``repeats`` fresh functions, garbage collection held off during the timed call (a
    full collection costs ~0.2 s with TensorFlow loaded and would swamp the figure)."""

    def identity(x):
        return x

    baseline_ms, watched_ms, tracing_ms, summary = [], [], [], ""
    for _ in range(repeats):
        watched = tf.function(identity)
        baseline = tf.function(identity)
        for n in range(1, entries + 1):
            watched(tf.zeros([n]))
            baseline(tf.zeros([n]))
        assert watched.experimental_get_tracing_count() == entries
        new = tf.zeros([entries + 1])
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            baseline(new)
            baseline_ms.append((time.perf_counter() - start) * 1e3)
            with graphlab.watch() as w:
                start = time.perf_counter()
                watched(new)
                watched_ms.append((time.perf_counter() - start) * 1e3)
        finally:
            gc.enable()
        (event,) = w.events
        tracing_ms.append(event.duration_ms)
        summary = event.cause.summary()
    base, with_watch = statistics.median(baseline_ms), statistics.median(watched_ms)
    return {
        "cache entries before the retrace": entries,
        "retrace without graphlab, ms": base,
        "retrace with watch (tracing + explaining), ms": with_watch,
        "of which tracing (recorded duration_ms)": statistics.median(tracing_ms),
        "explaining and recording, ms (difference)": with_watch - base,
        "ratio with/without": with_watch / base,
        "explanation": summary,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    sizes = (
        {"rounds": 6, "calls": 200, "repeats": 2, "steps": 30, "entries": 50}
        if args.quick
        else {"rounds": 40, "calls": 2000, "repeats": 7, "steps": 300, "entries": 1000}
    )
    print(f"TensorFlow {tf.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    sections = [
        ("1. steady-state call, scalar function", steady_state(sizes["rounds"], sizes["calls"])),
        (
            f"2. watch() overhead, Keras fit, {sizes['steps']} steps",
            watch_overhead(sizes["repeats"], sizes["steps"]),
        ),
        (
            f"3. explaining a retrace with {sizes['entries']} cache entries",
            explain_with_many_entries(sizes["entries"]),
        ),
    ]
    for title, figures in sections:
        print(f"\n{title}")
        for name, value in figures.items():
            shown = f"{value:.4f}" if isinstance(value, float) else value
            print(f"  {name:48s} {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
