"""Other Python environments side by side (``bench --python LABEL=PATH``): the same
isolated measurement run by other interpreters, one venv with TensorFlow 2.16 and one
with 2.21 for example, to answer "did upgrading TensorFlow slow my step down?".

Every environment runs the worker of :mod:`graphlab._workers`, so it needs
TensorFlow and graphlab's own dependencies of that path (NumPy, which TensorFlow brings),
not graphlab itself: the worker imports *this* graphlab, put on its ``PYTHONPATH``
through a directory that holds only a link to the package (never the parent's
site-packages, whose TensorFlow would shadow the environment's own).

A process holds one TensorFlow, so environments cannot take turns inside one process
as modes do; their workers take turns round by round instead
(:mod:`graphlab.bench.turns`), and the time ratio between two environments pairs their
rounds as a speedup pairs two modes' (:mod:`graphlab.bench.pairing`). This module never
imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphlab.bench import pairing, stats

#: Seconds a probe (start the interpreter, import TensorFlow) may take.
PROBE_TIMEOUT = 180.0
_MARK = "graphlab-probe:"
# Runs in the other interpreter: it must parse on any Python 3, so no new syntax.
_PROBE = f"""
import json, platform, sys
info = {{"python_version": platform.python_version(), "executable": sys.executable}}
if sys.version_info < (3, 10):
    info["error"] = "Python " + platform.python_version() + " is too old (graphlab needs 3.10+)"
else:
    try:
        import tensorflow as tf
        info["tensorflow"] = tf.__version__
    except Exception as error:
        info["error"] = "no TensorFlow (" + type(error).__name__ + ": " + str(error) + ")"
    if "error" not in info:
        try:
            import keras
            info["keras"] = keras.__version__
        except Exception:
            info["keras"] = ""
        try:
            import graphlab._workers.child, graphlab.bench.worker_task, graphlab.bench.compare, graphlab.inputs
        except Exception as error:
            info["error"] = "graphlab's worker cannot import: " + type(error).__name__ + ": " + str(error)
print("{_MARK}" + json.dumps(info))
"""


class EnvironmentProblem(ValueError):
    """A ``--python`` environment that cannot run the measurement, and what to do."""


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


def parse(texts: Sequence[str]) -> list[tuple[str, str]]:
    """``LABEL=PATH`` texts -> ``(label, path)``; PATH may be a venv directory.

    Raises:
        EnvironmentProblem: no ``=``, an empty or repeated label, a PATH that is not an
            executable file.
    """
    specs: list[tuple[str, str]] = []
    for text in texts:
        label, sep, path = text.partition("=")
        label, path = label.strip(), path.strip()
        if not sep or not label or not path:
            raise EnvironmentProblem(
                f"--python expects LABEL=PATH (e.g. tf216=.venv-216/bin/python), got {text!r}"
            )
        if label in (known for known, _ in specs):
            raise EnvironmentProblem(f"--python: the label {label!r} is given twice")
        if os.path.isdir(path) and os.path.isfile(os.path.join(path, "bin", "python")):
            path = os.path.join(path, "bin", "python")  # a venv's directory
        if not os.path.isfile(path) or not os.access(path, os.X_OK):
            raise EnvironmentProblem(
                f"--python {label}={path}: not an executable file (give the path of a "
                "Python interpreter, e.g. VENV/bin/python)"
            )
        specs.append((label, os.path.abspath(path)))
    return specs


def source_path(scratch: str) -> str:
    """A directory under ``scratch`` that holds only a link to this graphlab package:
    what another interpreter's ``PYTHONPATH`` gets so that it runs this graphlab's
    worker."""
    import graphlab

    package = os.path.dirname(os.path.abspath(graphlab.__file__))
    source = os.path.join(scratch, "graphlab-source")
    os.makedirs(source, exist_ok=True)
    link = os.path.join(source, "graphlab")
    if not os.path.exists(link):
        try:
            os.symlink(package, link, target_is_directory=True)
        except OSError:  # pragma: no cover - no symlinks: the package's parent directory
            return os.path.dirname(package)
    return source


def worker_env(pythonpath: str | None) -> dict[str, str]:
    """The environment of a worker process: TensorFlow's C++ logs quiet, and
    ``pythonpath`` (see :func:`source_path`) ahead of the user's ``PYTHONPATH``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, env.get("PYTHONPATH")) if p)
    return env


