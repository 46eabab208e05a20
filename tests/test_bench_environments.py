"""`graphlab bench --python LABEL=PATH`: the measurement in other interpreters, rows per
environment, versions in the header, time per call vs the first environment; bad
environments are usage errors. The "other" interpreter is this one under two labels
(a second TensorFlow is what `make compat` builds; docs/bench.md shows that run)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest
from helpers import ROOT, run_cli

from graphlab.bench import environments
from graphlab.bench.environments import EnvironmentProblem
from graphlab.bench.records import Comparison, ComparisonRow, Measurement

TARGETS = """
def square(x):
    return x * x
"""


@pytest.fixture
def targets(tmp_path):
    path = tmp_path / "targets.py"
    path.write_text(TARGETS)
    return str(path)


def test_two_environments_give_rows_per_environment_with_their_versions(targets, tmp_path):
    import keras
    import tensorflow as tf

    out = tmp_path / "envs.json"
    done = run_cli(
        "module", "bench", f"{targets}:square", "--arg", "f32[3]", "--modes", "eager,graph",
        "--max-time", "0.05", "--threads", "1,1", "-q", "-o", str(out),
        "--python", f"old={sys.executable}", "--python", f"new={sys.executable}",
        timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["metadata"]["environments"] == {"old": tf.__version__, "new": tf.__version__}
    details = data["metadata"]["environment_details"]
    assert details["new"]["keras"] == keras.__version__
    assert details["old"]["python"] == os.path.abspath(sys.executable)
    rows = [(r["environment"], r["function"], r["mode"]) for r in data["rows"]]
    assert rows == [
        ("old", "square", "eager"),
        ("old", "square", "graph"),
        ("new", "square", "eager"),
        ("new", "square", "graph"),
    ]
    by_env = {(r["environment"], r["mode"]): r for r in data["rows"]}
    assert by_env[("old", "graph")]["time_vs_baseline"] is None  # the baseline itself
    # The two workers took turns round by round: the same rounds, paired one to one.
    assert data["metadata"]["environment_schedule"] == "rounds interleaved"
    old_rounds = set(by_env[("old", "graph")]["block_rounds"])
    assert old_rounds == set(by_env[("new", "graph")]["block_rounds"])
    ratio = by_env[("new", "graph")]["time_vs_baseline"]
    assert ratio["baseline"] == "old" and ratio["pairs"] == len(old_rounds)
    assert ratio["ci"][0] <= ratio["ratio"] <= ratio["ci"][1]
    # Speedups stay within an environment: new/graph is paired with new/eager.
    assert by_env[("new", "graph")]["speedup_vs_eager"] > 0
    assert by_env[("new", "graph")]["parity"] == "ok"

    text = str(Comparison.from_dict(data))
    assert f"environment old: TensorFlow {tf.__version__}, Keras {keras.__version__}" in text
    assert "time per call vs old" in text
    assert "modes interleaved in 1 worker process per environment" in text
    csv = Comparison.from_dict(data).flat_rows()
    assert [r["environment"] for r in csv] == ["old", "old", "new", "new"]


def bare_venv(tmp_path) -> str:
    """A Python without TensorFlow (a venv without pip: made in about a second)."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")],
        check=True,
        timeout=60,
    )
    return str(tmp_path / "bare")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nolabel", "--python expects LABEL=PATH"),
        ("x=/no/such/python", "--python x=/no/such/python: not an executable file"),
        ("x=/bin/true", "not a Python interpreter that graphlab can use"),
        ("bare", "no TensorFlow (ModuleNotFoundError: No module named 'tensorflow')"),
    ],
)
def test_bad_environments_exit_2_with_one_line(targets, tmp_path, spec, message):
    if spec == "bare":
        spec = f"bare={bare_venv(tmp_path)}"  # a venv's directory is taken as its bin/python
        message += "; pip install tensorflow-cpu (or tensorflow) into it"
    done = run_cli("module", "bench", f"{targets}:square", "--arg", "f32[3]", "--python", spec)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_labels_are_unique_and_profile_is_refused(targets):
    with pytest.raises(EnvironmentProblem, match="the label 'a' is given twice"):
        environments.parse([f"a={sys.executable}", f"a={sys.executable}"])
    done = run_cli(
        "module", "bench", f"{targets}:square", "--arg", "f32[3]", "--profile",
        "--python", f"a={sys.executable}",
    )  # fmt: skip
    assert done.returncode == 2
    assert "drop --isolate / --processes / --python" in done.stderr


