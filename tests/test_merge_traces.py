"""Per-worker trace reports: the rank in `watch`'s report (--rank, TF_CONFIG,
graphlab.watch(rank=)), and `merge-traces` over several workers' reports, run as a user
runs them."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ENTRY_POINTS, ROOT, make_report, make_worker_report, run_cli

from graphlab.tracing import ranks, render_merge
from graphlab.tracing.merge import MergeError, merge_traces
from graphlab.tracing.records import TraceReport
from graphlab.tracing.records_merge import MergedTraces, ranks_text

HERE = Path(__file__).parent
WORKER = HERE / "data" / "ranked_worker_script.py"


def tf_config(kind: str, index: int, workers: int = 3, chiefs: int = 0) -> str:
    cluster = {"worker": [f"127.0.0.1:{20000 + i}" for i in range(workers)]}
    if chiefs:
        cluster["chief"] = ["127.0.0.1:19999"]
    return json.dumps({"cluster": cluster, "task": {"type": kind, "index": index}})


# ---------------------------------------------------------------------------
# Real workers: three `watch` processes, one of which retraces


@pytest.fixture(scope="module")
def worker_reports(tmp_path_factory):
    """Rank 0 and 1 by --rank (rank 1 gets a shorter last batch: a retrace), rank 2 by
    TF_CONFIG with -o traces-{rank}.json; run side by side, as a job's workers are."""
    folder = tmp_path_factory.mktemp("workers")
    base = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT, "COLUMNS": "200"}
    base.pop("TF_CONFIG", None)
    watch = [sys.executable, "-m", "graphlab", "watch"]
    runs = [
        ([*watch, "--rank", "0", "-o", "traces-{rank}.json", str(WORKER), "0"], base),
        ([*watch, "--rank", "1", "-o", "traces-{rank}.json", str(WORKER), "1"], base),
        (
            [*watch, "-o", "traces-{rank}.json", str(WORKER)],
            {**base, "TF_CONFIG": tf_config("worker", 2)},
        ),
    ]
    results = run_side_by_side(runs, folder)
    for result in results:
        assert result.returncode == 0, result.stderr
    return folder, [(r.stdout, r.stderr) for r in results]


def run_side_by_side(
    runs: list[tuple[list[str], dict[str, str]]], cwd: Path, timeout: float = 300
) -> list[subprocess.CompletedProcess[str]]:
    """Start every ``(command, env)`` at once, wait for all, kill any left on a failure."""
    processes: list[subprocess.Popen[str]] = []
    try:
        for command, env in runs:
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=cwd,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        outputs = [p.communicate(timeout=timeout) for p in processes]
    finally:  # leave nothing behind, even on a timeout
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [
        subprocess.CompletedProcess(p.args, p.returncode, out, err)
        for p, (out, err) in zip(processes, outputs)
    ]


def merge(folder: Path, *names: str, entry: str = "module"):
    return run_cli(entry, "merge-traces", *names, cwd=folder)


def test_watch_records_the_rank_from_the_flag_and_from_tf_config(worker_reports):
    folder, outputs = worker_reports
    assert [out.strip() for out, _ in outputs] == ["rank 0 done", "rank 1 done", "rank 2 done"]
    assert "trace report written to traces-1.json" in outputs[1][1]
    docs = {r: json.loads((folder / f"traces-{r}.json").read_text()) for r in (0, 1, 2)}
    assert [docs[r]["rank"] for r in (0, 1, 2)] == [0, 1, 2]
    assert docs[0]["task"] is None and docs[2]["task"] == "worker:2"
    assert [s["traces"] for s in docs[1]["summary"]] == [2]
    assert "batch changed shape (4,) -> (3,)" in outputs[1][1]  # the live warning


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_merge_flags_the_worker_that_retraced(worker_reports, entry):
    folder, _ = worker_reports
    result = merge(folder, "traces-0.json", "traces-1.json", "--format", "json", entry=entry)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "graphlab.merged_traces/1"
    assert data["ranks"] == [0, 1]
    (divergent,) = data["divergent"]
    assert divergent["function"] == "train_step"
    assert divergent["traces_by_rank"] == {"0": 1, "1": 2}
    assert divergent["differs"] == "count"
    assert divergent["extra_causes_by_rank"] == {"1": ["batch changed shape (4,) -> (3,)"]}
    assert result.stderr == ""


