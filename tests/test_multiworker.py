"""bench_training_step(workers=N): local worker processes under
MultiWorkerMirroredStrategy on loopback, the scaling table, and cleanup (a worker that
dies, a parent that is killed). TensorFlow starts in every worker (seconds each): one
multi-worker run per test, one shared run for the table's checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import pytest
from helpers import alive, child_pids, is_worker, survivors

import graphlab
from graphlab import examples
from graphlab.bench import training
from graphlab.bench.records import Comparison

PARENT = Path(__file__).parent / "data" / "multiworker_parent.py"
FAST = {"max_time": 0.2, "precision": 0.5, "check_steps": 2, "fit_steps": 8}
LOSS = keras.losses.sparse_categorical_crossentropy
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def sgd():
    return keras.optimizers.SGD(0.01)


def dies_in_worker_1():
    """The MLP, except in worker 1 of a cluster, which exits at once."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    if config.get("task", {}).get("index") == 1:
        print("worker 1 is going away", file=sys.stderr, flush=True)
        os._exit(3)
    return examples.make_mlp()


@pytest.fixture(scope="module")
def table():
    x, y = examples.fashion_mnist_like(64)
    return graphlab.bench_training_step(
        examples.make_mlp,
        sgd,
        LOSS,
        (x, y),
        32,
        modes=["eager", "graph", "fit"],
        workers=2,
        layouts=["single", "multi_worker"],
        **FAST,
    )


def test_two_workers_time_the_seed_chapter_step_with_two_replicas(table):
    frame = table.to_frame()
    assert {"workers", "replicas", "worker_spread", "scaling_efficiency"} <= set(frame.columns)
    assert list(zip(frame["function"], frame["mode"])) == [
        ("1 device", "eager"),
        ("1 device", "graph"),
        ("1 device", "fit"),
        ("2 workers", "eager"),
        ("2 workers", "graph"),
        ("2 workers", "fit"),
    ]
    assert list(frame["workers"]) == [1, 1, 1, 2, 2, 2]
    assert list(frame["replicas"]) == [1, 1, 1, 2, 2, 2]
    graph = frame[(frame["workers"] == 2) & (frame["replicas"] == 2) & (frame["mode"] == "graph")]
    row = graph.iloc[0]
    assert row["error"] == "" and row["median_step_us"] > 0
    assert row["strategy"] == "MultiWorkerMirroredStrategy"
    assert row["parity"].startswith("ok")  # the graph step's losses equal eager's, in every worker
    assert row["scaling_efficiency"] > 0 and row["worker_spread"] >= 0
    assert row["examples_per_s"] == pytest.approx(32 * 1e6 / row["median_step_us"])
    placement = table.row("2 workers", "graph").placement
    assert len(placement.worker_medians) == 2 and all(t > 0 for t in placement.worker_medians)
    assert placement.worker_medians[0] == pytest.approx(
        table.row("2 workers", "graph").measurement.median
    )
    single = frame[frame["workers"] == 1]
    assert single["error"].eq("").all() and single["scaling_efficiency"].isna().all()


def test_keras_fit_under_the_multi_worker_strategy_is_a_row_with_the_reason(table):
    fit = table.row("2 workers", "fit")
    assert not fit.ok and fit.error  # Keras 3.15: fails inside Keras under MWMS
    assert fit.placement.workers == 2
    assert table.row("1 device", "fit").ok
    assert any(note.startswith("failed: ") for note in table.notes(fit))


def test_the_table_survives_json_and_says_where_rows_ran(table):
    again = Comparison.from_dict(json.loads(table.to_json()))
    assert again.row("2 workers", "graph").placement == table.row("2 workers", "graph").placement
    assert list(again.to_frame()["replicas"]) == list(table.to_frame()["replicas"])
    assert table.metadata["layouts"] == "1 device, 2 workers"
    text = str(table)
    assert "2 workers" in text and "scaling efficiency" in text


