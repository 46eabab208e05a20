"""Renderers: records in, strings out. Nothing here measures or prints."""

from __future__ import annotations

import os

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


def format_for(path: str | None, explicit: str | None, default: str = "text") -> str:
    """The output format: ``--format`` if given, else the ``-o`` file's extension."""
    if explicit:
        return explicit
    if path:
        return EXTENSION_FORMATS.get(os.path.splitext(path)[1].lower(), default)
    return default
