"""What the CLI is told to call, and with what: shared by ``inspect`` and ``bench``.

* Targets: ``module:fn``, ``module:obj.method``, ``path/to/file.py:fn``.
* Values (``--arg`` / ``--kwarg NAME=VALUE``): a tensor spec ``DTYPE[DIMS]``
  (``f32[None,3]``, ``float32[None,3]``, ``i32[]``, ``str[]``, ``bool[4]``), a Python
  literal (``3``, ``2.5``, ``"a"``, ``[1, 2]``), or an expression after ``@``
  (``@tf.ones([2, 3])``) evaluated with ``tf`` and ``np`` in scope.

Parsing is pure and TensorFlow-free; :func:`to_spec` and :func:`to_value` turn parsed
values into TensorFlow objects when a command needs them.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect as pyinspect
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphlab import _source
from graphlab._text import dims


class InputError(ValueError):
    """Bad target or value on the command line; the message says what is accepted."""


# Short and full dtype names users may type.
DTYPES = {
    "f16": "float16",
    "bf16": "bfloat16",
    "f32": "float32",
    "f64": "float64",
    "i8": "int8",
    "i16": "int16",
    "i32": "int32",
    "i64": "int64",
    "u8": "uint8",
    "u16": "uint16",
    "u32": "uint32",
    "u64": "uint64",
    "c64": "complex64",
    "c128": "complex128",
    "str": "string",
    "bool": "bool",
}
DTYPES.update({full: full for full in list(DTYPES.values())})

_SPEC = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*\[(.*)\]\s*$")

SPEC_HELP = (
    "a tensor spec DTYPE[DIMS] (f32[None,3], float32[2,2], i32[], str[], bool[4]), a Python "
    'literal (3, 2.5, "a", [1, 2]) or @EXPRESSION with tf and np in scope (@tf.ones([2, 3]))'
)


@dataclass(frozen=True, slots=True)
class TensorSpecArg:
    """A tensor spec typed on the command line."""

    dtype: str
    shape: tuple[int | None, ...]
    text: str

    @property
    def fully_defined(self) -> bool:
        return all(d is not None for d in self.shape)


@dataclass(frozen=True, slots=True)
class LiteralArg:
    """A Python literal typed on the command line."""

    value: Any
    text: str


@dataclass(frozen=True, slots=True)
class ExpressionArg:
    """``@EXPR``: evaluated with ``tf`` and ``np`` in scope when needed."""

    source: str
    text: str


InputArg = TensorSpecArg | LiteralArg | ExpressionArg


def parse_value(text: str) -> InputArg:
    """Parse one ``--arg`` value; raise :class:`InputError` saying what is accepted."""
    stripped = text.strip()
    if not stripped:
        raise InputError(f"empty value; expected {SPEC_HELP}")
    if stripped.startswith("@"):
        source = stripped[1:].strip()
        if not source:
            raise InputError("'@' must be followed by a Python expression, e.g. @tf.ones([2, 3])")
        try:
            compile(source, "<--arg>", "eval")
        except SyntaxError as error:
            raise InputError(f"{text!r} is not a valid Python expression: {error.msg}") from None
        return ExpressionArg(source, text)
    match = _SPEC.match(stripped)
    if match and match.group(1) in DTYPES:
        return TensorSpecArg(DTYPES[match.group(1)], _parse_dims(match.group(2), text), text)
    if match and not _looks_like_literal(stripped):
        known = ", ".join(sorted({k for k in DTYPES if len(k) <= 4}))
        raise InputError(f"unknown dtype {match.group(1)!r} in {text!r}; use one of: {known}")
    try:
        return LiteralArg(ast.literal_eval(stripped), text)
    except (ValueError, SyntaxError):
        raise InputError(f"cannot read {text!r}; expected {SPEC_HELP}") from None


def _looks_like_literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return True


def _parse_dims(dims: str, text: str) -> tuple[int | None, ...]:
    if not dims.strip():
        return ()
    shape: list[int | None] = []
    for part in dims.split(","):
        part = part.strip()
        if part in ("None", "?", "-1"):
            shape.append(None)
        elif part.isascii() and part.isdigit():  # not '²', which int() refuses
            if int(part) >= 2**63:
                raise InputError(f"dimension {part} in {text!r} is too large (at most 2**63 - 1)")
            shape.append(int(part))
        else:
            raise InputError(
                f"bad dimension {part!r} in {text!r}: a dimension is a size >= 0, or None "
                "(also written ? or -1) when unknown"
            )
    return tuple(shape)


def parse_kwarg(text: str) -> tuple[str, InputArg]:
    """Parse ``NAME=VALUE``."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise InputError(f"--kwarg expects NAME=VALUE, got {text!r}")
    return name, parse_value(value)


