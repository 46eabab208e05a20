"""Trace-report renderers on hand-made records: golden JSON, text and markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import PRINT_MESSAGE, make_report

from graphlab._display import format_for
from graphlab.tracing import render as traces

GOLDEN = Path(__file__).parent / "data" / "tracelog-2.json"


def test_json_matches_the_golden_file_of_schema_2():
    rendered = json.loads(traces.render(make_report(), "json"))
    assert rendered == json.loads(GOLDEN.read_text())
    assert rendered["schema"] == "graphlab.tracelog/2"
    assert rendered["events"][0]["side_effects"] == [
        {"kind": "print", "where": "train.py:9", "message": PRINT_MESSAGE}
    ]
    assert rendered["events"][2]["side_effects"] == []
    assert rendered["findings"][0]["name"] == "scale"
    # JSON holds every event, internal ones included.
    assert [e["function"] for e in rendered["events"]] == ["tf_cube", "tf_cube", "wrapped_fn"]


def test_text_report():
    text = traces.render(make_report(), "text", width=120)
    assert text.splitlines()[0] == (
        "graphlab trace report: 2 traces of 1 function, 1 avoidable retrace (TensorFlow 2.21.0)"
    )
    assert (
        "Traces per function:\n  tf_cube  train.py:8\n      2 traces, 1 avoidable, 15.8 ms" in text
    )
    assert (
        "  2  tf_cube at train.py:16, 1.5 ms, 4 ops\n   ! x changed shape (1, 2) -> (2, 2)\n"
        in text
    )
    assert "wrapped_fn" not in text
    assert "! marks a retrace you can avoid" in text
    assert "What to do:\n  tf_cube (train.py:8):\n    @tf.function(input_signature=" in text
    assert "wrapped_fn" in traces.render(make_report(), "text", include_internal=True)
    narrow = traces.render(make_report(), "text", width=80)
    assert narrow.splitlines()[:2] == [
        "graphlab trace report: 2 traces of 1 function, 1 avoidable retrace",
        "  (TensorFlow 2.21.0)",
    ]


def test_markdown_and_html():
    md = traces.render(make_report(), "md")
    assert md.startswith("## Traces per function\n\n| function")
    assert "| tf_cube" in md and "```python\n@tf.function(" in md
    html = traces.render(make_report(), "html")
    assert "<table>" in html and "x changed shape (1, 2) -&gt; (2, 2)" in html
    assert make_report()._repr_html_() == html


def test_unknown_format():
    with pytest.raises(
        ValueError, match="unknown format 'xml'; choose one of text, md, json, html"
    ):
        traces.render(make_report(), "xml")


def test_event_message_and_format_choice():
    event = make_report().events[1]
    assert event.message == (
        "tf_cube retraced (2nd trace) at train.py:16: x changed shape (1, 2) -> (2, 2); "
        "tracing took 1.5 ms"
    )
    assert format_for("out.json", None) == "json"
    assert format_for("out.md", "text") == "text"
    assert format_for(None, None) == "text"
    assert format_for("report.unknown", None) == "text"
