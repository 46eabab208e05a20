"""`graphlab bench` and `graphlab compare-runs` in subprocesses: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, run_cli, synthetic

from graphlab.bench.records import Comparison

TARGETS = """
import tensorflow as tf

def square(x):
    return x * x

def as_text(x):
    return tf.strings.as_string(x)
"""


def run(kind: str, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    return run_cli(kind, *args, cwd=cwd, timeout=120)


@pytest.fixture
def targets(tmp_path):
    path = tmp_path / "targets.py"
    path.write_text(TARGETS)
    return str(path)


@pytest.mark.parametrize("kind", ["script", "module"])
def test_bench_text_table(kind, targets):
    done = run(kind, "bench", f"{targets}:square", "--arg", "f32[3]", "--max-time", "0.05")
    assert done.returncode == 0, done.stderr
    assert "speedup vs eager" in done.stdout
    assert "square" in done.stdout and "xla" in done.stdout
    assert "Traceback" not in done.stderr


def test_bench_json_save_and_a_failing_mode(targets, tmp_path):
    saved = tmp_path / "run.json"
    done = run(
        "module", "bench", f"{targets}:square", f"{targets}:as_text", "--arg", "f32[3]",
        "--max-time", "0.05", "--format", "json", "--save", str(saved),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["schema"] == "graphlab.comparison/3"
    rows = {(r["function"], r["mode"]): r for r in data["rows"]}
    assert rows[("square", "eager")]["speedup_vs_eager"] is None
    assert rows[("square", "graph")]["speedup_vs_eager"] > 0
    assert "XLA cannot compile" in rows[("as_text", "xla")]["error"]
    assert Comparison.from_dict(json.loads(saved.read_text())).rows


def test_bench_plot(targets, tmp_path):
    pytest.importorskip("matplotlib", reason="--plot needs the plot extra (matplotlib)")
    plot = tmp_path / "plot.png"
    done = run(
        "module", "bench", f"{targets}:square", "--arg", "f32[3]", "--modes", "eager,graph",
        "--max-time", "0.05", "-q", "--plot", str(plot),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_every_mode_failing_exits_1(targets):
    done = run("module", "bench", f"{targets}:as_text", "--arg", "f32[2]", "--modes", "xla", "-q")
    assert done.returncode == 1
    assert "XLA cannot compile" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--arg", "f32[None,3]"], "unknown dimension; running needs concrete sizes"),
        (
            ["--arg", "f32[3]", "--modes", "eager,jit"],
            "--modes: unknown mode(s) 'jit'; choose from eager, graph, xla, concrete",
        ),
        (["--arg", "f32[3]", "--max-time", "0"], "--max-time must be > 0"),
        (["--arg", "f32[3]", "--threads", "two"], "--threads expects INTRA,INTER"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(targets, args, message):
    done = run("script", "bench", f"{targets}:square", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_target_exits_2(targets):
    done = run("module", "bench", f"{targets}:nope", "--arg", "f32[3]")
    assert done.returncode == 2
    assert "has no attribute 'nope'" in done.stderr


def test_processes_run_the_interleaved_measurement_in_fresh_workers(targets):
    done = run(
        "module", "bench", f"{targets}:square", "--arg", "f32[3]", "--modes", "eager,graph",
        "--processes", "2", "--max-time", "0.05", "--format", "json", "--threads", "1,1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["metadata"]["isolation"] == "2 process(es)"
    assert data["metadata"]["intra_op_threads"] == "1"
    assert data["processes"] == 2
    eager, graph = data["rows"]
    assert [eager["parity"], graph["parity"]] == ["", "ok"]
    assert graph["schedule"] == "interleaved" and graph["processes"] == 2
    assert set(graph["block_processes"]) == {0, 1}
    assert graph["pairs"] == len(set(zip(graph["block_processes"], graph["block_rounds"])))
    text = Comparison.from_dict(data)
    assert "modes interleaved in 2 worker processes" in " ".join(str(text).split())


@pytest.mark.parametrize("kind", ["script", "module"])
def test_compare_runs_gate(kind, tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(synthetic(graph_us=100.0).to_json())
    new.write_text(synthetic(graph_us=150.0).to_json())
    done = run(kind, "compare-runs", str(old), str(new), "--fail-if-slower", "10")
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "f/graph" in done.stdout
    assert run(kind, "compare-runs", str(old), str(old), "--fail-if-slower", "10").returncode == 0
    missing = run(kind, "compare-runs", str(tmp_path / "none.json"), str(new))
    assert missing.returncode == 2 and "no such run" in missing.stderr
    directory = run(kind, "compare-runs", str(tmp_path), str(new))
    assert directory.returncode == 2 and "Traceback" not in directory.stderr
    assert f"cannot read {tmp_path}: Is a directory" in directory.stderr
    csv = run(kind, "compare-runs", str(old), str(new), "-o", str(tmp_path / "diff.csv"))
    assert csv.returncode == 2 and "Traceback" not in csv.stderr
    assert "cannot write a run comparison as csv; use --format text|md|json" in csv.stderr


def test_an_old_comparison_file_still_compares(tmp_path):
    old = Path(__file__).parent / "data" / "comparison-1.json"
    new = tmp_path / "new.json"
    new.write_text(synthetic(graph_us=100.0).to_json())
    done = run("module", "compare-runs", str(old), str(new), "--fail-if-slower", "10")
    assert done.returncode == 0, done.stderr
    assert "passed: no speedup dropped by more than 10%" in done.stdout


def test_the_worker_reports_a_bad_request_in_one_line():
    from graphlab.bench.isolate import compare_isolated
    from graphlab.bench.settings import BenchSettings

    settings = BenchSettings(modes=("graph",), max_time=0.05)
    (row,) = compare_isolated(["no_such_module_xyz:fn"], settings=settings).rows
    assert row.measurement is None
    assert row.error.startswith("worker exited 2: graphlab worker: error: no module named ")
    assert "'no_such_module_xyz'" in row.error


def test_the_parent_of_isolated_workers_and_compare_runs_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "import graphlab.bench.isolate, graphlab.bench.runs, graphlab.cli.compare_runs\n"
        "assert 'tensorflow' not in sys.modules, sorted(m for m in sys.modules if 'tensorflow' in m)[:3]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_help_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from graphlab.cli.main import main\n"
        "try:\n    main(['bench', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'tensorflow' not in sys.modules, 'help imported TensorFlow'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--fail-if-slower" not in done.stdout and "--max-time" in done.stdout
