"""AutoGraph's version of the user's function: the code ``tf.function`` really traces.

A Python ``if`` on a tensor becomes ``ag__.if_stmt``, a ``for`` over ``tf.range`` becomes
``ag__.for_stmt``: reading the generated code explains which Python statements turned
into graph control flow and which were unrolled. The source map that AutoGraph keeps
links each generated line to the user's line, so that per-line op counts can be shown
beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphlab import _source, _tf
from graphlab._html import highlight
from graphlab._tf import functions as tf_functions
from graphlab._tf import graphs as tf_graphs
from graphlab._tf import hook


@dataclass(frozen=True, slots=True)
class GeneratedCode:
    """AutoGraph's code and where each of its lines came from.

    Attributes:
        text: The generated Python source (``def tf__cube(x): ...``).
        lines: Generated line (1-based) -> ``file:line`` of the user's source line.
    """

    text: str
    lines: tuple[tuple[int, str], ...]

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return highlight(self.text.rstrip())


def _user_function(target: Any) -> Any | None:
    """The user's own Python function behind a tf.function / graphlab.function, or the
    callable itself; None for a ConcreteFunction (it keeps no Python function)."""
    return None if _tf.is_concrete_function(target) else hook.unwrap(target)


def autograph_code(target: Any) -> GeneratedCode | None:
    """The code AutoGraph generates for ``target`` (a tf.function, graphlab.function or
    plain function): ``print()`` it for the source; in Jupyter it shows highlighted.
    None when there is no Python function, AutoGraph is off, or it cannot read the
    source (a lambda in a REPL, a builtin)."""
    function = _user_function(target)
    if function is None:
        return None
    if isinstance(target, _tf.PolymorphicFunction) and not tf_functions.autograph_enabled(target):
        return None
    try:
        text, source_map = tf_graphs.autograph_source(function)
    except Exception:  # AutoGraph could not convert it: not an error of the user's program
        return None
    return GeneratedCode(
        text=text,
        lines=tuple(
            (line, f"{_source.short_path(filename)}:{lineno}")
            for line, (filename, lineno) in sorted(source_map.items())
        ),
    )
