"""Reports a reader can use: markdown tables that survive ``|`` and ``<lambda>``, text
that fits the terminal (wrapped, never cut), and watch's report and exit code kept when
the program replaces, closes or bypasses its streams."""

from __future__ import annotations

import dataclasses
import json
import re
import sys

import pytest
import tensorflow as tf
from helpers import make_report, run_cli

import graphlab
from graphlab.graphs import render as graph_render
from graphlab.tracing import render as trace_render
from graphlab.tracing.records import Cause, Change


def _report_with_awkward_text():
    report = make_report()
    long_before = "MyExtension(values=TensorSpec(shape=(3,), dtype=tf.float32), note='a|b')"
    cause = Cause(
        "new_input_type",
        (Change("x", "type", long_before, long_before.replace("(3,)", "(4,)")),),
    )
    events = tuple(
        dataclasses.replace(e, function="<lambda>", cause=cause) if e.actionable else e
        for e in report.events
    )
    summaries = tuple(
        dataclasses.replace(s, function="<lambda>", last_cause=cause.summary())
        for s in report.summaries
    )
    return dataclasses.replace(report, events=events, summaries=summaries)


def _table_cells(markdown: str) -> list[list[str]]:
    """The cells of each table row, with markdown-it when it is installed, else by a
    strict split on unescaped pipes."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        rows = [line for line in markdown.splitlines() if line.startswith("|")]
        return [
            [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
            for row in rows
            if not re.fullmatch(r"[|:\- ]+", row)
        ]
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows, current = [], None
    for token in tokens:
        if token.type == "tr_open":
            current = []
        elif token.type == "inline" and current is not None:
            current.append(token.content)
        elif token.type == "tr_close":
            rows.append(current)
            current = None
    return rows


def _tables(markdown: str) -> list[str]:
    return re.findall(r"(?:^\|.*\n)+", markdown, flags=re.M)


def test_markdown_tables_keep_their_cells_with_pipes_and_angle_brackets():
    text = trace_render.render(_report_with_awkward_text(), "md")
    for block in _tables(text):
        rows = _table_cells(block)
        assert rows and len({len(r) for r in rows}) == 1, block  # every row as wide
    assert "<lambda>" not in text  # an HTML tag to a markdown reader: invisible
    assert "&lt;lambda>" in text and "a\\|b" in text


def test_markdown_of_an_inspection_keeps_a_source_line_with_a_pipe():
    def either(x, y):
        return (x > 0) | (y < 1)

    inspection = graphlab.inspect(either, tf.TensorSpec([2]), tf.TensorSpec([2]))
    text = graph_render.render(inspection, "md", sections=["lines"])
    assert "(x > 0) \\| (y &lt; 1)" in text
    for block in _tables(text):
        rows = _table_cells(block)
        assert len({len(r) for r in rows}) == 1, block


def test_text_fits_the_width_and_keeps_the_part_that_differs():
    report = _report_with_awkward_text()
    text = trace_render.render(report, "text", width=80)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    flat = " ".join(text.split())
    assert "(4,)" in flat and "…" not in text  # wrapped, not cut before the difference


def test_text_width_follows_columns_and_is_80_off_a_terminal(monkeypatch):
    from graphlab._text import terminal_width

    monkeypatch.delenv("COLUMNS", raising=False)
    with open(__file__) as not_a_terminal:
        assert terminal_width(not_a_terminal) == 80
    monkeypatch.setenv("COLUMNS", "120")
    assert terminal_width() == 120


PROGRAM = """
import {imports}
import tensorflow as tf
f = tf.function(lambda x: x + 1)
f(tf.ones([1])); f(tf.ones([2]))
{ending}
"""


@pytest.mark.parametrize(
    ("imports", "ending", "code"),
    [
        ("io, sys", "sys.stderr = io.StringIO()\nsys.exit(3)", 3),
        ("sys", "sys.stderr.close()", 0),
        ("os", "os._exit(4)", 4),
    ],
    ids=["replaced", "closed", "os._exit"],
)
def test_watch_reports_whatever_the_program_does_to_stderr(tmp_path, imports, ending, code):
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM.format(imports=imports, ending=ending))
    done = run_cli("module", "watch", str(script), cwd=str(tmp_path), timeout=120)
    assert done.returncode == code, done.stderr
    assert "graphlab trace report: 2 traces of 1 function" in done.stderr
    if "_exit" in ending:
        assert "ended the process with os._exit(4)" in done.stderr


def test_watch_json_on_stderr_parses_and_keeps_the_exit_code(tmp_path, capsys, monkeypatch):
    from graphlab.cli.main import main

    script = tmp_path / "prog.py"
    script.write_text(PROGRAM.format(imports="sys", ending="sys.exit(3)"))
    monkeypatch.setattr(sys, "argv", ["graphlab"])
    assert main(["watch", "--format", "json", str(script)]) == 3
    data = json.loads(capsys.readouterr().err)  # no live warning mixed in
    assert data["schema"].startswith("graphlab.tracelog/") and len(data["events"]) == 2
