"""``graphlab compare-runs OLD NEW``: two saved bench runs side by side, with a CI gate."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from graphlab.bench.render import DIFF_FORMATS
from graphlab.bench.runs import save_path
from graphlab.cli._common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    check_finite,
    check_writable,
    pick_format,
    write_output,
)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "compare-runs",
        help="compare two saved bench runs (ratios, significance, a CI gate)",
        description="Compare two runs saved with `bench --save` (or --format json): time "
        "ratio and Mann-Whitney p-value per row, and the change of each speedup vs eager. "
        "Speedups are ratios within a run, so runs from different machines compare.",
    )
    parser.add_argument("old", metavar="OLD", help="old run: a .json file or a --save NAME")
    parser.add_argument("new", metavar="NEW", help="new run: a .json file or a --save NAME")
    parser.add_argument(
        "--fail-if-slower",
        type=float,
        metavar="PCT",
        help="exit 1 if any speedup vs eager dropped by more than PCT percent",
    )
    parser.add_argument("--format", choices=DIFF_FORMATS, help="default: text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from graphlab.bench import render
    from graphlab.bench.runs import diff_runs

    check_finite(args.fail_if_slower, "--fail-if-slower (percent)")
    fmt = pick_format(args.output, args.format, DIFF_FORMATS, "a run comparison")
    check_writable(args.output, "-o")
    old_path, old = _load_run(args.old)
    new_path, new = _load_run(args.new)
    diff = diff_runs(
        old, new, old_label=old_path, new_label=new_path, fail_if_slower=args.fail_if_slower
    )
    write_output(render.render_diff(diff, fmt), args.output)
    return EXIT_FAILURE if diff.failed else EXIT_OK


def _load_run(name: str) -> Any:
    from graphlab.bench.runs import load

    path = name if os.path.exists(name) else save_path(name)
    try:
        return path, load(path)
    except FileNotFoundError:
        raise UsageError(f"no such run: {name!r} (looked for {path})") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not JSON: {error}") from None
    except KeyError as error:
        raise UsageError(f"{path} is not a graphlab comparison: no {error} key") from None
    except (TypeError, ValueError) as error:
        reason = str(error)
        if reason.startswith("not a graphlab"):
            raise UsageError(f"{path} is {reason}") from None
        raise UsageError(f"{path} is not a graphlab comparison: {reason}") from None
