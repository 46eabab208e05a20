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
rounds as a speedup pairs two modes' (:func:`graphlab.bench.figures.time_ratio`). This module never
imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from typing import Any

from graphlab.bench.records_environments import Environment

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
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # graphlab/
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