def test_merge_of_workers_that_traced_alike_flags_nothing(worker_reports):
    folder, _ = worker_reports
    result = merge(folder, "traces-2.json", "traces-0.json", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ranks"] == [0, 2]  # in rank order, whatever the order of the files
    assert data["divergent"] == []
    (function,) = [f for f in data["functions"] if not f["internal"]]
    assert function["traces_by_rank"] == {"0": 1, "2": 1}


def test_merge_text_names_the_function_the_ranks_and_the_cause(worker_reports, tmp_path):
    folder, _ = worker_reports
    out = tmp_path / "merged.txt"
    result = merge(folder, "traces-0.json", "traces-1.json", "traces-2.json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("graphlab merge-traces: 3 ranks, 1 function, 1 divergent")
    assert "traces-1.json" in text and "worker:2" in text
    assert "Divergent between ranks (! above)" in text
    line = "train_step (" + str(WORKER) + ":13): 1 trace on ranks 0, 2, 2 traces on rank 1"
    assert line in text
    assert "    rank 1: batch changed shape (4,) -> (3,)" in text


def test_merge_writes_markdown_and_a_whole_html_page(worker_reports, tmp_path):
    folder, _ = worker_reports
    page = tmp_path / "merged.html"
    assert merge(folder, "traces-0.json", "traces-1.json", "-o", str(page)).returncode == 0
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "summary bad" in html
    assert "batch changed shape (4,) -&gt; (3,)" in html
    result = merge(folder, "traces-0.json", "traces-1.json", "--format", "md")
    assert "## Divergent between ranks" in result.stdout
    assert re.search(r"\| +rank 0 +\| +rank 1 +\|", result.stdout)


# ---------------------------------------------------------------------------
# Bad input: one clear line, exit 2, no traceback


def bad(folder: Path, *args: str) -> str:
    result = run_cli("module", *args, cwd=folder)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_merge_refuses_bad_input_with_one_clear_line(worker_reports, tmp_path):
    folder, _ = worker_reports
    (folder / "notes.txt").write_text("not json")
    comparison = HERE / "data" / "comparison-3.json"
    assert "no such file: missing.json" in bad(
        folder, "merge-traces", "traces-0.json", "missing.json"
    )
    assert "notes.txt is not JSON" in bad(folder, "merge-traces", "traces-0.json", "notes.txt")
    error = bad(folder, "merge-traces", "traces-0.json", str(comparison))
    assert "is not a graphlab trace report (schema 'graphlab.comparison/3'" in error
    error = bad(folder, "merge-traces", "traces-1.json", "./traces-1.json")
    assert "traces-1.json is given twice: pass each worker's report once" in error
    (folder / "copy.json").write_text((folder / "traces-1.json").read_text())
    error = bad(folder, "merge-traces", "traces-1.json", "copy.json")
    assert "both have rank 1: each worker needs its own rank" in error
    assert "at least two trace reports" in bad(folder, "merge-traces", "traces-0.json")
    assert "is a directory" in bad(folder, "merge-traces", "traces-0.json", str(tmp_path))
    unranked = folder / "unranked.json"
    unranked.write_text((HERE / "data" / "tracelog-2.json").read_text())
    error = bad(folder, "merge-traces", "traces-0.json", "unranked.json")
    assert "unranked.json has no rank while traces-0.json has rank 0" in error
    assert "watch --rank N" in error


def test_reports_without_ranks_are_numbered_by_file_order_with_a_warning(tmp_path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text((HERE / "data" / "tracelog-2.json").read_text())
    result = run_cli("module", "merge-traces", "b.json", "a.json", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: the reports carry no ranks; numbered in the order given" in result.stderr
    data = json.loads(result.stdout)
    assert data["ranks_from_file_order"] is True
    assert [(w["rank"], w["source"]) for w in data["workers"]] == [(0, "b.json"), (1, "a.json")]


def test_watch_refuses_a_bad_rank_before_running_the_program(tmp_path):
    script = tmp_path / "never.py"
    script.write_text("raise SystemExit('the program ran')\n")
    error = bad(tmp_path, "watch", "--rank", "-1", str(script))
    assert "rank must be a whole number >= 0" in error
    error = bad(tmp_path, "watch", "-o", str(tmp_path / "no" / "t-{rank}.json"), str(script))
    assert "no such directory" in error


SETS_ITS_OWN_TF_CONFIG = """
import json, os, sys
import tensorflow as tf
if "--set" in sys.argv:  # as some programs do, before they build their strategy
    cluster = {"chief": ["127.0.0.1:1"], "worker": ["127.0.0.1:2"]}
    task = {"type": "worker", "index": 0}
    os.environ["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": task})
tf.function(lambda x: x + 1)(tf.constant(1))
"""


def test_rank_placeholder_is_filled_from_the_tf_config_the_program_set(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SETS_ITS_OWN_TF_CONFIG)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    env.pop("TF_CONFIG", None)
    watch = [sys.executable, "-m", "graphlab", "watch", "-o", "t-{rank}.json", str(script)]
    with_rank, without = run_side_by_side([([*watch, "--set"], env), (watch, env)], tmp_path)
    assert with_rank.returncode == 0, with_rank.stderr
    data = json.loads((tmp_path / "t-1.json").read_text())  # worker 0 after the chief
    assert (data["rank"], data["task"]) == (1, "worker:0")
    # No rank at all: the program ran, so its report goes to stderr and its code is kept.
    assert without.returncode == 0, without.stderr
    assert "t-{rank}.json has {rank} but the process had no rank: pass --rank N" in without.stderr
    assert '"schema": "graphlab.tracelog/2"' in without.stderr  # the JSON, on stderr
    assert not (tmp_path / "t-{rank}.json").exists()


def test_watch_refuses_a_malformed_tf_config(tmp_path):
    script = tmp_path / "never.py"
    script.write_text("raise SystemExit('the program ran')\n")
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CONFIG": "{cluster: oops"}
    result = subprocess.run(
        [sys.executable, "-m", "graphlab", "watch", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert "TF_CONFIG is not valid JSON" in result.stderr and "Traceback" not in result.stderr
    assert "the program ran" not in result.stderr


# ---------------------------------------------------------------------------
# The rank rule, the library API, the records (no subprocesses)


@pytest.mark.parametrize(
    ("config", "rank", "task"),
    [
        (tf_config("worker", 0), 0, "worker:0"),
        (tf_config("worker", 2), 2, "worker:2"),
        (tf_config("chief", 0, chiefs=1), 0, "chief:0"),
        (tf_config("worker", 0, chiefs=1), 1, "worker:0"),  # workers follow the chief
        (tf_config("worker", 2, chiefs=1), 3, "worker:2"),
        (tf_config("evaluator", 0), None, "evaluator:0"),
        (tf_config("ps", 1), None, "ps:1"),
        (json.dumps({"cluster": {"worker": ["a:1"]}}), None, ""),
        ("", None, ""),
        (None, None, ""),
    ],
)
def test_rank_from_tf_config_numbers_the_chief_first(config, rank, task):
    assert ranks.from_tf_config(config) == ranks.Worker(rank, task)


def test_an_explicit_rank_wins_over_tf_config():
    env = {"TF_CONFIG": tf_config("worker", 1)}
    assert ranks.current(5, env) == ranks.Worker(5, "worker:1")
    assert ranks.current(None, env) == ranks.Worker(1, "worker:1")
    assert ranks.current(2, {"TF_CONFIG": "not json"}) == ranks.Worker(2, "")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        ranks.current(None, {"TF_CONFIG": "not json"})
    with pytest.raises(ValueError, match="index must be a whole number"):
        ranks.from_tf_config(json.dumps({"task": {"type": "worker", "index": "1"}}))
    for wrong in (-1, True, 1.0, "1"):
        with pytest.raises(ValueError, match="rank must be a whole number >= 0"):
            ranks.check_rank(wrong)


def test_output_placeholder():
    assert ranks.fill_rank("out/traces-{rank}.json", 3) == "out/traces-3.json"
    assert ranks.fill_rank("traces.json", None) == "traces.json"
    with pytest.raises(ValueError, match=r"has \{rank\} but the process had no rank"):
        ranks.fill_rank("traces-{rank}.json", None)


def test_graphlab_watch_takes_a_rank(monkeypatch, caplog):
    import tensorflow as tf

    import graphlab

    monkeypatch.setenv("TF_CONFIG", tf_config("worker", 0, chiefs=1))

    @tf.function
    def double(x):
        return x * 2

    with graphlab.watch() as from_env:
        double(tf.constant(1.0))
    with graphlab.watch(rank=7) as given:
        double(tf.constant([1.0]))
    assert (from_env.report().rank, from_env.report().task) == (1, "worker:0")
    assert (given.report().rank, given.report().task) == (7, "worker:0")
    monkeypatch.setenv("TF_CONFIG", "{oops")  # a report is still made, without a rank
    with graphlab.watch() as broken:
        double(tf.constant([1.0, 2.0]))
    with caplog.at_level(logging.WARNING, logger="graphlab"):
        assert broken.report().rank is None
    assert "no rank for this report: TF_CONFIG is not valid JSON" in caplog.text
    with pytest.raises(ValueError, match="rank must be"):
        graphlab.watch(rank=-2)


def test_tracelog_2_without_rank_still_loads_and_a_rank_round_trips():
    data = make_report().to_dict()
    del data["rank"], data["task"]
    old = TraceReport.from_dict(data)
    assert (old.rank, old.task) == (None, "")
    worker = make_worker_report(3)
    assert TraceReport.from_dict(json.loads(json.dumps(worker.to_dict()))) == worker
    assert worker.to_dict()["rank"] == 3 and worker.to_dict()["task"] == "worker:3"
    assert str(worker).startswith("graphlab trace report, rank 3 (worker:3): 2 traces")
    with pytest.raises(ValueError, match=r"TraceReport\.rank must be"):
        TraceReport.from_dict({**data, "rank": "one"})


def test_merge_flags_a_retrace_on_one_rank_only():
    merged = merge_traces([make_worker_report(1, retrace="shape"), make_worker_report(0)])
    assert merged.ranks == (0, 1)
    (divergent,) = merged.divergent
    assert (divergent.function, divergent.differs) == ("tf_cube", "count")
    assert divergent.traces_by_rank == {0: 2, 1: 3}
    assert divergent.extra_causes == {1: ("x changed shape (2, 2) -> (3, 2)",)}
    assert divergent.message == "tf_cube (train.py:8): 2 traces on rank 0, 3 traces on rank 1"


def test_merge_flags_as_many_traces_for_different_reasons():
    merged = merge_traces(
        [make_worker_report(0, retrace="shape"), make_worker_report(1, retrace="dtype")]
    )
    (divergent,) = merged.divergent
    assert divergent.differs == "causes"
    assert divergent.traces_by_rank == {0: 3, 1: 3}
    assert divergent.extra_causes == {
        0: ("x changed shape (2, 2) -> (3, 2)",),
        1: ("x changed dtype float32 -> float64",),
    }
    assert divergent.message.endswith("3 traces on ranks 0, 1, for different reasons")


def test_merge_ignores_values_folders_and_internal_functions():
    zero = make_worker_report(0, retrace="shape")
    one = make_worker_report(1, retrace="shape")
    # Another worker's folder, another value of the same change, no tf.data function.
    cube, _ = one.summaries
    events = tuple(
        dataclasses.replace(e, defined_at="/home/worker1/job/train.py:8")
        for e in one.events
        if not e.internal
    )
    third = events[2]
    change = dataclasses.replace(third.cause.changes[0], after="(7, 2)")
    events = (
        *events[:2],
        dataclasses.replace(third, cause=dataclasses.replace(third.cause, changes=(change,))),
    )
    one = dataclasses.replace(
        one,
        events=events,
        summaries=(dataclasses.replace(cube, defined_at="/home/worker1/job/train.py:8"),),
    )
    merged = merge_traces([zero, one])
    assert merged.divergent == ()
    cube_merged, data = merged.functions
    assert cube_merged.traces_by_rank(merged.ranks) == {0: 3, 1: 3}
    assert data.internal and data.traces_by_rank(merged.ranks) == {0: 1, 1: 0}


def test_merge_refuses_what_it_cannot_number(tmp_path):
    report = tmp_path / "traces-0.json"
    report.write_text(json.dumps(make_worker_report(0).to_dict()))
    with pytest.raises(MergeError, match=r"traces-0\.json is given twice"):
        merge_traces([report, tmp_path / "." / "traces-0.json"])
    with pytest.raises(MergeError, match="both have rank 0"):
        merge_traces([make_worker_report(0), make_worker_report(0)], sources=["a", "b"])
    with pytest.raises(MergeError, match="b has no rank while a has rank 0"):
        merge_traces([make_worker_report(0), make_worker_report(None)], sources=["a", "b"])
    with pytest.raises(MergeError, match="at least two"):
        merge_traces([make_worker_report(0)])
    merged = merge_traces([make_worker_report(None), make_worker_report(None)])
    assert merged.ranks == (0, 1) and merged.ranks_from_file_order


def test_merge_reads_saved_files(tmp_path):
    paths = []
    for rank in (0, 1):
        path = tmp_path / f"r{rank}.json"
        path.write_text(json.dumps(make_worker_report(rank, retrace="shape" * rank).to_dict()))
        paths.append(path)
    merged = merge_traces(paths)
    assert [w.source for w in merged.workers] == [str(p) for p in paths]
    assert [d.function for d in merged.divergent] == ["tf_cube"]


def test_merged_record_round_trips_and_renders():
    merged = merge_traces([make_worker_report(0), make_worker_report(1, retrace="shape")])
    loaded = MergedTraces.from_dict(json.loads(json.dumps(merged.to_dict())))
    assert loaded == merged and loaded.divergent == merged.divergent
    assert str(loaded).startswith("graphlab merge-traces: 2 ranks, 1 function, 1 divergent")
    assert "wrapped_fn" not in str(merged)
    assert "wrapped_fn" in render_merge.render(merged, "text", include_internal=True)
    assert "graphlab-merged-traces" in merged._repr_html_()
    with pytest.raises(ValueError, match="not a graphlab merged trace report"):
        MergedTraces.from_dict(make_report().to_dict())


def test_many_ranks_fold_into_one_column():
    reports = [make_worker_report(r, retrace="shape" if r == 5 else "") for r in range(10)]
    text = render_merge.render(merge_traces(reports), "text", width=200)
    assert "2 on ranks 0-4, 6-9; 3 on rank 5" in text
    assert ranks_text([0, 1, 3]) == "ranks 0, 1, 3" and ranks_text([4]) == "rank 4"


# ---------------------------------------------------------------------------
# A real MultiWorkerMirroredStrategy job: two workers on loopback under `watch`

MULTI_WORKER = HERE / "data" / "multi_worker_script.py"


@pytest.mark.slow
def test_watch_under_multi_worker_mirrored_strategy_takes_ranks_from_tf_config(tmp_path):
    from graphlab.distributed.cluster import free_ports, tf_config

    ports = free_ports(2)
    base = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    command = [sys.executable, "-m", "graphlab", "watch", "-o", "mw-{rank}.json"]
    runs = []
    for index in range(2):
        env = {**base, "TF_CONFIG": tf_config(ports, index)}
        runs.append(([*command, str(MULTI_WORKER)], env))
    # A worker whose peer died would wait for it forever: the helper kills what is left.
    results = run_side_by_side(runs, tmp_path, timeout=240)
    for result in results:
        assert result.returncode == 0, result.stderr
    outputs = [(r.stdout, r.stderr) for r in results]
    finals = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert finals[0]["weight"] == finals[1]["weight"] != 1.0  # the gradients were all-reduced
    docs = [json.loads((tmp_path / f"mw-{rank}.json").read_text()) for rank in (0, 1)]
    assert [(d["rank"], d["task"]) for d in docs] == [(0, "worker:0"), (1, "worker:1")]
    result = merge(tmp_path, "mw-1.json", "mw-0.json", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    steps = {f["function"]: f["traces_by_rank"] for f in data["functions"] if not f["internal"]}
    assert steps["train_step"] == {"0": 1, "1": 1}
    assert [(d["function"], d["traces_by_rank"]) for d in data["divergent"]] == [
        ("preprocess", {"0": 1, "1": 2})
    ]