def probe(label: str, python: str, pythonpath: str) -> Environment:
    """Ask ``python`` for its versions and check that it can run the worker.

    Raises:
        EnvironmentProblem: it is not a Python, has no TensorFlow, or lacks what
            graphlab's worker imports; the message says what to install where.
    """
    where = f"--python {label}={python}"
    try:
        done = subprocess.run(
            [python, "-c", _PROBE],
            capture_output=True,
            text=True,
            env=worker_env(pythonpath),
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise EnvironmentProblem(f"{where}: cannot run it as Python ({error})") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith(_MARK)]
    if not lines:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise EnvironmentProblem(
            f"{where}: not a Python interpreter that graphlab can use"
            + (f" ({said[-1].strip()})" if said else "")
        )
    info: dict[str, Any] = json.loads(lines[-1][len(_MARK) :])
    error = info.get("error")
    if error:
        hint = "pip install tensorflow-cpu (or tensorflow) into it"
        if not error.startswith("no TensorFlow"):
            hint = f"pip install graphlab into it ({python} -m pip install graphlab)"
        raise EnvironmentProblem(f"{where}: {error}; {hint}")
    return Environment(
        label, python, info["tensorflow"], info.get("keras", ""), info["python_version"]
    )


def probe_all(specs: Sequence[tuple[str, str]]) -> list[Environment]:
    """:func:`probe` every ``(label, path)``, with this graphlab on their path."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="graphlab-probe-") as scratch:
        source = source_path(scratch)
        return [probe(label, path, source) for label, path in specs]


def metadata(environments: Sequence[Environment]) -> dict[str, Any]:
    """What a comparison across environments records about them: ``environments``
    (label -> TensorFlow version, the fixed interface) and ``environment_details``."""
    return {
        "environments": {e.label: e.tensorflow for e in environments},
        "environment_details": {e.label: e.to_dict() for e in environments},
    }


# ---------------------------------------------------------------------------
# Ratios between environments (pure)


@dataclass(frozen=True, slots=True)
class TimeRatio:
    """Time per call in one environment over the baseline's (> 1: slower).

    Attributes:
        baseline: The baseline environment's label (the first ``--python``).
        value: The ratio. Rounds interleaved (workers took turns): the median of the
            per-round ratios, as :func:`graphlab.bench.pairing.paired_speedup` does for
            modes. Otherwise: the median of the processes' ratios of medians.
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


def baseline(comparison: Any) -> str:
    """The first environment's label (empty when the rows have none)."""
    labels = list(comparison.metadata.get("environments") or {})
    labels += [row.environment for row in comparison.rows if row.environment]
    return labels[0] if labels else ""


def time_ratio(comparison: Any, row: Any) -> TimeRatio | None:
    """``row``'s time per call over the same function and mode in the baseline
    environment; None for the baseline's own rows and rows that did not run."""
    base = baseline(comparison)
    if not row.environment or row.environment == base or row.measurement is None:
        return None
    reference = comparison.row(row.function, row.mode, base)
    if reference is None or reference.measurement is None:
        return None
    other, mine = reference.measurement, row.measurement
    if comparison.metadata.get("environment_schedule") == "rounds interleaved":
        rounds = other.per_round()
        paired = pairing.paired_speedup(pairing.paired_ratios(mine.per_round(), rounds), rounds)
        if paired is not None:
            why = paired.unstable.replace("speedup", "time ratio")
            return TimeRatio(base, paired.value, paired.low, paired.high, paired.pairs, why)
    value = stats.speedup(mine.times, other.times)  # median(mine) / median(baseline)
    low, high = stats.speedup_ci(mine.times, other.times)
    ratios = _process_pair_ratios(other, mine)
    if len(ratios) > 1:
        value = stats.median(ratios)
        low, high = min(low, *ratios), max(high, *ratios)
    return TimeRatio(base, value, low, high, max(1, len(ratios)))


def time_vs_baseline(comparison: Any, row: Any) -> dict[str, Any] | None:
    """:func:`time_ratio` as JSON (None where there is none)."""
    ratio = time_ratio(comparison, row)
    return None if ratio is None else ratio.to_dict()


def _process_pair_ratios(baseline_m: Any, other: Any) -> list[float]:
    """Median time of process ``p`` of ``other`` over process ``p`` of the baseline,
    for every process both have."""

    def by_process(m: Any) -> dict[int, list[float]]:
        groups: dict[int, list[float]] = {}
        for process, time in zip(m.block_processes or [0] * m.rounds, m.times):
            groups.setdefault(process, []).append(time)
        return groups

    mine, base = by_process(other), by_process(baseline_m)
    return [
        stats.median(mine[p]) / stats.median(base[p])
        for p in sorted(set(mine) & set(base))
        if stats.median(base[p]) > 0
    ]
