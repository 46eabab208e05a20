"""The one check every record loader makes: is this JSON a graphlab document of a
schema version this graphlab can read?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def check(data: Any, accepted: Sequence[str], what: str) -> str:
    """The ``schema`` of ``data`` when it is one of ``accepted``.

    Raises:
        ValueError: ``not a graphlab comparison (schema 'x'; expected 'graphlab.comparison/1')``.
    """
    found = data.get("schema") if isinstance(data, dict) else None
    if found not in accepted:
        expected = " or ".join(repr(s) for s in accepted)
        raise ValueError(f"not a graphlab {what} (schema {found!r}; expected {expected})")
    return found
