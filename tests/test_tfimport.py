"""graphlab's set-up at the program's own ``import tensorflow`` (``graphlab._tfimport``):
run in fresh processes, where TensorFlow is not imported yet."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from helpers import ROOT

PROBE = """
import importlib.util, sys
from graphlab import _tfimport

def then():
    print("then: imported", "tensorflow" in sys.modules, flush=True)
    {then_body}

hook = _tfimport.on_import(then)
assert "tensorflow" not in sys.modules
importlib.util.find_spec("tensorflow")  # a probe, as libraries make: nothing runs
print("probed", flush=True)
import tensorflow as tf
print("loader", type(tf.__loader__).__name__, type(tf.__spec__.loader).__name__)
print("hook gone", hook not in sys.meta_path)
print("error", repr(hook.error))
import tensorflow  # once only
print(float(tf.constant(2.0) * 2))
"""


def _run(then_body: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE.format(then_body=then_body))],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_then_runs_once_when_the_import_completes_and_tensorflow_keeps_its_loader():
    assert _run("pass") == [
        "probed",
        "then: imported True",
        "loader SourceFileLoader SourceFileLoader",
        "hook gone True",
        "error None",
        "4.0",
    ]


def test_what_then_raises_is_kept_and_the_programs_import_goes_on():
    lines = _run("raise RuntimeError('no watch')")
    assert lines[1:2] == ["then: imported True"]
    assert "error RuntimeError('no watch')" in lines and lines[-1] == "4.0"
