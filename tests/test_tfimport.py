"""graphlab's set-up at the program's own ``import tensorflow`` (``graphlab._tfimport``):
run in fresh processes, where TensorFlow is not imported yet."""

from __future__ import annotations

import os
import textwrap

from helpers import run_python

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
    code = textwrap.dedent(PROBE.format(then_body=then_body))
    done = run_python(code, timeout=240, TF_CPP_MIN_LOG_LEVEL="3")
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


START_UP = b"I0000 00:00:1796544294.184378   19231 port.cc:153] oneDNN custom operations are on.\n"


def test_held_back_lines_are_dropped_and_the_rest_reach_descriptor_2_in_order():
    """What is kept goes back to descriptor 2, where it was going, even when the program
    has put its own object in sys.stderr meanwhile."""
    code = (
        "import io, os, sys\n"
        "from graphlab import _stderr\n"
        "with _stderr.held_back(_stderr.TF_START_UP):\n"
        "    sys.stderr = io.StringIO()  # the program's own, not descriptor 2\n"
        f'    os.write(2, b"the program\'s own line\\n" + {START_UP!r})\n'
        "    print('a Python line', file=sys.stderr)\n"
        "kept, sys.stderr = sys.stderr.getvalue(), sys.__stderr__\n"
        "print('after;', kept, file=sys.stderr, end='')\n"
    )
    done = run_python(code)
    assert done.stderr == "the program's own line\nafter; a Python line\n", done.stderr


def test_nothing_is_held_while_other_threads_run_or_when_the_user_set_the_level(capfd, monkeypatch):
    import threading

    from graphlab import _tfimport

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    with _tfimport._start_up_held_back():
        os.write(2, START_UP)
    assert capfd.readouterr().err == ""  # alone, no level set: held back
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with _tfimport._start_up_held_back():
            os.write(2, START_UP)
    finally:
        stop.set()
        other.join()
    assert capfd.readouterr().err == START_UP.decode()  # its stderr must not wait
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    with _tfimport._start_up_held_back():
        os.write(2, START_UP)
    assert capfd.readouterr().err == START_UP.decode()
