"""A demanding user's bad input, for every command: exit 2 and one line on stderr that
says what is wrong; never "internal error", never a traceback. Run in-process (one
TensorFlow import for the whole corpus); the entry points are covered elsewhere. The
table grows with each feature: a new option gets its bad values here.

Also: every field of a saved report (merge-traces) or run (compare-runs) made wrong in
turn, which the loaders' layout check must catch (:mod:`graphlab._schema`); and the
checks made before TensorFlow starts, in one fresh process."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphlab.cli.main import main

DATA = Path(__file__).parent / "data"

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
    report = json.loads((DATA / "tracelog-2.json").read_text())
    files |= {
        "rank0.json": {**report, "rank": 0},
        "rank1.json": {**report, "rank": 1},
        "rank0_again.json": {**report, "rank": 0},
        "tf_null.json": {**report, "rank": 0, "tensorflow": None},
        "event_null.json": {**report, "rank": 0, "events": [None]},
        "index_inf.json": {
            **report,
            "rank": 0,
            "events": [{**report["events"][0], "trace_index": float("inf")}],
        },
        "memory_list.json": {**report, "rank": 0, "memory": []},
        "report_list.json": [report],
        "row_retraces_inf.json": {
            "schema": "graphlab.comparison/3",
            "rows": [{"function": "f", "mode": "eager", "retraces": float("inf")}],
        },
    }
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data))
    (tmp_path / "not_json.json").write_text("{")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "deep_events.json").write_text(
        json.dumps({**report, "rank": 0, "events": "X"}).replace('"X"', "[" * 50_000 + "]" * 50_000)
    )
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
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
    "watch -o empty": (["watch", "-o", "", "prog.py"], "-o needs a path, got an empty string"),
    "bench --save empty": ([*BENCH, "--arg", "f32[4]", "--save", ""], "--save needs a path"),
    "bench --profile-dir empty": (
        [*BENCH, "--arg", "f32[4]", "--profile-dir", ""],
        "--profile-dir needs a path",
    ),
    "merge-traces -o empty": (["merge-traces", "rank0.json", "rank1.json", "-o", ""], "-o needs"),
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
    "inspect a dimension past int64": (
        ["inspect", "ok.py:f", "--arg", "f32[99999999999999999999]"],
        "dimension 99999999999999999999 in 'f32[99999999999999999999]' is too large",
    ),
    "inspect a dimension not in ASCII digits": (
        ["inspect", "ok.py:f", "--arg", "f32[\u00b2]"],
        "bad dimension '\u00b2'",
    ),
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
    "demo an unknown option": (["demo", "--bogus"], "unrecognized arguments: --bogus"),
    # watch: every option's bad values (issue 23)
    "watch --verify-timeout inf": (
        ["watch", "--verify-advice", "--verify-timeout", "inf", "prog.py"],
        "--verify-timeout must be a positive, finite number of seconds, got inf",
    ),
    "fix --verify-timeout nan": (
        ["fix", "--verify-timeout", "nan", "prog.py"],
        "--verify-timeout must be a positive, finite number of seconds, got nan",
    ),
    "watch --memory-interval inf": (
        ["watch", "--memory", "--memory-interval", "inf", "prog.py"],
        "--memory-interval must be from 0.001 to 3600",
    ),
    "watch --memory-interval 1e10": (
        ["watch", "--memory", "--memory-interval", "1e10", "prog.py"],
        "--memory-interval must be from 0.001 to 3600",
    ),
    "watch --memory-interval nan": (
        ["watch", "--memory", "--memory-interval", "nan", "prog.py"],
        "got nan",
    ),
    "watch --memory-interval 0": (["watch", "--memory-interval", "0", "prog.py"], "got 0.0"),
    "watch --memory-interval -1": (["watch", "--memory-interval", "-1", "prog.py"], "got -1.0"),
    "watch --memory-interval 1e-300": (
        ["watch", "--memory", "--memory-interval", "1e-300", "prog.py"],
        "--memory-interval must be from 0.001",
    ),
    "watch --memory-interval abc": (
        ["watch", "--memory-interval", "abc", "prog.py"],
        "invalid float value: 'abc'",
    ),
    "watch --max-events -5": (["watch", "--max-events", "-5", "prog.py"], "got -5"),
    "watch --max-events 1.5": (["watch", "--max-events", "1.5", "prog.py"], "invalid int"),
    "watch --rank -1": (["watch", "--rank", "-1", "prog.py"], "--rank must be a whole number"),
    "watch --format yaml": (["watch", "--format", "yaml", "prog.py"], "invalid choice"),
    "watch -o a directory": (["watch", "-o", "adir", "prog.py"], "is a directory"),
    "watch -o {rank} names the path used": (
        ["watch", "-o", "nodir{rank}/x.json", "--rank", "1", "prog.py"],
        "cannot write -o nodir1/x.json: no such directory",
    ),
    "watch -o {rank} without a rank": (
        ["watch", "-o", "nodir{rank}/x.json", "prog.py"],
        "cannot write -o nodir{rank}/x.json",
    ),
    "watch -o html as md": (["watch", "-o", "r.html", "--format", "csv", "prog.py"], "invalid"),
    "watch a directory": (["watch", "adir"], "directory without __main__.py"),
    "watch nothing to run": (["watch"], "give a script"),
    "watch -m without a module": (["watch", "-m"], "expected one argument"),
    "watch -m a missing module": (["watch", "-m", "no_such_mod_zz"], "no_such_mod_zz"),
    "watch an ambiguous abbreviation": (
        ["watch", "--me", "0.5", "prog.py"],
        "ambiguous option: --me could match --memory, --memory-interval",
    ),
    "watch an abbreviation's bad value": (
        ["watch", "--memory-int", "0", "prog.py"],
        "--memory-interval must be from 0.001",
    ),
    "watch an unknown option": (["watch", "--bogus", "prog.py"], "unrecognized arguments: --bogus"),
    "watch a bad TF_CONFIG rank": (["watch", "--rank", "x", "prog.py"], "invalid int"),
    # bench: options checked before any work
    "bench --profile-dir a file": (
        [*BENCH, "--arg", "f32[4]", "--profile-dir", "ok.py"],
        "cannot write --profile-dir ok.py: it is a file, not a directory",
    ),
    "bench --profile-dir under a file": (
        [*BENCH, "--arg", "f32[4]", "--profile-dir", "ok.py/prof"],
        "is not a directory",
    ),
    "bench --profile-dir with --isolate": (
        [*BENCH, "--arg", "f32[4]", "--profile-dir", "prof", "--isolate"],
        "--profile profiles in this process",
    ),
    "bench --threads too many": (
        [*BENCH, "--arg", "f32[4]", "--threads", "1,100000"],
        "--threads must be two ints from 0",
    ),
    "bench --threads one number": ([*BENCH, "--arg", "f32[4]", "--threads", "4"], "INTRA,INTER"),
    "bench --processes 0": ([*BENCH, "--arg", "f32[4]", "--processes", "0"], "1 to 100, got 0"),
    "bench --processes 100000": (
        [*BENCH, "--arg", "f32[4]", "--processes", "100000"],
        "--processes must be from 1 to 100",
    ),
    "bench --timeout without workers": (
        [*BENCH, "--arg", "f32[4]", "--timeout", "5"],
        "add --isolate",
    ),
    "bench --timeout inf": (
        [*BENCH, "--arg", "f32[4]", "--isolate", "--timeout", "inf"],
        "finite",
    ),
    "bench --rtol -1": ([*BENCH, "--arg", "f32[4]", "--rtol", "-1"], ">= 0"),
    "bench --atol nan": ([*BENCH, "--arg", "f32[4]", "--atol", "nan"], "finite"),
    "bench --modes unknown": ([*BENCH, "--arg", "f32[4]", "--modes", "fast"], "'fast'"),
    "bench --modes empty": ([*BENCH, "--arg", "f32[4]", "--modes", ","], "none given"),
    "bench --kwarg without =": ([*BENCH, "--kwarg", "x"], "NAME=VALUE"),
    "bench --python without a label": (
        [*BENCH, "--arg", "f32[4]", "--python", "nolabel"],
        "LABEL=PATH",
    ),
    "bench --python a missing interpreter": (
        [*BENCH, "--arg", "f32[4]", "--python", "a=/no/such/python"],
        "not an executable file",
    ),
    "bench an ambiguous abbreviation": ([*BENCH, "--arg", "f32[4]", "--p", "1"], "ambiguous"),
    # inspect
    "inspect --xla unknown stage": (["inspect", "ok.py:f", "--arg", "f32[4]", "--xla", "x"], "'x'"),
    "inspect --export unknown": (
        ["inspect", "ok.py:f", "--arg", "f32[4]", "--export", "x", "-o", "out"],
        "unknown export format 'x'",
    ),
    "inspect --export without -o": (
        ["inspect", "ok.py:f", "--arg", "f32[4]", "--export", "dot"],
        "needs -o PATH",
    ),
    "inspect an empty target": (["inspect", ""], "must be MODULE:FUNCTION"),
    "inspect --kwarg without a name": (["inspect", "ok.py:f", "--kwarg", "=1"], "NAME=VALUE"),
    # merge-traces: reports checked against their schema before use
    "merge-traces tensorflow null": (
        ["merge-traces", "tf_null.json", "rank1.json"],
        "tf_null.json is not a graphlab trace report: tensorflow must be a string, got null",
    ),
    "merge-traces an event null": (
        ["merge-traces", "event_null.json", "rank1.json"],
        "events[0] must be an object, got null",
    ),
    "merge-traces trace_index infinite": (
        ["merge-traces", "index_inf.json", "rank1.json"],
        "events[0].trace_index must be a whole number >= 0, got Infinity",
    ),
    "merge-traces memory a list": (
        ["merge-traces", "memory_list.json", "rank1.json"],
        "memory must be an object, got a list",
    ),
    "merge-traces a list of reports": (
        ["merge-traces", "report_list.json", "rank1.json"],
        "is not a graphlab trace report (schema None",
    ),
    "merge-traces nested too deeply": (
        ["merge-traces", "deep.json", "rank1.json"],
        "deep.json is not a graphlab trace report: its JSON is nested too deeply",
    ),
    "merge-traces events nested too deeply": (
        ["merge-traces", "deep_events.json", "rank1.json"],
        "its JSON is nested too deeply",
    ),
    "merge-traces not UTF-8": (["merge-traces", "binary.json", "rank1.json"], "binary.json"),
    "merge-traces one report": (["merge-traces", "rank0.json"], "at least two"),
    "merge-traces the same file twice": (["merge-traces", "rank0.json", "./rank0.json"], "twice"),
    "merge-traces a missing file": (["merge-traces", "rank0.json", "gone.json"], "no such file"),
    "merge-traces a directory": (["merge-traces", "rank0.json", "adir"], "is a directory"),
    "merge-traces two rank 0": (
        ["merge-traces", "rank0.json", "rank0_again.json"],
        "both have rank 0",
    ),
    "merge-traces -o a directory": (
        ["merge-traces", "rank0.json", "rank1.json", "-o", "adir"],
        "is a directory",
    ),
    "compare-runs nested too deeply": (
        ["compare-runs", "deep.json", "deep.json"],
        "deep.json is not a graphlab comparison: its JSON is nested too deeply",
    ),
    "compare-runs retraces infinite": (
        ["compare-runs", "row_retraces_inf.json", "row_retraces_inf.json"],
        "rows[0].retraces must be a whole number >= 0, got Infinity",
    ),
    "compare-runs a trace report": (
        ["compare-runs", "rank0.json", "rank1.json"],
        "is not a graphlab comparison (schema 'graphlab.tracelog/2'",
    ),
    "compare-runs --fail-if-slower negative": (
        ["compare-runs", "list.json", "list.json", "--fail-if-slower", "-5"],
        ">= 0",
    ),
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


#: TF_CONFIG values watch (with no --rank) and strategy='multi_worker' must refuse.
DEEP = "[" * 100_000 + "]" * 100_000
BAD_TF_CONFIG = {
    "nested too deeply": (DEEP, "TF_CONFIG is JSON nested too deeply"),
    "task nested too deeply": ('{"task": ' + DEEP + "}", "nested too deeply"),
    "chief a number": (
        '{"cluster": {"chief": 5, "worker": ["h:1"]}, "task": {"type": "worker", "index": 0}}',
        "TF_CONFIG's cluster chief must be a list of addresses, got 5",
    ),
    "chief a string": (
        '{"cluster": {"chief": "c:1", "worker": "h:1"}, "task": {"type": "worker", "index": 0}}',
        "cluster chief must be a list of addresses, got 'c:1'",
    ),
}


@pytest.mark.parametrize("name", list(BAD_TF_CONFIG))
def test_a_bad_tf_config_is_one_line_and_exit_2(name, workdir, capsys, monkeypatch):
    from graphlab.distributed import sync

    text, expected = BAD_TF_CONFIG[name]
    monkeypatch.setenv("TF_CONFIG", text)
    code = main(["watch", "prog.py"])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphlab watch: error: "), err
    assert expected in lines[0], err
    with pytest.raises(sync.ClusterError, match="TF_CONFIG must be JSON like"):
        sync.multi_worker_strategy()


# ---------------------------------------------------------------------------
# Every field of a saved document made wrong in turn: the loaders' layout check catches
# what the records would trip over later (a TypeError in a renderer, an OverflowError).

#: What a field is replaced with: each of JSON's kinds, and numbers int() cannot take.
WRONG = [None, "x", [], {}, -1, 0, float("inf"), True]


def _places(data, where=()):
    yield where
    if isinstance(data, (dict, list)):
        for key, value in data.items() if isinstance(data, dict) else enumerate(data):
            yield from _places(value, (*where, key))


def _changed(data, where, value):
    data = copy.deepcopy(data)
    if not where:
        return value
    inner = data
    for key in where[:-1]:
        inner = inner[key]
    if value is _DROP:
        del inner[where[-1]]
    else:
        inner[where[-1]] = value
    return data


_DROP = object()


def _rich_report():
    """The golden tracelog-2 with every optional section (memory, compilations), one
    event and one summary: each field appears once."""
    report = json.loads((DATA / "tracelog-2.json").read_text())
    report["events"], report["summary"] = report["events"][:1], report["summary"][:1]
    report["findings"] = report["findings"][:1]
    report["compilations"] = [
        {
            "function": "f",
            "compiler": "xla",
            "duration_ms": 7.5,
            "input_shapes": [[3, None]],
            "after_trace": True,
            "at_s": 0.1,
        }
    ]
    report["memory"] = {
        "rss_start_mb": 500.0, "rss_end_mb": 520.0, "rss_peak_mb": 530.0, "interval_s": 0.1,
        "samples": [{"t_s": 0.0, "rss_mb": 500.0, "traces": 0}],
        "functions": [{"function": "f", "defined_at": "a.py:1", "traces": 1,
                       "concrete_functions": 1, "graph_bytes": 100, "graph_nodes": 3,
                       "live_at_end": 1}],
        "verdict": "stable", "steady_growth_mb": 0.0, "steady_traces": 0, "cost_s": 0.01,
        "tracing_s": [[0.0, 0.1]],
    }  # fmt: skip
    return report


def _run_all(tmp_path, argv_of, base, good):
    """main() on ``base`` with each field wrong in turn; the failures, as text."""
    (tmp_path / "good.json").write_text(json.dumps(good))
    bad = []
    cases = [(w, v) for w in _places(base) for v in WRONG] + [(w, _DROP) for w in _places(base)]
    for where, value in cases:
        if value is _DROP and not where:
            continue
        (tmp_path / "bad.json").write_text(json.dumps(_changed(base, where, value)))
        code, err = _main(argv_of("bad.json", "good.json"))
        if code not in (0, 2) or "internal error" in err or "Traceback" in err:
            bad.append(f"{where} = {value!r}: exit {code}: {err.strip()[-300:]}")
    return len(cases), bad


def _main(argv):
    import contextlib
    import io

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code
    return code, err.getvalue()


def test_merge_traces_names_the_wrong_field_of_a_report_whatever_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = _rich_report()
    cases, bad = _run_all(
        tmp_path,
        lambda a, b: ["merge-traces", a, b, "--format", "html"],
        {**report, "rank": 0},
        {**report, "rank": 1},
    )
    assert cases > 400 and bad == [], "\n".join(bad)


def test_compare_runs_names_the_wrong_field_of_a_run_whatever_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = json.loads((DATA / "comparison-3.json").read_text())
    run["rows"] = run["rows"][:2]
    cases, bad = _run_all(tmp_path, lambda a, b: ["compare-runs", a, b], run, run)
    assert cases > 400 and bad == [], "\n".join(bad)


# ---------------------------------------------------------------------------
# Checked before TensorFlow starts, and abbreviations: one fresh process each.

BEFORE_TF = [
    ["watch", "--memory", "--memory-interval", "1e10", "prog.py"],
    ["watch", "-o", "nodir{rank}/x.json", "--rank", "1", "prog.py"],
    ["bench", "ok.py:f", "--arg", "f32[4]", "--profile-dir", "ok.py"],
    ["bench", "ok.py:f", "--arg", "f32[4]", "--threads", "1,100000"],
    ["merge-traces", "tf_null.json", "rank1.json"],
    ["merge-traces", "deep.json", "rank1.json"],
    ["compare-runs", "deep.json", "deep.json"],
]


def test_options_and_reports_are_refused_before_tensorflow_starts(workdir):
    script = (
        "import sys\n"
        "from graphlab.cli.main import main\n"
        f"for argv in {BEFORE_TF!r}:\n"
        "    print(main(argv), 'tensorflow' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=workdir, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split("\n")[:-1] == ["2 False"] * len(BEFORE_TF), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == len(BEFORE_TF) and all(": error: " in line for line in lines), lines


def test_watch_resolves_abbreviations_of_its_options_and_leaves_the_programs_alone():
    from graphlab.cli.watch import split_program_args

    assert split_program_args(["watch", "--memory-int", "0.5", "p.py", "--out", "x"]) == (
        ["watch", "--memory-int", "0.5", "p.py"],
        ["--out", "x"],
    )
    assert split_program_args(["watch", "--out", "r.json", "--mem", "p.py"]) == (
        ["watch", "--out", "r.json", "--mem", "p.py"],
        [],
    )
    # ambiguous or unknown: no value taken; argparse names the problem
    assert split_program_args(["watch", "--me", "0.5", "p.py"]) == (
        ["watch", "--me", "0.5"],
        ["p.py"],
    )


def test_watch_with_abbreviated_options_runs_the_script(tmp_path):
    (tmp_path / "args.py").write_text("import sys\nprint(sys.argv[1:])\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "graphlab", "watch", "--out", "r.json", "--memory-int", "0.5",
         "--memory", "args.py", "--out", "x"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['--out', 'x']\n"  # after the script: the program's own
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["memory"]["interval_s"] == 0.5


def _show_merged(record):
    from graphlab import _display

    return [_display.render(record, fmt) for fmt in ("text", "md", "html", "json")]


def _show_diff(record):
    from graphlab.bench.render import DIFF_FORMATS, render_diff

    return [render_diff(record, fmt) for fmt in DIFF_FORMATS]


@pytest.mark.parametrize(
    ("golden", "record", "show"),
    [
        ("merged_traces-1.json", "graphlab.tracing.records_merge:MergedTraces", _show_merged),
        ("rundiff-1.json", "graphlab.bench.records_runs:RunDiff", _show_diff),
    ],
)
def test_loading_a_saved_merge_or_diff_refuses_each_wrong_field_with_a_value_error(
    golden, record, show
):
    """The records' own loaders (``from_dict``): a ValueError naming the field, or a
    record every renderer can show."""
    import importlib

    module, name = record.split(":")
    cls = getattr(importlib.import_module(module), name)
    base = json.loads((DATA / golden).read_text())
    bad = []
    places = [w for w in _places(base) if w]
    for where, value in [(w, v) for w in places for v in WRONG] + [(w, _DROP) for w in places]:
        try:
            show(cls.from_dict(_changed(base, where, value)))
        except (ValueError, KeyError):
            continue
        except Exception as error:  # the point: nothing else escapes
            bad.append(f"{where} = {value!r}: {type(error).__name__}: {error}")
    assert len(places) > 20 and bad == [], "\n".join(bad)
