"""Text reports that read right in 80 columns (issue 22), on real programs.

The golden files in tests/data/golden/ are the watch, inspect and bench reports of
three real programs of tests/corpus/ (the seed chapter, a Keras fit with validation,
TensorFlow's intro-to-graphs guide), recorded as normalised JSON and rendered at 80 and
120 columns. After a layout change, record them again with one command and read them:

    .venv/bin/python tools/text_goldens.py
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf
from helpers import synthetic

import graphlab
from graphlab._text import columns, flow, shorten_location
from graphlab.bench import render as bench_render
from graphlab.bench.records import Comparison
from graphlab.bench.records_rows import Measurement
from graphlab.tracing import render as trace_render

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("text_goldens", ROOT / "tools" / "text_goldens.py")
assert _spec is not None and _spec.loader is not None
goldens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(goldens)

CASES = [
    (name, kind, width)
    for name in goldens.PROGRAMS
    for kind in goldens.KINDS
    for width in goldens.WIDTHS
]


def _recorded(name: str, kind: str) -> dict:
    return json.loads(goldens.golden_path(name, kind, "json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "kind", "width"), CASES)
def test_golden_text_reports_of_real_programs(name, kind, width):
    data = _recorded(name, kind)
    text = goldens.render(kind, data, width)
    assert text == goldens.golden_path(name, kind, f"{width}.txt").read_text(encoding="utf-8"), (
        "the report changed: record the goldens again (tools/text_goldens.py) and read them"
    )
    assert goldens.layout_problems(text, width, goldens.tokens(kind, data)) == []


def test_the_layout_check_finds_long_lines_and_split_names():
    whole = {"Sequential.train_function (one_step_on_data)", "keras/src/trainer.py:131"}
    good = "  Sequential.train_function (one_step_on_data)\n      .../src/trainer.py:131\n"
    assert goldens.layout_problems(good, 80, whole) == []
    split = "  Sequential.train_function (one_step_on\n_data) keras/src/trai\nner.py:131\n"
    problems = goldens.layout_problems(split + "x" * 81, 80, whole)
    assert len(problems) == 3 and problems[0].startswith("over 80 columns")


def test_names_paths_and_numbers_with_units_are_never_split():
    text = "took 5.3 ms ± 3.0 ms (1 block) at keras/src/backend/tensorflow/trainer.py:131"
    lines = flow(text, 12)
    assert lines[:3] == ["took", "  5.3 ms ± 3.0 ms", "  (1 block)"]
    assert lines[-1].strip() == "keras/src/backend/tensorflow/trainer.py:131"  # over, whole
    assert flow("shape (1, 2) -> (2, 2) of [1, -1]", 10)[1:3] == ["  (1, 2)", "  -> (2, 2)"]
    advice = "Or drop it: dataset.batch(8, drop_remainder=True) skips the final batch"
    assert flow(advice, 40) == [  # code to copy stays whole where it fits a line
        "Or drop it:",
        "  dataset.batch(8, drop_remainder=True)",
        "  skips the final batch",
    ]
    assert max(len(line) for line in flow(advice, 30)) <= 30  # longer: split, not overlong
    deep = flow("Pass x (tf.constant(x, dtype=tf.float32)): values are keys", 40, "", " " * 8)
    assert max(map(len, deep)) <= 40  # kept whole, it would run over under a deep indent
    location = "keras/src/backend/tensorflow/trainer.py:131"
    assert shorten_location(location, 30) == ".../tensorflow/trainer.py:131"
    assert shorten_location(location, 5) == ".../trainer.py:131"  # never less than file:line
    rows = [["eager", "16.0 ms", "40 ± 44 µs", "1 (reference)", "0", "-"]]
    headers = ["mode", "first call", "median ± IQR", "speedup", "retraces", "ops"]
    narrow = columns(rows, headers, 40, labels={"retraces": "{} retraces"}, omit=("-",))
    assert all(len(line) <= 40 for line in narrow)
    assert narrow[2].split() == ["eager", "16.0", "ms", "40", "±", "44", "µs"]
    assert narrow[3].strip() == "speedup 1 (reference), 0 retraces"


def _one_block(comparison: Comparison) -> Comparison:
    def first_block(m: Measurement) -> Measurement:
        return dataclasses.replace(
            m, block_times=m.block_times[:1], block_calls=m.block_calls[:1], block_rounds=(0,)
        )

    rows = tuple(
        dataclasses.replace(r, measurement=first_block(r.measurement)) if r.measurement else r
        for r in comparison.rows
    )
    return dataclasses.replace(comparison, rows=rows)


def test_no_interval_from_fewer_than_three_pairs_and_the_reason_is_said():
    many = synthetic()
    assert "5.0x [4.8-5.2]" in bench_render.render(many, "text", width=80)
    one = _one_block(many)
    figures = one.figures()[1]
    assert figures.interval is not None  # the JSON keeps it
    assert figures.no_interval == "1 pair of blocks: no interval; raise --max-time"
    for fmt in ("text", "md", "html"):
        text = bench_render.render(one, fmt, width=80)
        assert "5.2x" in text and "x [" not in text, fmt  # its one pair gave 5.2
        assert "1 pair of blocks: no interval; raise --max-time" in text, fmt
    assert one.to_dict()["rows"][1]["speedup_ci"] is not None


def test_an_interval_whose_ends_read_the_same_is_not_printed():
    comparison = synthetic()
    figures = dataclasses.replace(comparison.figures()[1], interval=(5.0, 5.0000000001))
    assert bench_render._speedup(comparison, figures) == "5.0x"


def test_one_summary_row_per_tf_function_object_and_per_keras_model():
    import keras

    x = tf.zeros([8, 3])
    y = tf.zeros([8, 1])
    with graphlab.watch() as watch:
        for units in (2, 3, 4):
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
            model.compile(optimizer="sgd", loss="mse")
            model.train_on_batch(x, y)
        double = tf.function(lambda v: v * 2)
        double(tf.constant(1.0))
        again = tf.function(double.python_function)
        again(tf.constant(1.0))
    report = watch.report()
    steps = [s for s in report.summaries if "train_function" in s.function]
    assert len(steps) == 3 and all(s.traces == 1 for s in steps)
    assert len({s.label for s in steps}) == 3  # told apart by the model's name
    assert all(s.instance for s in steps)
    lambdas = [s for s in report.summaries if s.function == "<lambda>"]
    assert [s.instance for s in lambdas] == ["", "object 2"]
    text = trace_render.render(report, "text", width=80)
    assert f"{len(report.summaries) + 0} functions" in text.splitlines()[0]
    assert all(s.label in text for s in steps)
    assert json.loads(trace_render.render(report, "json"))["summary"][0].get("instance") != ""


def test_graphlab_log_lines_keep_their_format_when_the_program_configures_logging(capsys):
    from graphlab.cli import main

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with main._own_log_lines():
            logging.basicConfig(level=logging.DEBUG, force=True)  # as a program may
            logging.getLogger("graphlab").warning("f retraced")
            logging.getLogger("graphlab").debug("not shown")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    assert capsys.readouterr().err == "f retraced\n"
    assert logging.getLogger("graphlab").propagate  # restored after the command


SCRIPT = """
import tensorflow as tf


