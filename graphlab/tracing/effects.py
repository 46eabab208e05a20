"""Python side effects while a function traces, and the plain values it bakes in.

Two of the first surprises of every tf.function user, observed only while a trace runs
(a steady-state call never reaches this module):

* **Side effects** run once per trace, not once per call: ``print`` (use ``tf.print``),
  Python/NumPy random numbers (frozen into the graph as constants), changes to objects
  from outside the function (``xs.append``, ``d[k] = v``, ``obj.attr = v``) and
  assignments to globals or nonlocals. ``print`` and the random functions are observed
  as they run (a pass-through stand-in is in place for the duration of the trace, for
  the tracing thread only); writes are found by comparing, before and after the trace,
  the outside objects the user's code writes to (:mod:`graphlab.tracing.codescan`).
* **Captured values**: a global, closure variable or attribute (``model.bias``) holding
  a plain Python value that the traced code reads becomes a constant in the graph. Each
  is remembered with a way to read it again; :func:`stale_findings` compares them when
  a report is made.

The code looked at is the user's: the traced function, user functions it reaches
through globals and closures, methods of the objects it is called with, and for the
functions Keras builds around a model, the model's and its layers' own methods.
"""

from __future__ import annotations

import builtins
import sys
import threading
import types
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphlab import _source
from graphlab._text import clip
from graphlab.tracing.codescan import Access, facts_of
from graphlab.tracing.records import Finding, SideEffect

# How much user code one trace looks at (code objects), and how far it follows calls.
_MAX_CODES = 48
_MAX_DEPTH = 3
# Containers compared item by item up to this size (then by length and ends).
_MAX_ITEMS = 1000

_PLAIN = (bool, int, float, complex, str, bytes, type(None))

_RANDOM_FUNCTIONS = (
    "random uniform randint randrange choice choices shuffle sample gauss normalvariate "
    "lognormvariate expovariate betavariate gammavariate triangular vonmisesvariate "
    "paretovariate weibullvariate getrandbits"
).split()
_NUMPY_RANDOM_FUNCTIONS = (
    "rand randn random random_sample ranf sample randint random_integers normal uniform "
    "choice shuffle permutation standard_normal binomial poisson exponential beta gamma "
    "laplace logistic lognormal multinomial multivariate_normal"
).split()

_MISSING = object()

# Where AutoGraph's converted_call lives: it calls functions on behalf of converted code.
_AUTOGRAPH_DIR = "/tensorflow/python/autograph/"


# ---------------------------------------------------------------------------
# Plain values


def is_plain(value: Any) -> bool:
    """Numbers, strings, bools, None, NumPy scalars and short tuples of them."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, tuple):
        return len(value) <= 8 and all(isinstance(v, _PLAIN) for v in value)
    module = type(value).__module__
    return module == "numpy" and getattr(value, "shape", None) == ()


def _static_attr(obj: Any, name: str) -> Any:
    """``obj.name`` read without running properties or ``__getattr__`` (reading it
    again later must not run user code): the instance dict, then plain class values."""
    try:
        instance_dict = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        instance_dict = None
    if isinstance(instance_dict, dict) and name in instance_dict:
        return instance_dict[name]
    for klass in type(obj).__mro__:
        if name in klass.__dict__:
            value = klass.__dict__[name]
            return value if is_plain(value) else _MISSING
    return _MISSING


def _is_framework_object(obj: Any) -> bool:
    """TensorFlow and Keras objects (modules, layers, variables, tensors): their
    attribute writes while tracing are the framework's own bookkeeping."""
    return any(
        (getattr(klass, "__module__", "") or "").startswith(("tensorflow", "keras", "tf_keras"))
        for klass in type(obj).__mro__
    )


def _fingerprint(value: Any) -> Any:
    """A cheap token that changes when a container is changed in place."""
    if isinstance(value, list | bytearray) or type(value).__name__ == "deque":
        items = list(value) if len(value) <= _MAX_ITEMS else [value[0], value[-1]]
        return (len(value), tuple(map(id, items)))
    if isinstance(value, dict):
        if len(value) > _MAX_ITEMS:
            return (len(value),)
        return (len(value), tuple((id(k), id(v)) for k, v in value.items()))
    if isinstance(value, set):
        return (len(value), frozenset(map(id, value)) if len(value) <= _MAX_ITEMS else ())
    return _MISSING


# ---------------------------------------------------------------------------
# Which user code a trace runs


