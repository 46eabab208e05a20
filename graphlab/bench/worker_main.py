"""The worker side of the isolated-run protocol (:mod:`graphlab.bench.worker`): run as
``python -m graphlab.bench.worker_main DIR``, it carries out ``DIR/request.json`` and
writes ``DIR/result.json``. Internal to graphlab; the user CLI knows nothing of it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from graphlab.bench.peak import measured_in_worker
from graphlab.bench.worker import REQUEST, RESULT


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
        print(
            "usage: python -m graphlab.bench.worker_main DIR (internal to graphlab)",
            file=sys.stderr,
        )
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
