"""What can reach a worker process: callables by name (pickle imports them there), as
``bench_training_step(workers=N | processes=N)`` and ``compare(processes=N)`` send
them. Module-level functions (the running script's own included: a worker imports it
without running its ``__main__`` block) or ``"module:function"`` texts can; lambdas,
nested functions and a notebook's functions cannot, and the error says what to do.
No TensorFlow.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any


class NotSendable(ValueError):
    """A value worker processes cannot import; the message says what to do."""


def check_sendable(name: str, value: Any) -> None:
    """Raise :class:`NotSendable` when ``value`` cannot reach a worker process."""
    if value is None or isinstance(value, str):
        return
    qualname = getattr(value, "__qualname__", "") or ""
    how = (
        "define it with def at the top level of a module (a .py file; in a notebook, "
        "one next to it that you import), or pass 'module:function'"
    )
    if "<lambda>" in qualname:
        raise NotSendable(f"{name} is a lambda: worker processes import factories by name; {how}")
    if "<locals>" in qualname:
        raise NotSendable(
            f"{name} ({qualname}) is defined inside a function: worker processes import "
            f"factories by name; {how}"
        )
    if getattr(value, "__module__", None) == "__main__" and not main_file():
        raise NotSendable(
            f"{name} ({qualname}) is defined in an interactive session or notebook, which "
            f"worker processes cannot import; {how}"
        )
    try:
        pickle.dumps(value)
    except Exception as error:
        raise NotSendable(f"{name} cannot be sent to worker processes ({error}); {how}") from None


def main_file() -> str | None:
    """The running script's path, when ``__main__`` is a ``.py`` file (not a notebook)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path if path and path.endswith(".py") and os.path.exists(path) else None


def target_of(fn: Any) -> str:
    """``module:qualname`` of a sendable callable (of a ``tf.function``, its Python
    function's), or ``script.py:qualname`` for the running script's own."""
    inner = getattr(fn, "python_function", fn)
    module, qualname = getattr(inner, "__module__", None), getattr(inner, "__qualname__", None)
    if not module or not qualname:
        raise NotSendable(f"{fn!r} has no module and name a worker process could import")
    if module == "__main__":
        path = main_file()
        if path is None:
            raise NotSendable(f"{qualname} is defined in an interactive session or notebook")
        return f"{path}:{qualname}"
    return f"{module}:{qualname}"