# ---------------------------------------------------------------------------
# To TensorFlow


def _namespace() -> dict[str, Any]:
    import numpy as np
    import tensorflow as tf

    return {"tf": tf, "np": np}


def evaluate(arg: ExpressionArg) -> Any:
    """Evaluate ``@EXPR``; errors become :class:`InputError`."""
    try:
        return eval(arg.source, _namespace())  # the user's own command line
    except Exception as error:
        raise InputError(f"{arg.text!r} raised {type(error).__name__}: {error}") from None


def to_spec(arg: InputArg) -> Any:
    """For tracing: a spec stays a ``tf.TensorSpec`` (``None`` dims allowed)."""
    import tensorflow as tf

    if isinstance(arg, TensorSpecArg):
        return tf.TensorSpec(arg.shape, tf.as_dtype(arg.dtype))
    if isinstance(arg, ExpressionArg):
        return evaluate(arg)
    return arg.value


def to_value(arg: InputArg, *, seed: int = 0) -> Any:
    """For running: a spec becomes random data of that dtype and shape."""

    if isinstance(arg, ExpressionArg):
        return evaluate(arg)
    if isinstance(arg, LiteralArg):
        return arg.value
    if not arg.fully_defined:
        raise InputError(
            f"{arg.text!r} has an unknown dimension; running needs concrete sizes, "
            f"e.g. {arg.text.partition('[')[0]}"
            f"[{','.join('32' if d is None else str(d) for d in arg.shape)}]"
        )
    try:
        return _random_data(arg, seed)
    except Exception as error:  # a shape too large for memory: ResourceExhaustedError
        reason = (getattr(error, "message", "") or str(error)).strip().splitlines()[0]
        reason = re.sub(r"\{\{[^}]*\}\}\s*", "", reason)[:200]
        raise InputError(
            f"cannot make random data for {arg.text!r}: {type(error).__name__}: {reason}"
        ) from None


def check_call(function: Any, args: Sequence[Any], kwargs: dict[str, Any], label: str) -> None:
    """A usage error now, not one failed row per mode, when the arguments cannot be bound
    to the Python function's parameters (one ``--arg`` too many, a missing one)."""
    python_function = getattr(function, "python_function", function)
    try:
        signature = pyinspect.signature(python_function)
    except (TypeError, ValueError):
        return  # a builtin or an object without a readable signature: let the call say
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        raise InputError(f"{label}{signature}: {error}") from None


def _random_data(arg: TensorSpecArg, seed: int) -> Any:
    import tensorflow as tf

    dtype = tf.as_dtype(arg.dtype)
    generator = tf.random.Generator.from_seed(seed)
    if dtype.is_floating:
        return tf.cast(generator.normal(arg.shape), dtype)
    if dtype.is_complex:
        real = generator.normal(arg.shape)
        return tf.cast(tf.complex(real, generator.normal(arg.shape)), dtype)
    if dtype.is_bool:
        return generator.uniform(arg.shape, maxval=2, dtype=tf.int32) > 0
    if dtype == tf.string:
        return tf.fill(arg.shape, "a")
    return tf.cast(generator.uniform(arg.shape, maxval=10, dtype=tf.int64), dtype)


# ---------------------------------------------------------------------------
# Targets


