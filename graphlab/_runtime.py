"""Facts about the TensorFlow runtime, from public API only: devices, how to wait for
work to finish, thread pools, memory, the environment a measurement ran in.

What :mod:`graphlab.bench` needs to time code fairly. TensorFlow is imported here at
module level: import this module only where TensorFlow is wanted.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from graphlab._version import __version__


def gpu_present() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def _materialize(output: Any) -> None:
    for item in tf.nest.flatten(output, expand_composites=True):
        numpy = getattr(item, "numpy", None)
        if numpy is not None and isinstance(item, (tf.Tensor, tf.Variable)):
            numpy()


def _sync_devices(output: Any) -> None:
    tf.test.experimental.sync_devices()


def device_sync() -> Callable[[Any], None] | None:
    """The per-call device sync on a GPU machine; None where calls are synchronous (CPU)."""
    if gpu_present() and hasattr(tf.test.experimental, "sync_devices"):
        return _sync_devices
    return None


def block_sync() -> Callable[[Any], None]:
    """What to call once after a block of calls so the clock sees finished work.

    GPU kernels run asynchronously, so without this a timer measures the enqueue:
    ``tf.test.experimental.sync_devices()`` waits for every device (TF >= 2.12). On a
    CPU-only machine eager ops are synchronous and fetching the last output is enough.
    """
    return device_sync() or _materialize


def device_description() -> str:
    """``CPU`` or the GPUs' names, for the metadata of a measurement."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    names = []
    for gpu in gpus:
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:  # pragma: no cover - older drivers
            details = {}
        names.append(details.get("device_name", gpu.name))
    return ", ".join(names)


def thread_settings() -> tuple[int, int]:
    """``(intra_op, inter_op)`` pool sizes; 0 means TensorFlow picks (all cores)."""
    return (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )


def set_thread_settings(intra: int, inter: int) -> None:
    """Set the thread pools; only possible before TensorFlow runs its first op, which is
    why comparing thread settings needs one process per setting."""
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)


def to_numpy_list(output: Any) -> list[Any]:
    """The leaves of an output as numpy arrays, for parity checks across modes."""
    import numpy as np

    leaves = []
    for item in tf.nest.flatten(output, expand_composites=True):
        if isinstance(item, (tf.Tensor, tf.Variable)):
            leaves.append(item.numpy())
        else:
            leaves.append(np.asarray(item))
    return leaves


def overhead_probes() -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Two do-nothing calls: a bare ``tf.function`` (an identity on a scalar) and one
    eager op on a scalar. Their times are the floor below which a row measures
    dispatch rather than work."""
    scalar = tf.constant(1.0)
    identity = tf.function(lambda x: x)
    return (lambda: identity(scalar)), (lambda: tf.add(scalar, scalar))


def reset_peak_memory() -> None:
    """Reset the GPU allocator's peak counter (TensorFlow reports none for the CPU)."""
    for device in tf.config.list_logical_devices("GPU")[:1]:
        tf.config.experimental.reset_memory_stats(device.name)


def peak_memory_bytes() -> int | None:
    """Peak bytes on the first GPU since the last reset; None on CPU-only machines."""
    for device in tf.config.list_logical_devices("GPU")[:1]:
        return int(tf.config.experimental.get_memory_info(device.name)["peak"])
    return None


def environment() -> dict[str, str]:
    """Where a comparison ran: device, thread pools, versions, date."""
    intra, inter = thread_settings()
    return {
        "device": device_description(),
        "intra_op_threads": str(intra or f"default ({os.cpu_count()} cores)"),
        "inter_op_threads": str(inter or "default"),
        "cpu_count": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "graphlab": __version__,
        "tensorflow": tf.__version__,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
