"""``graphlab fix script.py``: the verified fixes of ``watch --verify-advice`` as a diff."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from graphlab import _text
from graphlab.cli._common import UsageError
from graphlab.cli.watch import _held_back, add_program_arguments, program_of


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "fix",
        help="run a program, verify the advice by re-running it, print the fixes as a diff",
        description="Run a program as `graphlab watch --verify-advice` does and print each "
        "verified fix (an input_signature or reduce_retracing=True added to a tf.function) "
        "as a unified diff on stdout; the program's own output and the verification go to "
        "stderr. Only fixes that ran and reduced the traces are printed.",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="apply the diff to the files (each kept as FILE.orig first); refused for a "
        "file that changed since the run started",
    )
    parser.add_argument(
        "--verify-timeout",
        type=float,
        metavar="SECONDS",
        help="seconds each re-run gets (default: 60 plus three times the watched run)",
    )
    add_program_arguments(parser)
    parser.set_defaults(handler=run)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """The program's output goes to stderr: stdout carries the diff only."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run(args: argparse.Namespace) -> int:
    from graphlab.tracing import fix as fixing
    from graphlab.tracing import verify

    target = program_of(args)
    if args.verify_timeout is not None and not 0 < args.verify_timeout < float("inf"):
        raise UsageError(
            f"--verify-timeout must be a positive, finite number of seconds, "
            f"got {args.verify_timeout}"
        )
    # as the run found them: the script now, a module's files when the fix names them
    originals = {} if args.module else {args.script: _read(args.script)}
    started = time.time()
    with _stdout_to_stderr(), _held_back(True):  # no fix printed before it is verified
        result, checked = verify.watch_program(
            target,
            None,
            verify_advice=True,
            timeout=args.verify_timeout,
            process_ends=getattr(args, "process_ends", False),
        )
    print(verify.render(checked, _text.terminal_width(sys.stderr)), file=sys.stderr)
    if result.exit_code:
        print(
            f"graphlab fix: note: the program exited with status {result.exit_code}",
            file=sys.stderr,
        )
    changed: dict[str, str] = {}
    for verification in checked:
        if not verification.verified:
            continue
        fix = verification.fix
        path, _, line = fix.defined_at.rpartition(":")
        name = fix.qualname.rsplit(".", 1)[-1]
        if not os.path.isfile(path) or "site-packages" in path or not line.isdigit():
            print(
                f"graphlab fix: {fix.function}: not in your files ({path}); apply it by hand",
                file=sys.stderr,
            )
            continue
        if args.script and os.path.samefile(path, args.script):
            path = args.script
        if path not in originals:  # another file of the program: unchanged since the start
            if os.stat(path).st_mtime > started:
                print(
                    f"graphlab fix: error: {path} changed during the run; not changed",
                    file=sys.stderr,
                )
                continue
            originals[path] = _read(path)
        try:
            changed[path] = fixing.rewrite(
                changed.get(path, originals[path]), name, int(line), fix.keywords
            )
        except fixing.NotRewritable as error:
            print(f"graphlab fix: {fix.function}: {error}; apply it by hand", file=sys.stderr)
    if not changed:
        print("graphlab fix: nothing to change", file=sys.stderr)
        return 0
    if _changed_since(changed, originals):
        return 1
    for path, text in changed.items():
        sys.stdout.write(fixing.unified_diff(path, originals[path], text))
    sys.stdout.flush()
    if not args.write:
        return 0
    return _write(changed, originals)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _changed_since(changed: dict[str, str], originals: dict[str, str]) -> bool:
    """Says so when a file to fix changed since the run read it (nothing is written)."""
    for path in changed:  # check every file before writing any
        if _read(path) != originals[path]:
            print(
                f"graphlab fix: error: {path} changed since the run started; nothing written "
                "(run graphlab fix again)",
                file=sys.stderr,
            )
            return True
    return False


def _write(changed: dict[str, str], originals: dict[str, str]) -> int:
    if _changed_since(changed, originals):  # again, just before writing
        return 1
    for path, text in changed.items():
        backup = path + ".orig"
        number = 0
        while os.path.exists(backup):
            number += 1
            backup = f"{path}.orig.{number}"
        with open(backup, "w", encoding="utf-8") as handle:
            handle.write(originals[path])
        temporary = f"{path}.graphlab-fix.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
        print(f"graphlab fix: wrote {path} (the original is in {backup})", file=sys.stderr)
    return 0
