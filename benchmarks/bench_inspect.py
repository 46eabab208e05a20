"""How much ``graphlab inspect`` costs: a plain script, run as

    .venv/bin/python benchmarks/bench_inspect.py [--model resnet50|mobilenetv2] [--quick]

It prints three figures and their goals:

1. inspecting a large training step's graph (a Keras ``keras.applications`` model's
   gradient step, nested bodies included: op counts and JSON), as a ratio to the time
   tracing that step took (goal <= 0.2);
2. ``python -m graphlab --help`` wall time (goal <= 0.3 s, no TensorFlow import);
3. ``python -m graphlab inspect graphlab.examples:cube --arg f32[2]`` beyond
   ``python -c "import tensorflow"`` (goal <= 1 s).

Numbers depend on the machine; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _wall(command: list[str], repeats: int) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_training_step(model_name: str, batch: int) -> dict[str, float]:
    import keras
    import tensorflow as tf

    import graphlab
    from graphlab.graphs import render as inspection

    builders = {
        "resnet50": (keras.applications.ResNet50, 224),
        "mobilenetv2": (keras.applications.MobileNetV2, 96),
    }
    build, size = builders[model_name]
    model = build(weights=None, input_shape=(size, size, 3), classes=10)
    optimizer = keras.optimizers.SGD(0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    specs = (
        tf.TensorSpec([batch, size, size, 3], tf.float32),
        tf.TensorSpec([batch], tf.int32),
    )
    optimizer.build(model.trainable_variables)  # no variable creation inside the trace
    start = time.perf_counter()
    train_step.get_concrete_function(*specs)
    trace_s = time.perf_counter() - start

    start = time.perf_counter()
    result = graphlab.inspect(train_step)  # already traced: no inputs needed
    text = inspection.render(result, "json")
    inspect_s = time.perf_counter() - start
    summary = result.concrete_functions[0]

    start = time.perf_counter()
    counts_only = graphlab.inspect_calls(train_step, [], lines=False)
    json.dumps(counts_only.to_dict())
    counts_s = time.perf_counter() - start
    return {
        "model": model_name,
        "ops_top": summary.op_count,
        "ops_total": summary.op_count_total,
        "captures": len(summary.captures),
        "json_kb": len(text) / 1024,
        "trace_s": trace_s,
        "inspect_s": inspect_s,
        "inspect_counts_only_s": counts_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("resnet50", "mobilenetv2"), default="resnet50")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    step = bench_training_step(args.model, args.batch)
    ratio = step["inspect_s"] / step["trace_s"]
    print(
        f"training step ({step['model']}, batch {args.batch}): {step['ops_top']} top-level ops, "
        f"{step['ops_total']} with nested bodies, {step['captures']} captures, "
        f"JSON {step['json_kb']:.0f} KiB"
    )
    print(f"  tracing:                         {step['trace_s']:.2f} s")
    print(f"  inspect (counts, lines, JSON):   {step['inspect_s']:.2f} s")
    print(f"  inspect (counts, JSON, no lines): {step['inspect_counts_only_s']:.2f} s")
    print(
        f"  ratio inspect/trace: {ratio:.3f} (goal <= 0.2); without per-line counts: "
        f"{step['inspect_counts_only_s'] / step['trace_s']:.3f}"
    )

    python = sys.executable
    help_s = _wall([python, "-m", "graphlab", "--help"], args.repeats)
    print(f"python -m graphlab --help: {help_s:.3f} s (goal <= 0.3 s)")
    import_s = _wall([python, "-c", "import tensorflow"], args.repeats)
    inspect_s = _wall(
        [python, "-m", "graphlab", "inspect", "graphlab.examples:cube", "--arg", "f32[2]"],
        args.repeats,
    )
    print(
        f"inspect graphlab.examples:cube: {inspect_s:.2f} s; import tensorflow: {import_s:.2f} s; "
        f"beyond the import: {inspect_s - import_s:.2f} s (goal <= 1 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
