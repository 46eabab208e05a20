"""What Jupyter shows: ``_repr_html_`` of reports, inspections and AutoGraph code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf
from helpers import make_report

import graphlab
from graphlab import _html as code
from graphlab import examples

DATA = Path(__file__).parent / "data"


def test_trace_report_html_has_tables_and_a_chart():
    fragment = make_report()._repr_html_()
    assert "<table>" in fragment and "<svg" in fragment and "Tracing time per trace" in fragment


def test_inspection_html_shows_ops_and_highlighted_autograph_code():
    result = graphlab.inspect(examples.add_10_tf_range, tf.TensorSpec([], tf.float32))
    fragment = result._repr_html_()
    assert "<table>" in fragment and "While" in fragment
    assert "AutoGraph code" in fragment and "for_stmt" in fragment
    assert "<span style=" in fragment  # Pygments' inline styles: highlighted


def test_autograph_code_prints_source_and_highlights_in_jupyter():
    generated = graphlab.autograph_code(examples.relu_if)
    assert str(generated).startswith("def tf__relu_if(")
    assert "if_stmt" in generated._repr_html_()


def test_highlight_falls_back_to_pre_without_pygments(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)
    assert code.highlight("x < 1") == "<pre class='graphlab-code'>x &lt; 1</pre>"


@pytest.mark.parametrize(
    ("module", "record", "golden", "text"),
    [
        ("graphlab.tracing.records", "TraceReport", "tracelog-2.json", "trace"),
        ("graphlab.tracing.records_merge", "MergedTraces", "merged_traces-1.json", "worker"),
        ("graphlab.graphs.records", "Inspection", "inspect-1.json", "ops"),
        ("graphlab.bench.records", "Comparison", "comparison-3.json", "speedup"),
    ],
)
def test_a_record_shows_itself_with_only_its_records_module_imported(module, record, golden, text):
    # the record names its renderer by a string; graphlab._display imports it on first
    # show, so no package __init__ has to import renderers up front
    code = (
        "import json, sys\n"
        f"from {module} import {record}\n"
        f"renderer = {record}.__renderer__\n"
        "assert renderer not in sys.modules, renderer\n"
        f"data = json.loads(open({str(DATA / golden)!r}, encoding='utf-8').read())\n"
        f"loaded = {record}.from_dict(data)\n"
        "text, html = str(loaded), loaded._repr_html_()\n"
        "assert renderer in sys.modules, renderer\n"
        "print(text)\n"
        "print('HTML', '<table' in html or '<div' in html)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert text in done.stdout.lower()
    assert done.stdout.rstrip().endswith("HTML True")
