"""What ``graphlab watch --verify-advice`` costs: the figure for issue 21.

Run: ``.venv/bin/python benchmarks/bench_verify_advice.py [--rounds N]``

``--verify-advice`` runs the program once more per function whose advice it verifies,
so the expected cost is ``1 + fixed functions`` times the plain watch, TensorFlow's
start-up included in each run. Each round starts ``graphlab watch PROGRAM`` and
``graphlab watch --verify-advice PROGRAM`` as fresh processes, alternated (plain first
in even rounds, verified first in odd ones) so that drift hits both alike, and times
their wall clock. Per program: the median of the per-round ratios, and the cost of one
re-run relative to the plain run, ``(verified - plain) / (plain x fixed functions)``.

Programs (tests/advice_corpus): the intro-to-graphs guide's my_relu (1 fixed
function), keras-io's custom training loop (2) and the distributed custom-training
tutorial (2).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "advice_corpus"
PROGRAMS = {
    "intro_to_graphs_relu.py": 1,
    "keras_custom_training_loop.py": 2,
    "distributed_custom_training.py": 2,
}


def _run(program: str, verify: bool) -> float:
    command = [sys.executable, "-m", "graphlab", "watch"]
    command += ["--verify-advice"] if verify else []
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(
        [*command, program], cwd=CORPUS, env=env, capture_output=True, text=True, timeout=900
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or (verify and "verified: traces" not in done.stderr):
        raise SystemExit(f"{program} (verify={verify}) failed:\n{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'program':32} {'fixed':>5} {'plain s':>8} {'verify s':>9} {'ratio':>6} {'per re-run':>10}"
    )
    for program, fixed in PROGRAMS.items():
        plain, verified, ratios = [], [], []
        for round_ in range(args.rounds):
            order = (False, True) if round_ % 2 == 0 else (True, False)
            times = {flag: _run(program, flag) for flag in order}
            plain.append(times[False])
            verified.append(times[True])
            ratios.append(times[True] / times[False])
        p, v = statistics.median(plain), statistics.median(verified)
        ratio = statistics.median(ratios)
        print(
            f"{program:32} {fixed:5d} {p:8.1f} {v:9.1f} {ratio:5.2f}x {(ratio - 1) / fixed:9.2f}x",
            flush=True,
        )
    print(f"({args.rounds} rounds per program, medians; each run a fresh process)")


if __name__ == "__main__":
    main()