@tf.function
def A(x):
    return x * 2


A(tf.constant(7))
"""


def test_inspect_then_diff_compares_the_traces_of_this_call(tmp_path, monkeypatch):
    from graphlab import inputs
    from graphlab.graphs import inspection
    from graphlab.graphs import render as graph_render

    script = tmp_path / "prog.py"
    script.write_text(SCRIPT)
    monkeypatch.chdir(tmp_path)
    target = inputs.load_target("prog.py:A")
    result = inspection.inspect_calls(target, [((2,), {}), ((3,), {})])
    assert [s.signature for s in result.concrete_functions] == [
        "(x: 2) -> int32[]",
        "(x: 3) -> int32[]",
    ]  # not the program's own A(tf.constant(7))
    text = graph_render.render(result, "text", sections=("diff",), width=80)
    assert "Graph diff #1 -> #2\n---" in text
    assert "#1: (x: 2) -> int32[]\n#2: (x: 3) -> int32[]\n" in text


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphlab", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def test_watch_in_80_columns_and_without_tensorflows_start_up_lines():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["COLUMNS"] = "80"
    done = _cli("watch", "intro_to_graphs.py", env=env, cwd=goldens.CORPUS)
    assert done.returncode == 0, done.stderr
    assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr
    assert "graphlab trace report: 12 traces of 8 functions" in done.stderr
    assert "my_relu retraced (2nd trace) at intro_to_graphs.py:83" in done.stderr
    whole = goldens.tokens("watch", _recorded("intro_to_graphs", "watch"))
    assert goldens.layout_problems(done.stderr, 80, whole) == []


def test_inspect_holds_tensorflows_start_up_lines_back_when_the_level_is_not_set():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = _cli("inspect", "graphlab.examples:cube", "--arg", "f32[]", env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr
    assert "graphlab inspect: cube" in done.stdout


def test_tensorflows_own_logging_when_the_user_sets_its_level():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0", "COLUMNS": "80"}
    done = _cli("inspect", "graphlab.examples:cube", "--arg", "f32[]", env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "oneDNN custom operations are on" in done.stderr  # asked for: shown as it is
    assert "graphlab inspect: cube" in done.stdout
