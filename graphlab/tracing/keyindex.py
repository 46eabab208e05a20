"""The keys of one function's cache, indexed so that explaining a trace costs the same
with 10 cached graphs as with 10,000. Pure logic, no TensorFlow.

A trace is explained against the *closest* cached key (:func:`explain.closest`). Read
naively, that diffs every cached key on every trace, so a function that retraces for
every new shape pays more on each trace. Here keys are grouped by *structure* (context,
parameter names, kinds, dtypes: everything but shapes and values). Within a group every
difference is one changed leaf (a shape, a Python value, an object) of weight 1, and a
key of another group differs by at least a weight of 2, so most traces diff one or two
candidates: the newest keys of their own group, until one reaches the lower bound set
by the leaves no key of the group has seen.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from graphlab._types import Context, Key, TypeNode
from graphlab.tracing.explain import SignatureMerge, closest, diff_keys, score
from graphlab.tracing.records import Change


def _skeleton(node: TypeNode) -> Hashable:
    if node.kind in ("tensor", "variable", "ragged", "sparse"):
        return (node.kind, node.dtype, node.value, node.label)
    if node.kind == "literal":
        return (node.kind, node.label)
    if node.kind == "identity":
        return (node.kind,)
    if node.kind == "other":
        return (node.kind, node.value)
    return (node.kind, node.label, tuple((k, _skeleton(v)) for k, v in node.children))


def _leaves(node: TypeNode) -> list[tuple[Hashable, bool]]:
    """``(value, generalized)`` of each leaf, in order; a generalized leaf (a shape with
    unknown dimensions) can accept values it is not equal to."""
    if node.kind in ("tensor", "variable", "ragged", "sparse"):
        return [(node.shape, node.shape is None or None in node.shape)]
    if node.kind == "literal":
        return [(node.value, False)]
    if node.kind == "identity":
        return [(node.key or object(), False)]  # a dead object never matches
    if node.kind == "other":
        return [(node.value, False)]
    return [leaf for _, child in node.children for leaf in _leaves(child)]


@dataclass(slots=True)
class _Group:
    keys: list[Key] = field(default_factory=list)
    seen: list[set[Hashable]] = field(default_factory=list)  # exact leaf values, per leaf
    generalized: list[bool] = field(default_factory=list)  # a generalized leaf seen

    def add(self, key: Key) -> None:
        leaves = [leaf for _, node in key.params for leaf in _leaves(node)]
        if not self.seen:
            self.seen = [set() for _ in leaves]
            self.generalized = [False for _ in leaves]
        for index, (value, generalized) in enumerate(leaves):
            self.seen[index].add(value)
            self.generalized[index] |= generalized
        self.keys.append(key)

    def lower_bound(self, key: Key) -> int:
        """Leaves of ``key`` that no key of this group can accept."""
        leaves = [leaf for _, node in key.params for leaf in _leaves(node)]
        return sum(
            1
            for index, (value, _) in enumerate(leaves)
            if not self.generalized[index] and value not in self.seen[index]
        )


class KeyIndex:
    """The described keys of one function cache, in order, with a structure index and a
    running :class:`SignatureMerge` per context."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self._groups: dict[Hashable, _Group] = {}
        self._context_keys: dict[Context, list[Key]] = {}
        self._newest: dict[Context, Key] = {}
        self._merges: dict[Context, SignatureMerge] = {}

    def __len__(self) -> int:
        return len(self.keys)

    @staticmethod
    def _skeleton_of(key: Key) -> Hashable:
        return (key.context, tuple((name, _skeleton(node)) for name, node in key.params))

    def add(self, key: Key) -> None:
        skeleton = self._skeleton_of(key)
        group = self._groups.get(skeleton)
        if group is None:
            group = self._groups[skeleton] = _Group()
        group.add(key)
        self._context_keys.setdefault(key.context, []).append(key)
        self.keys.append(key)
        self._newest.pop(key.context, None)
        self._newest[key.context] = key  # re-inserted: the dict stays ordered by recency
        self._merges.setdefault(key.context, SignatureMerge()).add(key)

    def newest_per_context(self) -> list[Key]:
        """The newest key of each context, the newest of all last."""
        return list(self._newest.values())

    def merge_with(self, new: Key) -> SignatureMerge:
        """The signature over the cached keys of ``new``'s context and ``new``."""
        known = self._merges.get(new.context)
        merge = known.copy() if known is not None else SignatureMerge()
        merge.add(new)
        return merge

    def closest(self, new: Key) -> tuple[Key, list[Change]] | None:
        """What :func:`graphlab.tracing.explain.closest` returns over the keys of
        ``new``'s context, diffing only the keys that can be closest."""
        best: tuple[Key, list[Change]] | None = None
        best_score: tuple[int, int] | None = None
        group = self._groups.get(self._skeleton_of(new))
        if group is not None:
            bound = group.lower_bound(new)
            for key in reversed(group.keys):  # newest first: it wins ties
                changes = diff_keys(key, new)
                key_score = score(changes)
                if best_score is None or key_score < best_score:
                    best, best_score = (key, changes), key_score
                if best_score[0] <= bound:
                    break
        if best_score is not None and best_score[0] < 2:
            return best  # a key of another structure differs by a weight of 2 or more
        return closest(self._context_keys.get(new.context, []), new)