def test_the_worker_imports_this_graphlab_not_the_environments(tmp_path):
    """The other interpreter's path gets a directory holding only graphlab."""
    source = environments.source_path(str(tmp_path))
    assert os.listdir(source) == ["graphlab"]
    assert os.path.samefile(os.path.join(source, "graphlab"), os.path.join(ROOT, "graphlab"))


TURN_TAKER = """
import sys, time
from graphlab.bench import turns

label, wanted, read_fd, write_fd, log = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:5]), sys.argv[5]
turns.install(read_fd, write_fd)
gate = turns.current()
done = 0
gate.take()  # the warm-up turn
with open(log, "a") as f: f.write(f"{label} warm-up\\n")
while done < wanted:
    if label == "dies" and done == 1:
        sys.exit(3)  # in the middle of the run, without a word
    if not gate.take():
        break
    with open(log, "a") as f: f.write(f"{label} round {done}\\n")
    time.sleep(0.01)
    done += 1
gate.finish()
with open(log, "a") as f: f.write(f"{label} finished after {done}\\n")
"""


def test_workers_take_turns_and_all_end_after_the_first_stops(tmp_path):
    """Three workers: one wants 3 rounds, one 10, one dies after 1. Turns never
    overlap, nobody has two in a row, everyone ends after round 3, one at a time."""
    from graphlab.bench import turns

    script, log = tmp_path / "taker.py", tmp_path / "log.txt"
    script.write_text(TURN_TAKER)
    channels = []
    for label, wanted in (("short", 3), ("long", 10), ("dies", 10)):
        channel = turns.Channel()
        fds = [str(fd) for fd in channel.child_fds]
        process = subprocess.Popen(
            [sys.executable, str(script), label, str(wanted), *fds, str(log)],
            pass_fds=channel.child_fds,
            env={**os.environ, "PYTHONPATH": ROOT},
        )
        channel.started(process)
        channels.append(channel)
    try:
        rounds = turns.referee(channels, timeout=60)
    finally:
        for channel in channels:
            channel.close()
    assert rounds == 3
    assert [c.process.returncode for c in channels] == [0, 0, 3]
    lines = log.read_text().splitlines()
    assert lines[:3] == ["short warm-up", "long warm-up", "dies warm-up"]
    turns_taken = [line.split()[0] for line in lines[3:] if " round " in line]
    assert all(a != b for a, b in itertools.pairwise(turns_taken))  # never twice in a row
    assert [line for line in lines if line.startswith("long")][-2:] == [
        "long round 2",
        "long finished after 3",
    ]
    assert lines[-2:] == ["short finished after 3", "long finished after 3"]


def _m(label: str, per_process: dict[int, float]) -> Measurement:
    times = [t * 10 for t in per_process.values() for _ in range(3)]
    processes = [p for p in per_process for _ in range(3)]
    return Measurement(label, tuple(times), (10,) * len(times), block_processes=tuple(processes))


def test_the_time_ratio_pairs_processes_that_ran_back_to_back():
    """Process p of each environment ran next to each other: the ratio is the median
    of the pairs' ratios, and its interval spans them."""
    base = _m("f/graph", {0: 1e-3, 1: 2e-3, 2: 1e-3})  # the machine slowed in process 1
    new = _m("f/graph", {0: 1.1e-3, 1: 2.2e-3, 2: 1.2e-3})
    comparison = Comparison(
        (
            ComparisonRow("f", "graph", base, environment="a"),
            ComparisonRow("f", "graph", new, environment="b"),
        ),
        metadata={"environments": {"a": "2.16.2", "b": "2.21.0"}},
    )
    figures = comparison.figures()
    assert figures[0].time_ratio is None
    ratio = figures[1].time_ratio
    assert ratio is not None and ratio.baseline == "a" and ratio.pairs == 3
    assert ratio.value == pytest.approx(1.1)  # median of 1.1, 1.1, 1.2
    assert ratio.low <= 1.1 and ratio.high >= 1.2
    rows = comparison.to_dict()["rows"]
    assert rows[1]["time_vs_baseline"]["ratio"] == pytest.approx(1.1)
    assert Comparison.from_dict(comparison.to_dict()).rows[1].environment == "b"