@dataclass(slots=True)
class _Scope:
    """One piece of user code and what its names refer to."""

    code: types.CodeType
    globals: dict[str, Any]
    cells: dict[str, Any]  # free variable -> cell
    locals: dict[str, Any]  # parameter -> the value of this call (only where known)

    def resolve(self, access: Access) -> Any:
        if access.scope == "global":
            value = self.globals.get(access.name, _MISSING)
        elif access.scope == "closure":
            cell = self.cells.get(access.name)
            try:
                value = cell.cell_contents if cell is not None else _MISSING
            except ValueError:
                value = _MISSING
        else:
            value = self.locals.get(access.name, _MISSING)
        for attr in access.attrs:
            if value is _MISSING or isinstance(value, types.ModuleType):
                return _MISSING
            value = _static_attr(value, attr)
        return value

    def reader(self, access: Access) -> Callable[[], Any] | None:
        """A way to read ``access`` again later that keeps nothing alive but the module
        namespace or the closure cell it reads from (objects through a weak reference)."""
        code = self.code
        if access.scope == "global":
            namespace = self.globals
            return lambda: _Scope(code, namespace, {}, {}).resolve(access)
        if access.scope == "closure":
            cell = self.cells.get(access.name)
            if cell is None:
                return None
            return lambda: _Scope(code, {}, {access.name: cell}, {}).resolve(access)
        base = self.locals.get(access.name, _MISSING)
        if base is _MISSING or not access.attrs:
            return None
        try:
            ref = weakref.ref(base)
        except TypeError:
            return None
        return lambda: _resolve_ref(ref, access)

    @property
    def where_file(self) -> str:
        return _source.short_path(self.code.co_filename)


def _resolve_ref(ref: weakref.ref[Any], access: Access) -> Any:
    base = ref()
    if base is None:
        return _MISSING
    for attr in access.attrs:
        if base is _MISSING:
            break
        base = _static_attr(base, attr)
    return base


def _user_function(value: Any) -> types.FunctionType | None:
    function = getattr(value, "__func__", value)
    if isinstance(function, types.FunctionType) and _is_user_code(function.__code__):
        return function
    return None


def _is_user_code(code: types.CodeType) -> bool:
    return not _source.is_framework_file(code.co_filename)


def _scope_of(function: types.FunctionType, arguments: dict[str, Any]) -> _Scope:
    cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
    return _Scope(function.__code__, function.__globals__, cells, arguments)


def _object_methods(obj: Any) -> Iterator[_Scope]:
    """The user-defined methods of ``obj``'s class, bound to it."""
    seen: set[str] = set()
    for klass in type(obj).__mro__:
        for name, value in vars(klass).items():
            if name in seen or not isinstance(value, types.FunctionType):
                continue
            seen.add(name)
            if _is_user_code(value.__code__):
                yield _scope_of(value, {"self": obj})


def user_scopes(target: Any, instance: Any, arguments: dict[str, Any]) -> list[_Scope]:
    """The user code a trace of ``target`` runs, as far as it can be known statically."""
    scopes: list[_Scope] = []
    seen: set[types.CodeType] = set()

    def add(scope: _Scope) -> bool:
        if scope.code in seen or len(scopes) >= _MAX_CODES:
            return False
        seen.add(scope.code)
        scopes.append(scope)
        return True

    function = getattr(target, "__func__", target)
    if not isinstance(function, types.FunctionType):
        call = next(  # a callable object: its class's __call__
            (k.__dict__["__call__"] for k in type(function).__mro__ if "__call__" in k.__dict__),
            None,
        )
        if not isinstance(call, types.FunctionType):
            return []
        instance, function = function, call
    local = dict(arguments)
    if instance is not None:
        local.setdefault("self", instance)
    if _is_user_code(function.__code__):
        frontier = [(_scope_of(function, local), 0)]
    else:
        # A framework function around user code (Keras's train step closes over the
        # model): the model's own methods, its layers' and its loss's.
        frontier = []
        for obj in _framework_roots(instance):
            frontier += [(scope, 1) for scope in _object_methods(obj)]
            user_fn = _user_function(obj)
            if user_fn is not None:
                frontier.append((_scope_of(user_fn, {}), 1))
    while frontier:
        scope, depth = frontier.pop(0)
        if not add(scope) or depth >= _MAX_DEPTH:
            continue
        facts = facts_of(scope.code)
        for access in facts.reads:
            if access.attrs or access.scope == "local":
                continue
            user_fn = _user_function(scope.resolve(access))
            if user_fn is not None:
                frontier.append((_scope_of(user_fn, {}), depth + 1))
        for access in facts.calls:  # self.helper(): the method of the object's class
            base = scope.resolve(Access(access.scope, access.name, access.attrs[:-1], 0))
            if base is _MISSING or base is None:
                continue
            method = getattr(type(base), access.attrs[-1], None)
            user_fn = _user_function(method)
            if user_fn is not None:
                frontier.append((_scope_of(user_fn, {"self": base}), depth + 1))
    return scopes


