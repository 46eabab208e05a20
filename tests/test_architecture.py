"""The layout's rules, checked on the source: a declared layer order with no import
cycles and no upward import (function-level imports count), small modules, private
TensorFlow only behind ``graphlab/_tf/``, records that never import a renderer, and a
worker protocol that stays out of the user CLI.

How imports are counted (strictly, as Python runs them):

- every ``import`` / ``from ... import`` anywhere in a module counts, inside functions
  too; relative imports are resolved against the module's package;
- ``import a.b.c`` is an edge to ``a.b`` and ``a.b.c``; ``from a.b import c`` an edge
  to ``a.b`` (its ``__init__`` runs) and to ``a.b.c`` when that is a module; importing
  a module is an edge to each package above it too;
- edges to the root package ``graphlab`` are left out: its ``__init__`` is held to
  import only ``graphlab._version`` (it names everything else by string);
- a string naming a module (``importlib.import_module("graphlab.bench.render")``) is no
  edge: that is how a lower layer reaches up when it must (renderers, worker tasks).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "graphlab"
MAX_LINES = 600

#: The layer order, bottom to top. A module may import modules of its own layer or of
#: a layer below, never of a layer above. A name covers the module and everything under
#: it; the root package ``graphlab`` is only itself.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "leaves",
        (
            "graphlab._version",
            "graphlab._text",
            "graphlab._source",
            "graphlab._schema",
            "graphlab._display",
            "graphlab._html",
            "graphlab._memory",
            "graphlab._stderr",
            "graphlab._tfimport",
            "graphlab._runtime",
            "graphlab._types",
            "graphlab._workers",
            "graphlab.inputs",
        ),
    ),
    ("_tf", ("graphlab._tf",)),
    ("graphs", ("graphlab.graphs",)),
    ("profiling", ("graphlab.profiling",)),
    ("tracing", ("graphlab.tracing",)),
    ("distributed", ("graphlab.distributed",)),
    ("bench", ("graphlab.bench",)),
    (
        "top",
        (
            "graphlab.cli",
            "graphlab.pytest_plugin",
            "graphlab.demo",
            "graphlab.examples",
            "graphlab.__main__",
            "graphlab",
        ),
    ),
)

#: The feature packages ``graphlab._tf`` (the door to private TensorFlow) never imports.
FEATURES = ("graphs", "profiling", "tracing", "distributed", "bench", "cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _with_packages(name: str) -> list[str]:
    """``a.b.c`` -> ``a.b``, ``a.b.c`` (the root package left out): what importing it runs."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1)]


def _resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names, relative ones resolved."""
    if not node.level:
        return node.module or ""
    base = name.split(".")
    if MODULES[name].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, path: Path) -> dict[str, int]:
    """graphlab modules ``name`` imports anywhere in its body, each with the line of its
    first import (see the module docstring for how edges are counted)."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [t for alias in node.names for t in _with_packages(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, node)
            targets = _with_packages(module) + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES and target not in (name, "graphlab"):
                found.setdefault(target, node.lineno)
    return found


#: module -> {imported module: line}
GRAPH: dict[str, dict[str, int]] = {name: _imports(name, path) for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of the layer ``module`` belongs to (the longest match)."""
    best, best_length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            covers = module == prefix or (prefix != "graphlab" and module.startswith(prefix + "."))
            if covers and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def _edge(source: str, target: str) -> str:
    return f"{source} -> {target} (line {GRAPH[source][target]})"


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as the
    import edges inside it."""
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
                members = set(component)
                found.append(
                    [_edge(a, b) for a in sorted(members) for b in sorted(GRAPH[a]) if b in members]
                )

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def upward_imports() -> list[str]:
    """Every import of a module in a layer above the importer's, as ``a -> b (line n)``."""
    found = []
    for source, targets in GRAPH.items():
        for target in targets:
            if layer_of(target) > layer_of(source):
                found.append(
                    f"{_edge(source, target)}: layer {LAYERS[layer_of(source)][0]} "
                    f"imports layer {LAYERS[layer_of(target)][0]} above it"
                )
    return sorted(found)


def _report(problems: list[str]) -> str:
    return "\n  " + "\n  ".join(problems)


def test_the_checker_sees_function_level_relative_and_package_imports():
    # the CLI imports the library inside its handlers only
    assert "graphlab.tracing.runner" in GRAPH["graphlab.cli.watch"]
    # `from graphlab.tracing.records import X` runs graphlab/tracing/__init__.py too,
    # also from inside graphlab.tracing (a package __init__ therefore imports no submodule)
    assert "graphlab.tracing" in GRAPH["graphlab.tracing.merge"]
    assert {"graphlab.graphs", "graphlab.graphs.flops"} <= set(GRAPH["graphlab.profiling.calls"])
    # `from graphlab._tf import graphs` is an edge to the package and to the submodule
    assert {"graphlab._tf", "graphlab._tf.graphs"} <= set(GRAPH["graphlab.graphs.summarize"])
    # the root package is left out (held separately)
    assert all("graphlab" not in targets for targets in GRAPH.values())


def test_the_checker_resolves_relative_imports(tmp_path, monkeypatch):
    module = tmp_path / "graphlab" / "tracing" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "def f():\n    from . import explain\n    from ..graphs.records import Capture\n",
        encoding="utf-8",
    )
    monkeypatch.setitem(MODULES, "graphlab.tracing.probe", module)
    found = _imports("graphlab.tracing.probe", module)
    assert found == {
        "graphlab.tracing": 2,
        "graphlab.tracing.explain": 2,
        "graphlab.graphs": 3,
        "graphlab.graphs.records": 3,
    }


