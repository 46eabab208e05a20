"""Real programs under `python -m graphlab watch`, each with its expected report: the
seed chapter's "TensorFlow Functions and Graphs" section (tests/corpus/seed_chapter.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


def watch_json(script: Path, tmp_path: Path) -> dict:
    out = tmp_path / "report.json"
    watch = [sys.executable, "-m", "graphlab", "watch", "--memory"]
    result = subprocess.run(
        [*watch, "--format", "json", "-o", str(out), str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "triggered tf.function retracing" not in result.stderr  # TF's warning held back
    return json.loads(out.read_text())


def test_seed_chapter_section_reads_as_the_book_tells_it(tmp_path):
    report = watch_json(CORPUS / "seed_chapter.py", tmp_path)
    user = [e for e in report["events"] if not e["internal"]]
    where = "tests/corpus/seed_chapter.py"

    # tf_cube: the book's five traces, its print seen at every one of them.
    cube = [e for e in user if e["function"] == "tf_cube"]
    assert [e["cause"]["message"].split(": ", 1)[1].split(";")[0] for e in cube] == [
        "first call",
        "x changed type tensor float32[] -> Python int 2",
        "x changed Python value 2 -> 3",
        "x changed shape () -> (1, 2)",
        "x changed shape (1, 2) -> (2, 2)",
    ]
    assert all(
        [(s["kind"], s["where"]) for s in e["side_effects"]] == [("print", f"{where}:28")]
        for e in cube
    )
    # shrink traces once for both batches (input_signature), printing while it traces.
    (shrink,) = [e for e in user if e["function"] == "shrink"]
    assert [(s["kind"], s["where"]) for s in shrink["side_effects"]] == [("print", f"{where}:42")]
    # add_10 x3, increment x2, Counter.increment: one expected trace each, no effects.
    for name, traces in (("add_10", 3), ("increment", 3)):
        events = [e for e in user if e["function"] == name]
        assert len(events) == traces and not any(e["actionable"] for e in events)
        assert all(e["side_effects"] == [] for e in events)

    # Keras: fit with validation data, evaluate, predict: nothing avoidable, each of
    # Keras's functions named, and the custom loss/metric/layer/model prints seen.
    keras_events = [e for e in user if e["function"].startswith("MyModel.")]
    assert not [e["cause"]["message"] for e in keras_events if e["actionable"]]
    assert {e["function"] for e in keras_events} == {
        "MyModel.train_function (one_step_on_data)",
        "MyModel.train_function (multi_step_on_iterator)",
        "MyModel.test_function (one_step_on_data)",
        "MyModel.test_function (multi_step_on_iterator)",
        "MyModel.predict_function (one_step_on_data_distributed)",
    }
    train = next(e for e in keras_events if e["function"].endswith("(one_step_on_data)"))
    printed = {s["where"] for s in train["side_effects"] if s["kind"] == "print"}
    lines = (CORPUS / "seed_chapter.py").read_text().splitlines()
    prints = {
        f"{where}:{n}"
        for n, line in enumerate(lines, 1)
        for text in ("my_mse()", "my_mae()", "MyDense.call()", "MyModel.call()")
        if text in line
    }
    assert printed == prints
    # The run_eagerly fit traces nothing of MyModel's (its functions run eagerly).
    assert len([e for e in keras_events if e["function"].endswith("(one_step_on_data)")]) == 3
    assert report["findings"] == []
    assert report["schema"] == "graphlab.tracelog/2"
    # Keras's warm-up (fit, then evaluate, predict and an eager fit late in the run)
    # grows memory in steps: not a leak.
    assert report["memory"]["verdict"] == "stable", report["memory"]["message"]
