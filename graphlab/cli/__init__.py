"""The command line: ``graphlab COMMAND`` / ``python -m graphlab COMMAND``.

:mod:`~graphlab.cli.main` builds the parser and dispatches; each command lives in its
own module (:mod:`~graphlab.cli.watch`, :mod:`~graphlab.cli.inspect`,
:mod:`~graphlab.cli.bench`, :mod:`~graphlab.cli.compare_runs`, :mod:`~graphlab.cli.demo`).
"""

from graphlab.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
