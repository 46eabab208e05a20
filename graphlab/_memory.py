"""The process's resident memory, from the operating system: now, its high-water mark,
and resetting that mark.

TensorFlow reports allocator figures only for GPUs; on a CPU the honest figure is the
process's resident set size (RSS), which counts everything: tensors, graphs, Python
objects, allocator caches. Linux gives it cheaply in ``/proc/self/statm`` (current) and
``/proc/self/status`` (``VmHWM``, the peak), and lets a process reset its own peak by
writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0). Elsewhere the peak comes from
``resource.getrusage`` (never reset) and the current figure from psutil when installed.

No TensorFlow here: the trace recorder and the benchmarks both use it.
"""

from __future__ import annotations

import os

MB = 2**20

_STATM = "/proc/self/statm"
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int | None:
    """Resident memory of this process now; None where the OS does not tell."""
    try:
        with open(_STATM, "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        pass
    try:  # pragma: no cover - not Linux
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:  # pragma: no cover - no psutil either
        return None


def peak_rss_bytes() -> int | None:
    """The most resident memory this process has had since it started, or since the
    last :func:`reset_peak_rss` that succeeded."""
    try:
        with open(_STATUS, encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # pragma: no cover - not Linux
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak) if sys.platform == "darwin" else int(peak) * 1024
    except Exception:  # pragma: no cover
        return None


def reset_peak_rss() -> bool:
    """Set the high-water mark back to the current RSS; False where the OS cannot (then
    :func:`peak_rss_bytes` keeps counting from the start of the process)."""
    try:
        with open(_CLEAR_REFS, "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False