def _framework_roots(instance: Any) -> list[Any]:
    if instance is None:
        return []
    roots = [instance]
    for name in ("layers", "loss", "metrics"):
        value = _static_attr(instance, name)
        if value is _MISSING:
            try:
                value = getattr(instance, name)
            except Exception:  # a property of the user's model
                continue
        if isinstance(value, list | tuple):
            roots += list(value)[:_MAX_CODES]
        elif value is not None:
            roots.append(value)
    return [r for r in roots if not isinstance(r, _PLAIN)]


# ---------------------------------------------------------------------------
# Captured plain values


@dataclass(slots=True)
class Capture:
    """A plain value the traced code read from outside, with a way to read it again."""

    name: str
    where: str
    traced: Any
    read: Callable[[], Any]

    def current(self) -> Any:
        try:
            return self.read()
        except Exception:  # the object may be half torn down
            return _MISSING


def captures_of(scopes: list[_Scope]) -> list[Capture]:
    """The plain values the code reads from globals, closures and attributes."""
    found: dict[str, Capture] = {}
    for scope in scopes:
        facts = facts_of(scope.code)
        written = {store.path for store in facts.stores}
        for access in facts.reads:
            if access.scope == "local" and not access.attrs:
                continue  # a parameter: part of the trace key, or a local variable
            if access.path in written or access.path in found:
                continue
            value = scope.resolve(access)
            if value is _MISSING or not is_plain(value):
                continue
            reader = scope.reader(access)
            if reader is not None:
                where = f"{scope.where_file}:{access.line}"
                found[access.path] = Capture(access.path, where, value, reader)
    return list(found.values())


def stale_findings(function: str, captures: list[Capture]) -> list[Finding]:
    """The captured values that have changed since the function traced."""
    findings = []
    for capture in captures:
        now = capture.current()
        if now is _MISSING or _same(now, capture.traced):
            continue
        findings.append(
            Finding(
                kind="stale_capture",
                function=function,
                name=capture.name,
                traced_value=clip(repr(capture.traced), 60),
                current_value=clip(repr(now), 60),
                where=capture.where,
                message=(
                    f"{function} still uses {capture.name} = {clip(repr(capture.traced), 60)}: "
                    f"the value when it traced ({capture.where}), baked into the graph; it is "
                    f"{clip(repr(now), 60)} now. Keep a value that changes in a tf.Variable, "
                    "or pass it as a tensor argument."
                ),
            )
        )
    return findings


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # odd __eq__
        return a is b


# ---------------------------------------------------------------------------
# Side effects


class _Writes:
    """The outside state the user's code can write, read before the trace."""

    def __init__(self, scopes: list[_Scope]):
        self._before: list[tuple[str, str, str, Callable[[], Any], Any]] = []
        self._containers: dict[str, str] = {}  # path -> type name of a changed container
        for scope in scopes:
            facts = facts_of(scope.code)
            for access in facts.stores:
                self._watch_store(scope, access)
            for access in facts.mutations:
                self._watch_container(scope, access)

    def _watch_container(self, scope: _Scope, access: Access) -> None:
        if access.scope == "local" and not access.attrs and access.name not in scope.locals:
            return  # a container the function builds for itself
        value = scope.resolve(access)
        token = _MISSING if value is _MISSING else _fingerprint(value)
        if token is _MISSING:
            return
        probe = _probe(scope, access, fingerprint=True)
        where = f"{scope.where_file}:{access.line}"
        self._before.append(("mutation", access.path, where, probe, token))
        self._containers[access.path] = type(value).__name__

    def _watch_store(self, scope: _Scope, access: Access) -> None:
        if access.attrs:
            base = scope.resolve(Access(access.scope, access.name, access.attrs[:-1], 0))
            if base is _MISSING or base is None or _is_framework_object(base):
                return
            if isinstance(base, types.ModuleType):
                return
        kind = "mutation" if access.attrs else "global"
        probe = _probe(scope, access, fingerprint=False)
        self._before.append(
            (kind, access.path, f"{scope.where_file}:{access.line}", probe, id(probe()))
        )

    def changed(self) -> list[SideEffect]:
        effects = []
        seen = set()
        for kind, path, where, probe, before in self._before:
            if (path, where) in seen:
                continue
            try:
                after = probe()
            except Exception:
                continue
            if after == before:
                continue
            seen.add((path, where))
            effects.append(
                SideEffect(kind, where, _write_message(kind, path, self._containers.get(path)))
            )
        return effects


def _probe(scope: _Scope, access: Access, *, fingerprint: bool) -> Callable[[], Any]:
    if access.attrs and not fingerprint:
        base = scope.resolve(Access(access.scope, access.name, access.attrs[:-1], 0))
        attr = access.attrs[-1]
        return lambda: _static_attr(base, attr)
    if fingerprint:
        return lambda: _fingerprint(scope.resolve(access))
    return lambda: scope.resolve(access)


