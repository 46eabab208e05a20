"""Messages that must name what the user gave and where a figure comes from (issue 23):
the argument of bench_training_step the user passed, where peak memory was measured,
FLOPs of 0 with the ops that were not counted. (``-o 'nodir{rank}/x.json' --rank 1``
is in test_bad_input's table.)"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

from graphlab.bench import peak
from graphlab.bench.records import Comparison, ComparisonRow
from graphlab.bench.records_rows import Measurement
from graphlab.cli.main import main

TINY_JOB = textwrap.dedent(
    """
    import keras
    import tensorflow as tf

    def model():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])

    def optimizer():
        return keras.optimizers.SGD(0.1)

    def loss(y, p):
        return tf.reduce_mean(tf.square(y - p), axis=-1)
    """
)

UNGUARDED = TINY_JOB + textwrap.dedent(
    """
        import numpy as np
        from graphlab.bench.training import TrainingSetupError, bench_training_step

        data = (np.zeros((8, 4), "float32"), np.zeros((8, 3), "float32"))
        for options in ({}, {"profile": True}):
            try:  # at the top level, outside a __main__ guard: refused before any worker
                bench_training_step(model, optimizer, loss, data, 4, processes=2, **options)
            except TrainingSetupError as error:
                print(error)
        """
)


def test_bench_training_step_processes_errors_name_processes_not_workers(tmp_path):
    (tmp_path / "unguarded.py").write_text(UNGUARDED)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "unguarded.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    guard, profile = done.stdout.strip().split("\n")
    assert guard.startswith("bench_training_step(processes=N) is called at the top level"), guard
    assert profile == "profile is not supported with processes=N", profile
    assert "workers=" not in done.stdout


def test_bench_training_step_in_its_own_worker_names_processes(monkeypatch):
    from graphlab._workers.records import WORKER_ENV
    from graphlab.bench.training import TrainingSetupError, bench_training_step

    monkeypatch.setenv(WORKER_ENV, "1")
    try:
        bench_training_step("m:f", "m:g", "m:h", ([[0.0]], [[0.0]]), 1, processes=2)
    except TrainingSetupError as error:
        message = str(error)
    assert message.startswith("bench_training_step(processes=N) ran inside one of its own")


def _row(how: str) -> ComparisonRow:
    measurement = Measurement(
        label="f/eager",
        block_times=(0.01, 0.01, 0.01),
        block_calls=(10, 10, 10),
        metadata={peak.PEAK_RSS_KEY: "1048576", peak.PEAK_RSS_HOW_KEY: how},
    )
    return ComparisonRow("f", "eager", measurement)


def test_peaks_measured_in_a_worker_say_so_resettable_or_not():
    comparison = Comparison(rows=(_row(peak.IN_PROCESS), _row(peak.NOT_RESETTABLE)))
    hows = [
        row.measurement.metadata[peak.PEAK_RSS_HOW_KEY]
        for row in peak.measured_in_worker(comparison).rows
    ]
    assert hows == ["worker process", "worker process, peak not resettable"]


def test_a_training_workers_peak_memory_is_labelled_as_measured_in_a_worker(tmp_path, monkeypatch):
    """What one process of bench_training_step(processes=N / workers=N) sends back
    (run here, as the worker runs it): its peaks were not taken in the user's process."""
    import numpy as np

    from graphlab.bench import worker_task
    from graphlab.bench.settings import TrainingSettings

    (tmp_path / "tinyjob.py").write_text(TINY_JOB)
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = TrainingSettings(max_time=0.05, precision=0.5, check_steps=2)
    job = {
        "factories": {"model_fn": "tinyjob:model", "optimizer_fn": "tinyjob:optimizer",
                      "loss_fn": "tinyjob:loss"},
        "metrics": None,
        "data": (np.zeros((8, 4), "float32"), np.zeros((8, 3), "float32")),
        "batch_size": 4,
        "modes": ["eager"],
        "options": settings.step_options(),
    }  # fmt: skip
    path = tmp_path / "job.pkl"
    path.write_bytes(pickle.dumps(job))
    result = json.loads(
        worker_task.train({"layout": "single", "devices": 1, "gpu": False, "job": str(path)})
    )
    hows = {row["metadata"].get(peak.PEAK_RSS_HOW_KEY) for row in result["rows"]}
    assert hows and all(how and how.startswith("worker process") for how in hows), hows


EINSUM = "import tensorflow as tf\n\ndef f(a, b):\n    return tf.einsum('ij,jk->ik', a, b)\n"


def test_inspect_shows_flops_of_zero_with_the_ops_it_did_not_count(tmp_path, monkeypatch, capsys):
    (tmp_path / "ein.py").write_text(EINSUM)
    monkeypatch.chdir(tmp_path)
    assert main(["inspect", "ein.py:f", "--arg", "f32[2,3]", "--arg", "f32[3,4]"]) == 0
    out = capsys.readouterr().out
    flowed = " ".join(out.split())  # the line wraps at the terminal's width
    assert (
        "FLOPs per call: 0; not counted (no FLOP formula in TensorFlow's registry): Einsum"
        in flowed
    ), out
