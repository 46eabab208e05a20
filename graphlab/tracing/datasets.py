"""Which dataset a traced call's values come from, so that advice can name its
``element_spec``.

graphlab tells from the caller: the first frame outside TensorFlow, Keras and graphlab
holds the datasets (tf.data or distributed, or iterators over them) in its local and
global variables; the one that the ``for`` loop around the call iterates comes first.
The signature then names a dataset only when its element spec accepts every call seen,
so a wrong guess of where the values come from still gives a signature that works.
"""

from __future__ import annotations

import linecache
import re
import types

from graphlab import _source
from graphlab._types import TypeNode

_FOR = re.compile(r"\s*(?:async\s+)?for\s+.+?\s+in\s+(?:enumerate\()?([A-Za-z_][\w.]*)")
#: Lines read back from the call for its enclosing loop.
_MAX_LINES = 200


def user_frame(frame: types.FrameType | None) -> types.FrameType | None:
    while frame is not None and _source.is_framework_file(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def iterated_names(frame: types.FrameType) -> list[str]:
    """The iterables of the ``for`` loops around the frame's current line, innermost
    first (``for x in train_dist_dataset:`` gives ``train_dist_dataset``)."""
    filename, line = frame.f_code.co_filename, frame.f_lineno
    text = linecache.getline(filename, line)
    if not text.strip():
        return []
    indent, names = _indent(text), []
    for number in range(line - 1, max(0, line - _MAX_LINES), -1):
        above = linecache.getline(filename, number)
        if not above.strip() or _indent(above) >= indent:
            continue
        indent = _indent(above)
        match = _FOR.match(above)
        if match:
            names.append(match.group(1))
        if indent == 0:
            break
    return names


def datasets_near(caller: types.FrameType | None) -> tuple[tuple[str, TypeNode], ...]:
    """``(name, element spec)`` of the datasets the user's calling frame can see, the
    one iterated around the call first; () when it cannot tell (never raises: the
    trace is recorded either way)."""
    try:
        return _datasets_near(caller)
    except Exception:
        return ()


def _datasets_near(caller: types.FrameType | None) -> tuple[tuple[str, TypeNode], ...]:
    from graphlab._tf.trace_types import datasets_in

    frame = user_frame(caller)
    if frame is None:
        return ()
    found = dict(datasets_in(frame.f_globals))
    if frame.f_locals is not frame.f_globals:
        found.update(datasets_in(dict(frame.f_locals)))
    if not found:
        return ()
    order = {name: i for i, name in enumerate(reversed(iterated_names(frame)))}
    ranked = sorted(found.items(), key=lambda item: -order.get(item[0], -1))
    return tuple(ranked)
