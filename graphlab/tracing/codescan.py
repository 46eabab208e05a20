"""What a piece of the user's Python code reads and writes, read off its bytecode.

The side-effect observer and the stale-capture check need to know, for the code a trace
runs, which globals, closure variables and attributes it reads (their plain values are
baked into the graph) and which outside objects it writes (a write runs once per trace,
not once per call). Tracing every frame while TensorFlow traces costs +70% of the trace
time (40,000 Python calls per Keras training step); reading each code object's bytecode
once, cached, costs nothing per trace. What actually changed is then decided by
comparing values before and after the trace (:mod:`graphlab.tracing.effects`).

No TensorFlow here.
"""

from __future__ import annotations

import dis
import sys
import types
from dataclasses import dataclass
from functools import lru_cache

#: Methods that change the container they are called on.
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "sort",
        "reverse",
        "update",
        "setdefault",
        "popitem",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "appendleft",
        "extendleft",
        "popleft",
    }
)

_LOADS = {
    "LOAD_GLOBAL": "global",
    "LOAD_NAME": "global",
    "LOAD_DEREF": "closure",
    "LOAD_CLASSDEREF": "closure",
    "LOAD_FAST": "local",
    "LOAD_FAST_CHECK": "local",
}
_DUPS = frozenset({"COPY", "DUP_TOP"})


@dataclass(frozen=True, slots=True)
class Access:
    """A name, or an attribute path from a name, in the user's code.

    Attributes:
        scope: ``global``, ``closure`` (a free variable) or ``local`` (a parameter).
        name: The variable.
        attrs: The attributes read from it, in order (``('bias',)`` for ``model.bias``).
        line: Where, in the code's file.
    """

    scope: str
    name: str
    attrs: tuple[str, ...]
    line: int

    @property
    def path(self) -> str:
        return ".".join((self.name, *self.attrs))


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """What one code object (its nested lambdas and comprehensions included) does.

    Attributes:
        reads: Names and attribute paths it reads as values.
        stores: Globals (``global``), free variables (``closure``, ``nonlocal``) and
            attributes (``x.a = ...``: the path to the attribute) it assigns.
        mutations: Objects it changes in place: ``xs.append(...)``, ``d[k] = v``.
        calls: Methods it calls on a name (``self.helper()``: path ``self.helper``).
    """

    reads: tuple[Access, ...] = ()
    stores: tuple[Access, ...] = ()
    mutations: tuple[Access, ...] = ()
    calls: tuple[Access, ...] = ()


def _method_name(instruction: dis.Instruction) -> str | None:
    """The method an instruction loads for a call, if it is a method load."""
    if instruction.opname == "LOAD_METHOD":
        return str(instruction.argval)
    if instruction.opname == "LOAD_ATTR" and sys.version_info >= (3, 12):
        if (instruction.arg or 0) & 1:  # 3.12+: LOAD_ATTR with the method flag
            return str(instruction.argval)
    return None


def _line_of(instruction: dis.Instruction, current: int) -> int:
    positions = getattr(instruction, "positions", None)
    if positions is not None and positions.lineno is not None:
        return positions.lineno
    return instruction.starts_line or current


@lru_cache(maxsize=4096)
def facts_of(code: types.CodeType) -> CodeFacts:
    """The reads and writes of ``code`` and of the code objects nested in it."""
    reads: list[Access] = []
    stores: list[Access] = []
    mutations: list[Access] = []
    calls: list[Access] = []
    _scan(code, code.co_freevars, reads, stores, mutations, calls)
    return CodeFacts(tuple(reads), tuple(stores), tuple(mutations), tuple(calls))


def _scan(
    code: types.CodeType,
    outer_free: tuple[str, ...],
    reads: list[Access],
    stores: list[Access],
    mutations: list[Access],
    calls: list[Access],
) -> None:
    line = code.co_firstlineno
    chain: Access | None = None  # the name (and attributes) being loaded right now
    ended: list[Access] = []  # chains that ended since the last statement-like op
    duplicated: Access | None = None  # the base of an augmented assignment (x.a += 1)
    for instruction in dis.get_instructions(code):
        line = _line_of(instruction, line)
        op = instruction.opname
        if op in _LOADS:
            if chain is not None:
                reads.append(chain)
                ended.append(chain)
            name = str(instruction.argval)
            scope = _LOADS[op]
            if scope == "closure" and name not in outer_free:
                scope = "local"  # a cell of this code's own frame
            chain = Access(scope, name, (), line)
            continue
        method = _method_name(instruction)
        if chain is not None and op == "LOAD_ATTR" and method is None:
            chain = Access(chain.scope, chain.name, (*chain.attrs, str(instruction.argval)), line)
            continue
        if chain is not None and method is not None:
            if method in MUTATING_METHODS:
                mutations.append(Access(chain.scope, chain.name, chain.attrs, line))
            else:
                calls.append(Access(chain.scope, chain.name, (*chain.attrs, method), line))
            if chain.attrs:
                reads.append(chain)
            chain = None
            continue
        if chain is not None:
            reads.append(chain)
            ended.append(chain)
            chain = None
        if op in _DUPS and ended:
            duplicated = ended[-1]
        elif op == "STORE_ATTR":
            base = ended[-1] if ended else duplicated
            if base is not None:
                attr = str(instruction.argval)
                stores.append(Access(base.scope, base.name, (*base.attrs, attr), line))
        elif op == "STORE_SUBSCR":
            # d[k] = v loads v, d, k: the container is one of the last two names loaded
            # (the observer keeps only the ones whose value really changed).
            for base in ended[-2:] or ([duplicated] if duplicated else []):
                mutations.append(Access(base.scope, base.name, base.attrs, line))
        elif op == "STORE_GLOBAL":
            stores.append(Access("global", str(instruction.argval), (), line))
        elif op == "STORE_DEREF" and str(instruction.argval) in outer_free:
            stores.append(Access("closure", str(instruction.argval), (), line))
        if op.startswith(("STORE_", "POP_TOP", "RETURN", "CALL", "PRECALL")):
            ended, duplicated = [], (None if op.startswith("STORE_") else duplicated)
    if chain is not None:
        reads.append(chain)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            # A nested function's free variables are the outer function's locals (cells),
            # or the outer function's own free variables.
            free = tuple(n for n in constant.co_freevars if n in outer_free)
            _scan(constant, free, reads, stores, mutations, calls)
