"""graphlab.inspect and friends on the seed chapter's functions, with real TensorFlow."""

from __future__ import annotations

import json
import os

import pytest
import tensorflow as tf

import graphlab
from graphlab import examples
from graphlab.graphs import export, inspection
from graphlab.graphs import render as inspection_renderer
from graphlab.graphs.records import INSPECT_SCHEMA, GraphSummary, Inspection

SCALAR = tf.TensorSpec([], tf.float32)


def only(inspection: graphlab.Inspection) -> GraphSummary:
    assert len(inspection.concrete_functions) == 1
    return inspection.concrete_functions[0]


def test_cube_is_one_pow():
    summary = only(graphlab.inspect(examples.cube, tf.constant(2.0)))
    ops = dict(summary.ops_by_type)
    assert ops["Pow"] == 1
    assert summary.op_count == summary.op_count_total == sum(ops.values())
    assert summary.inputs == (("x", "float32[]"),)
    assert summary.outputs == "float32[]"
    assert not summary.control_flow and not summary.captures and not summary.bodies


def test_python_range_unrolls_into_ten_addv2_and_no_loop():
    summary = only(graphlab.inspect(examples.add_10_range, SCALAR))
    ops = dict(summary.ops_by_type)
    assert ops["AddV2"] == 10
    assert not {"While", "StatelessWhile"} & set(ops)
    loop_line = next(line for line in summary.lines if line.source == "x += 1")
    assert dict(loop_line.ops_by_type)["AddV2"] == 10


@pytest.mark.parametrize("fn", [examples.add_10_tf_range, examples.add_10_while_loop])
def test_graph_loops_are_one_while_whose_body_holds_the_addv2(fn):
    summary = only(graphlab.inspect(fn, SCALAR))
    top = dict(summary.top_ops_by_type)
    assert top.get("StatelessWhile", 0) + top.get("While", 0) == 1
    assert "AddV2" not in top or top["AddV2"] < dict(summary.ops_by_type)["AddV2"]
    (loop,) = summary.control_flow
    body_name, body_ops = next((n, c) for n, c in loop.bodies if "body" in n)
    assert body_ops > 0 and dict(summary.bodies)[body_name] == body_ops
    assert summary.op_count_total == summary.op_count + sum(dict(summary.bodies).values())
    assert loop.location.startswith(os.path.join("graphlab", "examples.py"))


def test_op_count_total_agrees_with_the_recorder():
    fn = graphlab.function(examples.add_10_tf_range)
    fn(tf.constant(1.0))
    (event,) = fn.traces
    summary = only(graphlab.inspect(fn))
    assert summary.op_count_total == event.op_count


def test_shrink_uses_its_input_signature_without_inputs():
    fn = tf.function(examples.shrink, input_signature=examples.SHRINK_SIGNATURE)
    summary = only(graphlab.inspect(fn))
    assert summary.inputs == (("images", "float32[None,28,28]"),)
    assert summary.outputs == "float32[None,14,14]"


def test_captured_variable_is_listed_and_a_variable_argument_is_not():
    increment_captured, counter = examples.make_increment_captured()
    summary = only(graphlab.inspect(increment_captured, 2))
    (capture,) = summary.captures
    assert (capture.name, capture.kind, capture.shape, capture.dtype) == (
        counter.name,
        "variable",
        (),
        "int32",
    )
    assert capture.trainable is True
    assert "AssignAddVariableOp" in dict(summary.stateful_ops)

    as_argument = only(graphlab.inspect(examples.increment, tf.Variable(0), 1))
    assert as_argument.captures == ()
    assert dict(as_argument.inputs)["counter"] == "Variable(int32[])"


def test_relu_if_counts_both_branches():
    summary = only(graphlab.inspect(examples.relu_if, tf.TensorSpec([3], tf.float32)))
    (cond,) = summary.control_flow
    assert cond.op_type in ("If", "StatelessIf")
    assert len(cond.bodies) == 2
    assert all(count > 0 for _, count in cond.bodies)
    assert summary.op_count_total == summary.op_count + sum(count for _, count in cond.bodies)
    assert dict(summary.ops_by_type)["Neg"] == 1  # only in the else branch


def test_autograph_code_sees_through_graphlab_function():
    wrapped = graphlab.function(examples.relu_if)
    result = graphlab.inspect(wrapped, tf.TensorSpec([2], tf.float32))
    assert result.autograph_code is not None
    assert result.autograph_code.startswith("def tf__relu_if(")
    assert "ag__.if_stmt" in result.autograph_code
    annotated = inspection_renderer.annotate_code(result)
    if_line = next(line for line in annotated.splitlines() if "ag__.if_stmt" in line)
    assert int(if_line.split("|")[0]) > 0


def test_diff_of_two_traces_shows_the_unrolled_loop():
    fn = tf.function(examples.power)
    x = examples.power_input()
    result = graphlab.inspect_calls(fn, [((x, 2), {}), ((x, 5), {})])
    (diff,) = result.diffs
    assert diff.changes == (("MatMul", 2, 5),)
    assert diff.delta == 3
    assert diff.summary().startswith(f"graph grew from {diff.before_ops} to {diff.after_ops} ops")
    assert "+3 MatMul" in diff.summary()