def test_every_module_has_a_layer():
    assert [name for name in MODULES if layer_of(name) < 0] == []


def test_no_import_cycles_between_graphlab_modules():
    found = cycles()
    assert found == [], "import cycles:" + "".join(
        f"\n cycle {i}:" + _report(c) for i, c in enumerate(found, 1)
    )


def test_no_module_imports_a_layer_above_its_own():
    found = upward_imports()
    assert found == [], "upward imports:" + _report(found)


def test_tf_imports_no_feature():
    found = [
        _edge(source, target)
        for source, targets in GRAPH.items()
        if source.startswith("graphlab._tf")
        for target in targets
        if target.split(".")[1] in FEATURES
    ]
    assert found == [], "graphlab._tf imports a feature:" + _report(found)


def test_leaves_import_only_leaves():
    found = [
        _edge(source, target)
        for source, targets in GRAPH.items()
        if layer_of(source) == 0
        for target in targets
        if layer_of(target) != 0
    ]
    assert found == [], "a leaf imports more than leaves:" + _report(found)


def test_the_root_package_imports_only_the_version():
    path = MODULES["graphlab"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("graphlab")}
        elif isinstance(node, ast.ImportFrom):
            module = _resolve("graphlab", node)
            if module.startswith("graphlab"):
                found |= {module, *(f"{module}.{a.name}" for a in node.names)} & set(MODULES)
    assert found <= {"graphlab._version"}, found


def test_package_inits_import_none_of_their_submodules():
    found = [
        _edge(name, target)
        for name, path in MODULES.items()
        if path.name == "__init__.py" and name != "graphlab"
        for target in GRAPH[name]
        if target.startswith(name + ".")
    ]
    assert found == [], "a package __init__ imports its own submodules:" + _report(found)


def test_the_checkers_find_planted_upward_imports_and_cycles(monkeypatch):
    monkeypatch.setitem(
        GRAPH, "graphlab._tf.hook", {**GRAPH["graphlab._tf.hook"], "graphlab.tracing.explain": 7}
    )
    monkeypatch.setitem(
        GRAPH,
        "graphlab.graphs.summarize",
        {**GRAPH["graphlab.graphs.summarize"], "graphlab.bench.records": 11},
    )
    monkeypatch.setitem(
        GRAPH,
        "graphlab.tracing.records",
        {**GRAPH["graphlab.tracing.records"], "graphlab.tracing.render": 3},
    )
    found = upward_imports()
    assert (
        "graphlab._tf.hook -> graphlab.tracing.explain (line 7): "
        "layer _tf imports layer tracing above it"
    ) in found
    assert (
        "graphlab.graphs.summarize -> graphlab.bench.records (line 11): "
        "layer graphs imports layer bench above it"
    ) in found
    # the render module imports the records: a records module importing it back is a cycle
    assert any(
        "graphlab.tracing.records -> graphlab.tracing.render (line 3)" in c for c in cycles()
    )
    with pytest.raises(AssertionError, match=r"graphlab\._tf\.hook -> graphlab\.tracing\.explain"):
        test_tf_imports_no_feature()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by concern"


def test_records_never_import_renderers():
    for name in MODULES:
        if name.rsplit(".", 1)[-1].startswith("records"):
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
    protocol = {"graphlab._workers.child", "graphlab.bench.worker_task"}
    assert protocol <= set(MODULES)  # the names this test guards still exist
    for name, path in MODULES.items():
        if name.startswith("graphlab.cli"):
            assert not protocol & set(GRAPH[name]), name
            assert "help=argparse.SUPPRESS" not in path.read_text(encoding="utf-8"), name
