"""The documentation: every snippet runs, generated pages are current, the site builds,
and the tutorial notebook executes (kernel from this environment)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
TOOLS = ROOT / "tools"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen_docs = _load("gen_docs")

PAGES = sorted(
    page.name
    for page in DOCS.glob("*.md")
    if any(b["language"] == "python" for b in gen_docs.code_blocks(page.read_text("utf-8")))
)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_python_snippet_runs(page, tmp_path):
    """A page's blocks run in order in one namespace, in a fresh process; documented
    output after <!-- expect-output --> must match (timings and addresses aside)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(TOOLS / "run_snippets.py"), str(DOCS / page)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-6000:]


def test_no_run_marks_are_rare_and_explained():
    marked = [
        (page.name, block["line"], block["reason"])
        for page in DOCS.glob("*.md")
        for block in gen_docs.code_blocks(page.read_text("utf-8"))
        if block["mark"] == "no-run"
    ]
    assert all(reason for _, _, reason in marked), marked
    # an excerpt of the library, and three recipes of multi-process jobs (TF_CONFIG and
    # peers), whose scripts the multi-worker tests run
    assert len(marked) <= 4, marked


def test_cli_reference_is_current():
    expected = gen_docs.cli_reference()
    assert (DOCS / "cli.md").read_text("utf-8") == expected, (
        "docs/cli.md is stale: run `python tools/gen_docs.py` (or `make docs`)"
    )


def test_notebook_mirrors_the_tutorial():
    expected = gen_docs.notebook_cells((DOCS / "tutorial.md").read_text("utf-8"))
    assert gen_docs.committed_notebook_cells() == expected, (
        "docs/tutorial.ipynb is stale: run `python tools/gen_docs.py`"
    )


def test_api_reference_covers_the_public_names():
    import graphlab

    text = (DOCS / "api.md").read_text("utf-8")
    missing = [
        n for n in graphlab.__all__ if n != "__version__" and f"heading: graphlab.{n}\n" not in text
    ]
    assert not missing, f"docs/api.md lacks {missing}"


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [mkdocs, "build", "--strict", "-d", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    assert (tmp_path / "site" / "api" / "index.html").read_text("utf-8").count("doc-heading") > 20
    assert "fonts.googleapis" not in (tmp_path / "site" / "index.html").read_text("utf-8")


@pytest.mark.slow
def test_tutorial_notebook_executes(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(DOCS / "tutorial.ipynb", as_version=4)
    for cell in notebook.cells:
        cell.outputs = [] if cell.cell_type == "code" else None
        if cell.cell_type != "code":
            del cell["outputs"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    html = [
        output["data"]["text/html"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "text/html" in output.get("data", {})
    ]
    assert any("graphlab-traces" in h for h in html), "no trace report shown as HTML"
    assert any("graphlab-comparison" in h and "<svg" in h for h in html), "no comparison chart"
    assert any("graphlab-code" in h for h in html), "no highlighted AutoGraph code"