def _write_message(kind: str, path: str, container: str | None) -> str:
    if kind == "global":
        return (
            f"{path} was assigned while tracing: this runs once per trace, not on every "
            "call. Keep state that changes per call in a tf.Variable, or return the value."
        )
    if container:
        return (
            f"{path} (a {container} from outside the function) was changed while tracing: "
            "this runs once per trace, not on every call. Return the values instead (or "
            "collect them in a tf.TensorArray / tf.Variable)."
        )
    return (
        f"{path} was assigned while tracing: this runs once per trace, not on every call. "
        "Use a tf.Variable for state that changes per call."
    )


_local = threading.local()
_patch_lock = threading.Lock()
_patch_users = 0
_originals: list[tuple[Any, str, Any]] = []


class Observer:
    """Watches one trace: the side effects the user's code runs while it lasts."""

    def __init__(
        self,
        scopes: list[_Scope],
        locate: Callable[[], tuple[str, int] | None],
    ):
        self._writes = _Writes(scopes)
        self._locate = locate
        self._effects: list[SideEffect] = []
        self._seen: set[tuple[str, str]] = set()

    def __enter__(self) -> Observer:
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(self)
        _install_patches()
        return self

    def __exit__(self, *exc: object) -> None:
        _local.stack.pop()
        _remove_patches()

    def saw_call(self, kind: str, name: str, caller: types.FrameType) -> None:
        filename = caller.f_code.co_filename
        if "__autograph_generated_file" in filename or _AUTOGRAPH_DIR in filename:
            # Called from AutoGraph's copy of the user's code, or by AutoGraph on its
            # behalf: TensorFlow's source maps lead back to the user's line.
            found = self._locate()
            if found is None:
                return
            filename, line = found
        elif _source.is_framework_file(filename):
            return  # TensorFlow or Keras printing for itself
        else:
            line = caller.f_lineno
        where = f"{_source.short_path(filename)}:{line}"
        if (kind, where) in self._seen:
            return
        self._seen.add((kind, where))
        if kind == "print":
            message = (
                "print() ran while tracing: it prints once per trace, not on every call. "
                "Use tf.print to print on every call."
            )
        else:
            message = (
                f"{name}() ran while tracing: its value is frozen into the graph as a "
                "constant, the same on every call. Use tf.random (or a tf.random.Generator) "
                "for new random numbers per call."
            )
        self._effects.append(SideEffect(kind, where, message))

    def side_effects(self) -> tuple[SideEffect, ...]:
        return tuple(self._effects + self._writes.changed())


def _current() -> Observer | None:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def _stand_in(kind: str, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def observed(*args: Any, **kwargs: Any) -> Any:
        observer = _current()
        if observer is not None:
            try:
                observer.saw_call(kind, name, sys._getframe(1))
            except Exception:  # never break the user's program
                pass
        return original(*args, **kwargs)

    observed._graphlab_original = original  # type: ignore[attr-defined]
    observed.__name__ = getattr(original, "__name__", name)
    observed.__doc__ = getattr(original, "__doc__", None)
    # AutoGraph calls functions marked as its own artifacts as they are, instead of
    # converting them (no __wrapped__ either: AutoGraph would unwrap it and warn).
    observed.autograph_info__ = {}  # type: ignore[attr-defined]
    return observed


def _targets() -> list[tuple[Any, str, str, str]]:
    """(namespace, attribute, kind, shown name) of every function observed."""
    targets: list[tuple[Any, str, str, str]] = [(builtins, "print", "print", "print")]
    random_module = sys.modules.get("random")
    if random_module is not None:
        targets += [(random_module, n, "random", f"random.{n}") for n in _RANDOM_FUNCTIONS]
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        targets += [(numpy_random, n, "random", f"np.random.{n}") for n in _NUMPY_RANDOM_FUNCTIONS]
    return [t for t in targets if hasattr(t[0], t[1])]


def _install_patches() -> None:
    global _patch_users
    with _patch_lock:
        _patch_users += 1
        if _patch_users > 1:
            return
        for namespace, attribute, kind, shown in _targets():
            original = getattr(namespace, attribute)
            _originals.append((namespace, attribute, original))
            setattr(namespace, attribute, _stand_in(kind, shown, original))


def _remove_patches() -> None:
    global _patch_users
    with _patch_lock:
        _patch_users -= 1
        if _patch_users > 0:
            return
        while _originals:
            namespace, attribute, original = _originals.pop()
            current = getattr(namespace, attribute, None)
            if getattr(current, "_graphlab_original", None) is original:
                setattr(namespace, attribute, original)
