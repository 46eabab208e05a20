"""A program under ``graphlab watch`` behaves as without it: the transparency corpus.

Each program in :data:`CASES` runs twice, as ``python prog.py ARGS`` and as
``python -m graphlab watch --format json -o report.json [OPTIONS] prog.py ARGS``, in the
same folder; its stdout, its part of stderr (graphlab's own lines and TensorFlow's
start-up log left out) and its exit code must be the same, and each case also checks
what it expects of the run itself (and of the report, where the case is about it). The
programs print what they see of themselves: globals, ``sys.argv``, ``sys.path[0]``,
threads, ``sys.excepthook``, signal handlers, the profiler. Only the cases about
TensorFlow import it. All runs go at once, a few at a time, from one fixture.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 240

#: About 60 processes, each of watch's importing TensorFlow: slower than most, but run
#: everywhere (`make test` and CI run the slow tests too).
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    """A program, how it is started, and what its runs must show besides being equal."""

    source: str
    args: tuple[str, ...] = ()
    watch: tuple[str, ...] = ()  # options of `watch`
    code: int = 0  # the exit code both runs must have (130: ended by SIGINT)
    stdout: tuple[str, ...] = ()  # lines both stdouts must hold
    stderr: tuple[str, ...] = ()  # text both stderrs must hold
    report: Callable[[dict[str, Any]], None] | None = None  # checks of the watch's report
    files: dict[str, str] = field(default_factory=dict)  # more files next to prog.py
    module: str = ""  # run `-m MODULE` instead of prog.py
    path: str = "prog.py"  # the script (a folder with __main__.py, from files)
    env: dict[str, str | None] = field(default_factory=dict)  # changed for both (None: unset)
    tf_log: bool = False  # TensorFlow's C++ log lines (start-up's aside) compared too


def _one_trace(report: dict[str, Any]) -> None:
    assert [e["function"] for e in report["events"]] == ["<lambda>"], report["events"]


def _no_traces(report: dict[str, Any]) -> None:
    assert report["events"] == [] and report["compilations"] == [], report
    assert report["memory"]["verdict"] == "stable", report["memory"]


def _traced_in_thread(report: dict[str, Any]) -> None:
    assert [e["function"] for e in report["events"]] == ["late_fn"], report["events"]


def _stopped_at_programs_start(report: dict[str, Any]) -> None:
    note = report.get("compiles_stopped", "")
    assert "the program started TensorFlow's profiler itself (prog.py:" in note, report
    assert "compilations" in report


def _compiles_not_stopped(report: dict[str, Any]) -> None:
    assert "compiles_stopped" not in report
    assert len(report["compilations"]) >= 1, report["compilations"]


GLOBALS = '''
"""the docstring"""
import dataclasses, inspect, pickle, sys


@dataclasses.dataclass
class Point:
    x: int


def shown():
    return 1


print(__name__, __file__, __doc__, repr(__package__), __spec__, __cached__)
print(type(__builtins__).__name__, type(__loader__).__name__, __loader__.name)
print(__loader__.path == __file__, sorted(globals()))
print(sys.modules["__main__"].__dict__ is globals())
print(inspect.getsource(shown).splitlines()[0])
print(pickle.loads(pickle.dumps(Point(3))))
'''

CASES: dict[str, Case] = {
    "exit 0, stdout without a newline": Case(
        'import sys\nprint("hello")\nsys.stdout.write("no newline")', stdout=("hello",)
    ),
    "exit 3": Case('print("a")\nraise SystemExit(3)', code=3),
    "sys.exit with a message": Case(
        'import sys\nprint("a")\nsys.exit("stopping: bad config")',
        code=1,
        stderr=("stopping: bad config",),
    ),
    "a raised error": Case(
        'def f():\n    raise ValueError("the own error")\n\n\nf()',
        code=1,
        stderr=('prog.py", line 2, in f', "ValueError: the own error"),
    ),
    "a chained error": Case(
        'try:\n    {}["k"]\nexcept KeyError as e:\n    raise RuntimeError("wrapped") from e',
        code=1,
        stderr=("direct cause", "RuntimeError: wrapped"),
    ),
    "SIGINT": Case(
        'import os, signal, time\nprint("before", flush=True)\n'
        "os.kill(os.getpid(), signal.SIGINT)\ntime.sleep(5)",
        code=130,
        stderr=("KeyboardInterrupt",),
    ),
    "a SIGTERM handler": Case(
        "import os, signal, sys, time\n"
        "def handler(signum, frame):\n"
        '    print("got SIGTERM", flush=True)\n'
        "    sys.exit(7)\n"
        "signal.signal(signal.SIGTERM, handler)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(5)",
        code=7,
        stdout=("got SIGTERM",),
    ),
    "signal handlers as python leaves them": Case(
        "import os, signal\n"
        "print([str(signal.getsignal(s)) for s in "
        "(signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGPIPE)])\n"
        "seen = []\n"
        "signal.signal(signal.SIGUSR1, lambda n, f: seen.append(n))\n"
        "os.kill(os.getpid(), signal.SIGUSR1)\n"
        'print("handled", len(seen))',
        stdout=("handled 1",),
    ),
    "sys.argv": Case(
        "import sys\nprint(sys.argv)",
        args=("--flag", "x", "-o", "y", "-m", "z"),
        stdout=("['prog.py', '--flag', 'x', '-o', 'y', '-m', 'z']",),
    ),
    "sys.path[0] and __name__": Case(
        "import os, sys\nprint(sys.path[0] == os.path.dirname(os.path.abspath('prog.py')))\n"
        "print(__name__)",
        stdout=("True", "__main__"),
    ),
    "script globals": Case(
        GLOBALS,
        stdout=(
            "module SourceFileLoader __main__",
            "True",
            "def shown():",
            "Point(x=3)",
        ),
    ),
    "a custom sys.excepthook": Case(
        "import sys\n"
        "def hook(kind, error, tb):\n"
        '    print("hook:", kind.__name__, error, tb.tb_frame.f_code.co_name, file=sys.stderr)\n'
        "sys.excepthook = hook\n"
        'raise LookupError("missing")',
        code=1,
        stderr=("hook: LookupError missing <module>",),
    ),
    "a sys.excepthook that fails": Case(
        "import sys\n"
        "def hook(kind, error, tb):\n"
        '    raise OSError("hook broke")\n'
        "sys.excepthook = hook\n"
        'raise LookupError("missing")',
        code=1,
        stderr=("Error in sys.excepthook:", "OSError: hook broke", "Original exception was:"),
    ),
    "a warning": Case(
        'import warnings\nwarnings.warn("careful")\nprint("on")',
        stderr=("prog.py:2: UserWarning: careful",),
    ),
    "a non-daemon thread outlives the body": Case(
        "import sys, threading, time\n"
        "def late():\n"
        "    time.sleep(0.5)\n"
        '    print("thread done", flush=True)\n'
        "threading.Thread(target=late).start()\n"
        'print("body done", flush=True)\n'
        "sys.exit(5)",
        code=5,
        stdout=("body done", "thread done"),
    ),
    "a daemon thread does not hold the exit": Case(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        'print("body done", threading.active_count())',
        stdout=("body done 2",),
    ),
    "a thread pool never shut down": Case(
        "from concurrent.futures import ThreadPoolExecutor\n"
        "pool = ThreadPoolExecutor(2)\n"
        "print(pool.submit(pow, 2, 10).result())",
        stdout=("1024",),
    ),
    "atexit after the threads": Case(
        "import atexit, sys, threading, time\n"
        "def bye():\n"
        '    main = sys.modules["__main__"].__dict__ is globals()\n'
        '    print("atexit", threading.active_count(), sys.argv, main)\n'
        "atexit.register(bye)\n"
        "threading.Thread(target=time.sleep, args=(0.3,)).start()\n"
        'print("body")',
        args=("x",),
        stdout=("body", "atexit 1 ['prog.py', 'x'] True"),
    ),
    "os._exit": Case(
        "import os\n"
        "import tensorflow as tf\n"
        "f = tf.function(lambda x: x * 2)\n"
        'print(float(f(tf.constant(1.0))), "flushed", flush=True)\n'
        'print("lost")\n'
        "os._exit(4)",
        code=4,
        stdout=("2.0 flushed",),
        report=_one_trace,  # written by the os._exit hook, with the trace before it
    ),
    "--memory: the program sees its own threads only": Case(
        "import threading\n"
        "import tensorflow  # the watch and its sampler start here\n"
        "print(threading.active_count(), [t.name for t in threading.enumerate()])",
        watch=("--memory",),
        stdout=("1 ['MainThread']",),
    ),
    "a program that never imports TensorFlow, under --compiles --memory": Case(
        'print("no tensorflow")',
        watch=("--compiles", "--memory"),
        stdout=("no tensorflow",),
        report=_no_traces,  # one watch, started for the report after the program
    ),
    "os.fork: the child ends as under python, without a report": Case(
        "import os, sys\n"
        "import tensorflow  # the watch and its sampler run in the parent\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        '    print("child", flush=True)\n'
        "    sys.exit(3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        'print("parent", os.waitstatus_to_exitcode(status))',
        watch=("--memory",),
        stdout=("child", "parent 3"),
    ),
    "multiprocessing spawn": Case(
        "import multiprocessing as mp\n"
        "def child(q):\n"
        "    q.put(__name__)\n"
        'if __name__ == "__main__":\n'
        '    ctx = mp.get_context("spawn")\n'
        "    q = ctx.Queue()\n"
        "    p = ctx.Process(target=child, args=(q,))\n"
        "    p.start(); print(q.get()); p.join(); print(p.exitcode)",
        stdout=("__mp_main__", "0"),
    ),
    "multiprocessing fork": Case(
        "import multiprocessing as mp\n"
        "def child(q):\n"
        "    q.put(__name__)\n"
        'if __name__ == "__main__":\n'
        '    ctx = mp.get_context("fork")\n'
        "    q = ctx.Queue()\n"
        "    p = ctx.Process(target=child, args=(q,))\n"
        "    p.start(); print(q.get()); p.join(); print(p.exitcode)",
        stdout=("__main__", "0"),
    ),
    "multiprocessing forkserver": Case(
        "import multiprocessing as mp\n"
        "def child(q):\n"
        "    q.put(__name__)\n"
        'if __name__ == "__main__":\n'
        '    ctx = mp.get_context("forkserver")\n'
        "    q = ctx.Queue()\n"
        "    p = ctx.Process(target=child, args=(q,))\n"
        "    p.start(); print(q.get()); p.join(); print(p.exitcode)",
        stdout=("__mp_main__", "0"),
    ),
    "-m with relative imports": Case(
        "",
        module="pkg.main",
        args=("a",),
        files={
            "pkg/__init__.py": "",
            "pkg/helper.py": "VALUE = 5\n",
            "pkg/main.py": "import sys\nfrom .helper import VALUE\n"
            "print(VALUE, __name__, repr(__package__), __spec__.name, "
            "type(__builtins__).__name__, type(__loader__).__name__)\n"
            "print(sys.argv[1:], sys.path[0] == __import__('os').getcwd())\n",
        },
        stdout=("5 __main__ 'pkg' pkg.main module SourceFileLoader", "['a'] True"),
    ),
    "a folder with __main__.py": Case(
        "",
        path="app",
        args=("a",),
        files={
            "app/__main__.py": "import os, sys\n"
            "print(sys.argv, sys.path[0] == os.path.abspath('app'), sys.path[1] != os.getcwd())\n"
            "print(__file__ == os.path.abspath('app/__main__.py'), __name__, repr(__package__))\n"
            "print(type(__builtins__).__name__, type(__loader__).__name__)\n",
        },
        stdout=("['app', 'a'] True True", "True __main__ ''", "module SourceFileLoader"),
    ),
    # TensorFlow from here on.
    "traces from a non-daemon thread are reported": Case(
        "import threading, time\n"
        "import tensorflow as tf\n"
        "@tf.function\n"
        "def late_fn(x):\n"
        "    return x + 1\n"
        "def late():\n"
        "    time.sleep(0.5)\n"
        '    print("late", float(late_fn(tf.constant(1.0))), flush=True)\n'
        "threading.Thread(target=late).start()\n"
        'print("body done", flush=True)',
        stdout=("body done", "late 2.0"),
        report=_traced_in_thread,
    ),
    "the program starts the profiler after XLA is used": Case(
        "import glob, tempfile\n"
        "import tensorflow as tf\n"
        "f = tf.function(lambda x: x * 2, jit_compile=True)\n"
        "print(float(f(tf.constant(1.0))))\n"
        "logdir = tempfile.mkdtemp(dir='.')\n"
        "tf.profiler.experimental.start(logdir)\n"
        "print(float(f(tf.constant(3.0))))\n"
        "tf.profiler.experimental.stop()\n"
        "print(len(glob.glob(logdir + '/plugins/profile/*/*.xplane.pb')))",
        watch=("--compiles",),
        stdout=("2.0", "6.0", "1"),
        report=_stopped_at_programs_start,
    ),
    "the program stops a profiler it never started": Case(
        "import tensorflow as tf\n"
        "f = tf.function(lambda x: x * 2, jit_compile=True)\n"
        "print(float(f(tf.constant(1.0))))\n"
        "try:\n"
        "    tf.profiler.experimental.stop()\n"
        "except tf.errors.UnavailableError as error:\n"
        '    print("unavailable:", error.message)\n'
        "print(float(f(tf.constant(2.0))))",
        watch=("--compiles",),
        stdout=("unavailable: Cannot export profiling results. No profiler is running.", "4.0"),
        report=_compiles_not_stopped,
    ),
    # What TensorFlow decides at import is decided when the program imports it.
    "TF_CPP_MIN_LOG_LEVEL set by the program before import tensorflow": Case(
        "import os\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import tensorflow as tf\n"
        "f = tf.function(lambda x: x * 2, jit_compile=True)\n"
        "print(float(f(tf.constant(1.0))))",
        env={"TF_CPP_MIN_LOG_LEVEL": None},
        stdout=("2.0",),
        tf_log=True,  # 2.21: none in either (before: XLA's INFO lines under watch)
        report=_one_trace,
    ),
    "logging configured before import tensorflow": Case(
        "import logging\n"
        "logging.basicConfig()\n"
        "import tensorflow as tf\n"
        "tf.get_logger().warning('from tensorflow')",
        stderr=("WARNING:tensorflow:from tensorflow",),  # once (before: twice under watch)
    ),
    "warnings filters before and after import tensorflow": Case(
        "import warnings\n"
        "print('before', len(warnings.filters))\n"
        "import tensorflow\n"
        "print('after', len(warnings.filters))",
    ),
    "the program profiles before XLA is used": Case(
        "import tempfile\n"
        "import tensorflow as tf\n"
        "f = tf.function(lambda x: x * 2, jit_compile=True)\n"
        "with tf.profiler.experimental.Profile(tempfile.mkdtemp(dir='.')):\n"
        "    print(float(f(tf.constant(1.0))))\n"
        "print(float(f(tf.constant(2.0))))",
        watch=("--compiles",),
        stdout=("2.0", "4.0"),
        report=_stopped_at_programs_start,
    ),
}

#: TensorFlow's start-up log, on stderr of any program that imports it.
_TF_NOISE = re.compile(
    r"^(WARNING: All log messages before absl|[IWE]\d{4} |To enable the following|"
    r".*(cpu_feature_guard|oneDNN custom operations|rebuild TensorFlow))"
)


#: A C++ log line's level and source file (``I0000 00:00:17.1 123 service.cc:153] ...``,
#: or 2.16's ``2026-12-06 08:58:31.6: I tensorflow/.../service.cc:145] ...``).
_LOG_LINE = re.compile(
    r"^(?:([IWE])\d{4} [\d:.]+ +\d+ |[\d-]+ [\d:.]+: ([IWE]) \S*?)([\w.]+):\d+\] "
)
_START_UP_SOURCES = {"port.cc", "cpu_feature_guard.cc"}


def _tf_log(stderr: str) -> list[str]:
    """The C++ log lines' levels and files, in order, TensorFlow's start-up aside."""
    found = []
    for line in stderr.splitlines():
        match = _LOG_LINE.match(line)
        if match and match[3] not in _START_UP_SOURCES:
            found.append(f"{match[1] or match[2]} {match[3]}")
    return found


def _program_stderr(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(
        line for line in lines if not line.startswith("graphlab") and not _TF_NOISE.match(line)
    )


def _run(name: str, case: Case, folder: Path) -> dict[str, Any]:
    for relative, text in case.files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(textwrap.dedent(text))
    if not case.module and case.source:
        (folder / case.path).write_text(case.source)
    target = ["-m", case.module] if case.module else [case.path]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    env = {**env, **{k: v for k, v in case.env.items() if v is not None}}
    env = {k: v for k, v in env.items() if case.env.get(k, "") is not None}
    results: dict[str, Any] = {}
    for how, command in (
        ("plain", [sys.executable, *target, *case.args]),
        (
            "watch",
            [
                sys.executable,
                "-m",
                "graphlab",
                "watch",
                "--format",
                "json",
                "-o",
                "report.json",
                *case.watch,
                *target,
                *case.args,
            ],
        ),
    ):
        tmp = folder / f"tmp-{how}"
        tmp.mkdir()
        done = subprocess.run(
            command,
            cwd=folder,
            env={**env, "TMPDIR": str(tmp)},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        code = done.returncode
        results[how] = {
            "code": 130 if code == -2 else code,  # the shell's number for "ended by SIGINT"
            "stdout": done.stdout,
            "stderr": _program_stderr(done.stderr),
            "raw_stderr": done.stderr,
            "left": sorted(p.name for p in tmp.iterdir() if p.name.startswith("graphlab")),
        }
    report = folder / "report.json"
    results["report"] = json.loads(report.read_text()) if report.exists() else None
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every case, run plain and under watch (four programs at a time)."""
    folders = {}
    for index, name in enumerate(CASES):
        folders[name] = tmp_path_factory.mktemp(f"case{index}")
    with ThreadPoolExecutor(4) as pool:
        futures = {name: pool.submit(_run, name, CASES[name], folders[name]) for name in CASES}
        return {name: future.result() for name, future in futures.items()}


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", list(CASES))
def test_watched_program_behaves_as_plain(name: str, runs: dict[str, dict[str, Any]]) -> None:
    case, result = CASES[name], runs[name]
    plain, watched = result["plain"], result["watch"]
    context = (
        f"\n--- plain stderr:\n{plain['raw_stderr']}\n--- watch stderr:\n{watched['raw_stderr']}"
    )
    assert plain["code"] == case.code, context
    assert watched["code"] == plain["code"], context
    assert watched["stdout"] == plain["stdout"], context
    assert watched["stderr"] == plain["stderr"], context
    for line in case.stdout:
        assert line in plain["stdout"].splitlines(), (line, plain["stdout"])
    for text in case.stderr:
        assert text in plain["stderr"], (text, plain["stderr"])
    if case.tf_log:
        assert _tf_log(watched["raw_stderr"]) == _tf_log(plain["raw_stderr"]), context
    assert "internal error" not in watched["raw_stderr"]
    assert watched["raw_stderr"].count("graphlab: trace report written to report.json") == 1
    assert watched["left"] == [], f"graphlab left {watched['left']} in TMPDIR"
    assert result["report"] is not None, context  # the report is written in every case
    if case.report is not None:
        case.report(result["report"])
