"""watch run in a process that goes on (``main([...])`` from Python, the API): the
program's threads are waited for, and the host process is left as it was: its thread
pools still take work and its main thread is alive (the interpreter's exit hooks, which
the command line runs as python does at exit, must not run here)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from graphlab.cli.main import main

PROGRAM = """\
import threading, time
from concurrent.futures import ThreadPoolExecutor

pool = ThreadPoolExecutor(2)  # left open, as programs do
print("pool says", pool.submit(lambda: 7).result())

def late():
    time.sleep(0.3)
    print("late thread done", flush=True)

threading.Thread(target=late).start()  # non-daemon: outlives the script's body
"""


def test_watch_in_process_waits_for_the_programs_threads_and_leaves_the_host_as_it_was(
    tmp_path, capsys
):
    script = tmp_path / "threads.py"
    script.write_text(PROGRAM)
    assert main(["watch", "--format", "json", "-o", str(tmp_path / "r.json"), str(script)]) == 0
    out = capsys.readouterr().out
    assert "pool says 7" in out
    assert "late thread done" in out  # waited for before the report
    assert (tmp_path / "r.json").exists()
    with ThreadPoolExecutor(1) as pool:  # the host's pools still take work
        assert pool.submit(lambda: 5).result(timeout=10) == 5
    assert threading.main_thread().is_alive()
