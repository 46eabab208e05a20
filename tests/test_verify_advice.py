"""Advice verified by re-running the program (``watch --verify-advice``, ``graphlab
fix``), on programs shaped like TensorFlow's and keras-io's: every fix printed, applied,
runs and reduces the traces; a fix that fails or cannot be checked is not printed."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graphlab.tracing import fix, runner, verify
from graphlab.tracing.explain import SIGNATURE_ADVICE
from tests.helpers import ROOT, child_pids, run_cli

CORPUS = Path(__file__).parent / "advice_corpus"


def _traces(report) -> dict[str, int]:
    return {s.function: s.traces for s in report.summaries if not s.internal}


def _run(path: Path) -> dict[str, int]:
    cwd = os.getcwd()
    os.chdir(path.parent)  # the program runs from its folder, as in the re-run
    try:
        return _traces(runner.run_watched(runner.Program.script(path.name, [])).report)
    finally:
        os.chdir(cwd)


@pytest.mark.slow
def test_fix_writes_the_verified_signatures_of_the_distributed_tutorial(tmp_path):
    """TF's distributed custom-training tutorial: a distributed dataset of (images,
    labels) tuples with a smaller last batch. The nested signature takes the train step
    from 3 traces to 2 (its variable-creating first trace stays) and the test step from 2
    to 1; reduce_retracing, which would save nothing here, is not suggested."""
    script = tmp_path / "train.py"
    shutil.copy(CORPUS / "distributed_custom_training.py", script)
    done = run_cli("module", "fix", "--write", "train.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    spec = (
        "@tf.function(input_signature=[(tf.TensorSpec(shape=[None, 8, 8, 1], "
        "dtype=tf.float32), tf.TensorSpec(shape=[None], dtype=tf.uint8))])"
    )
    assert done.stdout.startswith("--- a/train.py\n+++ b/train.py\n")
    assert done.stdout.count(f"+{spec}\n") == 2
    assert done.stdout.count("-@tf.function\n") == 2
    assert (
        "  distributed_train_step (train.py:71):\n    verified: traces 3 -> 2, outputs equal"
        in done.stderr
    )
    assert (
        "  distributed_test_step (train.py:77):\n    verified: traces 2 -> 1, outputs equal"
        in done.stderr
    )
    assert "Epoch 2, Loss:" in done.stderr  # the program's own output: not in the diff
    assert (tmp_path / "train.py.orig").read_text() == (
        CORPUS / "distributed_custom_training.py"
    ).read_text()
    assert script.read_text().count(spec) == 2
    traces = _run(script)  # the fixed program, as the user now runs it
    assert traces["distributed_train_step"] == 2
    assert traces["distributed_test_step"] == 1


def _fixed_copy(source: Path, tmp_path: Path, report) -> Path:
    """The program with every signature its report printed written in."""
    text = source.read_text()
    for found in verify.fixes_in(report):
        line = int(found.defined_at.rpartition(":")[2])
        text = fix.rewrite(text, found.function, line, found.keywords)
    target = tmp_path / source.name
    target.write_text(text)
    return target


@pytest.mark.parametrize(
    ("program", "before", "after"),
    [
        (
            "keras_custom_training_loop.py",
            {"train_step": 3, "test_step": 2},
            {"train_step": 2, "test_step": 1},
        ),
        ("intro_to_graphs_relu.py", {"my_relu": 3}, {"my_relu": 1}),
    ],
)
def test_printed_signatures_applied_reduce_the_traces(program, before, after, tmp_path):
    result = runner.run_watched(runner.Program.script(str(CORPUS / program), []))
    assert _traces(result.report) == before
    advice = "\n".join(s.advice for s in result.report.summaries)
    assert "no single input_signature" not in advice
    assert "reduce_retracing" not in advice  # it would not remove a trace in these runs
    assert advice.count(SIGNATURE_ADVICE) == len(before)
    assert _run(_fixed_copy(CORPUS / program, tmp_path, result.report)) == after


def test_fix_runs_a_module_like_python_m_and_writes_its_file(tmp_path):
    """``graphlab fix -m pkg.relu`` as ``python -m pkg.relu`` runs it; the diff names the
    module's file relative to the folder it runs from, and TensorFlow's start-up lines
    are held back as under watch."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(CORPUS / "intro_to_graphs_relu.py", package / "relu.py")
    original = (package / "relu.py").read_text()
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-m", "graphlab", "fix", "--write", "-m", "pkg.relu"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "COLUMNS": "80"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("--- a/pkg/relu.py\n+++ b/pkg/relu.py\n"), done.stdout
    signature = "@tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])"
    assert f"-@tf.function\n+{signature}\n" in done.stdout
    assert "my_relu (pkg/relu.py:8):\n    verified: traces 3 -> 1, outputs equal" in done.stderr
    assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr
    assert (package / "relu.py.orig").read_text() == original
    assert signature in (package / "relu.py").read_text()


