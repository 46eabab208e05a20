"""Record the golden text reports of real programs, or check them.

    .venv/bin/python tools/text_goldens.py           # run the programs, record it all again
    .venv/bin/python tools/text_goldens.py --render  # only the text, from the recorded JSON
    .venv/bin/python tools/text_goldens.py --check   # what tests/test_text_goldens.py checks

Record again after anything that changes what the programs' reports hold (an advice's
wording, a new field); ``--render`` is enough after a change of layout alone.

For each program of tests/corpus/ named in :data:`PROGRAMS` (the seed chapter, a Keras
fit with validation, TensorFlow's intro-to-graphs guide) it runs ``graphlab watch``,
``graphlab inspect`` and ``graphlab bench`` with ``--format json`` (from
tests/corpus/, so that the program's paths are relative), normalises what varies from
run to run (every timing, peak memory, the machine's cores; see :func:`normalise_watch`
and :func:`normalise_bench`), and writes

- ``tests/data/golden/NAME.{watch,inspect,bench}.json``: the normalised records, and
- ``tests/data/golden/NAME.{watch,inspect,bench}.{80,120}.txt``: their text reports
  rendered at 80 and 120 columns, as the CLI renders them.

The test renders the recorded JSON again and compares it with the text; it checks the
text's layout too (:func:`layout_problems`: no line over the width, every function name
and ``file:line`` whole on one line). Read the text files after recording: they are
what a user sees.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
GOLDEN = ROOT / "tests" / "data" / "golden"
WIDTHS = (80, 120)
KINDS = ("watch", "inspect", "bench")

#: name -> (program, inspect arguments, bench arguments) run from tests/corpus/.
PROGRAMS: dict[str, tuple[str, list[str], list[str]]] = {
    "seed_chapter": (
        "seed_chapter.py",
        ["seed_chapter.py:tf_cube", "--arg", "f32[]", "--then", "--arg", "f32[2,2]", "--diff",
         "--ops", "--lines", "--code"],
        ["seed_chapter.py:cube", "--arg", "f32[200,200]"],
    ),
    "keras_fit_validation": (
        "keras_fit_validation.py",
        ["keras_fit_validation.py:forward", "--arg", "f32[16,8]", "--signatures", "--ops",
         "--lines", "--captures"],
        ["keras_fit_validation.py:forward", "--arg", "f32[16,8]"],
    ),
    "intro_to_graphs": (
        "intro_to_graphs.py",
        ["intro_to_graphs.py:simple_relu", "--arg", "i32[]", "--ops", "--lines", "--code"],
        ["intro_to_graphs.py:power", "--arg", "i32[10,10]", "--arg", "100"],
    ),
}  # fmt: skip


def _graphlab(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": str(columns)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run(
        [sys.executable, "-m", "graphlab", *args],
        capture_output=True,
        text=True,
        cwd=CORPUS,
        env=env,
        timeout=600,
    )
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise RuntimeError(f"graphlab {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


def record(name: str) -> dict[str, tuple[dict[str, Any], str]]:
    """Run the three commands on program ``name``: ``kind -> (normalised JSON, the
    command's stderr)`` (watch's stderr holds its live warnings, at 80 columns)."""
    program, inspect_args, bench_args = PROGRAMS[name]
    out: dict[str, tuple[dict[str, Any], str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, args in (
            ("watch", ["watch", "-o", f"{folder}/watch.json", program]),
            ("inspect", ["inspect", *inspect_args, "--format", "json", "-o", f"{folder}/i.json"]),
            ("bench", ["bench", *bench_args, "--max-time", "0.05", "-o", f"{folder}/b.json"]),
        ):
            done = _graphlab(*args)
            path = args[args.index("-o") + 1]
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            out[kind] = (NORMALISE[kind](data), done.stderr)
    return out


def normalise_watch(data: dict[str, Any]) -> dict[str, Any]:
    """Every tracing time 1.0 ms a trace, timestamps from 0, the memory section out."""
    for index, event in enumerate(data["events"]):
        event["duration_ms"] = 1.0
        event["timestamp"] = float(index)
        event["cause"].pop("message", None)
    for summary in data["summary"]:
        summary["total_tracing_ms"] = float(summary["traces"])
    data.pop("memory", None)
    from graphlab.tracing.records import TraceReport

    return TraceReport.from_dict(data).to_dict()


def normalise_inspect(data: dict[str, Any]) -> dict[str, Any]:
    """An inspection has no timings; it is kept as it is."""
    return data


#: Steady-state seconds per call of each mode (normalised bench records).
_MODE_SECONDS = {"eager": 2.0e-3, "graph": 5.0e-4, "xla": 4.0e-4, "concrete": 4.5e-4}


def normalise_bench(data: dict[str, Any]) -> dict[str, Any]:
    """Every mode timed in the same 8 interleaved blocks of one call, a little noise
    that repeats, fixed first calls and overhead floor; no peak memory, no machine
    details. The figures derived from them are computed again (:class:`Comparison`)."""
    from graphlab.bench.records import Comparison

    for index, row in enumerate(data["rows"]):
        if not row.get("block_times_s"):
            continue
        seconds = _MODE_SECONDS.get(row["mode"], 1e-3)
        row.update(
            block_times_s=[seconds * (1 + 0.02 * ((k * 7 + index) % 5)) for k in range(8)],
            block_calls=[1] * 8,
            block_rounds=list(range(8)),
            block_processes=[0] * 8,
            first_call_ms=20.0 * (index + 1),
            second_call_ms=seconds * 1e3,
            tracing_ms=10.0 * (index + 1),
            stop_reason="time budget, 8 rounds interleaved",
            metadata={},
        )
    if data.get("floor"):
        data["floor"] = {"function_call_us": 50.0, "eager_op_us": 10.0}
    meta = data.get("metadata", {})
    for key in ("intra_op_threads", "inter_op_threads"):
        if key in meta:
            meta[key] = re.sub(r"\d+ cores?", "N cores", str(meta[key]))
    meta.update({k: "-" for k in ("cpu_count", "python", "platform", "date") if k in meta})
    return Comparison.from_dict(data).to_dict()


NORMALISE = {"watch": normalise_watch, "inspect": normalise_inspect, "bench": normalise_bench}


def render(kind: str, data: dict[str, Any], width: int) -> str:
    """The text report of a recorded (normalised) JSON, as the CLI renders it."""
    if kind == "watch":
        from graphlab.tracing import render as traces
        from graphlab.tracing.records import TraceReport

        return traces.render(TraceReport.from_dict(data), "text", width=width)
    if kind == "inspect":
        from graphlab.graphs import render as graphs
        from graphlab.graphs.records import Inspection

        sections = _inspect_sections(data)
        return graphs.render(Inspection.from_dict(data), "text", sections=sections, width=width)
    from graphlab.bench import render as bench
    from graphlab.bench.records import Comparison

    return bench.render(Comparison.from_dict(data), "text", width=width)


def _inspect_sections(data: dict[str, Any]) -> list[str]:
    name = next(n for n, (_, args, _) in PROGRAMS.items() if args[0].endswith(data["function"]))
    flags = PROGRAMS[name][1]
    return [s for s in ("signatures", "ops", "lines", "captures", "code", "diff")
            if f"--{s}" in flags]  # fmt: skip


# ---------------------------------------------------------------------------
# The layout check


def tokens(kind: str, data: dict[str, Any]) -> set[str]:
    """What must stand whole on one line of a report: function names and locations."""
    found: set[str] = set()
    if kind == "watch":
        for event in data["events"]:
            if not event.get("internal"):
                found |= {event["function"], event["call_site"], event["defined_at"]}
    elif kind == "inspect":
        found |= {data["function"], data["defined_at"]}
        for summary in data["concrete_functions"]:
            found |= {line["location"] for line in summary.get("lines", ())}
    else:
        found |= {row["function"] for row in data["rows"]}
    return {t for t in found if t and t != "?"}


def _whole(token: str, lines: list[str]) -> bool:
    if any(token in line for line in lines):
        return True
    tail = token.rsplit("/", 1)[-1]
    shortened = re.compile(r"\.\.\./(?:\S+/)?" + re.escape(tail))
    return "/" in token and any(shortened.search(line) for line in lines)


def layout_problems(text: str, width: int, whole: set[str]) -> list[str]:
    """Lines over ``width`` columns and tokens of ``whole`` split across lines (a
    ``file:line`` may be shortened from the left to ``.../dir/file.py:12``)."""
    lines = text.splitlines()
    problems = [f"over {width} columns: {line!r}" for line in lines if len(line) > width]
    problems += [f"a no-break space left in: {line!r}" for line in lines if "\u00a0" in line]
    problems += [f"not whole on one line: {t!r}" for t in sorted(whole) if not _whole(t, lines)]
    return problems


def golden_path(name: str, kind: str, suffix: str) -> Path:
    return GOLDEN / f"{name}.{kind}.{suffix}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument(
        "--render", action="store_true", help="write the text from the recorded JSON only"
    )
    parser.add_argument("names", nargs="*", default=list(PROGRAMS), help="programs to record")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    failures = 0
    for name in args.names:
        if args.check or args.render:
            records = {k: (json.loads(golden_path(name, k, "json").read_text()), "") for k in KINDS}
        else:
            records = record(name)
        for kind, (data, _) in records.items():
            if not args.check and not args.render:
                GOLDEN.mkdir(parents=True, exist_ok=True)
                text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
                golden_path(name, kind, "json").write_text(text, encoding="utf-8")
            for width in WIDTHS:
                text = render(kind, data, width)
                path = golden_path(name, kind, f"{width}.txt")
                for problem in layout_problems(text, width, tokens(kind, data)):
                    print(f"{path.name}: {problem}")
                    failures += 1
                if args.check:
                    if path.read_text(encoding="utf-8") != text:
                        print(f"{path.name}: differs from the rendering of its JSON")
                        failures += 1
                else:
                    path.write_text(text, encoding="utf-8")
                    print(f"wrote {path.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
