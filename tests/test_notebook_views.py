"""What Jupyter shows: ``_repr_html_`` of reports, inspections and AutoGraph code."""

from __future__ import annotations

import sys

import tensorflow as tf
from helpers import make_report

import graphlab
from graphlab import _html as code
from graphlab import examples


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
