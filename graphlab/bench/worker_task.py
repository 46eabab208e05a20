"""The tasks worker processes carry out for :mod:`graphlab.bench` (named by string in
a :class:`graphlab._workers.records.Request`, started by :mod:`graphlab._workers`):

- :func:`measure`: one target in all its modes, interleaved, as pyperf's workers do
  (``bench --isolate / --processes / --python``, ``compare(processes=N)``);
- :func:`train`: ``bench_training_step`` in one layout of its scaling table
  (``bench_training_step(workers=N | processes=N)``).

Each returns a ``graphlab.comparison`` document (JSON text) that the child writes to
its result file. Internal to graphlab; the user CLI knows nothing of it.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any


def _resolve(target: str) -> Any:
    """``module:qualname``; ``__main__:qualname`` is the parent's script, imported
    here as ``__main__`` by the child."""
    from graphlab import inputs

    module, _, qualname = target.rpartition(":")
    if module != "__main__":
        return inputs.load_target(target)
    obj: Any = sys.modules["__main__"]
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise inputs.InputError(f"the script has no attribute {part!r} in this process")
        obj = getattr(obj, part)
    return obj


def unpickle(path: str) -> Any:
    """What the parent pickled to ``path`` (the child imported its script first)."""
    with open(path, "rb") as handle:
        return pickle.load(handle)


def measure(payload: dict[str, Any]) -> str:
    """Measure ``payload["target"]`` as :class:`~graphlab.bench.settings.BenchSettings`
    ``payload["settings"]`` say.

    Raises:
        ValueError: a bad target, input or thread setting (the parent reports it).
    """
    from graphlab.bench.settings import BenchSettings

    settings = BenchSettings.from_dict(payload["settings"])
    if payload.get("turns"):  # other environments' workers take turns with this one
        from graphlab.bench import turns

        turns.install(*payload["turns"])
    if settings.threads is not None:  # before TensorFlow runs its first op
        from graphlab import _runtime

        _runtime.set_thread_settings(*settings.threads)

    from graphlab import inputs
    from graphlab.bench.compare import compare
    from graphlab.bench.peak import measured_in_worker

    target = payload["target"]
    if payload.get("values"):  # the caller's own values (and bound method), pickled
        values, kwargs, fn = unpickle(payload["values"])
        fn = fn if fn is not None else _resolve(target)
    else:
        fn = _resolve(target)
        values = [inputs.to_value(inputs.parse_value(text)) for text in payload["args"]]
        kwargs = {
            name: inputs.to_value(value)
            for name, value in (inputs.parse_kwarg(text) for text in payload["kwargs"])
        }
    comparison = compare(
        fn,
        *values,
        modes=list(settings.modes),
        label=payload.get("label") or target.rpartition(":")[2],
        max_time=settings.max_time,
        precision=settings.precision,
        rtol=settings.rtol,
        atol=settings.atol,
        measure_floor=payload.get("measure_floor", True),
        call_kwargs=kwargs,
    )
    return measured_in_worker(comparison).to_json()


def _set_up_devices(payload: dict[str, Any]) -> Any:
    """The layout's strategy; logical CPU devices are made before TensorFlow starts."""
    layout = payload["layout"]
    if layout == "multi_worker":  # before any op: collectives are set up at startup
        from graphlab.distributed import sync

        return sync.multi_worker_strategy()
    if layout != "mirrored":
        return None
    import tensorflow as tf

    devices = payload["devices"]
    if payload["gpu"]:
        return tf.distribute.MirroredStrategy()  # the parent made N GPUs visible
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
    )
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(devices)])


def _load(value: Any) -> Any:
    if isinstance(value, str):
        from graphlab import inputs

        return inputs.load_target(value)
    return value


def train(payload: dict[str, Any]) -> str:
    """One process of one layout of ``bench_training_step(workers=N)``: the layout's
    devices set up before TensorFlow starts, then the interleaved training step."""
    strategy = _set_up_devices(payload)
    job = unpickle(payload["job"])
    from graphlab.bench.training import bench_training_step

    factories = {name: _load(value) for name, value in job["factories"].items()}
    comparison = bench_training_step(
        factories["model_fn"],
        factories["optimizer_fn"],
        factories["loss_fn"],
        job["data"],
        job["batch_size"],
        modes=job["modes"],
        metrics=_load(job["metrics"]),
        strategy=strategy,
        **job["options"],
    )
    from graphlab.bench.peak import measured_in_worker

    return measured_in_worker(comparison).to_json()
