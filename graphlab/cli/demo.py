"""``graphlab demo``: the seed chapter's examples, and what graphlab sees in them."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graphlab.cli._common import EXIT_OK

#: Formats the demo prints in.
FORMATS = ("text", "md", "json")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "demo",
        help="walk through the seed chapter's examples and print what graphlab sees",
        description="A bundled walkthrough: tf_cube's traces and why each happened.",
    )
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from graphlab.demo import walkthrough

    sys.stdout.write(walkthrough.run(args.format))
    return EXIT_OK
