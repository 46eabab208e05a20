"""Which code is the user's: the rule every report uses for call sites, op source
lines and tracebacks, and paths as a user reads them. No TensorFlow needed.
"""

from __future__ import annotations

import os
import re
import sys
import types


def _package_dirs() -> tuple[str, ...]:
    dirs = []
    for name in (
        "tensorflow",
        "keras",
        "tf_keras",
        "graphlab",
        "absl",
        "optree",
        "tree",
        "importlib",
    ):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            dirs.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    return tuple(dirs)


_PACKAGE_DIRS: tuple[str, ...] = ()
_OURS = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: graphlab's own files that hold user code: the built-in examples and the demo.
_EXAMPLE_FILES = frozenset(
    os.path.join(_OURS, *name) for name in (("examples.py",), ("demo", "walkthrough.py"))
)


def user_call_site(frame: types.FrameType | None) -> str:
    """``file:line`` of the first frame outside TensorFlow, Keras and graphlab's own
    machinery (graphlab's examples and demo count as user code)."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_framework_file(filename):
            return f"{short_path(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def short_path(filename: str) -> str:
    """An installed package's file from its top package (``keras/src/...``); else a path
    relative to the working directory when it is below it, else from its top package
    (``graphlab/examples.py``) when it is in one, else as it is."""
    for marker in ("site-packages", "dist-packages"):  # an installed package, even in ./.venv
        _, found, inside = filename.rpartition(os.sep + marker + os.sep)
        if found:
            return inside
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # pragma: no cover - other drive on Windows
        return filename
    if not relative.startswith(".."):
        return relative
    directory = os.path.dirname(os.path.abspath(filename))
    if not os.path.exists(os.path.join(directory, "__init__.py")):
        return filename
    while os.path.exists(os.path.join(directory, "__init__.py")):
        directory = os.path.dirname(directory)
    return os.path.relpath(filename, directory)  # from the top package: pkg/mod.py


def is_graphlab_file(filename: str) -> bool:
    """graphlab's own machinery (its examples and demo are user code)."""
    return filename.startswith(_OURS) and filename not in _EXAMPLE_FILES


def is_framework_file(filename: str) -> bool:
    """Files of TensorFlow, Keras and their helpers: not the user's code."""
    global _PACKAGE_DIRS
    if not _PACKAGE_DIRS or "keras" not in "".join(_PACKAGE_DIRS):
        _PACKAGE_DIRS = _package_dirs()
    if filename.startswith(_OURS):
        return is_graphlab_file(filename)
    return (
        filename.startswith(_PACKAGE_DIRS)
        or filename.startswith("<frozen")
        or "__autograph_generated_file" in filename
        or filename.endswith(("contextlib.py", "threading.py", "functools.py"))
    )


_USER_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def error_origin(error: BaseException) -> tuple[str, str]:
    """``(file:line, reason)`` of an error raised in the user's code: the line from
    TensorFlow's "in user code:" block (AutoGraph maps generated code back), else the
    innermost frame of the traceback outside the frameworks; the reason is the error's
    own last line (``ValueError: user boom``), not TensorFlow's "in user code:"."""
    message = str(error)
    location = ""
    if "in user code:" in message:
        frames = _USER_FRAME.findall(message.split("in user code:", 1)[1])
        if frames:
            filename, lineno, _ = frames[-1]
            location = f"{short_path(filename)}:{lineno}"
    if not location:
        tb = error.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if not is_framework_file(filename):
                location = f"{short_path(filename)}:{tb.tb_lineno}"
            tb = tb.tb_next
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    reason = lines[-1] if lines else type(error).__name__
    if not reason.startswith(type(error).__name__) and not re.match(r"[A-Za-z_][\w.]*: ", reason):
        reason = f"{type(error).__name__}: {reason}"
    return location, reason
