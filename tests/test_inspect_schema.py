"""The graphlab.inspect/1 JSON contract: a golden file from hand-made records."""

from __future__ import annotations

import json
from pathlib import Path

from graphlab.graphs import render as inspection
from graphlab.graphs.records import (
    INSPECT_SCHEMA,
    Capture,
    ControlFlowOp,
    GraphDiff,
    GraphSummary,
    Inspection,
    LineOps,
)

GOLDEN = Path(__file__).parent / "data" / "inspect-1.json"


def make_inspection() -> Inspection:
    graph = GraphSummary(
        name="add_10",
        inputs=(("x", "int32[]"),),
        outputs="int32[]",
        op_count=5,
        op_count_total=9,
        ops_by_type=(("AddV2", 2), ("Const", 3), ("Identity", 2), ("Placeholder", 1), ("While", 1)),
        top_ops_by_type=(("Const", 2), ("Identity", 1), ("Placeholder", 1), ("While", 1)),
        bodies=(("while_body_1", 3), ("while_cond_1", 1)),
        lines=(LineOps("loops.py:4", "add_10", "x += 1", 2, (("AddV2", 2),)),),
        captures=(Capture("counter", "variable", (), "int32", True),),
        control_flow=(ControlFlowOp("while", "While", "add_10", (("body", 3), ("cond", 1))),),
        stateful_ops=(("AssignAddVariableOp", 1),),
        flops=None,
        flops_note="AddV2 'while/add' runs inside a tf.cond branch or a while body: how "
        "often depends on run-time values",
    )
    return Inspection(
        function="add_10",
        qualname="add_10",
        defined_at="loops.py:2",
        concrete_functions=(graph,),
        autograph_code="def tf__add_10(x):\n    ...\n",
        diffs=(GraphDiff("#1", "#2", 22, 9, (("AddV2", 10, 2), ("While", 0, 1))),),
        tensorflow="2.21.0",
    )


def test_json_matches_the_golden_file_of_schema_1():
    rendered = json.loads(inspection.render(make_inspection(), "json"))
    assert rendered["schema"] == INSPECT_SCHEMA == "graphlab.inspect/1"
    assert rendered == json.loads(GOLDEN.read_text())
    (function,) = rendered["concrete_functions"]
    for field in ("signature", "op_count", "op_count_total", "ops_by_type", "captures"):
        assert field in function
    assert function["op_count"] == 5
    assert function["op_count_total"] == 9
    assert function["ops_by_type"]["AddV2"] == 2
    assert function["captures"][0]["name"] == "counter"
    assert function["flops"] is None and function["flops_by_type"] == {}
    assert "while body" in function["flops_note"]
