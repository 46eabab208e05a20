"""``graphlab inspect`` / ``python -m graphlab inspect`` end to end, in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from helpers import ENTRY_POINTS, run_cli

RUNNERS = ENTRY_POINTS

USER_MODULE = textwrap.dedent(
    """\
    import tensorflow as tf


    def broken(x):
        y = x + 1
        return tf.reshape(y, [3, 7])


    def strings(x):
        return tf.strings.as_string(x)


    class Counter:
        def __init__(self):
            self.count = tf.Variable(0.0, name="count")
            self.scale = tf.constant([2.0, 3.0])

        @tf.function
        def step(self, x):
            self.count.assign_add(tf.reduce_sum(x * self.scale))
            return self.count.read_value()


    counter = Counter()
    NOT_CALLABLE = 3
    """
)


def run(*args: str, runner: str = "module", cwd: str | None = None) -> subprocess.CompletedProcess:
    return run_cli(runner, *args, cwd=cwd, timeout=120)


@pytest.fixture
def user_dir(tmp_path):
    (tmp_path / "user_mod.py").write_text(USER_MODULE)
    return tmp_path


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("graphlab")]


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_summary_of_cube(runner):
    result = run("inspect", "graphlab.examples:cube", "--arg", "f32[2]", runner=runner)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("graphlab inspect: cube (")
    assert "#1 (x: float32[2]) -> float32[2]" in result.stdout
    assert "Pow 1" in result.stdout


def test_json_of_relu_if_with_code():
    result = run("inspect", "graphlab.examples:relu_if", "--arg", "f32[None]", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "graphlab.inspect/1"
    assert data["function"] == "relu_if"
    assert "ag__.if_stmt" in data["autograph_code"]
    (entry,) = data["concrete_functions"]
    assert entry["signature"]["inputs"] == {"x": "float32[None]"}
    assert entry["op_count_total"] > entry["op_count"]
    assert entry["ops_by_type"]["StatelessIf"] == 1


def test_sections_on_a_method_with_captures(user_dir):
    result = run(
        "inspect",
        "user_mod:counter.step",
        "--arg",
        "f32[2]",
        "--signatures",
        "--ops",
        "--lines",
        "--captures",
        "--code",
        "--annotate",
        cwd=str(user_dir),
        runner="script",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Concrete functions" in out and "x: float32[2]" in out
    assert "AssignAddVariableOp" in out
    assert "count:0" in out and "variable" in out and "tensor" in out
    assert "user_mod.py:20" in out  # the assign_add line
    assert "def tf__step(self, x):" in out


def test_diff_between_two_traces_in_markdown():
    result = run(
        "inspect",
        "graphlab.examples:power",
        "--arg",
        "@tf.ones([10, 10], tf.int32)",
        "--arg",
        "2",
        "--then",
        "--arg",
        "@tf.ones([10, 10], tf.int32)",
        "--arg",
        "5",
        "--diff",
        "--format",
        "md",
        runner="script",
    )
    assert result.returncode == 0, result.stderr
    assert "graph grew from 10 to 13 ops: +3 MatMul" in result.stdout
    assert "| MatMul" in result.stdout


def test_exports_and_xla(tmp_path):
    logdir = tmp_path / "logs"
    result = run(
        "inspect",
        "graphlab.examples:add_10_tf_range",
        "--arg",
        "f32[]",
        "--xla",
        "hlo",
        "--export",
        "tensorboard",
        "-o",
        str(logdir),
    )
    assert result.returncode == 0, result.stderr
    assert "HloModule" in result.stdout
    assert f"wrote tensorboard to {logdir}" in result.stdout
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(logdir))

    pbtxt = tmp_path / "shrink.pbtxt"
    result = run(
        "inspect",
        "graphlab.examples:add_10_range",
        "--arg",
        "f32[]",
        "--export",
        "pbtxt",
        "-o",
        str(pbtxt),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["exports"][0]["path"] == str(pbtxt)
    assert 'op: "AddV2"' in pbtxt.read_text()


BAD_INPUTS = [
    (["nosuchmodule_xyz:fn"], "no module named 'nosuchmodule_xyz'"),
    (["user_mod:missing"], "has no attribute 'missing'"),
    (["user_mod:NOT_CALLABLE"], "not a function"),
    (["user_mod:broken", "--arg", "f99[2]"], "unknown dtype 'f99'"),
    (["user_mod:broken", "--arg", "[1,"], "cannot read '[1,'"),
    (["user_mod:strings", "--arg", "f32[None]", "--xla", "hlo"], "unknown dimension"),
    (["user_mod:broken"], "give example inputs"),
    (["user_mod:broken", "--kwarg", "nope"], "--kwarg expects NAME=VALUE"),
    (
        ["user_mod:broken", "--arg", "f32[2]", "-o", "report.csv"],
        "cannot write an inspection as csv; use --format text|md|json|html",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS, ids=[m for _, m in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(user_dir, args, message):
    runner = sorted(RUNNERS)[BAD_INPUTS.index((args, message)) % 2]
    result = run("inspect", *args, cwd=str(user_dir), runner=runner)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result)
    assert line.startswith("graphlab inspect: error: ") and message in line


def test_user_error_while_tracing_shows_their_line(user_dir):
    result = run("inspect", "user_mod:broken", "--arg", "f32[2]", cwd=str(user_dir))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result)
    assert "broken raised while tracing at user_mod.py:6" in line
    assert "Cannot reshape" in line

    debug = run("--debug", "inspect", "user_mod:broken", "--arg", "f32[2]", cwd=str(user_dir))
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_xla_names_the_unsupported_op(user_dir):
    result = run(
        "inspect", "user_mod:strings", "--arg", "f32[2]", "--xla", "hlo", cwd=str(user_dir)
    )
    assert result.returncode == 1
    (line,) = error_lines(result)
    assert "unsupported op AsString" in line


def test_help_does_not_import_tensorflow():
    code = (
        "import sys, contextlib, io\n"
        "from graphlab.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(['inspect', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert '--xla STAGE' in out.getvalue(), out.getvalue()\n"
        "assert 'tensorflow' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_user_module_errors_are_one_line_at_the_users_line(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorflow as tf\n\ndef f(x)\n    return x\n")
    raising = tmp_path / "raising.py"
    raising.write_text("x = 1\nraise RuntimeError('no config file')\n")
    result = run("inspect", f"{broken}:f", "--arg", "1")
    assert result.returncode == 2
    assert f"importing {broken} failed at {broken}:3: SyntaxError" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("inspect", f"{raising}:f", "--arg", "1")
    assert result.returncode == 2
    assert f"failed at {raising}:2: RuntimeError: no config file" in result.stderr


def test_export_to_an_unwritable_path_is_a_clear_error(tmp_path):
    target = tmp_path / "target.py"
    target.write_text("def f(x):\n    return x + 1\n")
    result = run(
        "inspect",
        f"{target}:f",
        "--arg",
        "f32[2]",
        "--export",
        "pbtxt",
        "-o",
        str(tmp_path / "missing" / "g.pbtxt"),
    )
    assert result.returncode == 2
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.stderr
