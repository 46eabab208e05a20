"""The JSON contracts: one golden file per schema version, every record loads what it
writes (``from_dict(to_dict())``), and files of older versions still load."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from helpers import make_report, make_worker_report, synthetic

from graphlab._workers.records import Request
from graphlab.bench.records import COMPARISON_SCHEMA, NO_MEASUREMENT, Comparison
from graphlab.bench.records_runs import RUNDIFF_SCHEMA, RunDiff
from graphlab.bench.runs import diff_runs
from graphlab.demo.records import Walkthrough
from graphlab.graphs.records import Inspection
from graphlab.tracing.merge import merge_traces
from graphlab.tracing.records import TraceReport
from graphlab.tracing.records_merge import MERGED_TRACES_SCHEMA, MergedTraces

DATA = Path(__file__).parent / "data"


def golden(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def make_rundiff() -> RunDiff:
    return diff_runs(
        synthetic(),
        synthetic(graph_us=150.0),
        old_label="old.json",
        new_label="new.json",
        fail_if_slower=10.0,
    )


def test_golden_files_are_named_schema_dash_version():
    for path in DATA.glob("*.json"):
        name, _, version = path.stem.rpartition("-")
        assert name and version.isdigit(), path.name
        assert golden(path.name)["schema"] == f"graphlab.{name}/{version}"


def test_comparison_matches_the_golden_file_of_schema_3():
    assert COMPARISON_SCHEMA == "graphlab.comparison/3"
    assert json.loads(synthetic().to_json()) == golden("comparison-3.json")


def test_schema_3_says_how_the_speedup_was_measured():
    data = golden("comparison-3.json")
    _, graph, failed = data["rows"]
    assert data["processes"] == 1
    assert graph["schedule"] == "interleaved" and graph["pairs"] == 7
    assert graph["unstable"] is False and graph["processes"] == 1
    assert graph["block_rounds"] == list(range(7)) and graph["block_processes"] == []
    assert failed["schedule"] == "sequential" and failed["pairs"] is None


def test_comparison_of_schema_2_still_loads_as_sequential():
    old = Comparison.from_dict(golden("comparison-2.json"))
    graph = old.rows[1]
    assert graph.measurement is not None and graph.measurement.block_rounds == ()
    assert old.paired(graph) is None  # no rounds: the ratio of medians, as it was
    assert old.speedup(graph) == pytest.approx(5.0, rel=0.01)
    assert old.to_dict()["rows"][1]["schedule"] == "sequential"


def test_failed_rows_carry_the_keys_of_ok_rows():
    ok, _, failed = golden("comparison-3.json")["rows"]
    assert failed["error"] and not ok["error"]
    assert set(failed) == set(ok)
    assert set(NO_MEASUREMENT) | {"function", "mode"} <= set(failed)
    assert failed["block_times_s"] == [] and failed["median_us"] is None


def test_comparison_of_schema_1_still_loads_as_it_was():
    old = Comparison.from_dict(golden("comparison-1.json"))
    assert old.speedup(old.rows[1]) == pytest.approx(5.0, rel=0.01)
    assert old.rows[2].error and old.rows[2].measurement is None
    rewritten = old.to_dict()
    assert rewritten["schema"] == COMPARISON_SCHEMA
    assert Comparison.from_dict(rewritten) == old


def test_rundiff_matches_the_golden_file_and_loads_back():
    data = make_rundiff().to_dict()
    assert data["schema"] == RUNDIFF_SCHEMA == "graphlab.rundiff/1"
    assert json.loads(json.dumps(data)) == golden("rundiff-1.json")
    loaded = RunDiff.from_dict(data)
    assert loaded.failures == make_rundiff().failures
    assert [c.new_median for c in loaded.changes] == pytest.approx([500e-6, 150e-6])
    assert make_rundiff().failed  # 150 µs vs 100 µs: the speedup dropped by a third


@pytest.mark.parametrize(
    ("record", "file"),
    [
        (TraceReport, "tracelog-2.json"),
        (Inspection, "inspect-1.json"),
        (Comparison, "comparison-3.json"),
        (RunDiff, "rundiff-1.json"),
        (MergedTraces, "merged_traces-1.json"),
        (Walkthrough, "demo-1.json"),
        (Request, "worker_request-1.json"),
    ],
)
def test_every_record_loads_what_it_writes(record, file):
    data = golden(file)
    assert_same_json(record.from_dict(data).to_dict(), data)


def assert_same_json(got, expected, path="$"):
    """Equal JSON, floats to 1e-12 (a ``_us`` figure read back into seconds and written
    again may move in its last bit)."""
    if isinstance(expected, float) and isinstance(got, float):
        assert got == pytest.approx(expected, rel=1e-12), path
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), path
        for key in expected:
            assert_same_json(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), path
        for index, (a, b) in enumerate(zip(got, expected)):
            assert_same_json(a, b, f"{path}[{index}]")
    else:
        assert got == expected, path


def test_loaded_records_render_as_the_originals():
    report = TraceReport.from_dict(make_report().to_dict())
    assert str(report) == str(make_report())
    assert str(Comparison.from_dict(synthetic().to_dict())) == str(synthetic())


@pytest.mark.parametrize(
    "record", [TraceReport, Inspection, Comparison, RunDiff, MergedTraces, Walkthrough]
)
def test_loaders_refuse_other_documents(record):
    with pytest.raises(ValueError, match=r"not a graphlab .*schema 'graphlab\.pytest/1'"):
        record.from_dict({"schema": "graphlab.pytest/1"})


def test_pytest_table_matches_the_golden_file_of_schema_1():
    from graphlab.bench.records import PYTEST_SCHEMA
    from graphlab.bench.render_plugin import pivot

    rows = synthetic().rows[:2]  # what the plugin collects: measured rows of one test
    data = {"schema": PYTEST_SCHEMA, "modes": pivot(rows)}
    assert data["schema"] == "graphlab.pytest/1"
    assert json.loads(json.dumps(data)) == golden("pytest-1.json")
    (row,) = data["modes"]
    assert row["graph_speedup"] == pytest.approx(5.0, rel=0.01)
    low, high = row["graph_speedup_ci"]  # interleaved rows: the paired interval
    assert low < 5.0 < high


def test_tracelog_1_files_still_load():
    report = TraceReport.from_dict(golden("tracelog-1.json"))
    assert [e.function for e in report.events] == ["tf_cube", "tf_cube", "wrapped_fn"]
    assert all(e.side_effects == () for e in report.events)
    assert report.findings == ()
    assert report.to_dict()["schema"] == "graphlab.tracelog/2"


def test_merged_traces_match_the_golden_file_of_schema_1():
    merged = merge_traces(
        [make_worker_report(0), make_worker_report(1, retrace="shape")],
        sources=["traces-0.json", "traces-1.json"],
    )
    assert MERGED_TRACES_SCHEMA == "graphlab.merged_traces/1"
    data = golden("merged_traces-1.json")
    assert json.loads(json.dumps(merged.to_dict())) == data
    assert data["ranks"] == [0, 1]
    assert data["divergent"][0]["traces_by_rank"] == {"0": 2, "1": 3}


def test_a_worker_s_tracelog_keeps_its_rank():
    data = golden("tracelog-2.json")
    assert data["rank"] is None and data["task"] is None
    worker = make_worker_report(2).to_dict()
    assert (worker["rank"], worker["task"]) == (2, "worker:2")
    assert_same_json(TraceReport.from_dict(worker).to_dict(), worker)


# ---------------------------------------------------------------------------
# Where schemas live: every schema constant in a records module, with its golden file

PACKAGE = Path(__file__).resolve().parent.parent / "graphlab"
SCHEMA_NAME = re.compile(r"graphlab\.([a-z_]+)/(\d+)")


def schema_constants() -> list[tuple[str, int, str]]:
    """``(module, line, "graphlab.NAME/VERSION")`` for every schema string assigned at
    module level in graphlab (tuples of them included: the versions a loader reads)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                found += [
                    (module, constant.lineno, constant.value)
                    for constant in ast.walk(node.value)
                    if isinstance(constant, ast.Constant)
                    and isinstance(constant.value, str)
                    and SCHEMA_NAME.fullmatch(constant.value)
                ]
    return found


def test_the_schema_scan_finds_the_schemas():
    found = {schema for _, _, schema in schema_constants()}
    assert {
        "graphlab.tracelog/1",
        "graphlab.tracelog/2",
        "graphlab.merged_traces/1",
        "graphlab.inspect/1",
        "graphlab.comparison/3",
        "graphlab.pytest/1",
        "graphlab.rundiff/1",
    } <= found


def test_every_schema_constant_lives_in_a_records_module():
    misplaced = [
        f"{module}:{line} {schema}"
        for module, line, schema in schema_constants()
        if not module.rsplit(".", 1)[-1].startswith("records")
    ]
    assert misplaced == [], (
        "schema constants belong in the feature's records*.py (with the records, their "
        "loaders and the schema history):\n  " + "\n  ".join(misplaced)
    )


def test_every_schema_constant_has_a_golden_file():
    missing = sorted(
        {
            f"{schema} ({module}:{line}): tests/data/{name}-{version}.json"
            for module, line, schema in schema_constants()
            for name, version in [SCHEMA_NAME.fullmatch(schema).groups()]
            if not (DATA / f"{name}-{version}.json").exists()
        }
    )
    assert missing == [], "golden files missing:\n  " + "\n  ".join(missing)
