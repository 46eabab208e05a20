"""What every command shares: exit codes, the usage error, writing output, picking a
format, progress on stderr."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from graphlab._display import format_for

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def write_output(text: str, path: str | None, stream: Any = None) -> None:
    """Write to ``path`` if given, else to ``stream`` (stdout by default)."""
    if path:
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageError(f"cannot write {path}: {error.strerror}") from error
        return
    (stream or sys.stdout).write(text)
    (stream or sys.stdout).flush()


def check_writable(
    path: str | None, option: str, *, directory: bool = False, make_dirs: bool = False
) -> None:
    """Fail before the work, not after it: a usage error unless ``path`` can be written.
    ``directory``: the path is a folder to write into (``--export tensorboard``);
    ``make_dirs``: missing folders above it are made when writing (``--save``)."""
    if path is None:
        return
    if not path:  # -o '' (an unset variable in a script): not "no -o"
        raise UsageError(f"{option} needs a path, got an empty string")
    if os.path.isdir(path) and not directory:
        raise UsageError(f"cannot write {option} {path}: it is a directory")
    if os.path.exists(path) and not os.path.isdir(path) and directory:
        raise UsageError(f"cannot write {option} {path}: it is a file, not a directory")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {option} {path}: permission denied")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(parent) and not (make_dirs or directory):
        raise UsageError(f"cannot write {option} {path}: no such directory {parent}")
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {option} {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {option} {path}: {parent} is not writable")


def check_finite(value: float | None, option: str, *, minimum: float = 0.0) -> None:
    """``--max-time nan`` would run forever or not at all: numbers must be finite."""
    if value is None:
        return
    if not math.isfinite(value):
        raise UsageError(f"{option} must be a finite number, got {value}")
    if value < minimum:
        raise UsageError(f"{option} must be >= {minimum:g}, got {value:g}")


def add_format_option(parser: argparse.ArgumentParser, formats: Sequence[str], noun: str) -> None:
    """``--format``, defaulting to the ``-o`` extension (see :func:`pick_format`)."""
    parser.add_argument(
        "--format",
        choices=formats,
        help=f"{noun} format (default: from the -o extension, else text); html is one "
        "self-contained page",
    )


def pick_format(path: str | None, explicit: str | None, formats: Sequence[str], what: str) -> str:
    """The format from ``--format`` or the ``-o`` extension, if ``what`` can be written
    in it; otherwise a usage error naming the formats there are."""
    fmt = format_for(path, explicit)
    if fmt not in formats:
        raise UsageError(f"cannot write {what} as {fmt}; use --format {'|'.join(formats)}")
    return fmt


def progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    """Progress lines on stderr, when it is a terminal and ``--quiet`` is not given."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return lambda line: print(f"graphlab: {line}", file=sys.stderr, flush=True)


def note(args: argparse.Namespace, line: str) -> None:
    """A line about what was written, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(f"graphlab: {line}", file=sys.stderr)
