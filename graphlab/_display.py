"""How records are shown, without records knowing their renderers.

Records (``tracing.records``, ``graphs.records``, ``bench.records``) keep the methods
users call on them, ``str(report)`` and Jupyter's ``_repr_html_``, but never import a
renderer: they ask :func:`render` here, and each feature's ``render`` module registers
itself for its record types (the feature package's ``__init__`` imports it, so a record
can never be reached before its renderer is registered). Renderers import records;
records import only this module.

Also the one rule for picking an output format from ``--format`` or a file name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

#: File extension -> output format, for ``-o FILE`` without ``--format``.
EXTENSION_FORMATS = {
    ".txt": "text",
    ".md": "md",
    ".markdown": "md",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
}

Renderer = Callable[[Any, str], str]

_RENDERERS: dict[type, Renderer] = {}


def format_for(path: str | None, explicit: str | None, default: str = "text") -> str:
    """The output format: ``--format`` if given, else the ``-o`` file's extension."""
    if explicit:
        return explicit
    if path:
        return EXTENSION_FORMATS.get(os.path.splitext(path)[1].lower(), default)
    return default


def register(record_type: type, renderer: Renderer) -> None:
    """Show ``record_type`` with ``renderer(record, fmt)``."""
    _RENDERERS[record_type] = renderer


def render(record: Any, fmt: str) -> str:
    """``record`` in ``fmt`` (``text``, ``html``, ``json``...) by its registered renderer."""
    for klass in type(record).__mro__:
        renderer = _RENDERERS.get(klass)
        if renderer is not None:
            return renderer(record, fmt)
    raise TypeError(f"no renderer registered for {type(record).__name__}")  # pragma: no cover
