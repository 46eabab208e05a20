"""Multi-worker timing against a hand-written 2-worker loop (issue 14).

Run: ``.venv/bin/python benchmarks/bench_multiworker.py [--rounds 3] [--max-time 2]``

Both sides run the seed chapter's MLP training step (``graphlab.make_train_step`` under
``MultiWorkerMirroredStrategy``, graph mode, global batch 64) in two local worker
processes on loopback:

* graphlab: ``bench_training_step(workers=2, layouts=["multi_worker"])``, the chief's
  median step;
* by hand: two processes with ``TF_CONFIG``, the same step and batches, warm-up, then a
  plain loop: blocks of N steps timed with ``perf_counter``, the last loss fetched, the
  median of blocks (the chief's).

The two alternate (A B, B A, ...) for ``--rounds`` rounds; each round's ratio
graphlab / hand is printed with the machine load. Goal: within 15%.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BATCH = 64


def optimizer():
    import keras

    return keras.optimizers.SGD(0.01)


def loss_fn(y_true, y_pred):
    import keras

    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


def hand_worker(rank: int, ports: str, out: str, seconds: float) -> None:
    """One worker of the hand-written loop."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports.split(",")]}
    os.environ["TF_CONFIG"] = json.dumps(
        {"cluster": cluster, "task": {"type": "worker", "index": rank}}
    )
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import keras

    from graphlab import examples
    from graphlab.bench import training

    x, y = examples.fashion_mnist_like(256)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        setup = training.build_setup(examples.make_mlp, optimizer, loss_fn, (x[:BATCH], y[:BATCH]))
    replica_step = setup.step_function(distributed=True)

    @tf.function
    def step(xb, yb):
        per_replica = strategy.run(replica_step, args=(xb, yb))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    batches = list(strategy.experimental_distribute_dataset(dataset))
    index = 0
    for _ in range(20):  # warm-up: tracing and the first all-reduces
        step(*batches[index % len(batches)])
        index += 1
    # both workers run the same fixed schedule: 50-step blocks for `seconds` (estimated)
    start = time.perf_counter()
    for _ in range(20):
        loss = step(*batches[index % len(batches)])
        index += 1
    float(loss)
    per_step = (time.perf_counter() - start) / 20
    block = 50
    blocks = max(5, int(seconds / (per_step * block)))
    chief = blocks if rank == 0 else 0  # every worker runs the chief's count
    blocks = int(strategy.reduce("SUM", strategy.run(lambda: tf.constant(chief)), axis=None))
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(block):
            loss = step(*batches[index % len(batches)])
            index += 1
        float(loss)
        times.append((time.perf_counter() - start) / block)
    if rank == 0:
        with open(out, "w") as handle:
            json.dump({"median_s": statistics.median(times), "blocks": blocks}, handle)


def run_hand(seconds: float) -> float:
    from graphlab.distributed import cluster

    ports = ",".join(map(str, cluster.free_ports(2)))
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "hand.json")
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--hand-worker", str(r), ports, out, str(seconds)]
            )
            for r in range(2)
        ]
        try:
            for p in procs:
                if p.wait(timeout=600) != 0:
                    raise SystemExit(f"hand-written worker exited {p.returncode}")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        with open(out) as handle:
            return json.load(handle)["median_s"]


def run_graphlab(seconds: float) -> float:
    from graphlab import bench_training_step, examples

    x, y = examples.fashion_mnist_like(256)
    result = bench_training_step(
        examples.make_mlp,
        optimizer,
        loss_fn,
        (x, y),
        BATCH,
        modes=["graph"],
        workers=2,
        layouts=["multi_worker"],
        max_time=seconds,
    )
    (row,) = result.rows
    if not row.ok:
        raise SystemExit(f"graphlab's run failed: {row.error}")
    return row.measurement.median


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-time", type=float, default=2.0)
    parser.add_argument("--hand-worker", nargs=4, metavar=("RANK", "PORTS", "OUT", "S"))
    args = parser.parse_args()
    if args.hand_worker:
        rank, ports, out, seconds = args.hand_worker
        hand_worker(int(rank), ports, out, float(seconds))
        return
    print(f"load before: {load()}")
    ratios = []
    for round_ in range(args.rounds):
        order = ["graphlab", "hand"] if round_ % 2 == 0 else ["hand", "graphlab"]
        medians = {}
        for side in order:
            run = run_graphlab if side == "graphlab" else run_hand
            medians[side] = run(args.max_time)
        ratio = medians["graphlab"] / medians["hand"]
        ratios.append(ratio)
        print(
            f"round {round_ + 1} ({' then '.join(order)}): graphlab "
            f"{medians['graphlab'] * 1e3:.2f} ms/step, hand-written "
            f"{medians['hand'] * 1e3:.2f} ms/step, ratio {ratio:.3f}  [{load()}]",
            flush=True,
        )
    median = statistics.median(ratios)
    verdict = "within" if abs(median - 1) <= 0.15 else "OUTSIDE"
    print(
        f"median ratio graphlab / hand-written over {len(ratios)} rounds: {median:.3f} "
        f"(range {min(ratios):.3f}-{max(ratios):.3f}): {verdict} 15%"
    )
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
