"""graphlab.tracing.explain: pure diffing of trace keys, no TensorFlow involved."""

from __future__ import annotations

import ast
import random

import pytest

from graphlab._types import Context, Key, TypeNode, render_type
from graphlab.tracing.explain import (
    Lineage,
    SignatureMerge,
    accepts,
    closest,
    diff_types,
    explain,
    synthesize_input_signature,
)
from graphlab.tracing.keyindex import KeyIndex
from graphlab.tracing.records import Cause, Change


def tensor(dtype: str, *shape: int | None) -> TypeNode:
    return TypeNode("tensor", dtype=dtype, shape=tuple(shape))


def literal(value: object) -> TypeNode:
    return TypeNode("literal", value=repr(value), label=type(value).__name__)


def key(scope: str = "NO_SCOPE", **params: TypeNode) -> Key:
    return Key(Context(scope), tuple(params.items()))


def test_unknown_dims_accept_any_size_but_not_another_rank():
    assert accepts(tensor("float32", None, 3), tensor("float32", 7, 3))
    assert not accepts(tensor("float32", None, 3), tensor("float32", 7, 4))
    assert not accepts(tensor("float32", None, 3), tensor("float32", 7))
    assert accepts(TypeNode("tensor", dtype="float32", shape=None), tensor("float32", 1, 2, 3))


def test_shape_change_is_reported_with_both_shapes():
    assert diff_types("x", tensor("float32", 1, 2), tensor("float32", 2, 2)) == [
        Change("x", "shape", "(1, 2)", "(2, 2)")
    ]


def test_dtype_and_python_value_and_type_changes():
    assert diff_types("x", tensor("float32"), tensor("int32")) == [
        Change("x", "dtype", "float32", "int32")
    ]
    assert diff_types("n", literal(2), literal(3)) == [Change("n", "python_value", "2", "3")]
    assert diff_types("n", literal(2), literal(2.0)) == [
        Change("n", "type", "Python int 2", "Python float 2.0")
    ]
    assert diff_types("x", tensor("float32"), literal(2))[0].what == "type"


def test_nested_structures_name_the_path():
    before = TypeNode("dict", children=(("'a'", tensor("float32", 2)),))
    after = TypeNode("dict", children=(("'a'", tensor("float32", 3)),))
    assert diff_types("batch", before, after) == [Change("batch['a']", "shape", "(2,)", "(3,)")]
    grown = TypeNode("dict", children=(("'a'", tensor("float32", 2)), ("'b'", literal(1))))
    (change,) = diff_types("batch", before, grown)
    assert change.what == "structure"
    assert "added 'b'" in change.after
    short = TypeNode("list", children=(("0", literal(1)),))
    longer = TypeNode("list", children=(("0", literal(1)), ("1", literal(2))))
    assert diff_types("xs", short, longer) == [
        Change("xs", "structure", "list of length 1", "list of length 2")
    ]


def test_identity_change():
    a = TypeNode("identity", value="<Foo object at 0x1>", key=1)
    b = TypeNode("identity", value="<Foo object at 0x2>", key=2)
    (change,) = diff_types("obj", a, b)
    assert (change.what, change.before, change.after) == (
        "object_identity",
        "<Foo object at 0x1>",
        "<Foo object at 0x2>",
    )


def test_explains_against_the_closest_entry():
    cached = [
        key(x=tensor("float32", 2), n=literal(1)),
        key(x=tensor("float32", 3), n=literal(2)),
    ]
    cause = explain(key(x=tensor("float32", 3), n=literal(3)), cached)
    assert cause.kind == "new_input_type"
    assert cause.changes == (Change("n", "python_value", "2", "3"),)
    assert "Pass a tensor instead of a Python value for n" in cause.advice


def test_a_tensor_is_compared_with_the_nearest_tensor_not_a_python_value():
    cached = [key(x=tensor("float32")), key(x=literal(2)), key(x=literal(3))]
    cause = explain(key(x=tensor("float32", 1, 2)), cached)
    assert cause.changes == (Change("x", "shape", "()", "(1, 2)"),)


def test_first_trace_new_function_object_and_new_instance():
    first = explain(key(x=tensor("float32")), [])
    assert (first.kind, first.expected) == ("first_trace", True)
    recreated = explain(key(x=tensor("float32")), [], lineage=Lineage(2, "", True))
    assert (recreated.kind, recreated.expected) == ("new_function_object", False)
    assert "outside the loop" in recreated.advice
    elsewhere = explain(key(x=tensor("float32")), [], lineage=Lineage(1, "", False))
    assert (elsewhere.kind, elsewhere.expected) == ("new_function_object", True)
    assert "another tf.function object wrapping the same Python code" in elsewhere.detail
    instance = explain(key(x=tensor("float32")), [], lineage=Lineage(1, "M", False))
    assert (instance.kind, instance.expected) == ("new_function_object", True)
    assert instance.advice == ""


