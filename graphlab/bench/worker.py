"""The worker protocol of isolated runs: one fresh process measures one target in all
its modes (interleaved), as pyperf's workers do.

The parent (:mod:`graphlab.bench.isolate`) writes ``request.json`` into a scratch
directory and runs ``python -m graphlab.bench.worker_main DIR`` (the worker side, apart
so that this parent side imports no measurement code); the worker writes
``result.json`` (a ``graphlab.comparison`` document, output parity checked between its
modes) into the same directory. Files, not stdout: the
user's code may print. The protocol is internal; the user CLI knows nothing of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

REQUEST = "request.json"
RESULT = "result.json"
#: The worker's stdout and stderr (the user's prints, TensorFlow's logs, an error).
OUTPUT = "output.txt"


# ---------------------------------------------------------------------------
# Parent side (no TensorFlow)


def run(out_dir: str, **options: Any) -> tuple[dict[str, Any] | None, str]:
    """Measure ``target`` in ``modes`` in a fresh process: ``(comparison JSON, "")``, or
    ``(None, why it failed)``. ``options``: those of :func:`start`."""
    return collect(out_dir, start(out_dir, **options))


def start(
    out_dir: str,
    *,
    target: str,
    modes: Sequence[str],
    arg_texts: Sequence[str],
    kwarg_texts: Sequence[str],
    threads: tuple[int, int] | None,
    max_time: float,
    precision: float,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    measure_floor: bool = True,
    python: str | None = None,
    pythonpath: str | None = None,
    turns: tuple[int, int] | None = None,
    values: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start a worker on the request; its output goes to files in ``out_dir`` (a pipe
    nobody reads while the worker waits for its turn would fill up and block it).
    ``python``: another interpreter (default: this one); ``pythonpath``: put ahead of
    ``PYTHONPATH`` there (this graphlab's source); ``turns``: the worker's ends of
    :class:`graphlab.bench.turns.Channel` pipes, to take turns with other workers;
    ``values``: a pickle of ``(args, kwargs)`` used instead of the texts (a Python
    caller's own tensors)."""
    request = {
        "target": target,
        "modes": list(modes),
        "args": list(arg_texts),
        "kwargs": list(kwarg_texts),
        "threads": list(threads) if threads is not None else None,
        "max_time": max_time,
        "precision": precision,
        "rtol": rtol,
        "atol": atol,
        "measure_floor": measure_floor,
        "turns": list(turns) if turns is not None else None,
        "values": values,
    }
    with open(os.path.join(out_dir, REQUEST), "w", encoding="utf-8") as handle:
        json.dump(request, handle)
    from graphlab.bench.environments import worker_env

    with open(os.path.join(out_dir, OUTPUT), "wb") as output:
        return subprocess.Popen(
            [python or sys.executable, "-m", "graphlab.bench.worker_main", out_dir],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=worker_env(pythonpath),
            pass_fds=turns or (),
        )


def collect(out_dir: str, process: subprocess.Popen[bytes]) -> tuple[dict[str, Any] | None, str]:
    """Wait for the worker; its result, or why there is none."""
    try:
        returncode = process.wait()
    except BaseException:  # Ctrl-C: no worker left behind
        process.kill()
        process.wait()
        raise
    try:
        with open(os.path.join(out_dir, RESULT), encoding="utf-8") as handle:
            return json.load(handle), ""
    except (OSError, json.JSONDecodeError):
        with open(os.path.join(out_dir, OUTPUT), encoding="utf-8", errors="replace") as handle:
            lines = [line for line in handle.read().strip().splitlines() if line.strip()]
        return None, f"worker exited {returncode}: {lines[-1] if lines else 'no output'}"
