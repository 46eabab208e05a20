"""graphlab.function under tf.distribute.MirroredStrategy (two logical CPU devices).

Logical devices can only be configured before TensorFlow initializes, so the check
runs in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent / "data" / "mirrored_script.py"


def test_mirrored_strategy_behaves_like_tf_function():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    step, replicas, keras_fit = lines
    assert step["replicas"] == 2
    assert step["results"] == [step["plain"], step["plain"]] == [[4.0, 8.0], [4.0, 8.0]]
    assert step["traces"] == step["tf_count"] == step["plain_count"] == 1
    assert step["kinds"] == ["first_trace"]
    assert replicas["replica_values"] == [[2.0, 4.0], [2.0, 4.0]]
    assert replicas["watched"], "strategy.run's own function traces are recorded"
    assert not any(actionable for _, _, actionable in replicas["watched"])
    assert keras_fit["actionable"] == []
    assert keras_fit["functions"] == [
        "Sequential.predict_function (one_step_on_data_distributed)",
        "Sequential.test_function (multi_step_on_iterator)",
        "Sequential.test_function (one_step_on_data)",
        "Sequential.train_function (multi_step_on_iterator)",
        "Sequential.train_function (one_step_on_data)",
    ]
