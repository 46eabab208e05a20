"""Run every ``python`` block of a docs page, in order, in one namespace.

    cd "$(mktemp -d)"   # it writes <page>.py into the working directory
    python /path/to/tools/run_snippets.py /path/to/docs/tracing.md          # exit 1 on a failure
    python /path/to/tools/run_snippets.py /path/to/docs/tracing.md --show   # print each block's output

The way pyperf runs its documented examples: the tests run this for every page in a
fresh process per page (so one page's tf.functions cannot change another's traces).

- A block after ``<!-- no-run: REASON -->`` is skipped; the reason is required (keep
  them rare: something that cannot run here, such as a GPU).
- A ``text`` block after ``<!-- expect-output -->`` must equal what the ``python`` block
  before it printed, after normalising timings (``14.8 ms``), addresses (``0x7f...``),
  line numbers (``file.py:12``) and runs of spaces.

The blocks are written to ``<page>.py`` in the working directory first, so that
AutoGraph and ``inspect`` can read their source, as they would in a user's file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_docs import code_blocks

_TIMING = re.compile(r"\d+(?:[.,]\d+)*\s?(?:ns|µs|us|ms|s)\b")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_LINE = re.compile(r"(\.py):\d+")


def normalise(text: str) -> str:
    text = _TIMING.sub("<time>", text)
    text = _ADDRESS.sub("0x…", text)
    text = _LINE.sub(r"\1:N", text)
    return "\n".join(re.sub(r"[ \t]+", " ", line).rstrip() for line in text.strip().splitlines())


def run_page(page: Path, show: bool = False) -> list[str]:
    """Run the page's blocks; return the failures (empty: all ran and matched)."""
    markdown = page.read_text(encoding="utf-8")
    blocks = code_blocks(markdown)
    script = Path.cwd() / f"{page.stem}.py"
    # Each python block at its own line range of one script file.
    source_lines: list[str] = []
    placed = []
    for index, block in enumerate(blocks):
        if block["language"] != "python" or block["mark"] == "no-run":
            continue
        placed.append((index, len(source_lines)))
        source_lines += [*block["code"].splitlines(), ""]
    script.write_text("\n".join(source_lines) + "\n", encoding="utf-8")

    failures = []
    namespace: dict = {"__name__": "__main__", "__file__": str(script)}
    offsets = dict(placed)
    for index, block in enumerate(blocks):
        where = f"{page.name}:{block['line']}"
        if block["language"] != "python":
            continue
        if block["mark"] == "no-run":
            if not block["reason"]:
                failures.append(f"{where}: <!-- no-run --> needs a reason (no-run: why)")
            continue
        code = compile("\n" * offsets[index] + block["code"], str(script), "exec")
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output):
                exec(code, namespace)
        except Exception:
            failures.append(f"{where}: the block raised\n{traceback.format_exc()}")
            break
        printed = output.getvalue()
        if show:
            print(f"----- {where}\n{printed}", end="" if printed.endswith("\n") else "\n")
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following and following["mark"] == "expect-output":
            expected, actual = normalise(following["code"]), normalise(printed)
            if expected != actual:
                failures.append(
                    f"{where}: output differs from the block at {page.name}:{following['line']}"
                    f"\n--- documented (normalised)\n{expected}\n--- printed (normalised)\n{actual}"
                )
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--show", action="store_true", help="print each block's output")
    args = parser.parse_args(argv)
    failures = run_page(args.page.resolve(), show=args.show)
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
