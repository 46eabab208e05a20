"""The names of the built-in modes, and how a list of modes is read from the user.

No TensorFlow: the CLI parses ``--modes`` before anything is imported.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Built-in modes, in table order.
BUILTIN_MODES = ("eager", "graph", "xla", "concrete")


def parse_modes(value: str | Sequence[str], allowed: Sequence[str]) -> list[str]:
    """``"eager,graph"`` or a sequence -> the list of modes, in order, without repeats.

    Raises:
        ValueError: ``unknown mode(s) 'jit'; choose from eager, graph, xla`` (callers
            prefix where the value came from).
    """
    raw = value.split(",") if isinstance(value, str) else list(value)
    modes = list(dict.fromkeys(str(m).strip() for m in raw if str(m).strip()))
    unknown = [m for m in modes if m not in allowed]
    if not modes or unknown:
        given = ", ".join(map(repr, unknown)) or "(none given)"
        raise ValueError(f"unknown mode(s) {given}; choose from {', '.join(allowed)}")
    return modes


__all__ = ["BUILTIN_MODES", "parse_modes"]
