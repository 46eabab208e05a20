"""The keys of every function cache the recorder has seen, described once each.

Explaining a trace means comparing the call's key with the keys already in the
function's cache. Reading and describing the whole cache on every trace would make each
trace cost more than the last (and walking TensorFlow's OrderedDict hashes every
FunctionType, which is slow), so each cache's keys are kept described and indexed
(:class:`graphlab.tracing.keyindex.KeyIndex`) and only the entries added since its last
trace are read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphlab._tf import hook, trace_types
from graphlab._types import Key
from graphlab.tracing.explain import SignatureMerge
from graphlab.tracing.keyindex import KeyIndex
from graphlab.tracing.records import Change

# Function caches whose keys are kept described (the least recently traced are dropped
# and described again if they trace again).
MAX_INDEXED_CACHES = 256


@dataclass(frozen=True, slots=True)
class CacheView:
    """A function's cache as a trace found it, and the call's key against it.

    Attributes:
        count: Entries in the cache.
        newest: The newest key of each context, the newest of all last.
        new_key: The call's key as made.
        traced_as: The key TensorFlow traced instead (``reduce_retracing``), or None.
        match: The closest cached key of the call's context and the changes, or None.
        merge: The signature over the cached keys of the call's context and the call.
    """

    count: int
    newest: list[Key]
    new_key: Key
    traced_as: Key | None
    match: tuple[Key, list[Change]] | None
    merge: SignatureMerge


class _IndexedCache:
    """One function cache's entries, described and indexed as they were added."""

    __slots__ = ("contexts", "index", "last")

    def __init__(self) -> None:
        self.index = KeyIndex()
        self.contexts: dict[Any, Any] = {}  # FunctionContext -> its description
        self.last: tuple[Any, Any] | None = None  # the newest entry described

    def continues(self, newest: list[tuple[Any, Any]], size: int) -> bool:
        """Whether ``newest`` (the cache's newest entries, ``size`` in all) starts with
        the newest entry described here, at the same position: nothing was removed."""
        if size < len(self.index) or not newest or self.last is None:
            return False
        first = newest[0]
        return (
            size - len(newest) + 1 == len(self.index)
            and first[0] is self.last[0]
            and first[1] is self.last[1]
        )

    def add(self, pair: tuple[Any, Any]) -> None:
        self.index.add(trace_types.describe_keys([pair], self.contexts)[0])
        self.last = pair


class CacheIndexes:
    """The indexed keys of each function cache, by cache (FunctionCache objects cannot
    be weakly referenced: the least recently traced are dropped past a bound)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: OrderedDict[int, _IndexedCache] = OrderedDict()

    def index_of(self, options: Any) -> KeyIndex:
        """The keys of the cache behind ``options`` (TensorFlow's tracing options)."""
        cache = options.function_cache
        with self._lock:
            known = self._indexes.pop(id(cache), None) if cache is not None else None
            described = len(known.index) if known is not None else 0
            size, _ = hook.newest_cached_keys(options, 0)
            pairs: list[tuple[Any, Any]] = []
            if known is not None and 0 < described <= size:
                size, pairs = hook.newest_cached_keys(options, size - described + 1)
            if known is not None and pairs and known.continues(pairs, size):
                pairs = pairs[1:]  # the first is the newest entry already described
            else:  # a new cache, one that lost entries, or a dead cache's reused id
                known, (size, pairs) = _IndexedCache(), hook.newest_cached_keys(options)
            for pair in pairs:
                known.add(pair)
            if cache is not None:
                self._indexes[id(cache)] = known
                while len(self._indexes) > MAX_INDEXED_CACHES:
                    self._indexes.popitem(last=False)
            return known.index

    def view(self, pending: hook.PendingTrace) -> CacheView:
        """The cache as this pending trace finds it, and the call's key against it."""
        index = self.index_of(pending.tracing_options)
        lookup_type, function_context = hook.lookup_and_context(pending)
        new_key = trace_types.describe_key(function_context, lookup_type)
        traced_as = (
            trace_types.describe_key(function_context, pending.function_type)
            if pending.function_type is not lookup_type
            else None
        )
        return CacheView(
            len(index),
            index.newest_per_context(),
            new_key,
            traced_as,
            index.closest(new_key),
            index.merge_with(new_key),
        )