def test_variable_creation_and_context_change():
    first = key("VARIABLE_CREATION", x=tensor("float32"))
    second = key("NO_VARIABLE_CREATION", x=tensor("float32"))
    assert explain(second, [first]).kind == "variable_creation"
    eager = Key(Context("NO_SCOPE", (("graph", "eager"),)), ())
    nested = Key(Context("NO_SCOPE", (("graph", "inside graph outer@0x1"),)), ())
    cause = explain(nested, [eager])
    assert cause.kind == "context_change"
    assert "graph eager -> inside graph outer@0x1" in cause.detail


def test_generalized_when_traced_key_differs():
    cached = [key(x=tensor("float32", 2))]
    cause = explain(key(x=tensor("float32", 3)), cached, traced_as=key(x=tensor("float32", None)))
    assert cause.kind == "generalized"
    assert cause.changes == (Change("x", "shape", "(2,)", "(3,)"),)
    assert "x: float32[None]" in cause.detail


def test_synthesized_signature_is_valid_python_and_most_specific():
    keys = [
        key(x=tensor("float32", 1, 3), y=tensor("int32", 5)),
        key(x=tensor("float32", 4, 3), y=tensor("int32", 5)),
    ]
    text = synthesize_input_signature(keys)
    assert text == (
        "@tf.function(input_signature=[tf.TensorSpec(shape=[None, 3], dtype=tf.float32), "
        "tf.TensorSpec(shape=[5], dtype=tf.int32)])"
    )
    ast.parse(text + "\ndef f(x, y): pass")
    ranks = [key(x=tensor("float32", 2)), key(x=tensor("float32", 2, 2))]
    assert synthesize_input_signature(ranks) == (  # both ranks: an unknown rank
        "@tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])"
    )
    dtypes = [key(x=tensor("float32")), key(x=tensor("int32"))]
    merge = SignatureMerge(dtypes)
    assert merge.signature() == ""
    assert merge.why_not == "x was called with dtypes float32 and int32"
    assert synthesize_input_signature([key(x=tensor("float32")), key(x=tensor("int32"))]) == ""


def test_signature_counts_python_numbers_as_the_tensors_they_become():
    mixed = [
        key(x=tensor("float32", 2), n=literal(1)),
        key(x=tensor("float32", 3), n=literal(2)),
        key(x=tensor("float32", 3), n=tensor("float32")),
    ]
    assert synthesize_input_signature(mixed) == (
        "@tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32), "
        "tf.TensorSpec(shape=[], dtype=tf.float32)])"
    )
    sizes = [key(n=literal(1)), key(n=literal(2))]
    assert "dtype=tf.int32" in synthesize_input_signature(sizes)
    assert synthesize_input_signature([key(n=tensor("int32")), key(n=literal(2.5))]) == ""
    obj = TypeNode("identity", value="<Foo>", key=1)
    assert synthesize_input_signature([key(x=obj)]) == ""


def _random_key(rng: random.Random) -> Key:
    params = {"x": tensor("float32", rng.choice([1, 2, 3, None]), rng.choice([1, 2]))}
    if rng.random() < 0.5:
        params["n"] = literal(rng.choice([1, 2, 3]))
    else:
        params["n"] = tensor(rng.choice(["float32", "int32"]), *([2] * rng.choice([0, 1])))
    return key(rng.choice(["NO_SCOPE", "NO_SCOPE", "OTHER"]), **params)


def test_key_index_finds_what_a_full_scan_finds():
    rng = random.Random(15)
    for _ in range(40):
        index = KeyIndex()
        keys: list[Key] = []
        for _ in range(rng.randint(0, 30)):
            new = _random_key(rng)
            same = [k for k in keys if k.context == new.context]
            assert index.closest(new) == closest(same, new)
            assert index.merge_with(new).signature() == synthesize_input_signature([*same, new])
            index.add(new)
            keys.append(new)


def test_render_type_forms():
    assert render_type(tensor("float32", None, 3)) == "float32[None,3]"
    assert render_type(tensor("int32")) == "int32[]"
    pair = TypeNode("tuple", children=(("0", tensor("float32", 2)), ("1", literal(None))))
    assert render_type(pair) == "(float32[2], None)"


def test_records_validate_their_contract():
    with pytest.raises(ValueError, match=r"Change\.what must be one of"):
        Change("x", "colour", "a", "b")
    with pytest.raises(ValueError, match=r"Cause\.kind must be one of"):
        Cause("because")
