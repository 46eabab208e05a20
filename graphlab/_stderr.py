"""Holding back known lines from the process's standard error (file descriptor 2,
where TensorFlow's C++ logging writes as well as ``sys.stderr``), passing on the rest.

No TensorFlow here: the CLI holds back TensorFlow's start-up lines with it before
TensorFlow is imported, and :mod:`graphlab._tf.profiler` its own sessions' lines.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

#: What TensorFlow's C++ side prints while it loads: absl's notice, INFO lines (oneDNN,
#: CPU features) and the CPU features' second line. TensorFlow 2.20+ prints them
#: whatever TF_CPP_MIN_LOG_LEVEL says (before absl's logging is initialized), as
#: ``I1206 08:58:31.626372  4013 port.cc:153] ...``; 2.16 to 2.19 as
#: ``2026-12-06 08:58:31.626372: I tensorflow/core/util/port.cc:113] ...``.
TF_START_UP = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|I\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] "
    r"|\d{4}-\d\d-\d\d [\d:.]+: I [\w./]+:\d+\] "
    r"|To enable the following instructions: "
)


@contextlib.contextmanager
def held_back(noise: re.Pattern[str]) -> Iterator[None]:
    """While the block runs, what reaches descriptor 2 is held; after it, every line
    but those ``noise`` matches (at its start) is written back to descriptor 2, in the
    order it came. The block runs as it is without a usable descriptor 2 (a notebook's
    kernel, a closed stream), and while other threads run: what they write must not
    wait, and a process they start would inherit the holding file."""
    if threading.active_count() > 1:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        saved = None
    if saved is None:
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().splitlines(keepends=True)
            kept = b"".join(line for line in lines if not noise.match(_text(line)))
            with contextlib.suppress(OSError):
                while kept:  # back where it was going: descriptor 2, not sys.stderr
                    kept = kept[os.write(2, kept) :]


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace")
