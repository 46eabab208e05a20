"""The ``input_signature`` that accepts every call of a function, built one cache key at
a time. Pure logic over :class:`graphlab._types.TypeNode` trees, no TensorFlow.

Every argument TensorFlow can sign gets a spec: tensors and variables a ``TensorSpec``
(``shape=None`` when the calls differ in rank), ragged and sparse tensors their own
specs, Python numbers the scalar tensor they become, a (nested) list of Python numbers
the tensor TensorFlow converts it to, and tuples, lists, dicts and named tuples of these
the same structure of specs. Objects, strings and other Python values cannot be signed.

It also counts what each fix would save in the run seen so far: a signature leaves one
trace per context; ``reduce_retracing=True`` leaves two per group of calls that differ
in shapes only (TensorFlow generalizes on the first retrace of a group, and never across
dtypes, structures or Python values), so it helps only from three such calls on.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from graphlab._text import dims
from graphlab._types import Key, TypeNode, describe_kind

# Python values TensorFlow converts to a tensor of a spec's dtype, per dtype family.
_CONVERTIBLE = {"float": {"int", "float", "bool"}, "int": {"int"}, "bool": {"bool"}}
_NUMBERS = ("int", "float", "bool")
_CONTAINERS = ("tuple", "list", "dict", "namedtuple")
#: Groups of keys remembered for the reduce_retracing estimate; past it, no estimate.
_MAX_GROUPS = 1024


class _Spec:
    """One node of a merged signature: a leaf (``tensor``, ``ragged``, ``sparse``) with
    the dtypes, Python number types and the most specific shape seen, or a container."""

    __slots__ = ("children", "dtypes", "extra", "kind", "label", "labels", "shape")

    def __init__(self, kind: str, label: str = "") -> None:
        self.kind = kind
        self.label = label  # a named tuple's type name; the ragged row-splits dtype
        self.dtypes: set[str] = set()
        self.labels: set[str] = set()
        self.shape: tuple[int | None, ...] | None = ()
        self.extra = ""  # a ragged tensor's ragged_rank
        self.children: list[tuple[str, _Spec]] = []

    def copy(self) -> _Spec:
        other = _Spec(self.kind, self.label)
        other.dtypes, other.labels = set(self.dtypes), set(self.labels)
        other.shape, other.extra = self.shape, self.extra
        other.children = [(name, child.copy()) for name, child in self.children]
        return other

    def leaves(self) -> list[_Spec]:
        if self.kind in _CONTAINERS:
            return [leaf for _, child in self.children for leaf in child.leaves()]
        return [self]


#: A rectangular array of Python numbers: its shape and the Python types in it.
_Array = tuple[tuple[int, ...], set[str]]


def _number_array(node: TypeNode) -> _Array | None:
    """Shape and Python types of a (nested, rectangular) list or tuple of Python
    numbers: what ``tf.convert_to_tensor`` makes a tensor of; None for anything else."""
    if node.kind == "literal":
        return ((), {node.label}) if node.label in _NUMBERS else None
    if node.kind not in ("list", "tuple") or not node.children:
        return None
    inner = [_number_array(child) for _, child in node.children]
    return _stacked(inner)


def _stacked(inner: list[_Array | None]) -> _Array | None:
    """Rows of one shape stacked: the outer shape and the Python types in them; None
    when a row is not an array or the rows differ in shape."""
    if any(i is None for i in inner) or len({i[0] for i in inner if i}) != 1:
        return None
    shape = inner[0][0] if inner[0] else ()
    return (len(inner), *shape), {label for i in inner if i for label in i[1]}


def _spec_as_array(spec: _Spec) -> _Array | None:
    """The same for a merged container of Python numbers only."""
    if spec.kind not in ("list", "tuple") or not spec.children:
        if spec.kind == "tensor" and not spec.dtypes and spec.shape == ():
            return (), set(spec.labels)
        return None
    inner = [_spec_as_array(child) for _, child in spec.children]
    return _stacked(inner)


def _new_spec(node: TypeNode, path: str) -> tuple[_Spec | None, str]:
    if node.kind in ("tensor", "variable"):
        spec = _Spec("tensor")
        spec.dtypes.add(node.dtype)
        spec.shape = node.shape
        return spec, ""
    if node.kind == "literal" and node.label in _NUMBERS:
        spec = _Spec("tensor")
        spec.labels.add(node.label)
        return spec, ""
    if node.kind in ("ragged", "sparse"):
        spec = _Spec(node.kind, node.label)
        spec.dtypes.add(node.dtype)
        spec.shape, spec.extra = node.shape, node.value
        return spec, ""
    if node.kind in _CONTAINERS:
        spec = _Spec(node.kind, node.label)
        for name, child in node.children:
            child_spec, why = _new_spec(child, _child_path(path, node.kind, name))
            if child_spec is None:
                return None, why
            spec.children.append((name, child_spec))
        return spec, ""
    return None, f"{path} is {describe_kind(node)}, not a tensor"


def _child_path(path: str, kind: str, name: str) -> str:
    return f"{path}.{name}" if kind == "namedtuple" else f"{path}[{name}]"


def _merge_shape(
    known: tuple[int | None, ...] | None, shape: tuple[int | None, ...] | None
) -> tuple[int | None, ...] | None:
    if known is None or shape is None or len(known) != len(shape):
        return None  # unknown rank: shape=None
    return tuple(a if a == b else None for a, b in zip(known, shape))


def _merge(spec: _Spec, node: TypeNode, path: str) -> tuple[_Spec | None, str]:
    """``spec`` widened to accept ``node`` too (a new spec when a container of Python
    numbers meets a tensor), or None and why no spec accepts both."""
    array = _number_array(node) if spec.kind == "tensor" and node.kind != "literal" else None
    if array is not None:  # [1, -1] where a tensor was passed before: converted
        shape, labels = array
        spec.labels |= labels
        spec.shape = _merge_shape(spec.shape, shape)
        return spec, ""
    if spec.kind in ("list", "tuple") and node.kind in ("tensor", "variable", "literal"):
        known = _spec_as_array(spec)
        if known is not None:  # a tensor where a list of numbers was passed before
            leaf = _Spec("tensor")
            leaf.labels, leaf.shape = known[1], known[0]
            return _merge(leaf, node, path)
    if spec.kind == "tensor" and (
        node.kind in ("tensor", "variable") or (node.kind == "literal" and node.label in _NUMBERS)
    ):
        if node.kind == "literal":
            spec.labels.add(node.label)
            spec.shape = _merge_shape(spec.shape, ())
        else:
            spec.dtypes.add(node.dtype)
            spec.shape = _merge_shape(spec.shape, node.shape)
        return spec, ""
    if spec.kind in ("ragged", "sparse") and node.kind == spec.kind:
        if node.dtype not in spec.dtypes:
            return None, f"{path} was called with dtypes {min(spec.dtypes)} and {node.dtype}"
        if spec.kind == "ragged" and (
            node.value != spec.extra
            or node.label != spec.label
            or spec.shape is None
            or node.shape is None
            or len(spec.shape) != len(node.shape)
        ):
            return None, f"{path} was called with ragged tensors of different ragged ranks"
        spec.shape = _merge_shape(spec.shape, node.shape)
        return spec, ""
    if spec.kind in _CONTAINERS and node.kind == spec.kind and node.label == spec.label:
        if [name for name, _ in node.children] != [name for name, _ in spec.children]:
            return None, f"{path} was called with {spec.kind}s of different structure"
        for index, ((name, child_spec), (_, child)) in enumerate(zip(spec.children, node.children)):
            merged, why = _merge(child_spec, child, _child_path(path, spec.kind, name))
            if merged is None:
                return None, why
            spec.children[index] = (name, merged)
        return spec, ""
    fresh, why = _new_spec(node, path)
    if fresh is None:
        return None, why
    return None, f"{path} was called with {_kind_name(spec)} and {_kind_name(fresh)}"


def _kind_name(spec: _Spec) -> str:
    if spec.kind == "tensor":
        return "Python numbers" if not spec.dtypes else "tensors"
    return {"ragged": "ragged tensors", "sparse": "sparse tensors"}.get(spec.kind, spec.kind + "s")


def _skeleton(node: TypeNode) -> Hashable:
    """What TensorFlow's ``reduce_retracing`` cannot generalize over: kinds, dtypes,
    structures, Python values (shapes, ranks included, it can)."""
    if node.kind in ("tensor", "variable", "ragged", "sparse"):
        return (node.kind, node.dtype, node.value if node.kind == "ragged" else "")
    if node.kind in ("literal", "identity", "other"):
        return (node.kind, node.label, node.value, node.key)
    return (node.kind, node.label, tuple((k, _skeleton(v)) for k, v in node.children))


def _batch_of(key: Key) -> tuple[int, tuple] | None:
    """The leading dimension every tensor of a key shares, and the rest of the key."""
    batch: set[int | None] = set()
    rest: list[object] = []

    def walk(node: TypeNode) -> None:
        if node.kind in ("tensor", "variable", "ragged", "sparse"):
            if not node.shape:
                batch.add(None)
                return
            batch.add(node.shape[0])
            rest.append((node.dtype, node.shape[1:]))
        elif node.kind in _CONTAINERS:
            for _, child in node.children:
                walk(child)
        else:
            rest.append(node)

    for _, node in key.params:
        walk(node)
    if len(batch) != 1 or None in batch:
        return None
    return next(iter(batch)), tuple(rest)  # type: ignore[return-value]


class SignatureMerge:
    """The most specific ``input_signature`` that accepts every key added (the recorder
    keeps one per function and context instead of re-reading its cache).

    Python numbers count as the scalar tensors they become once passed as tensors (or
    converted by the signature). There is no signature when the calls bind different
    parameters, when an argument holds something that is not a tensor or a number, or
    when dtypes, kinds or structures differ; :attr:`why_not` then says which.
    """

    __slots__ = ("count", "first", "groups", "names", "newest", "specs", "why_not")

    def __init__(self, keys: Sequence[Key] = ()) -> None:
        self.names: list[str] | None = None
        self.specs: list[_Spec] = []
        self.why_not = ""
        self.count = 0  # keys added
        self.groups: dict[Hashable, int] | None = {}  # keys per reduce_retracing group
        self.first: Key | None = None
        self.newest: Key | None = None
        for key in keys:
            self.add(key)

    def copy(self) -> SignatureMerge:
        other = SignatureMerge()
        other.names = None if self.names is None else list(self.names)
        other.specs = [spec.copy() for spec in self.specs]
        other.why_not, other.count = self.why_not, self.count
        other.groups = None if self.groups is None else dict(self.groups)
        other.first, other.newest = self.first, self.newest
        return other

    def add(self, key: Key) -> None:
        self.count += 1
        self.first = self.first or key
        self.newest = key
        if self.groups is not None:
            group = tuple((name, _skeleton(node)) for name, node in key.params)
            self.groups[group] = self.groups.get(group, 0) + 1
            if len(self.groups) > _MAX_GROUPS:
                self.groups = None
        if self.why_not:
            return
        names = [name for name, _ in key.params]
        if self.names is None:
            self.names = names
            for name, node in key.params:
                spec, self.why_not = _new_spec(node, name)
                if spec is None:
                    return
                self.specs.append(spec)
            return
        if names != self.names:
            self.why_not = "the calls bind different parameters"
            return
        for index, (name, node) in enumerate(key.params):
            spec, self.why_not = _merge(self.specs[index], node, name)
            if spec is None:
                return
            self.specs[index] = spec

    # -- what the fixes save ------------------------------------------------
    def traces_with_reduce_retracing(self) -> int | None:
        """How many of the keys added ``reduce_retracing=True`` would have traced: two
        per group of keys that differ in shapes only, one for a group of one."""
        if self.groups is None:
            return None
        return sum(min(n, 2) for n in self.groups.values())

    def last_batch(self) -> tuple[int, int] | None:
        """``(batch, last)`` when the keys are two that differ only in a smaller leading
        dimension shared by every tensor (a dataset's smaller last batch)."""
        if self.count != 2 or self.first is None or self.newest is None:
            return None
        first, newest = _batch_of(self.first), _batch_of(self.newest)
        if first is None or newest is None or first[1] != newest[1] or newest[0] >= first[0]:
            return None
        return first[0], newest[0]

    # -- rendering ------------------------------------------------------------
    def _float_dtypes(self) -> set[str]:
        return {
            d for spec in self.specs for leaf in spec.leaves() for d in leaf.dtypes if "float" in d
        }

    def _dtype(self, leaf: _Spec, path: str) -> tuple[str, str]:
        """The dtype of a leaf's spec, or '' and why there is none. A Python number with
        float tensors of one dtype around it takes that dtype, as TensorFlow converts it
        when it meets them (``x * 2``); otherwise ints are int32."""
        dtypes, labels = leaf.dtypes, leaf.labels
        if len(dtypes) > 1:
            return "", f"{path} was called with dtypes {' and '.join(sorted(dtypes))}"
        floats = self._float_dtypes()
        if dtypes:
            dtype = next(iter(dtypes))
        elif labels <= {"bool"}:
            dtype = "bool"
        elif len(floats) == 1:
            dtype = next(iter(floats))
        elif labels <= {"int"}:
            dtype = "int32"
        else:
            dtype = "float32"
        family = "bool" if dtype == "bool" else "float" if "float" in dtype else "int"
        if not labels <= _CONVERTIBLE.get(family, set()):
            return "", f"{path} mixes {dtype} tensors and Python {', '.join(sorted(labels))}"
        return dtype, ""

    def _render(self, spec: _Spec, path: str) -> str:
        if spec.kind in _CONTAINERS:
            parts = []
            for name, child in spec.children:
                text = self._render(child, _child_path(path, spec.kind, name))
                if not text:
                    return ""
                parts.append(f"{name}={text}" if spec.kind == "namedtuple" else text)
                if spec.kind == "dict":
                    parts[-1] = f"{name}: {text}"
            inner = ", ".join(parts)
            if spec.kind == "tuple":
                return f"({inner},)" if len(parts) == 1 else f"({inner})"
            if spec.kind == "list":
                return f"[{inner}]"
            if spec.kind == "dict":
                return "{" + inner + "}"
            return f"{spec.label}({inner})"
        dtype, why = self._dtype(spec, path)
        if not dtype:
            self.why_not = why
            return ""
        shape = dims(spec.shape, sep=", ", unknown_rank="None")
        if spec.kind == "ragged":
            return (
                f"tf.RaggedTensorSpec(shape={shape}, dtype=tf.{dtype}, ragged_rank={spec.extra}, "
                f"row_splits_dtype=tf.{spec.label})"
            )
        if spec.kind == "sparse":
            return f"tf.SparseTensorSpec(shape={shape}, dtype=tf.{dtype})"
        return f"tf.TensorSpec(shape={shape}, dtype=tf.{dtype})"

    def specs_text(self) -> str:
        """``[spec, ...]``: the signature's list as valid Python, or ''."""
        if self.why_not or not self.names:
            return ""
        texts = []
        for name, spec in zip(self.names, self.specs):
            text = self._render(spec, name)
            if not text:
                return ""
            texts.append(text)
        return f"[{', '.join(texts)}]"

    def signature(self) -> str:
        """``@tf.function(input_signature=[...])`` as valid Python, or ''."""
        specs = self.specs_text()
        return f"@tf.function(input_signature={specs})" if specs else ""

    def named_specs(self, datasets: Sequence[tuple[str, TypeNode]]) -> str:
        """The signature's list with ``NAME.element_spec`` (or ``NAME.element_spec[i]``)
        for each parameter that a dataset's element spec accepts in every call seen;
        ``datasets`` are ``(variable name, element spec)``, the likeliest source first.
        '' when no dataset fits or there is no signature."""
        if not self.specs_text() or self.names is None:
            return ""
        texts, named = [], False
        for name, spec in zip(self.names, self.specs):
            expression = _dataset_expression(spec, datasets)
            named = named or bool(expression)
            texts.append(expression or self._render(spec, name))
        return f"[{', '.join(texts)}]" if named else ""

    def tensor_hint(self, name: str) -> str:
        """How to pass parameter ``name`` as a tensor the signature accepts."""
        if self.why_not or not self.names or name not in self.names:
            return "tf.constant(...)"
        spec = self.specs[self.names.index(name)]
        if spec.kind != "tensor":
            return "tf.constant(...)"
        dtype, _ = self._dtype(spec, name)
        return f"tf.constant({name}, dtype=tf.{dtype})" if dtype else "tf.constant(...)"


def _dataset_expression(spec: _Spec, datasets: Sequence[tuple[str, TypeNode]]) -> str:
    for name, element in datasets:
        candidates = [(f"{name}.element_spec", element)]
        if element.kind == "tuple":
            candidates += [
                (f"{name}.element_spec[{i}]", c) for i, (_, c) in enumerate(element.children)
            ]
        for expression, node in candidates:
            if _spec_accepts(node, spec):
                return expression
    return ""


def _spec_accepts(node: TypeNode, spec: _Spec) -> bool:
    """Whether a dataset's element spec ``node`` accepts every call ``spec`` merged."""
    if node.kind in ("tensor", "ragged", "sparse"):
        if spec.kind != node.kind or spec.labels or spec.dtypes != {node.dtype}:
            return False
        if node.kind == "ragged" and (node.value, node.label) != (spec.extra, spec.label):
            return False
        if node.shape is None:
            return True
        if spec.shape is None or len(spec.shape) != len(node.shape):
            return False
        return all(n is None or n == s for n, s in zip(node.shape, spec.shape))
    if node.kind != spec.kind or node.label != spec.label:
        return False
    if [k for k, _ in node.children] != [k for k, _ in spec.children]:
        return False
    return all(_spec_accepts(n, s) for (_, n), (_, s) in zip(node.children, spec.children))


def synthesize_input_signature(keys: Sequence[Key]) -> str:
    """The most specific ``input_signature`` accepting every key, or '' (see
    :class:`SignatureMerge`)."""
    return SignatureMerge(keys).signature()
