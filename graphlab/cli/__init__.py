"""The command line: ``graphlab COMMAND`` / ``python -m graphlab COMMAND``.

:mod:`~graphlab.cli.main` builds the parser and dispatches; each command lives in its
own module (:mod:`~graphlab.cli.watch`, :mod:`~graphlab.cli.inspect`,
:mod:`~graphlab.cli.bench`, :mod:`~graphlab.cli.compare_runs`, :mod:`~graphlab.cli.demo`).

The entry point is ``graphlab.cli.main:main`` (the ``graphlab`` console script and
``python -m graphlab``). This ``__init__`` imports none of its submodules: each command
module imports ``graphlab.cli._common``, which would otherwise run ``cli.main`` and with
it every command first (an import cycle).
"""
