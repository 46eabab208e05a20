"""graphlab._workers: no worker outlives its parent, however the parent ends, and no
scratch folder stays behind; what cannot reach a worker is refused before any starts;
bad targets with --processes are a one-line usage error in the parent.

Real processes on this machine, bounded in time; every process started is ended."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import ROOT, alive, child_pids, is_worker, run_cli, survivors

from graphlab import inputs
from graphlab._workers import parent
from graphlab._workers.records import Request, RequestError
from graphlab.bench.settings import BenchSettings

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SLOW_SCRIPT = """
import time

def slow():
    time.sleep(120)
    return 1.0
"""


def _env(tmp_path: Path) -> dict[str, str]:
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    return {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": ROOT,
        "TMPDIR": str(scratch),
    }


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize("isolation", [["--processes", "2"], ["--isolate"]])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGINT])
def test_killing_bench_leaves_no_worker_and_no_scratch_folder(tmp_path, isolation, sig):
    (tmp_path / "slow.py").write_text(SLOW_SCRIPT)
    env = _env(tmp_path)
    command = [sys.executable, "-m", "graphlab", "bench", "slow.py:slow", "--modes", "eager"]
    bench = subprocess.Popen(
        [*command, *isolation],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the signal reaches the parent only, as kill PID does
    )
    started: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and bench.poll() is None:
            started = [p for p in child_pids(bench.pid) if alive(p)]
            if any(is_worker(p) for p in started):
                break
            time.sleep(0.1)
        assert any(is_worker(p) for p in started), f"no worker started ({bench.poll()})"
        time.sleep(1.0)  # the worker imports TensorFlow, or waits in slow()
        started = [p for p in child_pids(bench.pid) if alive(p)]
        scratch = [p.name for p in (tmp_path / "tmp").iterdir()]
        assert [n for n in scratch if n.startswith("graphlab-workers-")], scratch
        bench.send_signal(sig)
        bench.wait(timeout=20)
        deadline = time.monotonic() + 5
        assert not survivors(started, 5), "a process outlived bench"
        while list((tmp_path / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list((tmp_path / "tmp").iterdir()) == []
    finally:
        for pid in [bench.pid, *started]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        bench.wait(timeout=10)


def test_bad_targets_with_processes_are_one_line_usage_errors_before_any_worker(
    tmp_path, monkeypatch, capsys
):
    from graphlab.cli.main import main

    def no_worker(*args, **kwargs):
        raise AssertionError("a worker was started")

    monkeypatch.setattr(parent.Workers, "start", no_worker)
    (tmp_path / "two.py").write_text("def f(x, y=2):\n    return x\n")
    cases = [
        (["nosuch.py:f"], "no such file: 'nosuch.py'"),
        (["no_such_module_xyz:f"], "no module named 'no_such_module_xyz'"),
        ([f"{tmp_path}/two.py:g"], "has no attribute 'g' (it has: f)"),
        ([f"{tmp_path}/two.py:f", "--arg", "1", "--arg", "2", "--arg", "3"], "f(x, y=2): too many"),
        ([f"{tmp_path}/two.py:f"], "missing a required argument: 'x'"),
        (["graphlab.examples:cube", "--arg", "f32[2", "--isolate"], "cannot read"),
    ]
    for argv, message in cases:
        assert main(["bench", *argv, "--processes", "2"]) == 2
        err = capsys.readouterr().err
        assert message in err, err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_the_parent_leaves_what_the_source_cannot_tell_to_the_workers(tmp_path):
    from graphlab.bench import preflight

    (tmp_path / "dyn.py").write_text(
        "import functools\nimport tensorflow as tf\n\n\n"
        "def add_arg(fn):\n    @functools.wraps(fn)\n"
        "    def wrapper(x, y):\n        return fn(x) + y\n    return wrapper\n\n\n"
        "@add_arg\ndef two(x):\n    return x\n\n\n"
        "@tf.function(reduce_retracing=True)\ndef one(x):\n    return x\n"
    )
    (tmp_path / "lazy.py").write_text("def __getattr__(name):\n    return lambda x: x\n")
    target = str(tmp_path / "dyn.py")
    preflight.check_target(f"{target}:two", [1, 2], {})  # the decorator takes two
    preflight.check_target(f"{tmp_path / 'lazy.py'}:made_on_demand", [1], {})  # PEP 562
    with pytest.raises(inputs.InputError, match=r"one\(x\): too many positional"):
        preflight.check_target(f"{target}:one", [1, 2], {})  # tf.function keeps x alone


def test_bad_target_with_processes_exits_2_in_one_line():
    done = run_cli("module", "bench", "nosuch.py:f", "--processes", "2", timeout=120)
    assert done.returncode == 2
    assert done.stderr == "graphlab bench: error: no such file: 'nosuch.py'\n"


def test_threads_are_bounded_and_timeout_checked():
    done = run_cli("module", "bench", "graphlab.examples:cube", "--threads", "100000,100000")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "--threads must be two ints from 0" in done.stderr
    done = run_cli("module", "bench", "graphlab.examples:cube", "--isolate", "--timeout", "0")
    assert done.returncode == 2 and "--timeout must be > 0" in done.stderr
    done = run_cli("module", "bench", "graphlab.examples:cube", "--timeout", "5")
    assert done.returncode == 2 and "--timeout applies to worker processes" in done.stderr
    with pytest.raises(ValueError, match="threads must be two ints"):
        BenchSettings(threads=(1, 10**6))
    with pytest.raises(ValueError, match="timeout must be"):
        BenchSettings(timeout=float("nan"))


def test_settings_and_requests_survive_their_dicts():
    settings = BenchSettings(modes=("eager", "graph"), max_time=0.5, threads=(2, 1), timeout=9)
    assert BenchSettings.from_dict(settings.to_dict()) == settings
    assert settings.worker_timeout() == 9
    request = Request(
        "m:f", settings.to_dict(), "/r.json", 1, ("a",), "s.py", "", timeout=3.0, rank=1
    )
    assert Request.from_dict(request.to_dict()) == request
    with pytest.raises(RequestError, match="schema"):
        Request.from_dict({**request.to_dict(), "schema": "graphlab.worker_request/0"})
    with pytest.raises(RequestError, match="module:function"):
        Request("nofunction", {}, "/r.json", 1)


def test_a_worker_timing_out_is_killed_and_named(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    (tmp_path / "hang.py").write_text("import time\n\ndef run(payload):\n    time.sleep(60)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with parent.Workers() as workers:
        child = workers.start("hang:run", {})
        with pytest.raises(parent.WorkerError, match=r"timed out after 1 s \(worker\(s\) 0"):
            workers.wait([child], timeout=1.0)
        assert child.timed_out and child.process.poll() is not None
        folder = workers.folder
    assert not os.path.exists(folder)


def test_a_worker_s_temporary_files_go_with_the_scratch_folder(tmp_path, monkeypatch):
    # AutoGraph writes its generated modules to the temp folder; a killed worker's stay
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    task = "import json, tempfile\n\ndef run(payload):\n    return json.dumps(tempfile.mkdtemp())\n"
    (tmp_path / "tmptask.py").write_text(task)
    monkeypatch.syspath_prepend(str(tmp_path))
    with parent.Workers() as workers:
        child = workers.start("tmptask:run", {})
        workers.wait([child], timeout=60)
        made = json.loads(child.result_text())
        assert made.startswith(workers.folder + os.sep) and os.path.isdir(made)
    assert not os.path.exists(made)
    assert os.listdir(tmp_path) == ["tmptask.py"] or set(os.listdir(tmp_path)) == {
        "tmptask.py",
        "__pycache__",
    }


def test_the_child_imports_the_script_without_running_its_main_block(tmp_path):
    """By path (``python script.py``) and by name (``python -m pkg.app``: relative
    imports work), as multiprocessing's spawn does."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text("VALUE = 42\n")
    app = "from .util import VALUE\n\nif __name__ == '__main__':\n    print('guard ran')\n"
    (tmp_path / "pkg" / "app.py").write_text(app)
    (tmp_path / "script.py").write_text(
        "VALUE = 7\n\nif __name__ == '__main__':\n    print('guard ran')\n"
    )
    code = (
        "import sys\n"
        "from graphlab._workers.child import import_main\n"
        "import_main(*sys.argv[1:])\n"
        "main = sys.modules['__main__']\n"
        "print(main.VALUE, main.__name__, sys.modules['__mp_main__'] is main)\n"
    )
    for args, value in (([str(tmp_path / "script.py")], "7"), (["", "pkg.app"], "42")):
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=tmp_path,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{value} __mp_main__ True\n"


