"""The records of ``bench --python LABEL=PATH``: an :class:`Environment` (an interpreter
that measures) and a :class:`TimeRatio` (time per call in one environment over the
baseline's, in the ``time_vs_baseline`` key of a ``graphlab.comparison/3`` row). The
logic is in :mod:`graphlab.bench.environments` (probing interpreters) and
:mod:`graphlab.bench.figures` (the ratios).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Environment:
    """A Python interpreter that measures, and what it runs.

    Attributes:
        label: The user's name for it (``tf216``).
        python: Path of its interpreter.
        tensorflow: Its TensorFlow version.
        keras: Its Keras version (empty when it has none).
        python_version: Its Python version.
    """

    label: str
    python: str
    tensorflow: str = ""
    keras: str = ""
    python_version: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "python": self.python,
            "python_version": self.python_version,
            "tensorflow": self.tensorflow,
            "keras": self.keras,
        }


@dataclass(frozen=True, slots=True)
class TimeRatio:
    """Time per call in one environment over the baseline's (> 1: slower).

    Attributes:
        baseline: The baseline environment's label (the first ``--python``).
        value: The ratio (:func:`graphlab.bench.figures.time_ratio`). Rounds
            interleaved (workers took turns): the median of the per-round ratios, as
            :func:`graphlab.bench.pairing.paired_speedup` does for modes. Otherwise:
            the median of the processes' ratios of medians.
        low: Lower end of the interval (pairing's interval; otherwise the hull of the
            medians' 95% intervals' extreme ratio and the processes' ratios).
        high: Upper end.
        pairs: Rounds (or processes) that gave a ratio.
        unstable: Why the ratio cannot be trusted (it moved during the run, the
            processes disagree); empty when it can.
    """

    baseline: str
    value: float
    low: float
    high: float
    pairs: int
    unstable: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "ratio": self.value,
            "ci": [self.low, self.high],
            "pairs": self.pairs,
            "unstable": self.unstable,
        }
