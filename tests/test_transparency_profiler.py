"""The program's own use of TensorFlow's profiler wins over graphlab's, in process:
``watch(compiles=True)`` and :class:`graphlab.profiling.session.Profile` (``bench
--profile``) step aside when the program starts a session, and never change what the
program's ``tf.profiler.experimental`` calls do. Real TensorFlow, tiny functions."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import tempfile

import pytest
import tensorflow as tf
from helpers import ROOT, run_cli

import graphlab
from graphlab._tf import profiler as tf_profiler
from graphlab.profiling.session import Profile
from graphlab.tracing.records import TraceReport
from graphlab.tracing.render import render


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Temporary folders (graphlab's profiles among them) go under tmp_path/tmp."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def xla_double():
    return tf.function(lambda x: x * 2.0, jit_compile=True)


def untouched() -> bool:
    """TensorFlow's profiler module as it was: no graphlab binding left in it."""
    return tf_profiler._profiler_v2._pywrap_profiler is tf_profiler._pywrap_profiler


def test_the_program_starting_its_profiler_after_xla_is_used_wins(tmp_path, private_tmp):
    f = xla_double()
    logdir = str(tmp_path / "theirs")
    with graphlab.watch(compiles=True) as w:
        assert float(f(tf.constant(1.0))) == 2.0  # graphlab's profiler starts here
        tf.profiler.experimental.start(logdir)  # before the fix: AlreadyExistsError
        assert float(f(tf.constant([1.0, 2.0]))[1]) == 4.0
        tf.profiler.experimental.stop()
    assert glob.glob(logdir + "/plugins/profile/*/*.xplane.pb")  # the program's profile
    report = w.report()
    assert [c.input_shapes for c in w.compilations] == [((),)]  # only before the program's
    assert "where the program started TensorFlow's profiler itself (" in report.compiles_stopped
    assert "test_transparency_profiler.py:" in report.compiles_stopped  # the call site
    assert "Note: compile records stop" in render(report)
    assert "compile records stop" in render(report, "md")
    assert "compile records stop" in render(report, "html")
    data = report.to_dict()
    assert TraceReport.from_dict(data).compiles_stopped == report.compiles_stopped
    assert not list(private_tmp.glob("graphlab-profile-*"))
    assert untouched() and not tf_profiler.probe_installed()


def test_the_programs_stop_raises_as_without_graphlab_and_the_watch_goes_on(private_tmp):
    f = xla_double()
    with graphlab.watch(compiles=True) as w:
        f(tf.constant(1.0))
        with pytest.raises(tf.errors.UnavailableError, match="No profiler is running"):
            tf.profiler.experimental.stop()
        f(tf.constant([1.0, 2.0]))
    assert [c.input_shapes for c in w.compilations] == [((),), ((2,),)]
    assert w.report().compiles_stopped == ""
    assert "compiles_stopped" not in w.report().to_dict()
    assert not list(
        private_tmp.glob("graphlab-profile-*")
    )  # before the fix: a graphlab-profile-* folder
    assert untouched()


def test_a_profile_the_program_runs_before_xla_is_used_stops_the_records(tmp_path):
    f = xla_double()
    with graphlab.watch(compiles=True) as w:
        with tf.profiler.experimental.Profile(str(tmp_path / "theirs")):
            f(tf.constant(1.0))
        f(tf.constant([1.0, 2.0]))  # graphlab does not start its own afterwards
    assert w.compilations == ()
    assert "the program started TensorFlow's profiler itself" in w.report().compiles_stopped
    assert not tf_profiler.profiler_running()
    assert untouched()


def test_benchs_profile_steps_aside_for_the_programs_session(tmp_path, private_tmp):
    f = xla_double()
    with Profile(probe_calls=True) as profile:
        f(tf.constant(1.0))
        tf.profiler.experimental.start(str(tmp_path / "theirs"))
        f(tf.constant(3.0))
        tf.profiler.experimental.stop()
    assert profile.stepped_aside
    assert any(e.name == tf_profiler.CALL_EVENT for e in profile.events)
    theirs = tf_profiler.read_events(
        glob.glob(str(tmp_path / "theirs/plugins/profile/*/*.xplane.pb"))[0]
    )
    assert not any(e.name == tf_profiler.CALL_EVENT for e in theirs)  # none of graphlab's
    assert not list(private_tmp.glob("graphlab-profile-*"))
    assert untouched() and not tf_profiler.probe_installed()


def test_a_profile_that_cannot_start_leaves_no_folder(tmp_path, private_tmp):
    tf.profiler.experimental.start(str(tmp_path / "theirs"))
    try:
        with pytest.raises(tf_profiler.ProfilerBusy):
            Profile().start()
    finally:
        tf.profiler.experimental.stop()
    assert not list(private_tmp.glob("graphlab-profile-*"))


def test_bench_profile_of_a_function_that_profiles_itself(tmp_path):
    script = tmp_path / "target.py"
    script.write_text(
        "import tempfile\n"
        "import tensorflow as tf\n"
        "@tf.function\n"
        "def step(x):\n"
        "    return tf.reduce_sum(x * x)\n"
        "def profiled_step():\n"
        "    tf.profiler.experimental.start(tempfile.mkdtemp())\n"
        "    out = step(tf.ones([8]))\n"
        "    tf.profiler.experimental.stop()\n"
        "    return out\n"
    )
    result = run_cli(
        "module",
        "bench",
        f"{script}:profiled_step",
        "--profile",
        "--modes",
        "eager",
        "--max-time",
        "0.1",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr  # before: AlreadyExistsError
    assert "failed" not in result.stdout
    assert "First call by phase (--profile):" in result.stdout


PROFILES_ITSELF = """
import sys
import tensorflow as tf

f = tf.function(lambda x: x * 2.0, jit_compile=True)
print(float(f(tf.constant(1.0))))
tf.profiler.experimental.start(sys.argv[1])
print(float(f(tf.constant([1.0, 2.0]))[1]))
tf.profiler.experimental.stop()
"""

#: A C++ log line's source tag: ``I... 123 profiler_session.cc:117] ...`` -> the file.
_LOG_SOURCE = re.compile(r"^I\d{4} [\d:.]+ +\d+ ([\w.]+):\d+\] ", re.MULTILINE)


def test_tensorflows_log_lines_under_watch_compiles_are_the_programs_own(tmp_path):
    """With TensorFlow's INFO logging on (the user's default), ``watch --compiles``
    adds none of its own session's lines ("Profiler session initializing.",
    "Collecting XSpace to repository: /tmp/graphlab-profile-..."), and the program's
    own session still logs as it does alone."""
    (tmp_path / "prog.py").write_text(PROFILES_ITSELF)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = ROOT

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        logdir = str(tmp_path / f"theirs{len(command)}")
        return subprocess.run(
            [sys.executable, *command, "prog.py", logdir],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=300,
        )

    plain = run()
    watched = run("-m", "graphlab", "watch", "--compiles")
    assert plain.returncode == watched.returncode == 0, watched.stderr
    assert watched.stdout == plain.stdout == "2.0\n4.0\n"
    start_up = {"port.cc", "cpu_feature_guard.cc"}  # TensorFlow's import: held back
    sources = [s for s in _LOG_SOURCE.findall(plain.stderr) if s not in start_up]
    assert "profiler_session.cc" in sources  # the program's own session, as it logs it
    assert _LOG_SOURCE.findall(watched.stderr) == sources
    assert "graphlab-profile-" not in watched.stderr
    assert "compile records stop" in watched.stderr