def load_target(target: str) -> Any:
    """Import ``module:fn``, ``module:obj.attr`` or ``path/file.py:fn``."""
    module_part, sep, attr_path = target.rpartition(":")
    if ":" in module_part:
        raise InputError(
            f"target {target!r} has more than one ':'; write MODULE:FUNCTION or "
            "MODULE:OBJ.METHOD (a dot between attributes)"
        )
    if not sep or not module_part or not attr_path:
        raise InputError(
            f"target {target!r} must be MODULE:FUNCTION, MODULE:OBJ.METHOD or FILE.py:FUNCTION"
        )
    if module_part.endswith(".py") or os.sep in module_part:
        module = _load_file(module_part)
    else:
        module = _import_module(module_part)
    obj: Any = module
    walked = module_part
    for name in attr_path.split("."):
        if not hasattr(obj, name):
            available = ", ".join(n for n in sorted(dir(obj)) if not n.startswith("_"))[:300]
            raise InputError(f"{walked} has no attribute {name!r} (it has: {available})")
        obj = getattr(obj, name)
        walked = f"{walked}.{name}" if walked != module_part else f"{module_part}:{name}"
    if not callable(obj):
        kind = type(obj).__name__
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        raise InputError(f"{target} is {article} {kind}, not a function")
    return obj


def _import_module(name: str) -> Any:
    added = os.getcwd() not in sys.path
    if added:  # like `python -m`: modules in the working directory are importable
        sys.path.insert(0, os.getcwd())
    try:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            raise InputError(
                f"no module named {name!r} (run from the directory that contains it, or "
                "give a file path: path/to/file.py:fn)"
            )
        try:
            return importlib.import_module(name)
        except (Exception, SystemExit) as error:
            raise InputError(_import_failure(name, error)) from error
    finally:
        if added:
            sys.path.remove(os.getcwd())


def _load_file(path: str) -> Any:
    if not os.path.isfile(path):
        raise InputError(f"no such file: {path!r}")
    name = "_graphlab_target_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot load {path!r} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        del sys.modules[name]
        raise InputError(_import_failure(path, error)) from error
    finally:
        sys.path.remove(directory)
    return module


def _import_failure(what: str, error: BaseException) -> str:
    """``importing train.py failed at train.py:3: NameError: ...``: the user's own
    error in one line, at the user's own line."""
    import traceback

    where = ""
    if isinstance(error, SystemExit):
        return (
            f"importing {what} called sys.exit({error.code!r}): give a module that defines "
            "the function without running a program (guard it with if __name__ == '__main__')"
        )
    if isinstance(error, SyntaxError) and error.filename:
        where = f" at {error.filename}:{error.lineno}"
    else:
        frames = traceback.extract_tb(error.__traceback__)
        user = [f for f in frames if not _source.is_framework_file(f.filename)]
        if user:
            where = f" at {user[-1].filename}:{user[-1].lineno}"
    message = str(error).splitlines()[0] if str(error) else ""
    return f"importing {what} failed{where}: {type(error).__name__}: {message}"


# ---------------------------------------------------------------------------
# Calls


@dataclass(frozen=True, slots=True)
class CallArgs:
    """One set of inputs typed on the command line: ``--arg`` values and ``--kwarg`` pairs."""

    args: tuple[InputArg, ...] = ()
    kwargs: tuple[tuple[str, InputArg], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.args and not self.kwargs

    def for_tracing(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Specs stay specs (``None`` dims allowed): what ``get_concrete_function`` takes."""
        return tuple(to_spec(a) for a in self.args), {k: to_spec(v) for k, v in self.kwargs}

    def for_running(self, *, seed: int = 0) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Specs become data: for running or compiling (``None`` dims are an error)."""
        return (
            tuple(to_value(a, seed=seed) for a in self.args),
            {k: to_value(v, seed=seed) for k, v in self.kwargs},
        )


def spec_args(signature: Any) -> CallArgs:
    """Command-line form of an ``input_signature`` (a list of ``tf.TensorSpec``), so a
    function with a signature can be run or compiled without ``--arg``."""
    args = []
    for spec in signature:
        shape = tuple(spec.shape.as_list()) if spec.shape.rank is not None else ()
        text = f"{spec.dtype.name}{dims(shape)}"
        args.append(TensorSpecArg(spec.dtype.name, shape, text))
    return CallArgs(tuple(args))
