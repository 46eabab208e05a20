"""`graphlab watch`, `graphlab demo` and the CLI's entry points, run as a user runs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ENTRY_POINTS, run_cli

HERE = Path(__file__).parent
SCRIPT = HERE / "data" / "retracing_script.py"
ROOT = HERE.parent


def run(*args: str, entry: str = "module", cwd: Path = ROOT):
    return run_cli(entry, *args, cwd=cwd)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_watch_runs_the_script_like_python_and_reports_on_stderr(entry):
    result = run("watch", str(SCRIPT), "--flag", "value", entry=entry)
    assert result.returncode == 0, result.stderr
    # The program's stdout is untouched: only its own lines.
    assert result.stdout.splitlines() == ["args: ['--flag', 'value']", "main: __main__"]
    assert "graphlab trace report: 3 traces of 1 function, 2 avoidable retraces" in result.stderr
    assert "x changed Python value 2 -> 3" in result.stderr
    assert "retracing_script.py:17" in result.stderr  # the user's call site


def test_watch_keeps_the_exit_code():
    result = run("watch", str(SCRIPT), "--exit", "3")
    assert result.returncode == 3
    assert "graphlab trace report" in result.stderr


def test_watch_script_that_raises_shows_its_traceback_and_still_reports(tmp_path):
    out = tmp_path / "report.json"
    result = run("watch", "-o", str(out), str(SCRIPT), "--fail")
    assert result.returncode == 1
    assert "Traceback (most recent call last):" in result.stderr
    assert 'retracing_script.py", line 19, in <module>' in result.stderr
    assert "ValueError: the user's own error" in result.stderr
    assert "runpy" not in result.stderr and "graphlab/runner.py" not in result.stderr
    data = json.loads(out.read_text())
    assert len(data["events"]) == 3


def test_watch_json_contract(tmp_path):
    out = tmp_path / "traces.json"
    result = run("watch", "--format", "json", "-o", str(out), str(SCRIPT))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "graphlab.tracelog/2"
    assert data["tensorflow"].startswith("2.")
    third = data["events"][2]
    for field in ("function", "trace_index", "duration_ms", "signature", "call_site"):
        assert field in third
    assert third["function"] == "tf_cube"
    assert third["trace_index"] == 3
    assert third["signature"] == {"x": "3"}
    assert third["cause"]["kind"] == "new_input_type"
    assert third["cause"]["changes"] == [
        {"param": "x", "what": "python_value", "before": "2", "after": "3"}
    ]
    assert third["cause"]["message"].startswith("tf_cube retraced (3rd trace)")
    assert third["actionable"] is True
    assert isinstance(third["op_count"], int)


def test_watch_module_and_markdown(tmp_path):
    package = tmp_path / "userpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(SCRIPT, package / "train.py")
    result = run("watch", "--format", "md", "-m", "userpkg.train", "--epochs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "args: ['--epochs', '2']"
    assert "## Traces per function" in result.stderr
    assert "| tf_cube" in result.stderr


def test_include_internal_shows_tf_data_functions(tmp_path):
    script = tmp_path / "data_script.py"
    script.write_text(
        "import tensorflow as tf\nlist(tf.data.Dataset.range(3).map(lambda i: i * 2))\n"
    )
    hidden = run("watch", str(script))
    shown = run("watch", "--include-internal", str(script))
    assert "no tf.function traces recorded (1 TensorFlow-internal" in hidden.stderr
    assert "a function tf.data traced for itself" in shown.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["watch", "missing.py"], "graphlab watch: error: no such script: 'missing.py'"),
        (["watch", "-m", "no_such_module_xyz"], "no module named 'no_such_module_xyz'"),
        (["watch"], "give a script"),
        (["watch", "--max-events", "0", "x.py"], "no such script"),
        (
            ["watch", "-o", "report.csv", str(SCRIPT)],
            "cannot write a trace report as csv; use --format text|md|json|html",
        ),
    ],
)
def test_watch_bad_input_is_one_clear_line_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_output_is_a_clear_error(tmp_path):
    result = run("watch", "-o", str(tmp_path / "missing" / "r.json"), str(SCRIPT))
    assert result.returncode == 2
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_and_version_do_not_import_tensorflow():
    code = (
        "import sys, contextlib, io\n"
        "from graphlab.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("graphlab 0.")


def test_no_command_prints_help_and_exits_2():
    result = run()
    assert result.returncode == 2
    assert "usage: graphlab" in result.stderr


def test_demo_prints_the_seed_walkthrough():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    assert "TensorFlow traced 5 graphs" in result.stdout
    assert "graphlab trace report: 5 traces of 1 function, 4 avoidable retraces" in result.stdout
    assert "x changed shape (1, 2) -> (2, 2)" in result.stdout
    # the walkthrough is the user's code here: its calls are the call sites, not "?"
    walkthrough = "graphlab/demo/walkthrough.py"
    assert walkthrough in re.sub(r"\s+", "", result.stdout.split("What to do:")[0])
    assert not re.search(r"^\s+1\s+cube\s+\?\s", result.stdout, re.M)


def test_import_without_tensorflow_names_the_extras():
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = None\n"
        "import graphlab\n"
        "try:\n"
        "    from graphlab import function\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "graphlab[cpu]" in result.stdout
    assert "graphlab[gpu]" in result.stdout


def test_public_names_survive_submodule_imports():
    import importlib

    import graphlab

    importlib.import_module("graphlab.bench.compare")
    importlib.import_module("graphlab.bench.training")
    assert callable(graphlab.compare)
    assert callable(graphlab.bench_training_step)
    assert set(graphlab.__all__) <= set(dir(graphlab))
    for name in graphlab.__all__:
        assert getattr(graphlab, name) is not None


def test_only_the_watch_subcommand_splits_off_program_arguments():
    from graphlab.cli.watch import split_program_args

    argv = ["bench", "--save", "watch", "m:f", "--arg", "1"]
    assert split_program_args(argv) == (argv, [])
    assert split_program_args(["--debug", "watch", "-o", "r.json", "s.py", "-x"]) == (
        ["--debug", "watch", "-o", "r.json", "s.py"],
        ["-x"],
    )


def test_watch_holds_back_tensorflows_generic_retracing_warning_unless_asked(tmp_path):
    script = tmp_path / "shapes.py"
    script.write_text(
        "import tensorflow as tf\n"
        "@tf.function\n"
        "def f(x):\n"
        "    return x + 1\n"
        "for n in range(1, 8):\n"
        "    f(tf.ones([n]))\n"
    )
    held = run("watch", str(script), cwd=tmp_path)
    kept = run("watch", "--keep-tf-warning", str(script), cwd=tmp_path)
    assert held.returncode == kept.returncode == 0
    assert "triggered tf.function retracing" not in held.stderr
    assert "triggered tf.function retracing" in kept.stderr
    assert "7 traces of 1 function, 6 avoidable retraces" in held.stderr  # graphlab explains
