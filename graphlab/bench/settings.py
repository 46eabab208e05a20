"""The settings of a measurement as one frozen record: what ``graphlab.compare``,
``graphlab bench`` and a worker process's request share, validated once. Its
:meth:`BenchSettings.to_dict` is the payload a worker process receives
(:mod:`graphlab._workers`). No TensorFlow.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Any

#: Modes measured when none are named.
DEFAULT_MODES = ("eager", "graph", "xla")
#: The most threads ``--threads`` / ``threads=`` may ask of either TensorFlow pool: more
#: only slows a machine down (100000 threads hang it).
MAX_THREADS = max(64, 4 * (os.cpu_count() or 1))
#: The most worker processes ``--processes`` / ``processes=`` may ask for: they run one
#: after the other, each starting TensorFlow (seconds) before its budget, so more only
#: makes a run that never ends (pyperf's default is 20).
MAX_PROCESSES = 100
#: The most workers ``workers=`` may start: they run at once, each a TensorFlow process
#: of about half a GB, on one machine.
MAX_WORKERS = 32
#: Seconds a worker process gets to start (importing TensorFlow) before its budget.
STARTUP_S = 120.0


@dataclass(frozen=True, slots=True)
class BenchSettings:
    """How to measure.

    Attributes:
        modes: Built-in mode names, in table order.
        max_time: Budget per mode in seconds (calibration plus timed blocks).
        precision: Stop once every mode's ratio to the first has IQR/median at most this.
        rtol: Relative tolerance of the output parity check.
        atol: Absolute tolerance of the parity check.
        threads: TensorFlow's ``(intra, inter)`` thread pools (0: its default), set
            before TensorFlow starts; None leaves them alone.
        processes: Fresh worker processes the measurement runs in (1: this process,
            unless isolated).
        timeout: Seconds a worker process may run before it is killed and its rows say
            so; None: :meth:`worker_timeout` from the budget.
    """

    modes: tuple[str, ...] = DEFAULT_MODES
    max_time: float = 1.0
    precision: float = 0.05
    rtol: float = 1e-5
    atol: float = 1e-6
    threads: tuple[int, int] | None = None
    processes: int = 1
    timeout: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "modes", tuple(self.modes))
        for name in ("max_time", "precision"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        check_count("processes", self.processes, MAX_PROCESSES)
        if self.threads is not None:
            object.__setattr__(self, "threads", check_threads(self.threads))
        timeout = self.timeout
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")

    def worker_timeout(self, targets: int = 1) -> float:
        """Seconds a worker measuring ``targets`` functions gets: :attr:`timeout`, or
        start-up plus a generous multiple of the budget."""
        if self.timeout is not None:
            return float(self.timeout)
        return STARTUP_S + targets * len(self.modes) * (30.0 + 3.0 * self.max_time)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["modes"] = list(self.modes)
        data["threads"] = list(self.threads) if self.threads is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchSettings:
        threads = data.get("threads")
        return cls(
            modes=tuple(data.get("modes", DEFAULT_MODES)),
            max_time=data.get("max_time", 1.0),
            precision=data.get("precision", 0.05),
            rtol=data.get("rtol", 1e-5),
            atol=data.get("atol", 1e-6),
            threads=(int(threads[0]), int(threads[1])) if threads is not None else None,
            processes=data.get("processes", 1),
            timeout=data.get("timeout"),
        )


def check_threads(threads: Any) -> tuple[int, int]:
    """``(intra, inter)``, each an int from 0 (TensorFlow's default) to
    :data:`MAX_THREADS`."""
    try:
        intra, inter = threads
    except (TypeError, ValueError):
        raise ValueError(f"threads must be (intra, inter), got {threads!r}") from None
    for value in (intra, inter):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THREADS:
            raise ValueError(
                f"threads must be two ints from 0 (TensorFlow's default) to {MAX_THREADS} "
                f"(4 per CPU, at least 64), got {intra!r},{inter!r}"
            )
    return int(intra), int(inter)


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def check_count(name: str, value: Any, most: int) -> None:
    """A count of processes: an int from 1 to ``most``, else a ValueError that says so."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise ValueError(f"{name} must be an int from 1 to {most}, got {value!r}")


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """How ``bench_training_step`` measures (its keyword arguments, validated once);
    :meth:`step_options` is what a worker process's ``bench_training_step`` gets.

    Attributes:
        steps_per_execution: For the ``fit_spe`` mode.
        fit_steps: Steps per ``fit()`` call in the ``fit`` modes.
        max_time: Budget per mode in seconds.
        precision: Stop once IQR/median is at most this.
        check_steps: Steps whose losses must agree across modes.
        rtol: Relative tolerance of the loss parity check.
        atol: Absolute tolerance of the loss parity check.
        seed: Seeds Keras before each model is built.
        processes: Fresh processes the whole measurement runs in (1: this one).
        timeout: Seconds a layout's worker processes may run (None: from the budget).
    """

    steps_per_execution: int = 8
    fit_steps: int = 128
    max_time: float = 1.0
    precision: float = 0.05
    check_steps: int = 3
    rtol: float = 1e-3
    atol: float = 1e-5
    seed: int = 0
    processes: int = 1
    timeout: float | None = None

    def __post_init__(self) -> None:
        check_count("processes", self.processes, MAX_PROCESSES)
        for name in ("steps_per_execution", "fit_steps", "check_steps"):
            _positive_int(name, getattr(self, name))
        BenchSettings(  # the same rules for the numbers they share
            max_time=self.max_time,
            precision=self.precision,
            rtol=self.rtol,
            atol=self.atol,
            timeout=self.timeout,
        )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int, got {self.seed!r}")

    def worker_timeout(self, modes: int) -> float:
        """Seconds one layout's worker processes get: :attr:`timeout`, or start-up
        plus a generous multiple of the budget."""
        if self.timeout is not None:
            return float(self.timeout)
        return STARTUP_S + modes * (30.0 + 3.0 * self.max_time)

    def step_options(self) -> dict[str, Any]:
        """The keyword arguments of one process's in-process ``bench_training_step``."""
        data = self.to_dict()
        del data["processes"], data["timeout"]
        return data

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSettings:
        return cls(**data)
