"""What can reach a worker process, checked before any starts: callables travel by
name (pickle imports them there), other values by pickle. Module-level functions and
classes (the running script's own included: a worker imports the script as
``__mp_main__`` without running its ``if __name__ == "__main__":`` block) or
``"module:function"`` texts can; lambdas, nested functions, what is defined inside the
script's ``__main__`` block, objects that do not pickle and a notebook's functions
cannot, and the error says what to do. No TensorFlow.
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import os
import pickle
import sys
import types
from typing import Any

HOW = (
    "define it with def at the top level of a module (a .py file; in a notebook, one next "
    "to it that you import), or pass 'module:function'"
)
_GUARD = 'if __name__ == "__main__":'


class NotSendable(ValueError):
    """A value worker processes cannot import; the message says what to do."""


def main_file() -> str | None:
    """The running script's path, when ``__main__`` is a ``.py`` file (not a notebook)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path if path and path.endswith(".py") and os.path.exists(path) else None


def main_module() -> str:
    """``NAME`` when the running script ran as ``python -m NAME`` (its workers import it
    by name, its relative imports working); ``""`` otherwise."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(spec, "name", "") or ""
    return "" if name.endswith(".__main__") or name == "__main__" else name


def check_sendable(name: str, value: Any) -> bool:
    """Raise :class:`NotSendable` when ``value`` cannot reach a worker process; True
    when it names something of the running script (the workers must import it)."""
    if value is None or isinstance(value, str):
        return False
    _check_named(name, value)
    return _pickled_main_names(name, value)


def check_callable(name: str, fn: Any) -> None:
    """A callable sent by name (``module:qualname``): what :func:`check_sendable`
    checks of its name, without pickling it (a ``tf.function`` is sent by its
    Python function's name)."""
    _check_named(name, getattr(fn, "python_function", fn))


def _check_named(name: str, value: Any) -> None:
    qualname = getattr(value, "__qualname__", "") or ""
    if "<lambda>" in qualname:
        raise NotSendable(f"{name} is a lambda: worker processes import functions by name; {HOW}")
    if "<locals>" in qualname:
        raise NotSendable(
            f"{name} ({qualname}) is defined inside a function: worker processes import "
            f"functions by name; {HOW}"
        )
    if getattr(value, "__module__", None) == "__main__":
        _check_main_name(name, qualname)


def _check_main_name(name: str, qualname: str) -> None:
    path = main_file()
    if path is None:
        raise NotSendable(
            f"{name} ({qualname}) is defined in an interactive session or notebook, which "
            f"worker processes cannot import; {HOW}"
        )
    top = qualname.split(".")[0]
    outside, guarded = _script_names(path)
    if top in guarded and top not in outside:
        raise NotSendable(
            f"{name} ({qualname}) is defined under `{_GUARD}` in {path}: worker processes "
            "import the script without running that block; define it above the guard"
        )


def _pickled_main_names(name: str, value: Any) -> bool:
    finder = _Finder(io.BytesIO())
    try:
        finder.dump(value)
    except Exception as error:
        raise NotSendable(
            f"{name} cannot be sent to worker processes: it cannot be pickled ({error}); "
            "pass plain values, tensors or NumPy arrays, module-level functions, and "
            "instances of module-level classes that pickle"
        ) from None
    for found in finder.main_names:
        _check_main_name(f"{name} refers to {found}, which", found)
    return bool(finder.main_names)


class _Finder(pickle.Pickler):
    """A pickler that notes every function and class of the running script it sends."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.main_names: list[str] = []

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, types.FunctionType)) and obj.__module__ == "__main__":
            self.main_names.append(obj.__qualname__)
        return NotImplemented


@functools.lru_cache(maxsize=8)
def _script_tree(path: str, mtime: float) -> ast.Module | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return ast.parse(handle.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None


def _parse(path: str) -> ast.Module | None:
    try:
        return _script_tree(path, os.path.getmtime(path))
    except OSError:
        return None


def _is_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either order)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, *test.comparators]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and texts == ["__main__"]


def _defined(statements: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            if _is_guard(node):
                continue
            for block in ("body", "orelse", "finalbody"):
                names |= _defined(getattr(node, block, []) or [])
            for handler in getattr(node, "handlers", []):
                names |= _defined(handler.body)
    return names


def _script_names(path: str) -> tuple[set[str], set[str]]:
    """Names a script defines at its top level outside and inside its guard."""
    tree = _parse(path)
    if tree is None:
        return set(), set()
    guarded: set[str] = set()
    for node in tree.body:
        if _is_guard(node):
            assert isinstance(node, ast.If)
            guarded |= _defined(node.body)
    return _defined(tree.body), guarded


def check_main_guard(what: str) -> None:
    """Refuse ``what`` when the running script makes it at its top level outside
    ``if __name__ == "__main__":``: each worker imports the script and would make it
    again (starting workers of its own), as multiprocessing's spawn warns."""
    path = main_file()
    if path is None:
        return
    frame = inspect.currentframe()
    while frame is not None and not (
        frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__"
    ):
        frame = frame.f_back
    if frame is None:
        return
    line = frame.f_lineno
    tree = _parse(path)
    if tree is None:
        return
    guards = [n for n in tree.body if _is_guard(n)]
    if any(n.lineno <= line <= (n.end_lineno or n.lineno) for n in guards):
        return
    raise NotSendable(
        f"{what} is called at the top level of {path} (line {line}) outside "
        f"`{_GUARD}`: each worker process imports the script to find what it defines "
        "and would run the call again. Put the call under that guard"
    )


def target_of(fn: Any) -> str:
    """``module:qualname`` of a sendable callable (of a ``tf.function``, its Python
    function's); ``__main__:qualname`` for the running script's own (the workers
    import the script as ``__main__``)."""
    inner = getattr(fn, "python_function", fn)
    module, qualname = getattr(inner, "__module__", None), getattr(inner, "__qualname__", None)
    if not module or not qualname:
        raise NotSendable(f"{fn!r} has no module and name a worker process could import")
    if module == "__main__" and main_file() is None:
        raise NotSendable(f"{qualname} is defined in an interactive session or notebook")
    return f"{module}:{qualname}"
