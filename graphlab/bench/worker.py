"""The worker protocol of isolated runs: one fresh process measures one target in all
its modes (interleaved), as pyperf's workers do.

The parent (:mod:`graphlab.bench.isolate`) writes ``request.json`` into a scratch
directory and runs ``python -m graphlab.bench.worker DIR``; the worker writes
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

from graphlab.bench.peak import measured_in_worker

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
            [python or sys.executable, "-m", "graphlab.bench.worker", out_dir],
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


# ---------------------------------------------------------------------------
# Worker side


def measure(out_dir: str) -> None:
    """Carry out the request in ``out_dir`` and write the result next to it.

    Raises:
        ValueError: a bad target, input or thread setting (the parent reports it).
    """
    with open(os.path.join(out_dir, REQUEST), encoding="utf-8") as handle:
        request = json.load(handle)
    if request.get("turns"):  # other environments' workers take turns with this one
        from graphlab.bench import turns

        turns.install(*request["turns"])
    threads = request["threads"]
    if threads is not None:  # before TensorFlow runs its first op
        from graphlab import _runtime

        _runtime.set_thread_settings(*threads)

    from graphlab import inputs
    from graphlab.bench.compare import compare

    target = request["target"]
    fn = inputs.load_target(target)
    if request.get("values"):  # the caller's own values, pickled by the parent
        import pickle

        with open(request["values"], "rb") as handle:
            values, kwargs = pickle.load(handle)
    else:
        values = [inputs.to_value(inputs.parse_value(text)) for text in request["args"]]
        kwargs = {
            name: inputs.to_value(value)
            for name, value in (inputs.parse_kwarg(text) for text in request["kwargs"])
        }

    comparison = compare(
        fn,
        *values,
        modes=request["modes"],
        label=target.rpartition(":")[2],
        max_time=request["max_time"],
        precision=request["precision"],
        rtol=request["rtol"],
        atol=request["atol"],
        measure_floor=request["measure_floor"],
        call_kwargs=kwargs,
    )
    with open(os.path.join(out_dir, RESULT), "w", encoding="utf-8") as handle:
        handle.write(measured_in_worker(comparison).to_json())


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
