"""Running graphlab's set-up at the moment a program imports TensorFlow, not before.

What TensorFlow decides when it is imported is decided from the process as it is then:
its C++ log level (``TF_CPP_MIN_LOG_LEVEL``, which programs often set just before
``import tensorflow``), whether its logger gets a handler of its own (not when the root
logger has one), the ``warnings`` filters it adds. ``graphlab watch`` runs a program in
its own process; importing TensorFlow before the program would decide all of that
before the program had its say. :func:`on_import` instead lets the program's own
``import tensorflow`` (or Keras's) load it, then runs graphlab's set-up (the watch's
hooks) before the import returns, so the program's first ``tf.function`` is already
watched.

No TensorFlow here: this module is what keeps it from being imported early.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from graphlab import _stderr

PACKAGE = "tensorflow"


class _Loader(importlib.abc.Loader):
    """TensorFlow's own loader, then ``then``; the module keeps the real loader."""

    def __init__(self, real: Any, then: Callable[[], None]) -> None:
        self.real = real
        self.then = then

    def create_module(self, spec: Any) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.real  # what TensorFlow and importlib.resources see
        if module.__spec__ is not None:
            module.__spec__.loader = self.real
        with _start_up_held_back():
            self.real.exec_module(module)
        self.then()


class _Finder(importlib.abc.MetaPathFinder):
    """Finds TensorFlow as the rest of ``sys.meta_path`` does, with :class:`_Loader`."""

    def __init__(self, then: Callable[[], None]) -> None:
        self.then = then
        #: What ``then`` raised: kept, not raised into the program's import statement.
        self.error: Exception | None = None
        self._finding = False
        self._done = False

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != PACKAGE or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Loader(spec.loader, self._once)
        return spec

    def _once(self) -> None:
        remove(self)
        if self._done:  # another spec found earlier (a find_spec probe), loaded later
            return
        self._done = True
        try:
            self.then()
        except Exception as error:  # the program goes on as it would without graphlab
            self.error = error


def on_import(then: Callable[[], None]) -> _Finder | None:
    """Run ``then`` right after the next import of TensorFlow completes (before the
    importing statement returns); return the hook (for :func:`remove`; what ``then``
    raised is its ``error``). When TensorFlow is already imported, run ``then`` now
    (what it raises, it raises here) and return None."""
    if PACKAGE in sys.modules:
        then()
        return None
    finder = _Finder(then)
    sys.meta_path.insert(0, finder)
    return finder


def remove(finder: _Finder | None) -> None:
    """Take the hook out of ``sys.meta_path`` (nothing if it is out already)."""
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(finder)


@contextlib.contextmanager
def _start_up_held_back(hold: bool | None = None) -> Iterator[None]:
    """TensorFlow's start-up lines (absl's notice, oneDNN, CPU features) held back while
    it loads. ``hold`` None: unless ``TF_CPP_MIN_LOG_LEVEL`` is set then (whoever set it
    asked for TensorFlow's own logging). Nothing is held while other threads run
    (:func:`graphlab._stderr.held_back`): then the lines are printed as under python."""
    if hold is None:
        hold = "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    if not hold:
        yield
        return
    with _stderr.held_back(_stderr.TF_START_UP):
        yield


def check_installed() -> None:
    """ModuleNotFoundError (``name="tensorflow"``: the CLI says which extra to install)
    when TensorFlow cannot be imported, found without importing it."""
    if PACKAGE not in sys.modules and importlib.util.find_spec(PACKAGE) is None:
        raise ModuleNotFoundError(f"No module named {PACKAGE!r}", name=PACKAGE)


def import_quietly(*, hold: bool | None = None) -> None:
    """``import tensorflow``, its start-up lines held back as above (``hold`` True: also
    when the level is set, by graphlab itself); an ImportError is the caller's to
    report."""
    if PACKAGE in sys.modules:
        return
    with _start_up_held_back(hold):
        importlib.import_module(PACKAGE)
