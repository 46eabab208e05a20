"""Targets checked in the parent before any worker process starts (``bench
--isolate / --processes / --python``): a target that does not exist, or ``--arg``
values its function cannot take, are a one-line usage error here, as they are in
process, not a table of failed rows after every worker imported TensorFlow.

The parent never imports the target (its import may start TensorFlow, or only work in
another ``--python`` environment): it reads the source. A name it cannot see there (one
made at run time) is left to the workers. No TensorFlow.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import Any

from graphlab import inputs


def check_target(target: str, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """Raise :class:`graphlab.inputs.InputError` (the in-process message) when
    ``target`` cannot be found or its function cannot take ``args`` / ``kwargs``
    (parsed ``--arg`` / ``--kwarg`` values)."""
    module_part, sep, attr_path = target.rpartition(":")
    if ":" in module_part or not sep or not module_part or not attr_path:
        inputs.load_target(target)  # raises its message on the target's form
    path = _source_file(module_part)
    if path is None:
        return
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), path)
    except (OSError, ValueError):
        return
    except SyntaxError as error:
        raise inputs.InputError(
            f"importing {module_part} failed at {error.filename}:{error.lineno}: "
            f"SyntaxError: {error.msg}"
        ) from None
    name = attr_path.split(".")[0]
    found = _top_level(tree.body)
    if any(isinstance(node, ast.ImportFrom) and node.names[0].name == "*" for node in tree.body):
        return  # names from elsewhere: the workers will see
    if "__getattr__" in found:
        return  # a module that makes names when asked (PEP 562): the workers will see
    if name not in found:
        available = ", ".join(n for n in sorted(found) if not n.startswith("_"))[:300]
        raise inputs.InputError(f"{module_part} has no attribute {name!r} (it has: {available})")
    node = found[name]
    if (
        "." not in attr_path
        and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and all(_keeps_signature(d) for d in node.decorator_list)
    ):
        stub = _stub(node)
        if stub is not None:
            inputs.check_call(stub, args, kwargs, attr_path)


#: Decorators that keep the function's parameters: its ``def`` line is what is called.
_SIGNATURE_KEEPING = frozenset({"function", "tf.function", "graphlab.function"})


def _keeps_signature(decorator: ast.expr) -> bool:
    """``@tf.function`` or ``@tf.function(...)``: the call goes to the ``def``'s
    parameters. Any other decorator may change them: the workers will see."""
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    return ast.unparse(decorator) in _SIGNATURE_KEEPING


def _source_file(module_part: str) -> str | None:
    """The ``.py`` file a target names, or None when there is none to read."""
    if module_part.endswith(".py") or os.sep in module_part:
        if not os.path.isfile(module_part):
            raise inputs.InputError(f"no such file: {module_part!r}")
        return module_part
    added = os.getcwd() not in sys.path
    if added:  # like `python -m`: modules in the working directory are importable
        sys.path.insert(0, os.getcwd())
    try:
        spec = importlib.util.find_spec(module_part)
    except (ImportError, ValueError):
        spec = None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    if spec is None:
        raise inputs.InputError(
            f"no module named {module_part!r} (run from the directory that contains it, or "
            "give a file path: path/to/file.py:fn)"
        )
    origin = spec.origin or ""
    return origin if origin.endswith(".py") else None


def _top_level(body: list[ast.stmt]) -> dict[str, ast.AST]:
    """What a module defines at its top level (its ``__main__`` block excluded: a
    target's module is imported, not run)."""
    found: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                found[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        found[leaf.id] = node
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                continue
            blocks = [getattr(node, b, []) or [] for b in ("body", "orelse", "finalbody")]
            blocks += [h.body for h in getattr(node, "handlers", [])]
            for block in blocks:
                found.update(_top_level(block))
    return found


def _stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Any:
    """A function with ``node``'s parameters (defaults and annotations dropped): what
    :func:`graphlab.inputs.check_call` binds the arguments to."""
    arguments = node.args
    for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        arg.annotation = None
    for extra in (arguments.vararg, arguments.kwarg):
        if extra is not None:
            extra.annotation = None
    arguments.defaults = [_literal(d) for d in arguments.defaults]
    arguments.kw_defaults = [None if d is None else _literal(d) for d in arguments.kw_defaults]
    stub = ast.FunctionDef(
        name="stub",
        args=arguments,
        body=[ast.Pass()],
        decorator_list=[],
        returns=None,
        type_params=[],
    )
    module = ast.fix_missing_locations(ast.Module(body=[stub], type_ignores=[]))
    namespace: dict[str, Any] = {}
    try:
        exec(compile(module, "<signature>", "exec"), namespace)
    except (SyntaxError, ValueError, TypeError):
        return None
    return namespace["stub"]


def _literal(node: ast.expr) -> ast.expr:
    """A default kept when it is a literal (the signature reads as in the source)."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ast.Constant(None)
    return node
