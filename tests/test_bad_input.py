"""A demanding user's bad input, for every command: exit 2 and one line on stderr that
says what is wrong; never "internal error", never a traceback. Run in-process (one
TensorFlow import for the whole corpus); the entry points are covered elsewhere."""

from __future__ import annotations

import json
import os

import pytest

from graphlab.cli.main import main

TARGETS = """
import tensorflow as tf

notfn = 3

def f(x):
    return x * 2
"""

EXITS_AT_IMPORT = "import sys\nsys.exit(5)\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "ok.py").write_text(TARGETS)
    (tmp_path / "exits.py").write_text(EXITS_AT_IMPORT)
    (tmp_path / "prog.py").write_text("print('hello')\n")
    (tmp_path / "adir").mkdir()
    files = {
        "list.json": [1, 2],
        "rows_dict.json": {"schema": "graphlab.comparison/2", "rows": {}},
        "int_row.json": {"schema": "graphlab.comparison/2", "rows": [1]},
        "no_rows.json": {"schema": "graphlab.comparison/2"},
        "wrong.json": {"schema": "nope"},
        "nan_times.json": {
            "schema": "graphlab.comparison/2",
            "rows": [
                {
                    "function": "f",
                    "mode": "eager",
                    "block_times_s": [float("nan")],
                    "block_calls": [1],
                }
            ],
        },
    }
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data))
    (tmp_path / "not_json.json").write_text("{")
    monkeypatch.chdir(tmp_path)
    return tmp_path


BENCH = ["bench", "ok.py:f", "--max-time", "0.01"]

CORPUS = {
    # output paths are checked before any work
    "bench --save under a file": ([*BENCH, "--arg", "f32[4]", "--save", "ok.py/x.json"], "--save"),
    "bench -o under a file": ([*BENCH, "--arg", "f32[4]", "-o", "ok.py/x.txt"], "-o ok.py/x.txt"),
    "bench -o a directory": ([*BENCH, "--arg", "f32[4]", "-o", "adir"], "is a directory"),
    "bench --plot in a missing folder": (
        [*BENCH, "--arg", "f32[4]", "--plot", "nowhere/x.png"],
        "no such directory",
    ),
    "inspect tensorboard under a file": (
        ["inspect", "ok.py:f", "--arg", "f32[4]", "--export", "tensorboard", "-o", "ok.py/tb"],
        "not a directory",
    ),
    "watch -o under a file": (["watch", "-o", "ok.py/r.txt", "prog.py"], "-o ok.py/r.txt"),
    "compare-runs -o under a file": (
        ["compare-runs", "list.json", "list.json", "-o", "ok.py/d.txt"],
        "-o ok.py/d.txt",
    ),
    # numbers
    "bench --max-time nan": ([*BENCH[:2], "--arg", "f32[4]", "--max-time", "nan"], "finite"),
    "bench --max-time inf": ([*BENCH[:2], "--arg", "f32[4]", "--max-time", "inf"], "finite"),
    "bench --precision 0": ([*BENCH, "--arg", "f32[4]", "--precision", "0"], "> 0"),
    "compare-runs --fail-if-slower nan": (
        ["compare-runs", "list.json", "list.json", "--fail-if-slower", "nan"],
        "finite",
    ),
    # inputs
    "bench one argument too many": (
        [*BENCH, "--arg", "f32[4]", "--arg", "f32[4]"],
        "too many positional arguments",
    ),
    "bench a shape too large for memory": (
        [*BENCH, "--arg", "f32[100000,100000]"],
        "cannot make random data for 'f32[100000,100000]'",
    ),
    "bench an unknown dimension": ([*BENCH, "--arg", "f32[-1]"], "e.g. f32[32]"),
    "inspect a negative dimension": (["inspect", "ok.py:f", "--arg", "f32[-5]"], "size >= 0"),
    "inspect not a function": (["inspect", "ok.py:notfn"], "ok.py:notfn is an int"),
    "inspect two colons": (["inspect", "ok.py:f:g"], "more than one ':'"),
    "inspect a module that exits": (["inspect", "exits.py:f"], "called sys.exit(5)"),
    "inspect a missing file": (["inspect", "missing.py:f"], "no such file"),
    "watch a missing script": (["watch", "missing.py"], "no such script"),
    "watch --max-events 0": (["watch", "--max-events", "0", "prog.py"], "--max-events"),
    # run files
    "compare-runs a JSON list": (
        ["compare-runs", "list.json", "list.json"],
        "list.json is not a graphlab comparison (schema None",
    ),
    "compare-runs a rows dict": (
        ["compare-runs", "rows_dict.json", "rows_dict.json"],
        "rows must be a list, got an object",
    ),
    "compare-runs an int row": (["compare-runs", "int_row.json", "int_row.json"], "got 1"),
    "compare-runs no rows": (["compare-runs", "no_rows.json", "no_rows.json"], "rows is missing"),
    "compare-runs another schema": (["compare-runs", "wrong.json", "wrong.json"], "'nope'"),
    "compare-runs NaN block times": (
        ["compare-runs", "nan_times.json", "nan_times.json"],
        "finite",
    ),
    "compare-runs not JSON": (["compare-runs", "not_json.json", "not_json.json"], "is not JSON"),
    "compare-runs a directory": (["compare-runs", "adir", "adir"], "adir"),
    "compare-runs a missing run": (["compare-runs", "gone", "gone"], "no such run"),
    "demo an unknown format": (["demo", "--format", "yaml"], "invalid choice"),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_bad_input_is_one_line_and_exit_2(name, workdir, capsys):
    argv, expected = CORPUS[name]
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert "internal error" not in err and "Traceback" not in err, err
    assert lines and expected in lines[-1], err
    error_lines = [line for line in lines if "error" in line]
    assert len(error_lines) == 1, err
    assert not os.path.exists(workdir / "nowhere")
