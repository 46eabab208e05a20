"""``graphlab merge-traces R0.json R1.json ...``: the trace reports of several workers
side by side, and the functions that traced differently between ranks."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from graphlab.cli._common import (
    EXIT_OK,
    UsageError,
    add_format_option,
    check_writable,
    pick_format,
    write_output,
)
from graphlab.tracing.render_merge import FORMATS


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "merge-traces",
        help="merge the trace reports of several workers and flag functions whose traces "
        "differ between ranks",
        description="Merge trace reports saved by `watch -o FILE.json` on each worker of a "
        "multi-worker job: every function's traces on every rank, and the functions "
        "traced a different number of times, or for different reasons, on some ranks (a "
        "worker that retraces alone stalls the others at every all-reduce). Functions are "
        "matched by qualified name and definition site. Each report needs its rank "
        "(watch --rank N, or TF_CONFIG); reports without any are numbered in the order given.",
    )
    parser.add_argument("reports", nargs="+", metavar="REPORT", help="trace reports (.json)")
    add_format_option(parser, FORMATS, "report")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--include-internal",
        action="store_true",
        help="show TensorFlow-internal functions (tf.data, initializers) in text/md/html views",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from graphlab.tracing import render_merge
    from graphlab.tracing.merge import MergeError, check_distinct, merge_traces

    fmt = pick_format(args.output, args.format, FORMATS, "a merged trace report")
    check_writable(args.output, "-o")
    try:
        check_distinct(args.reports)
    except MergeError as error:
        raise UsageError(str(error)) from None
    reports = [_load(path) for path in args.reports]
    try:
        merged = merge_traces(reports, sources=args.reports)
    except MergeError as error:
        raise UsageError(str(error)) from None
    if merged.ranks_from_file_order:
        print(
            "graphlab merge-traces: warning: the reports carry no ranks; numbered in the "
            "order given (record them with watch --rank N, or TF_CONFIG)",
            file=sys.stderr,
        )
    if fmt == "html":
        text = render_merge.render_page(merged, include_internal=args.include_internal)
    else:
        text = render_merge.render(merged, fmt, include_internal=args.include_internal)
    write_output(text, args.output)
    return EXIT_OK


def _load(path: str) -> Any:
    from graphlab.tracing.merge import load_report

    try:
        return load_report(path)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; give the .json files watch wrote") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{path} is not JSON ({error}); save reports with watch -o FILE.json"
        ) from None
    except KeyError as error:
        raise UsageError(
            f"{path} is not a complete graphlab trace report: no {error} key"
        ) from None
    except (TypeError, ValueError) as error:
        reason = str(error)
        if reason.startswith("not a graphlab"):
            raise UsageError(f"{path} is {reason}; save reports with watch -o FILE.json") from None
        raise UsageError(f"{path} is not a graphlab trace report: {reason}") from None
