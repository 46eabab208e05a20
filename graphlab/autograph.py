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

from graphlab import _tf


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
        from graphlab.renderers.code import highlight

        return highlight(self.text.rstrip())


def python_function_of(target: Any) -> Any | None:
    """The user's own Python function behind a tf.function / graphlab.function, or the
    callable itself; None for a ConcreteFunction (it keeps no Python function)."""
    if _tf.is_concrete_function(target):
        return None
    if isinstance(target, _tf.PolymorphicFunction):
        return _tf.unwrap(target.python_function)
    return _tf.unwrap(target)


def generated_code(target: Any) -> GeneratedCode | None:
    """AutoGraph's code for ``target`` (also when wrapped by ``graphlab.function``), or
    None when there is no Python function, AutoGraph is off, or it cannot read the source
    (a lambda in a REPL, a builtin)."""
    function = python_function_of(target)
    if function is None:
        return None
    if isinstance(target, _tf.PolymorphicFunction) and not getattr(target, "_autograph", True):
        return None
    try:
        text, source_map = _tf.autograph_source(function)
    except Exception:  # AutoGraph could not convert it: not an error of the user's program
        return None
    return GeneratedCode(
        text=text,
        lines=tuple(
            (line, f"{_tf.short_path(filename)}:{lineno}")
            for line, (filename, lineno) in sorted(source_map.items())
        ),
    )


def autograph_code(target: Any) -> GeneratedCode | None:
    """The code AutoGraph generates for ``target`` (a tf.function, graphlab.function or
    plain function): ``print()`` it for the source; in Jupyter it shows highlighted.
    None when AutoGraph is off or cannot read the source."""
    return generated_code(target)


def to_code(target: Any) -> str | None:
    """Just the generated code: ``tf.autograph.to_code`` that also sees through
    ``tf.function`` and ``graphlab.function`` wrappers."""
    code = generated_code(target)
    return code.text if code else None