def test_diff_links_trace_events_from_the_recorder():
    fn = graphlab.function(examples.power)
    x = examples.power_input()
    fn(x, 1)
    fn(x, 3)
    first, second = fn.traces
    diff = graphlab.diff_graphs(first, second)
    assert diff.before_ops == first.op_count and diff.after_ops == second.op_count
    assert diff.changes == (("MatMul", 1, 3),)


def test_concrete_function_target():
    concrete = tf.function(examples.cube).get_concrete_function(SCALAR)
    result = graphlab.inspect(concrete)
    assert dict(only(result).ops_by_type)["Pow"] == 1
    assert result.autograph_code is None


def test_json_contract():
    result = graphlab.inspect(examples.relu_if, tf.TensorSpec([None], tf.float32))
    data = json.loads(inspection_renderer.render(result, "json"))
    assert data["schema"] == INSPECT_SCHEMA == "graphlab.inspect/1"
    assert data["function"] == "relu_if"
    assert isinstance(data["autograph_code"], str)
    (entry,) = data["concrete_functions"]
    assert entry["signature"]["inputs"] == {"x": "float32[None]"}
    assert isinstance(entry["op_count"], int)
    assert entry["op_count_total"] == sum(entry["ops_by_type"].values()) > entry["op_count"]
    assert entry["captures"] == []


def test_text_and_markdown_render():
    result = graphlab.inspect(examples.add_10_tf_range, SCALAR)
    text = inspection_renderer.render(result, "text", sections=("ops", "lines", "code"))
    assert "StatelessWhile" in text and "def tf__add_10_tf_range" in text
    md = inspection_renderer.render(result, "md")
    assert md.startswith("# graphlab inspect: add_10_tf_range")


def test_missing_inputs_and_user_errors():
    with pytest.raises(inspection.InspectError, match="give example inputs"):
        graphlab.inspect(examples.cube)

    def broken(x):
        return tf.reshape(x, [3, 7])

    with pytest.raises(inspection.TraceFailure) as failure:
        graphlab.inspect(broken, tf.TensorSpec([2]))
    assert failure.value.location.endswith(f"test_inspect.py:{broken.__code__.co_firstlineno + 1}")


def test_export_pbtxt_dot(tmp_path):
    from google.protobuf import text_format

    concrete = tf.function(examples.relu_if).get_concrete_function(tf.TensorSpec([2]))
    pbtxt = tmp_path / "g.pbtxt"
    graphlab.export_graph(concrete, "pbtxt", str(pbtxt))
    graph_def = text_format.Parse(pbtxt.read_text(), tf.compat.v1.GraphDef())
    assert any(node.op == "StatelessIf" for node in graph_def.node)
    assert len(graph_def.library.function) == 2

    dot = tmp_path / "g.dot"
    graphlab.export_graph(concrete, "dot", str(dot))
    text = dot.read_text()
    assert text.startswith("digraph G {") and "StatelessIf" in text and "cluster_cond" in text


def test_export_svg_says_when_dot_is_missing(tmp_path, monkeypatch):
    concrete = tf.function(examples.cube).get_concrete_function(SCALAR)
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz here
    export = graphlab.export_graph(concrete, "svg", str(tmp_path / "g.svg"))
    assert export.format == "dot" and "not installed" in export.note
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_export_tensorboard_reads_back(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    concrete = tf.function(examples.add_10_tf_range).get_concrete_function(SCALAR)
    graphlab.export_graph(concrete, "tensorboard", str(tmp_path / "logs"))
    accumulator = event_accumulator.EventAccumulator(str(tmp_path / "logs"))
    accumulator.Reload()
    graph_def = accumulator.Graph()
    assert any(node.op == "StatelessWhile" for node in graph_def.node)


def test_xla_hlo_and_unsupported_op():
    hlo = graphlab.compiler_ir(examples.cube, tf.constant([1.0, 2.0]), stage="hlo")
    assert "HloModule" in hlo
    with pytest.raises(export.XlaError, match="AsString") as error:
        graphlab.compiler_ir(lambda x: tf.strings.as_string(x), tf.constant([1.0]))
    assert error.value.unsupported_ops == ("AsString",)
    with pytest.raises(inspection.InspectError, match="unknown XLA stage"):
        graphlab.compiler_ir(examples.cube, tf.constant(1.0), stage="llvm")


def test_the_size_of_cached_graphs_is_shown():
    cube = tf.function(examples.cube)
    for n in range(1, 21):  # a new shape every call: twenty cached graphs
        cube(tf.zeros([n]))
    result = graphlab.inspect(cube)
    sizes = [s.graph_bytes for s in result.concrete_functions]
    assert len(sizes) == 20 and all(size > 100 for size in sizes)
    assert result.graph_bytes == sum(sizes)
    header = " ".join(line.strip() for line in str(result).splitlines()[:2])  # 80 columns
    assert "20 concrete functions (" in header and " KB of graphs)" in header
    data = result.to_dict()
    assert data["graph_bytes"] == sum(sizes)
    assert data["concrete_functions"][0]["graph_bytes"] == sizes[0]
    assert Inspection.from_dict(data).graph_bytes == sum(sizes)
    older = {
        **data,
        "concrete_functions": [
            {k: v for k, v in c.items() if k != "graph_bytes"} for c in data["concrete_functions"]
        ],
    }
    del older["graph_bytes"]
    assert Inspection.from_dict(older).graph_bytes is None  # files from before still load
    assert "of graphs" not in str(Inspection.from_dict(older))
