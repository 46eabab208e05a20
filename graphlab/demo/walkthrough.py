"""``python -m graphlab demo``: the seed chapter's walkthrough, as graphlab sees it.

Each section returns text and its JSON; the CLI writes them. The JSON document and its
schema are :mod:`graphlab.demo.records`.
"""

from __future__ import annotations

import json
import logging

import tensorflow as tf

from graphlab import examples
from graphlab._text import flow, terminal_width
from graphlab.demo.records import document
from graphlab.graphs import render as inspection
from graphlab.graphs.inspection import inspect
from graphlab.graphs.summarize import diff_graphs
from graphlab.tracing import render as traces
from graphlab.tracing.api import function


def trace_section(fmt: str = "text") -> tuple[str, dict]:
    """Call ``tf_cube`` as the seed chapter does and report every trace."""
    tf_cube = function(examples.cube)
    tf_cube(tf.constant(2.0))
    tf_cube(2)
    tf_cube(3)
    tf_cube(tf.constant([[1.0, 2.0]]))
    tf_cube(tf.constant([[3.0, 4.0], [5.0, 6.0]]))
    tf_cube(tf.constant([[7.0, 8.0], [9.0, 10.0]]))  # same shape: no new trace
    report = tf_cube.trace_report()
    if fmt == "json":
        return "", report.to_dict()
    intro = (
        "1. Tracing: graphlab.function(cube), called with tf.constant(2.0), 2, 3,\n"
        "   a (1, 2) tensor and two (2, 2) tensors. TensorFlow traced "
        f"{tf_cube.experimental_get_tracing_count()} graphs;\n   here is why.\n\n"
    )
    return intro + traces.render(report, fmt), report.to_dict()


def bench_section(fmt: str = "text", max_time: float = 0.3) -> tuple[str, dict]:
    """Whether graph mode pays: ``cube`` on a scalar (it does not: dispatch overhead
    dominates), ``cube`` on a large tensor (dispatch no longer matters; the kernels and
    graph rewrites decide) and the guide's ``power(x, 100)`` (100 small matmuls: graph
    mode wins, ~5x in the guide). The large tensor's row gets twice the budget: its
    blocks are long (syncing its output is slow), and a speedup needs at least three
    pairs of blocks to have an interval."""
    from graphlab.bench import render as renderer
    from graphlab.bench.compare import compare
    from graphlab.bench.records import combine

    large = tf.random.stateless_normal([500, 500], seed=[0, 1])
    comparison = combine(
        compare(examples.cube, tf.constant(2.0), label="cube(scalar)", max_time=max_time),
        compare(
            examples.cube,
            large,
            label="cube(500x500)",
            max_time=2 * max_time,
            measure_floor=False,
        ),
        compare(
            examples.power,
            examples.power_input(),
            100,
            label="power(x, 100)",
            max_time=max_time,
            measure_floor=False,
        ),
    )
    if fmt == "json":
        return "", comparison.to_dict()
    intro = (
        "3. Does graph mode pay? cube on a scalar and on a 500x500 tensor, and the\n"
        "   guide's power(x, 100) (100 matmuls of 10x10), eager vs tf.function vs XLA.\n\n"
    )
    return intro + renderer.render(comparison, fmt), comparison.to_dict()


def inspect_section(fmt: str = "text") -> tuple[str, dict]:
    """``add_10`` both ways: a Python ``range`` unrolls, ``tf.range`` becomes one loop op."""
    scalar = tf.TensorSpec([], tf.float32)
    unrolled = inspect(examples.add_10_range, scalar)
    looped = inspect(examples.add_10_tf_range, scalar)
    diff = diff_graphs(looped.concrete_functions[0], unrolled.concrete_functions[0])
    data = {
        "add_10_range": unrolled.to_dict(),
        "add_10_tf_range": looped.to_dict(),
        "diff": diff.to_dict(),
    }
    if fmt == "json":
        return "", data
    intro = (
        "2. Inspection: add_10 with a Python range (unrolled: one AddV2 per iteration)\n"
        "   and with tf.range (AutoGraph makes one While op whose body holds the AddV2).\n\n"
    )
    parts = [
        inspection.render(unrolled, fmt, sections=("ops",)),
        inspection.render(looped, fmt, sections=("ops", "code")),
        "\n".join(flow(f"tf.range -> Python range: {diff.summary()}", terminal_width())) + "\n",
    ]
    return intro + "\n".join(parts), data


def training_section(fmt: str = "text", max_time: float = 0.3) -> tuple[str, dict]:
    """The seed chapter's custom training step on its Fashion-MNIST MLP (synthetic
    data), eager vs tf.function vs XLA vs Keras fit."""
    import keras

    from graphlab.bench import render as comparison_renderer
    from graphlab.bench.training import bench_training_step

    x, y = examples.fashion_mnist_like(256)
    result = bench_training_step(
        examples.make_mlp,
        lambda: keras.optimizers.Nadam(learning_rate=1e-2),
        keras.losses.sparse_categorical_crossentropy,
        (x, y),
        batch_size=32,
        modes=["eager", "graph", "xla", "fit"],
        metrics=lambda: [keras.metrics.SparseCategoricalAccuracy()],
        max_time=max_time,
        fit_steps=32,
    )
    if fmt == "json":
        return "", result.to_dict()
    intro = (
        "4. Training: the seed chapter's custom training step (GradientTape, Nadam,\n"
        "   sparse categorical cross-entropy, batch 32) on its\n"
        "   Flatten-Dense(100)-Dense(10) MLP, eager vs tf.function vs XLA vs Keras fit,\n"
        "   from identical initial weights.\n\n"
    )
    return intro + comparison_renderer.render(result, "md" if fmt == "md" else "text"), (
        result.to_dict()
    )


def run(fmt: str = "text") -> str:
    """The whole walkthrough as one string in ``fmt`` (text, md or json)."""
    quiet = logging.getLogger("graphlab")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the report says it all; no live warnings
    try:
        text, data = trace_section(fmt)
        inspect_text, inspect_data = inspect_section(fmt)
        bench_text, bench_data = bench_section(fmt)
        training_text, training_data = training_section(fmt)
    finally:
        quiet.setLevel(level)
    if fmt == "json":
        sections = {
            "traces": data,
            "inspection": inspect_data,
            "bench": bench_data,
            "training": training_data,
        }
        return json.dumps(document(sections), indent=2) + "\n"
    header = "graphlab demo: what tf.function does to the seed chapter's code\n\n"
    return "\n".join([header + text, inspect_text, bench_text, training_text])
