"""Why did this trace happen? Pure logic over neutral type trees, no TensorFlow.

``graphlab._tf`` turns TensorFlow's trace types into :class:`TypeNode` trees and its
cache keys into :class:`Key` objects. This module diffs a new key against the cached
ones with TensorFlow's subtype rules (a cached ``float32[None,3]`` accepts any
``float32[n,3]``) and explains the miss against the *closest* entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphlab._text import format_shape, ordinal
from graphlab._types import Context, Key, TypeNode, describe_kind, render_type
from graphlab.tracing.records import Cause, Change
from graphlab.tracing.signature import (  # noqa: F401 - re-exported
    SignatureMerge,
    synthesize_input_signature,
)

# Scope types, as TensorFlow names them in a function context.
VARIABLE_CREATION = "VARIABLE_CREATION"
NO_VARIABLE_CREATION = "NO_VARIABLE_CREATION"


# ---------------------------------------------------------------------------
# Subtype rules (TensorFlow's, for the types users meet)


def _shape_accepts(
    cached: tuple[int | None, ...] | None, new: tuple[int | None, ...] | None
) -> bool:
    if cached is None:
        return True
    if new is None or len(cached) != len(new):
        return False
    return all(c is None or c == n for c, n in zip(cached, new))


def accepts(cached: TypeNode, new: TypeNode) -> bool:
    """True when a trace for ``cached`` serves a call of type ``new``."""
    if cached.kind != new.kind:
        return False
    if cached.kind in ("tensor", "variable", "sparse"):
        return cached.dtype == new.dtype and _shape_accepts(cached.shape, new.shape)
    if cached.kind == "ragged":
        return (
            (cached.dtype, cached.value, cached.label) == (new.dtype, new.value, new.label)
        ) and _shape_accepts(cached.shape, new.shape)
    if cached.kind == "literal":
        return cached.value == new.value and cached.label == new.label
    if cached.kind == "identity":  # TF compares live objects with ==; a dead one never matches
        return cached.key != 0 and cached.key == new.key
    if cached.kind == "other":
        return cached.value == new.value
    if cached.label != new.label or [k for k, _ in cached.children] != [k for k, _ in new.children]:
        return False
    return all(accepts(c, n) for (_, c), (_, n) in zip(cached.children, new.children))


# ---------------------------------------------------------------------------
# Diffing one parameter


def _child_path(path: str, parent: TypeNode, name: str) -> str:
    if parent.kind == "dict":
        return f"{path}[{name}]"
    if parent.kind == "namedtuple":
        return f"{path}.{name}"
    return f"{path}[{name}]"


def diff_types(path: str, before: TypeNode, after: TypeNode) -> list[Change]:
    """The changes that make ``before`` (cached) reject ``after`` (new)."""
    if accepts(before, after):
        return []
    if before.kind != after.kind:
        return [Change(path, "type", describe_kind(before), describe_kind(after))]
    kind = before.kind
    if kind in ("tensor", "variable", "ragged", "sparse"):
        changes = []
        if before.dtype != after.dtype:
            changes.append(Change(path, "dtype", before.dtype, after.dtype))
        if not _shape_accepts(before.shape, after.shape):
            changes.append(
                Change(path, "shape", format_shape(before.shape), format_shape(after.shape))
            )
        return changes
    if kind == "literal":
        if before.label != after.label:
            return [Change(path, "type", describe_kind(before), describe_kind(after))]
        return [Change(path, "python_value", before.value, after.value)]
    if kind == "identity":
        return [Change(path, "object_identity", before.value, after.value)]
    if kind == "other":
        return [Change(path, "type", before.value, after.value)]
    # Containers.
    before_keys = [k for k, _ in before.children]
    after_keys = [k for k, _ in after.children]
    if before.label != after.label:
        return [Change(path, "type", render_type(before), render_type(after))]
    if before_keys != after_keys:
        if kind == "dict":
            added = [k for k in after_keys if k not in before_keys]
            removed = [k for k in before_keys if k not in after_keys]
            before_txt = "keys " + ", ".join(before_keys)
            after_txt = "keys " + ", ".join(after_keys)
            if added and not removed:
                after_txt += " (added " + ", ".join(added) + ")"
            elif removed and not added:
                after_txt += " (removed " + ", ".join(removed) + ")"
            return [Change(path, "structure", before_txt, after_txt)]
        return [
            Change(
                path,
                "structure",
                f"{kind} of length {len(before_keys)}",
                f"{kind} of length {len(after_keys)}",
            )
        ]
    changes: list[Change] = []
    for (name, b), (_, a) in zip(before.children, after.children):
        changes.extend(diff_types(_child_path(path, before, name), b, a))
    return changes


# ---------------------------------------------------------------------------
# Explaining a cache miss


def diff_keys(cached: Key, new: Key) -> list[Change]:
    """Per-parameter changes between two keys of the same context."""
    before = dict(cached.params)
    after = dict(new.params)
    changes: list[Change] = []
    for name, node in new.params:
        if name not in before:
            changes.append(Change(name, "added", "", render_type(node)))
        else:
            changes.extend(diff_types(name, before[name], node))
    for name, node in cached.params:
        if name not in after:
            changes.append(Change(name, "removed", render_type(node), ""))
    return changes


# How far apart two types are: a tensor of another shape is closer than a Python value.
_WEIGHTS = {
    "shape": 1,
    "python_value": 1,
    "object_identity": 1,
    "dtype": 2,
    "structure": 3,
    "added": 3,
    "removed": 3,
    "type": 4,
}


def score(changes: Sequence[Change]) -> tuple[int, int]:
    """How far apart two keys are (lower is closer)."""
    return sum(_WEIGHTS[c.what] for c in changes), len(changes)


def closest(cached: Sequence[Key], new: Key) -> tuple[Key, list[Change]] | None:
    """The cached key with the fewest changed parameters (the newest on ties)."""
    best: tuple[Key, list[Change]] | None = None
    best_score: tuple[int, int] | None = None
    for key in cached:
        changes = diff_keys(key, new)
        key_score = score(changes)
        if best_score is None or key_score <= best_score:
            best, best_score = (key, changes), key_score
    return best


def _context_changes(before: Context, after: Context) -> str:
    b, a = before.as_dict(), after.as_dict()
    parts = [f"{k} {b.get(k, '-')} -> {a.get(k, '-')}" for k in a if b.get(k) != a.get(k)]
    parts += [f"{k} {b[k]} -> -" for k in b if k not in a]
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Lineage:
    """What is known about other tf.function objects that traced the same Python code.

    Attributes:
        other_objects: How many other tf.function objects traced it before.
        new_instance: Class name when the function belongs to an instance (a method, or
            a closure over ``self``) not seen before; '' otherwise.
        same_call_site: True when an earlier object was traced from the same call site:
            the tf.function is being re-created (in a loop, by a recompile).
    """

    other_objects: int = 0
    new_instance: str = ""
    same_call_site: bool = False


RECURSION_ADVICE = (
    "Write the recursion as a loop: tf.while_loop, or a for loop over tf.range inside the "
    "tf.function (AutoGraph makes it a tf.while_loop). Passing a tensor instead of the "
    "Python value would not help: the recursion would no longer end while tracing."
)


@dataclass(frozen=True, slots=True)
class Situation:
    """Where a trace happened, beyond its key: what the recorder knows of the call.

    Attributes:
        framework: The traced code is TensorFlow's or Keras's own (Keras's train/test/
            predict functions): a new input structure comes from how the framework
            packs the data (``train_on_batch`` vs ``fit``), one trace per form.
        outer_retrace: The function whose own *re*trace this trace runs inside ('' when
            none): a nested tf.function called with that retrace's more general shapes.
        recursion_depth: How many traces of this same function are running further up
            the stack (0 when it did not call itself).
        datasets: ``(variable name, element spec)`` of the tf.data and distributed
            datasets the caller's frame holds, the one its enclosing ``for`` loop
            iterates first: the signature names the one whose spec accepts the calls.
    """

    framework: bool = False
    outer_retrace: str = ""
    recursion_depth: int = 0
    datasets: tuple[tuple[str, TypeNode], ...] = ()


def explain(
    new: Key,
    cached: Sequence[Key],
    *,
    traced_as: Key | None = None,
    lineage: Lineage = Lineage(),
    match: tuple[Key, list[Change]] | None = None,
    merge: SignatureMerge | None = None,
    situation: Situation = Situation(),
) -> Cause:
    """Explain why ``new`` missed a cache that held ``cached``.

    Args:
        new: The key of the call that traced.
        cached: Keys already in the function's cache when it traced.
        traced_as: The key actually traced, when ``reduce_retracing`` generalized ``new``.
        lineage: Other tf.function objects of the same code (for an empty cache).
        match: The closest cached key and its changes, when the caller indexed the cache
            (``cached`` then needs only the newest key of each context, newest last).
        merge: The signature over every cached key of ``new``'s context and ``new``.
        situation: What else is known about the call (framework code, nesting, recursion).
    """
    same_context = [k for k in cached if k.context == new.context]
    if same_context:
        match = match or closest(same_context, new)
        assert match is not None
        _, changes = match
        return _explain_new_input(new, same_context, changes, traced_as, situation, merge)
    if situation.recursion_depth:
        return _recursion(changes=(), depth=situation.recursion_depth)
    if cached:
        saving = bool(dict(new.context.fields).get("saving"))
        if (
            new.context.scope == NO_VARIABLE_CREATION
            and not saving  # tf.saved_model.save's trace is explained below
            and any(k.context.scope == VARIABLE_CREATION for k in cached)
        ):
            return Cause(
                "variable_creation",
                detail="second trace after the first call created variables (expected once)",
                expected=True,
            )
        nearest = cached[-1].context
        if dict(new.context.fields).get("saving") and not dict(nearest.fields).get("saving"):
            return Cause(
                "context_change",
                detail="traced again by tf.saved_model.save under its save context",
                expected=True,
            )
        return Cause(
            "context_change",
            detail="called in a new context: " + (_context_changes(nearest, new.context) or "?"),
            advice="Call the function from one context (eager vs inside another graph, one "
            "device scope, one distribution strategy) or accept one trace per context.",
        )
    if lineage.new_instance and lineage.other_objects:
        return Cause(
            "new_function_object",
            detail=f"first trace for a new {lineage.new_instance} instance "
            "(each instance has its own tf.function)",
            expected=True,
        )
    if lineage.other_objects and lineage.same_call_site:
        return Cause(
            "new_function_object",
            detail=f"the same Python code was already traced by {lineage.other_objects} other "
            "tf.function object(s) from here: the tf.function was re-created",
            advice="Create the tf.function once, outside the loop or function that calls it, "
            "and reuse it (or keep the Keras model compiled once).",
        )
    if lineage.other_objects:
        return Cause(
            "new_function_object",
            detail=f"another tf.function object wrapping the same Python code "
            f"({lineage.other_objects} traced it elsewhere before)",
            expected=True,
        )
    return Cause("first_trace", detail="first call", expected=True)


def _explain_new_input(
    new: Key,
    same_context: Sequence[Key],
    changes: list[Change],
    traced_as: Key | None,
    situation: Situation,
    merge: SignatureMerge | None = None,
) -> Cause:
    if situation.recursion_depth:
        return _recursion(tuple(changes), situation.recursion_depth)
    if traced_as is not None and traced_as.params != new.params:
        relaxed = ", ".join(
            f"{name}: {render_type(node)}"
            for (name, node), (_, orig) in zip(traced_as.params, new.params)
            if node != orig
        )
        # reduce_retracing does this once per changing dimension, by design.
        return Cause(
            "generalized",
            tuple(changes),
            detail=f"reduce_retracing traced a more general graph ({relaxed})",
            expected=True,
        )
    whats = {c.what for c in changes}
    if situation.outer_retrace and whats == {"shape"} and all("None" in c.after for c in changes):
        return Cause(
            "new_input_type",
            tuple(changes),
            detail=f"called with the more general shapes of {situation.outer_retrace}'s new "
            "trace (it follows that retrace)",
            expected=True,
        )
    if situation.framework and whats <= {"structure", "type"}:
        return Cause(
            "new_input_type",
            tuple(changes),
            detail="the framework packs this call's inputs in another form (Keras's "
            "train_on_batch / test_on_batch / predict_on_batch vs fit / evaluate / predict): "
            "one trace per form",
            expected=True,
        )
    return Cause(
        "new_input_type",
        tuple(changes),
        advice=_advice(changes, [*same_context, new], merge, situation.datasets),
    )


def _recursion(changes: tuple[Change, ...], depth: int) -> Cause:
    return Cause(
        "recursion",
        changes,
        detail=f"the function called itself while tracing ({ordinal(depth + 1)} level): "
        "one trace per recursion level",
        advice=RECURSION_ADVICE,
    )


# ---------------------------------------------------------------------------
# Advice


#: How shape advice starts; a function's report keeps only its newest such advice
#: (each one covers every call so far). The signature follows on the next line.
SIGNATURE_ADVICE = "Fix the signature so that every call shares one graph"
GENERALIZE_ADVICE = "Let one graph serve every call"
PYTHON_VALUE_ADVICE = "Pass a tensor instead of a Python value for"
#: How the dataset-named form of a signature starts (it stays with the signature).
DATASET_ADVICE = "Or, with the spec of the dataset the values come from:"
#: How the last-batch alternative to a signature starts (it stays with the signature).
LAST_BATCH_ADVICE = "Or drop the smaller last batch:"


def _removes(n: int) -> str:
    return f"removes {n} trace{'' if n == 1 else 's'} in this run"


def _advice(
    changes: Sequence[Change],
    keys: Sequence[Key],
    merge: SignatureMerge | None = None,
    datasets: Sequence[tuple[str, TypeNode]] = (),
) -> str:
    whats = {c.what for c in changes}
    lines: list[str] = []
    if whats & {"shape", "dtype", "type"}:
        merge = merge if merge is not None else SignatureMerge(keys)
        signature = merge.signature()
        count = merge.count
        if signature:
            lines.append(f"{SIGNATURE_ADVICE} ({_removes(count - 1)}):")
            lines.append(signature)
            named = merge.named_specs(datasets) if datasets else ""
            if named:
                lines.append(f"{DATASET_ADVICE} input_signature={named}")
            batch = merge.last_batch()
            if batch:
                lines.append(
                    f"{LAST_BATCH_ADVICE} dataset.batch({batch[0]}, drop_remainder=True) "
                    f"skips the final batch of {batch[1]} (those {batch[1]} examples go "
                    f"unused each epoch) and keeps one shape ({_removes(count - 1)})."
                )
        elif "dtype" in whats:
            lines.append(
                "Cast inputs to one dtype before the call (each dtype needs its own graph)."
            )
        elif whats & {"shape", "type"}:
            reduced = merge.traces_with_reduce_retracing()
            if reduced is not None and reduced < count:
                how = (
                    "pass reduce_retracing=True to tf.function so that TensorFlow generalizes "
                    f"the shapes that vary on their first retrace ({_removes(count - reduced)}), "
                    "or pass arguments of one kind and dtype."
                )
            else:
                how = (
                    "pass arguments of one kind and dtype (reduce_retracing=True would not "
                    "remove any trace in this run: TensorFlow generalizes shapes only on a "
                    "retrace, never across kinds, dtypes or Python values)."
                )
            lines.append(
                f"{GENERALIZE_ADVICE}: no single input_signature accepts every call "
                f"({merge.why_not or 'the calls differ in kind'}); {how}"
            )
    if "python_value" in whats:
        merge = merge if merge is not None else SignatureMerge(keys)
        for param in sorted({c.param for c in changes if c.what == "python_value"}):
            lines.append(
                f"{PYTHON_VALUE_ADVICE} {param} ({merge.tensor_hint(param.split('[')[0])}): "
                "Python values are part of the trace key."
            )
    if "object_identity" in whats:
        lines.append(
            "Custom objects are keyed by weak reference: a call matches a trace only while "
            "the object it was traced with is alive and equal (==). Reuse one instance, "
            "give the class a __tf_tracing_type__, or pass its tensors instead."
        )
    if "structure" in whats:
        lines.append("Keep the same dict keys / list lengths from call to call, or pad them.")
    return "\n".join(lines)


def advice_topic(item: str) -> str:
    """What an advice item is about: one per topic and function in a summary."""
    if item.startswith((SIGNATURE_ADVICE, GENERALIZE_ADVICE)):
        return "shapes"
    if item.startswith(PYTHON_VALUE_ADVICE):
        return item.split(" (")[0]
    return item


def advice_items(advice: str) -> list[str]:
    """An event's advice as separate items; a signature stays with its heading."""
    items: list[str] = []
    for line in advice.splitlines():
        if (
            items
            and items[-1].startswith(SIGNATURE_ADVICE)
            and (line.startswith(("@tf.function(", LAST_BATCH_ADVICE)))
        ):
            items[-1] += "\n" + line
        elif line:
            items.append(line)
    return items