COMPARE_SCRIPT = """
import sys, threading
import graphlab
import graphlab._workers.parent as workers_parent
from graphlab.bench.modes import CompareError
from helper import Scaler, scaled


class Scale:
    def __init__(self, k):
        self.k = k

    def apply(self, x):
        return x * self.k


class Locked(Scale):
    def __init__(self, k):
        super().__init__(k)
        self.lock = threading.Lock()


FAST = dict(modes="eager", processes=2, max_time=0.05)

if __name__ == "__main__":
    def guarded(x):
        return x

    def refused(*args, **kwargs):
        try:
            graphlab.compare(*args, **kwargs, **FAST)
        except CompareError as error:
            return str(error)
        return "not refused"

    start = workers_parent.Workers.start
    def no_worker(*args, **kwargs):
        raise AssertionError("a worker started")
    workers_parent.Workers.start = no_worker
    print("nested:", refused(guarded, 1.0))
    print("lock:", refused(Locked(2.0).apply, 1.0))
    print("lambda:", refused(lambda x: x, 1.0))
    workers_parent.Workers.start = start
    for name, fn, args in [
        ("script class", scaled, (1.5, Scale(2.0))),
        ("helper's bound method", Scaler(3.0).apply, (1.5,)),
    ]:
        result = graphlab.compare(fn, *args, **FAST)
        print(name + ":", [r.ok for r in result.rows], result.rows[0].error)
"""


HELPER = """
def scaled(x, scale):
    return scale.apply(x)


class Scaler:
    def __init__(self, k):
        self.k = k

    def apply(self, x):
        return x * self.k
"""


@pytest.mark.slow
def test_compare_processes_sends_what_it_can_and_refuses_the_rest_up_front(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "helper.py").write_text(HELPER)
    (folder / "script.py").write_text(COMPARE_SCRIPT)
    # run from elsewhere: the workers find helper.py through the parent's sys.path (the
    # bound method's module), or by importing the script (its class Scale)
    done = subprocess.run(
        [sys.executable, str(folder / "script.py")],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    said = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert "defined under `if __name__" in said["nested"]
    assert "cannot be pickled" in said["lock"]
    assert "fn is a lambda" in said["lambda"]
    for name in ("script class", "helper's bound method"):
        assert said[name].strip() == "[True]", (name, said[name])
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_script_without_a_main_guard_is_refused_before_any_worker(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            """
            import graphlab
            import graphlab._workers.parent as workers_parent

            def no_worker(*args, **kwargs):
                raise AssertionError("a worker started")

            workers_parent.Workers.start = no_worker

            def f(x):
                return x

            graphlab.compare(f, 1.0, modes="eager", processes=2)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert done.returncode == 1
    assert "CompareError" in done.stderr and "AssertionError" not in done.stderr
    assert 'outside `if __name__ == "__main__":`' in done.stderr