def test_a_worker_that_dies_ends_the_run_and_is_named_with_its_output():
    x, y = examples.fashion_mnist_like(64)
    started = time.monotonic()
    result = graphlab.bench_training_step(
        dies_in_worker_1,
        sgd,
        LOSS,
        (x, y),
        32,
        modes=["graph"],
        workers=2,
        layouts=["multi_worker"],
        timeout=240,
        **FAST,
    )
    (row,) = result.rows
    assert not row.ok
    assert "worker 1 exited with status 3" in row.error
    assert "worker 1 is going away" in row.error
    assert time.monotonic() - started < 200  # worker 0 was not left waiting for it


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        ({"optimizer_fn": lambda: keras.optimizers.SGD(0.1)}, "optimizer_fn is a lambda"),
        ({"model_fn": "no_such_module_xyz:make"}, "no_such_module_xyz"),
        ({"workers": 0}, "workers must be an int from 1 to 32, got 0"),
        (
            {"workers": 100000},
            "workers must be an int from 1 to 32, got 100000 (they run at once",
        ),
        ({"workers": 3}, "batch_size 32 does not split over 3 workers"),
        ({"layouts": ["single", "ring"]}, "layouts must be some of single, mirrored, multi_worker"),
        ({"profile": True}, "profile is not supported with workers="),
    ],
)
def test_bad_multi_worker_arguments_are_named_before_any_process_starts(factory, message):
    def nested():
        return examples.make_mlp()

    x, y = examples.fashion_mnist_like(32)
    arguments = {"model_fn": examples.make_mlp, "optimizer_fn": sgd, "workers": 2, **factory}
    with pytest.raises(training.TrainingSetupError) as error:
        graphlab.bench_training_step(
            loss_fn=LOSS, data=(x, y), batch_size=32, modes=["graph"], **arguments
        )
    assert message in str(error.value)
    with pytest.raises(training.TrainingSetupError, match="defined inside a function"):
        graphlab.bench_training_step(nested, sgd, LOSS, (x, y), 32, workers=2)


def test_multi_worker_strategy_without_tf_config_says_how_to_set_it(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    x, y = examples.fashion_mnist_like(32)
    with pytest.raises(training.TrainingSetupError, match=r"TF_CONFIG .* is not set"):
        graphlab.bench_training_step(
            examples.make_mlp, sgd, LOSS, (x, y), 32, strategy="multi_worker"
        )


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_parent_leaves_no_worker_behind(sig):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    parent = subprocess.Popen(
        [sys.executable, str(PARENT), "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and parent.poll() is None:
            time.sleep(0.2)
            workers = [p for p in child_pids(parent.pid) if alive(p) and is_worker(p)]
        assert len(workers) == 2, f"the workers did not start (parent: {parent.poll()})"
        time.sleep(5)  # the workers are importing TensorFlow or meeting in a collective
        assert all(alive(p) for p in workers)
        parent.send_signal(sig)
        parent.wait(timeout=30)
        assert not survivors(workers, 20), "worker processes outlived the parent"
    finally:
        for pid in [parent.pid, *workers]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        parent.wait(timeout=10)
        parent.stdout.close()


def test_processes_pool_the_interleaved_step_of_fresh_processes():
    """bench_training_step(processes=2): the in-process table's rows (train_step), each
    pooling the blocks of two fresh processes, tagged by process, with one interval."""
    x, y = examples.fashion_mnist_like(64)
    result = graphlab.bench_training_step(
        examples.make_mlp, sgd, LOSS, (x, y), 32, modes=["eager", "graph"], processes=2, **FAST
    )
    assert [(r.function, r.mode) for r in result.rows] == [
        ("train_step", "eager"),
        ("train_step", "graph"),
    ]
    graph = result.row("train_step", "graph")
    assert graph.ok and graph.placement is None
    assert set(graph.measurement.block_processes) == {0, 1}
    assert result.processes == 2
    paired = result.paired(graph)
    assert paired.processes == 2 and paired.pairs == len(
        set(zip(graph.measurement.block_processes, graph.measurement.block_rounds))
    )
    frame = result.to_frame()
    assert "workers" not in frame.columns  # like an in-process table
    assert list(frame["processes"]) == [2, 2]
    for processes in (0, 101):
        with pytest.raises(
            training.TrainingSetupError, match="processes must be an int from 1 to 100"
        ):
            graphlab.bench_training_step(
                examples.make_mlp, sgd, LOSS, (x, y), 32, processes=processes
            )
    with pytest.raises(training.TrainingSetupError, match="lambda"):
        graphlab.bench_training_step(
            examples.make_mlp, lambda: sgd(), LOSS, (x, y), 32, processes=2, **FAST
        )
