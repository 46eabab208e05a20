"""How records are shown, without records knowing their renderers.

Records (``tracing.records``, ``graphs.records``, ``bench.records``) keep the methods
users call on them, ``str(report)`` and Jupyter's ``_repr_html_``, but never import a
renderer: they ask :func:`render` here. A record class names its renderer module by a
string, ``__renderer__ = "graphlab.bench.render"``; the first time one is shown, this
module imports that renderer, which registers itself for its record types with
:func:`register`. Renderers import records; records import only this module; no
package ``__init__`` has to import a renderer first (the layer rules in CONTRIBUTING.md).

Also the one rule for picking an output format from ``--format`` or a file name.
"""

from __future__ import annotations

import importlib
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


def _renderer_of(klass: type) -> Renderer | None:
    renderer = _RENDERERS.get(klass)
    module = klass.__dict__.get("__renderer__")
    if renderer is None and module:
        importlib.import_module(module)  # registers the renderer
        renderer = _RENDERERS.get(klass)
    return renderer


def render(record: Any, fmt: str) -> str:
    """``record`` in ``fmt`` (``text``, ``html``, ``json``...) by its registered renderer,
    importing the module its class names in ``__renderer__`` on first use."""
    for klass in type(record).__mro__:
        renderer = _renderer_of(klass)
        if renderer is not None:
            return renderer(record, fmt)
    raise TypeError(  # pragma: no cover - a record without __renderer__
        f"no renderer registered for {type(record).__name__}: give the class "
        '__renderer__ = "graphlab.FEATURE.render" and register it there'
    )