PAD = """
import tensorflow as tf


@tf.function
def pad(x):
    return tf.concat([x, tf.zeros([4 - x.shape[0]])], 0)


for n in (1, 2, 3):
    print(pad(tf.ones([n])).numpy())
"""


def test_a_signature_that_breaks_the_function_is_not_printed(tmp_path):
    """``x.shape[0]`` is None under the signature: the re-run fails, so the report keeps
    the signature out of its advice and says why."""
    script = tmp_path / "pad.py"
    script.write_text(PAD)
    result, (checked,) = verify.watch_program(
        runner.Program.script(str(script), []), verify_advice=True
    )
    assert not checked.verified
    assert checked.line().startswith("not verified: the program fails with it (TypeError:")
    (summary,) = [s for s in result.report.summaries if s.function == "pad"]
    assert "input_signature" not in summary.advice.replace("tf.function(input_signature", "")
    assert SIGNATURE_ADVICE not in summary.advice
    assert not any(SIGNATURE_ADVICE in event.cause.advice for event in result.report.events)
    assert "graphlab tried tf.function(input_signature=[tf.TensorSpec(shape=[None]" in (
        summary.advice
    )


READS_INPUT = """
import tensorflow as tf


@tf.function
def double(x):
    return x * 2


n = int(input())
for size in range(1, n + 1):
    double(tf.ones([size]))
"""


def test_a_program_that_needs_input_or_time_is_reported_as_not_verified(tmp_path, monkeypatch):
    script = tmp_path / "asks.py"
    script.write_text(READS_INPUT)
    program = runner.Program.script(str(script), [])
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n"))  # the watched run gets its input
    result, (checked,) = verify.watch_program(program, verify_advice=True)
    assert _traces(result.report) == {"double": 3}
    assert checked.line() == (
        "not verified: the program fails with it (EOFError: EOF when reading a line); "
        "it reads input, which a re-run cannot give"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n"))
    _, (late,) = verify.watch_program(program, verify_advice=True, timeout=0.5)
    assert late.line().startswith("not verified: the re-run did not finish in 0.5 s")
    assert child_pids(os.getpid()) == []  # the killed re-run left nothing behind


def test_watch_verify_advice_on_the_command_line(tmp_path):
    """The intro-to-graphs guide's my_relu: the report's advice carries the verification,
    the JSON stays JSON, and no fix is printed live before it is verified."""
    shutil.copy(CORPUS / "intro_to_graphs_relu.py", tmp_path / "relu.py")
    done = run_cli(
        "module",
        "watch",
        "--verify-advice",
        "--format",
        "json",
        "-o",
        "r.json",
        "relu.py",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "retraced" not in done.stderr  # live warnings held back
    assert "  my_relu (relu.py:8):\n    verified: traces 3 -> 1, outputs equal [" in done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    (summary,) = [s for s in report["summary"] if s["function"] == "my_relu"]
    assert summary["advice"].endswith(
        "Verified by re-running the program with it: traces 3 -> 1, outputs equal."
    )
    assert "tf.TensorSpec(shape=None, dtype=tf.float32)" in summary["advice"]


def test_outputs_that_change_dtype_or_shape_are_named_not_put_down_to_seeding():
    """The seed chapter's ``cube(2)`` under ``input_signature=[TensorSpec([], float32)]``
    returns a float32 8.0 where it returned an int32 8: the verification says so rather
    than "not seeded"; values that only moved keep that caveat."""
    import tensorflow as tf

    from graphlab._tf.override import _fingerprint, output_difference

    as_int = [_fingerprint(tf.constant(8)), _fingerprint(tf.constant(8.0))]
    as_float = [_fingerprint(tf.constant(8.0)), _fingerprint(tf.constant(8.0))]
    assert output_difference(as_int, as_int) == ""
    assert output_difference(as_int, as_float) == (
        "call 1 returned int32 before, float32 with the fix"
    )
    assert output_difference(as_float, [as_float[0], _fingerprint(tf.ones([2]))]) == (
        "call 2 returned shape [] before, [2] with the fix"
    )
    assert output_difference(as_float, [as_float[0], _fingerprint(tf.constant(9.0))]) == "values"

    tried = verify.Fix("cube", "cube", "seed_chapter.py:15", "input_signature=[...]", 2)
    changed = verify.Verification(
        tried, True, 1, "differ", difference=output_difference(as_int, as_float)
    )
    assert changed.line() == (
        "verified: traces 2 -> 1, outputs changed: call 1 returned int32 before, float32 "
        "with the fix; check that the program wants that"
    )
    moved = verify.Verification(tried, True, 1, "differ", difference="values")
    assert "not seeded" in moved.line()
