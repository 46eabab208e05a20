"""The layout's rules, checked on the source: no import cycles (function-level imports
count), small modules, private TensorFlow only behind ``graphlab/_tf/``, records that
never import a renderer, and a worker protocol that stays out of the user CLI."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "graphlab"
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _packages_of(name: str) -> set[str]:
    """The packages whose ``__init__`` Python runs before module ``name``."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _imports(name: str, path: Path) -> set[str]:
    """graphlab modules ``name`` imports anywhere in its body (functions included), and
    the packages Python initializes on the way: importing ``graphlab.bench.records``
    from outside ``graphlab.bench`` runs ``graphlab/bench/__init__.py`` too (a module's
    own packages are already initialized, so a package's ``__init__`` importing its own
    submodules, as the renderers register, is no cycle)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import sub` imports the submodule when there is one
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in MODULES
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(n for n in names if n in MODULES)
    own = _packages_of(name) | {name}
    for target in list(found):
        found |= {p for p in _packages_of(target) if p in MODULES and p not in own}
    return found


GRAPH = {name: _imports(name, path) - {name} for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_imports_inside_functions_and_package_inits():
    # the CLI imports the library inside its handlers only
    assert "graphlab.tracing.runner" in GRAPH["graphlab.cli.watch"]
    assert "graphlab.bench.isolate" in GRAPH["graphlab.cli.bench"]
    # reaching into another package runs its __init__; a module's own packages do not count
    assert "graphlab.tracing" in GRAPH["graphlab.bench.timer"]
    assert "graphlab.bench" not in GRAPH["graphlab.bench.timer"]


def test_no_import_cycles_between_graphlab_modules():
    assert _cycles() == []


def test_the_cycle_checker_finds_a_cycle(monkeypatch):
    monkeypatch.setitem(GRAPH, "graphlab.bench.records", {"graphlab.bench.render"})
    assert any({"graphlab.bench.records", "graphlab.bench.render"} <= set(c) for c in _cycles())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by concern"


def test_records_never_import_renderers():
    for name in MODULES:
        if name.endswith(".records"):
            renderers = {
                m for m in GRAPH[name] if m.rsplit(".", 1)[-1].startswith(("render", "_html"))
            }
            assert not renderers, f"{name} imports {renderers}"


def test_private_tensorflow_only_behind_the_door():
    private = re.compile(r"^\s*(from|import) tensorflow\.(python|core)\b", re.M)
    offenders = [
        name
        for name, path in MODULES.items()
        if not name.startswith("graphlab._tf") and private.search(path.read_text("utf-8"))
    ]
    assert offenders == []
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    assert {k for k, v in ignores.items() if "TID251" in v} == {"graphlab/_tf/*.py"}


def test_the_user_cli_has_no_hidden_worker_protocol():
    for name, path in MODULES.items():
        if name.startswith("graphlab.cli"):
            assert "graphlab.bench.worker" not in GRAPH[name], name
            assert "help=argparse.SUPPRESS" not in path.read_text(encoding="utf-8"), name
