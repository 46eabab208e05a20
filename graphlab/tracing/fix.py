"""A verified fix written into the source: the ``tf.function`` keyword arguments added
to the decorator, or to the ``tf.function(f)`` call, of one function. Pure text and
``ast``; no TensorFlow.

``@tf.function`` becomes ``@tf.function(input_signature=[...])``; ``@tf.function(
jit_compile=True)`` gets the argument after its own; an argument of the same name is
replaced. Without a decorator, every ``tf.function(name, ...)`` call of the file gets
it (the verification applied it to every tf.function made of that Python function).
"""

from __future__ import annotations

import ast
import difflib
import os
from dataclasses import dataclass


class NotRewritable(Exception):
    """The fix cannot be written into this source; the message says why."""


@dataclass(frozen=True, slots=True)
class Edit:
    """A text change: ``text`` replaces the bytes ``start``..``end`` of the source."""

    start: tuple[int, int]  # (line, column in UTF-8 bytes), lines from 1
    end: tuple[int, int]
    text: str


def _is_function_maker(node: ast.expr) -> bool:
    """``tf.function``, ``graphlab.function``, ``function`` (imported from either)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "function"
    return isinstance(node, ast.Name) and node.id == "function"


def _names(node: ast.expr, name: str) -> bool:
    return (isinstance(node, ast.Name) and node.id == name) or (
        isinstance(node, ast.Attribute) and node.attr == name
    )


def _between(source: str, start: tuple[int, int], end: tuple[int, int]) -> str:
    data = [line.encode("utf-8") for line in source.splitlines(keepends=True)]
    (l1, c1), (l2, c2) = start, end
    if l1 == l2:
        return data[l1 - 1][c1:c2].decode("utf-8", "replace")
    middle = b"".join(data[l1 : l2 - 1])
    return (data[l1 - 1][c1:] + middle + data[l2 - 1][:c2]).decode("utf-8", "replace")


def _keyword_edit(source: str, call: ast.Call, keywords: str) -> Edit:
    key, _, value = keywords.partition("=")
    for keyword in call.keywords:
        if keyword.arg == key:  # replace the value the user gave
            v = keyword.value
            return Edit(
                (v.lineno, v.col_offset), (v.end_lineno or v.lineno, v.end_col_offset or 0), value
            )
    end = (call.end_lineno or call.lineno, (call.end_col_offset or 1) - 1)  # before ")"
    items: list[ast.AST] = [*call.args, *call.keywords]
    if not items:
        return Edit(end, end, keywords)
    last = max(items, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
    after = (last.end_lineno or last.lineno, last.end_col_offset or 0)
    between = _between(source, after, end)
    if between.startswith(","):  # a trailing comma: the new argument goes before it
        return Edit(after, (after[0], after[1] + 1), f", {keywords},")
    if between.strip().startswith(","):
        return Edit(end, end, keywords + ",")
    return Edit(after, after, ", " + keywords)


def edits_for(source: str, name: str, first_line: int, keywords: str) -> list[Edit]:
    """Where the fix for function ``name`` (its code starting at ``first_line``) goes.

    Raises:
        NotRewritable: no decorator or ``tf.function(name)`` call to add it to.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise NotRewritable(f"the file does not parse ({error.msg}, line {error.lineno})") from None
    definitions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name == name
        and first_line in (node.lineno, *(d.lineno for d in node.decorator_list))
    ]
    for definition in definitions:
        for decorator in definition.decorator_list:
            if isinstance(decorator, ast.Call) and _is_function_maker(decorator.func):
                return [_keyword_edit(source, decorator, keywords)]
            if _is_function_maker(decorator):
                end = (decorator.end_lineno or decorator.lineno, decorator.end_col_offset or 0)
                return [Edit(end, end, f"({keywords})")]
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _is_function_maker(node.func)
        and node.args
        and _names(node.args[0], name)
    ]
    if not calls:
        raise NotRewritable(
            f"no @tf.function decorator on {name} and no tf.function({name}) call in the file"
        )
    return [_keyword_edit(source, call, keywords) for call in calls]


def apply(source: str, edits: list[Edit]) -> str:
    lines = source.splitlines(keepends=True)
    data = [line.encode("utf-8") for line in lines]
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        (l1, c1), (l2, c2) = edit.start, edit.end
        head, tail = data[l1 - 1][:c1], data[l2 - 1][c2:]
        data[l1 - 1 : l2] = [head + edit.text.encode("utf-8") + tail]
    return b"".join(data).decode("utf-8")


def rewrite(source: str, name: str, first_line: int, keywords: str) -> str:
    """``source`` with the fix written in (see :func:`edits_for`).

    Raises:
        NotRewritable: nowhere to add it, or the edit would not parse.
    """
    fixed = apply(source, edits_for(source, name, first_line, keywords))
    try:
        ast.parse(fixed)
    except SyntaxError as error:  # pragma: no cover - a layout the edit does not handle
        raise NotRewritable(f"the edited file would not parse ({error.msg})") from None
    return fixed


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff of one file, ``a/PATH`` to ``b/PATH`` as git and patch read it."""
    label = path if not os.path.isabs(path) else path.lstrip(os.sep)
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{label}",
            f"b/{label}",
        )
    )
