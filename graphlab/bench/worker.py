"""The worker protocol of isolated runs: one fresh process measures one target in one
mode, as pyperf's workers do.

The parent (:mod:`graphlab.bench.isolate`) writes ``request.json`` into a scratch
directory and runs ``python -m graphlab.bench.worker DIR``; the worker writes
``result.json`` (a ``graphlab.comparison`` document) and ``outputs.npz`` (its first
output, for the parent's parity check) into the same directory. Files, not stdout: the
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
OUTPUTS = "outputs.npz"


# ---------------------------------------------------------------------------
# Parent side (no TensorFlow)


def run(
    out_dir: str,
    *,
    target: str,
    mode: str,
    arg_texts: Sequence[str],
    kwarg_texts: Sequence[str],
    threads: tuple[int, int] | None,
    max_time: float,
    precision: float,
) -> tuple[dict[str, Any] | None, str]:
    """Measure ``target`` in ``mode`` in a fresh process: ``(comparison JSON, "")``, or
    ``(None, why it failed)``."""
    request = {
        "target": target,
        "mode": mode,
        "args": list(arg_texts),
        "kwargs": list(kwarg_texts),
        "threads": list(threads) if threads is not None else None,
        "max_time": max_time,
        "precision": precision,
    }
    with open(os.path.join(out_dir, REQUEST), "w", encoding="utf-8") as handle:
        json.dump(request, handle)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    done = subprocess.run(
        [sys.executable, "-m", "graphlab.bench.worker", out_dir],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    try:
        with open(os.path.join(out_dir, RESULT), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError):
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return None, f"worker exited {done.returncode}: {lines[-1] if lines else 'no output'}"
    row = data["rows"][0] if data.get("rows") else {}
    if row.get("error"):
        return None, row["error"]
    return data, ""


def load_outputs(out_dir: str) -> list[Any] | None:
    """The first output a worker saved, as NumPy arrays (None if it saved none)."""
    import numpy as np

    path = os.path.join(out_dir, OUTPUTS)
    if not os.path.exists(path):
        return None
    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


# ---------------------------------------------------------------------------
# Worker side


def measure(out_dir: str) -> None:
    """Carry out the request in ``out_dir`` and write the result next to it.

    Raises:
        ValueError: a bad target, input or thread setting (the parent reports it).
    """
    with open(os.path.join(out_dir, REQUEST), encoding="utf-8") as handle:
        request = json.load(handle)
    threads = request["threads"]
    if threads is not None:  # before TensorFlow runs its first op
        from graphlab import _runtime

        _runtime.set_thread_settings(*threads)

    import numpy as np

    from graphlab import inputs
    from graphlab.bench.compare import compare

    target = request["target"]
    fn = inputs.load_target(target)
    values = [inputs.to_value(inputs.parse_value(text)) for text in request["args"]]
    kwargs = {
        name: inputs.to_value(value)
        for name, value in (inputs.parse_kwarg(text) for text in request["kwargs"])
    }

    def save_outputs(row: Any, output: list[Any]) -> None:
        np.savez(os.path.join(out_dir, OUTPUTS), *output)

    comparison = compare(
        fn,
        *values,
        modes=[request["mode"]],
        label=target.rpartition(":")[2],
        max_time=request["max_time"],
        precision=request["precision"],
        on_output=save_outputs,
        call_kwargs=kwargs,
    )
    with open(os.path.join(out_dir, RESULT), "w", encoding="utf-8") as handle:
        handle.write(comparison.to_json())


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not os.path.isdir(args[0]):
        print("usage: python -m graphlab.bench.worker DIR (internal to graphlab)", file=sys.stderr)
        return 2
    from graphlab.inputs import InputError

    try:
        measure(args[0])
    except (InputError, RuntimeError, ValueError) as error:
        print(f"graphlab worker: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
