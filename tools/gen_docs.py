"""Generate the parts of docs/ that are derived from code, and read code out of docs.

    python tools/gen_docs.py              # write docs/cli.md; docs/tutorial.ipynb if stale
    python tools/gen_docs.py --notebook   # also re-execute the notebook
    python tools/gen_docs.py --check      # exit 1 when either is stale

``docs/cli.md`` is built from ``graphlab.cli.main.build_parser()``; ``docs/tutorial.ipynb``
holds the prose and ``python`` blocks of ``docs/tutorial.md`` as cells. The tests call
:func:`cli_reference` and :func:`notebook_cells` and compare with the committed files.
This is a development script, outside the package: the package never imports ``cli``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CLI_PAGE = DOCS / "cli.md"
TUTORIAL = DOCS / "tutorial.md"
NOTEBOOK = DOCS / "tutorial.ipynb"
REGENERATE = "python tools/gen_docs.py"

# ---------------------------------------------------------------------------
# Markdown code blocks

_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
#: An HTML comment right before a block: ``<!-- no-run: why -->`` skips it.
_MARK = re.compile(r"<!--\s*(no-run|expect-output)(?::?\s*(.*?))?\s*-->\s*$")


def code_blocks(markdown: str) -> list[dict]:
    """Fenced blocks in order: ``language``, ``code``, ``line`` (1-based, of the fence),
    ``mark`` (``no-run``/``expect-output``/``None``) and the mark's ``reason``."""
    blocks = []
    for match in _FENCE.finditer(markdown):
        before = markdown[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        blocks.append(
            {
                "language": match.group(1),
                "code": match.group(2),
                "line": markdown.count("\n", 0, match.start()) + 1,
                "mark": mark.group(1) if mark else None,
                "reason": (mark.group(2) or "") if mark else "",
                "start": match.start(),
                "end": match.end(),
            }
        )
    return blocks


# ---------------------------------------------------------------------------
# CLI reference


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None and not isinstance(action.choices, dict):
        return "{" + ",".join(str(c) for c in action.choices) + "}"
    return action.dest if not action.option_strings else action.dest.upper()


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0 and not isinstance(
        action, argparse._StoreConstAction | argparse._HelpAction | argparse._VersionAction
    )


def _usage_part(action: argparse.Action) -> str:
    if action.option_strings:
        name = (
            action.option_strings[-1]
            if len(action.option_strings) > 1
            else action.option_strings[0]
        )
        short = min(action.option_strings, key=len)
        text = short if len(short) == 2 else name
        if _takes_value(action):
            text += " " + _metavar(action)
        return text if action.required else f"[{text}]"
    metavar = _metavar(action)
    return {"?": f"[{metavar}]", "*": f"[{metavar} ...]", "+": f"{metavar} [{metavar} ...]"}.get(
        action.nargs, metavar
    )


def _visible(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if a.help != argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _options_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| argument | meaning |", "| --- | --- |"]
    for action in _visible(parser):
        names = ", ".join(action.option_strings) or _metavar(action)
        if action.option_strings and _takes_value(action):
            names += " " + _metavar(action)
        help_text = (action.help or "").replace("%(default)s", str(action.default))
        rows.append(f"| `{_cell(names)}` | {_cell(help_text)} |")
    return rows


def cli_reference() -> str:
    """docs/cli.md as it should be for the current ``build_parser()``."""
    sys.path.insert(0, str(ROOT))
    from graphlab.cli.main import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {a.dest: a.help for a in subparsers._choices_actions}
    out = [
        "# CLI reference",
        "",
        "<!-- Generated from graphlab.cli.main.build_parser() by `python tools/gen_docs.py`",
        "     (`make docs` runs it); tests/test_docs.py fails when this page is stale. -->",
        "",
        f"`graphlab` and `python -m graphlab` are the same program. {parser.description}",
        "`graphlab --help` and `graphlab COMMAND --help` print this from the terminal.",
        "",
        "```text",
        "graphlab " + " ".join(_usage_part(a) for a in _visible(parser)) + " COMMAND ...",
        "```",
        "",
        *_options_table(parser),
        "",
        "| command | what it does |",
        "| --- | --- |",
        *[
            f"| [`{name}`](#graphlab-{name}) | {_cell(summaries[name] or '')} |"
            for name in subparsers.choices
        ],
    ]
    for name, sub in subparsers.choices.items():
        out += ["", f"## graphlab {name}", "", sub.description or summaries[name] or "", ""]
        out += [
            "```text",
            f"graphlab {name} " + " ".join(_usage_part(a) for a in _visible(sub)),
            "```",
            "",
        ]
        out += _options_table(sub)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Notebook


def notebook_cells(markdown: str) -> list[dict]:
    """The tutorial as notebook cells: prose as markdown cells, ``python`` blocks as
    code cells (``text`` output blocks are left out: the notebook makes its own). A
    block's final ``print(name)`` becomes ``name``, so Jupyter shows the rich view."""
    cells: list[dict] = []
    position = 0

    def prose(text: str) -> None:
        text = re.sub(r"<!--.*?-->", "", text, flags=re.S).strip()
        if text:
            cells.append({"cell_type": "markdown", "source": text})

    for block in code_blocks(markdown):
        prose(markdown[position : block["start"]])
        if block["language"] == "python" and block["mark"] != "no-run":
            source = block["code"].rstrip("\n")
            # `print(report)` ends a block on the page; in Jupyter the bare `report`
            # shows the rich view (HTML tables, charts, highlighted code).
            source = re.sub(r"\nprint\((\w+)\)$", r"\n\1", source)
            cells.append({"cell_type": "code", "source": source})
        position = block["end"]
    prose(markdown[position:])
    return cells


def write_notebook() -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for cell in notebook_cells(TUTORIAL.read_text(encoding="utf-8")):
        make = (
            nbformat.v4.new_code_cell
            if cell["cell_type"] == "code"
            else nbformat.v4.new_markdown_cell
        )
        notebook.cells.append(make(cell["source"]))
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    from nbclient import NotebookClient

    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(DOCS)}}
    ).execute()
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"  # stable ids: no churn in diffs
        if cell.cell_type == "code":  # TensorFlow's start-up logs are noise here
            cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    NOTEBOOK.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def committed_notebook_cells() -> list[dict]:
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return [
        {"cell_type": cell["cell_type"], "source": "".join(cell["source"])}
        for cell in data["cells"]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    parser.add_argument(
        "--notebook", action="store_true", help="re-execute docs/tutorial.ipynb even if current"
    )
    parser.add_argument("--cli-only", action="store_true", help="only write docs/cli.md")
    args = parser.parse_args(argv)
    expected_cells = notebook_cells(TUTORIAL.read_text(encoding="utf-8"))
    notebook_stale = not NOTEBOOK.exists() or committed_notebook_cells() != expected_cells
    if args.check:
        stale = []
        if CLI_PAGE.read_text(encoding="utf-8") != cli_reference():
            stale.append(str(CLI_PAGE.relative_to(ROOT)))
        if notebook_stale:
            stale.append(str(NOTEBOOK.relative_to(ROOT)))
        for path in stale:
            print(f"{path} is stale: run {REGENERATE}", file=sys.stderr)
        return 1 if stale else 0
    CLI_PAGE.write_text(cli_reference(), encoding="utf-8")
    print(f"wrote {CLI_PAGE.relative_to(ROOT)}")
    if args.cli_only:
        return 0
    if notebook_stale or args.notebook:  # executing it takes a while: only when needed
        write_notebook()
        print(f"wrote {NOTEBOOK.relative_to(ROOT)} (executed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
