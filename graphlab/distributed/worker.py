"""One worker process of ``bench_training_step(workers=N)`` (internal protocol).

``python -m graphlab.distributed.worker DIR RANK``: follow the parent (exit when it
dies), read ``DIR/request.pkl`` (the layout, the pickled factories and data), set up
the layout's devices before TensorFlow starts, run
:func:`graphlab.bench.training.bench_training_step` with the layout's strategy
(``"multi_worker"``: the ``TF_CONFIG`` the parent set), and write
``DIR/result-RANK.json`` (a ``graphlab.comparison`` document). Errors go to stderr,
whose tail the parent reports.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import sys
from collections.abc import Sequence
from typing import Any

from graphlab.distributed import launch

#: Module name a user's script is imported under in a worker: its
#: ``if __name__ == "__main__":`` block does not run there (as with multiprocessing).
MAIN_ALIAS = "__graphlab_main__"


class _Unpickler(pickle.Unpickler):
    """Finds what the parent's ``__main__`` (a script) defined in that script."""

    def __init__(self, data: bytes, main_file: str | None) -> None:
        super().__init__(io.BytesIO(data))
        self.main_file = main_file

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__" and self.main_file:
            main = sys.modules.get(MAIN_ALIAS) or _import_script(self.main_file)
            target: Any = main
            for part in name.split("."):
                target = getattr(target, part)
            return target
        return super().find_class(module, name)


def _import_script(path: str) -> Any:
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(MAIN_ALIAS, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MAIN_ALIAS] = module
    spec.loader.exec_module(module)
    return module


def _set_up_devices(request: dict[str, Any]) -> Any:
    """The layout's strategy; logical CPU devices are made before TensorFlow starts."""
    layout = request["layout"]
    if layout == "multi_worker":  # before any op: collectives are set up at startup
        from graphlab.distributed import sync

        return sync.multi_worker_strategy()
    if layout != "mirrored":
        return None
    import tensorflow as tf

    devices = request["devices"]
    if request["gpu"]:
        return tf.distribute.MirroredStrategy()  # the parent made N GPUs visible
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
    )
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(devices)])


def _resolve(value: Any) -> Any:
    if isinstance(value, str):
        from graphlab import inputs

        return inputs.load_target(value)
    return value


def work(scratch: str, rank: int) -> None:
    with open(os.path.join(scratch, launch.REQUEST), "rb") as handle:
        request = pickle.load(handle)
    strategy = _set_up_devices(request)
    sys.path.extend(p for p in request.get("sys_path", []) if p not in sys.path)
    job = _Unpickler(request["payload"], request["main_file"]).load()
    from graphlab.bench.training import bench_training_step

    factories = {name: _resolve(value) for name, value in job["factories"].items()}
    comparison = bench_training_step(
        factories["model_fn"],
        factories["optimizer_fn"],
        factories["loss_fn"],
        job["data"],
        job["batch_size"],
        modes=job["modes"],
        metrics=_resolve(job["metrics"]),
        strategy=strategy,
        **job["options"],
    )
    path = launch.result_path(scratch, rank)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(comparison.to_json())
    os.replace(path + ".tmp", path)  # the parent sees a whole file or none


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or not os.path.isdir(args[0]) or not args[1].isdigit():
        print(
            "usage: python -m graphlab.distributed.worker DIR RANK (internal to graphlab)",
            file=sys.stderr,
        )
        return 2
    launch.follow_parent()
    try:
        work(args[0], int(args[1]))
    except Exception as error:  # the parent shows this line with the output's tail
        import traceback

        traceback.print_exc()
        print(f"graphlab worker {args[1]}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
