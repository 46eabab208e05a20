"""TensorFlow's tf.function guide ("Better performance with tf.function") as a client:
for each story the guide annotates, graphlab's report says the same thing. Written from
the guide's examples, shortened; no large Conv2D."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

import graphlab

foo = 1


def kinds(events):
    return [e.cause.kind for e in events]


def test_new_dtypes_trace_and_the_same_dtype_does_not():
    @tf.function
    def double(a):
        return a + a

    with graphlab.watch() as w:
        double(tf.constant(1))
        double(tf.constant(1.1))
        double(tf.constant("a"))
        double(tf.constant("b"))  # the guide: this one does not print "Tracing with"
    assert kinds(w.events) == ["first_trace", "new_input_type", "new_input_type"]
    assert [c.what for e in w.events[1:] for c in e.cause.changes] == ["dtype", "dtype"]
    assert "Cast inputs to one dtype" in w.events[1].cause.advice


def test_a_none_dimension_in_the_signature_means_no_retrace():
    @tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
    def g(x):
        return x

    with graphlab.expect_traces(g, max=1) as w:  # "No retrace!"
        g(tf.constant([1, 2, 3]))
        g(tf.constant([1, 2, 3, 4, 5]))
    assert kinds(w.events) == ["first_trace"]


def test_reduce_retracing_traces_again_but_more_generalized():
    @tf.function(reduce_retracing=True)
    def g(x):
        return x

    with graphlab.watch() as w:
        g(tf.constant([1, 2, 3]))
        g(tf.constant([1, 2, 3, 4, 5]))  # "Traces again, but more generalized"
        g(tf.constant([1, 2, 3, 4, 5, 6, 7]))  # served by the general graph
    assert kinds(w.events) == ["first_trace", "generalized"]
    assert w.events[1].signature == {"x": "int32[None]"}
    assert not w.events[1].actionable


def test_python_values_retrace_and_tensors_do_not():
    def train_one_step():
        pass

    @tf.function
    def train(num_steps):
        for _ in tf.range(num_steps):
            train_one_step()

    with graphlab.watch() as w:
        train(num_steps=10)
        train(num_steps=20)  # retraces: a new Python value
        train(num_steps=tf.constant(10))
        train(num_steps=tf.constant(20))  # the tensor trace is reused
    assert kinds(w.events) == ["first_trace", "new_input_type", "new_input_type"]
    (change,) = w.events[1].cause.changes
    assert (change.param, change.what, change.before, change.after) == (
        "num_steps",
        "python_value",
        "10",
        "20",
    )
    assert "Pass a tensor instead of a Python value for num_steps" in w.events[1].cause.advice


def test_a_function_wrapped_again_each_time_is_re_created():
    def f():
        return tf.constant(1)

    with graphlab.watch() as w:
        tf.function(f)()
        tf.function(f)()
    # Each new tf.function object traces again; made at two different places it is told
    # apart from a re-creation in a loop (tests/test_tracing.py), and said as such.
    assert kinds(w.events) == ["first_trace", "new_function_object"]
    assert "another tf.function object wrapping the same Python code" in w.events[1].message


def test_python_side_effects_run_only_while_tracing():
    external_list = []

    @tf.function
    def side_effect(x):
        print("Python side effect")
        external_list.append(x)
        return x + np.random.randn()

    with graphlab.watch() as w:
        side_effect(tf.constant(1.0))
        side_effect(tf.constant(2.0))
    assert len(external_list) == 1  # the guide's point: once, while tracing
    assert [e.kind for e in w.events[0].side_effects] == ["print", "random", "mutation"]


def test_a_global_changed_after_tracing_is_a_stale_value():
    global foo
    foo = 1

    @tf.function
    def buggy_add():
        return 1 + foo

    with graphlab.watch() as w:
        assert buggy_add().numpy() == 2
        foo = 100
        assert buggy_add().numpy() == 2  # still 2: foo was baked in
    (finding,) = w.report().findings
    assert (finding.name, finding.traced_value, finding.current_value) == ("foo", "1", "100")
    foo = 1


def test_an_attribute_changed_after_tracing_did_not_change():
    class SimpleModel(tf.Module):
        def __init__(self):
            self.bias = 0.0
            self.weight = 2.0

    @tf.function
    def evaluate(model, x):
        return model.weight * x + model.bias

    simple_model = SimpleModel()
    with graphlab.watch() as w:
        evaluate(simple_model, tf.constant(10.0))
        simple_model.bias += 5.0
        assert evaluate(simple_model, tf.constant(10.0)).numpy() == 20.0  # "Didn't change :("
    assert [(f.name, f.current_value) for f in w.report().findings] == [("model.bias", "5.0")]


def test_a_variable_instead_of_the_attribute_is_not_stale():
    class BetterModel(tf.Module):
        def __init__(self):
            self.bias = tf.Variable(0.0)
            self.weight = tf.Variable(2.0)

    @tf.function
    def evaluate(model, x):
        return model.weight * x + model.bias

    better_model = BetterModel()
    with graphlab.watch() as w:
        evaluate(better_model, tf.constant(10.0))
        better_model.bias.assign_add(5.0)
        assert evaluate(better_model, tf.constant(10.0)).numpy() == 25.0
    assert w.report().findings == ()


def test_recursion_traces_once_per_level():
    @tf.function
    def recursive_fn(n):
        if n > 0:
            return recursive_fn(n - 1)
        return 1

    with graphlab.watch() as w:
        recursive_fn(5)
    assert kinds(w.events) == ["first_trace"] + ["recursion"] * 5
    assert all("tf.while_loop" in e.cause.advice for e in w.events[1:])


def test_objects_keyed_by_identity_retrace_per_object():
    class Fruit:
        pass

    @tf.function
    def get_mixed_flavor(fruit, x):
        return x * 2

    apple, mango = Fruit(), Fruit()
    with graphlab.watch() as w:
        get_mixed_flavor(apple, tf.constant(1.0))
        get_mixed_flavor(mango, tf.constant(1.0))
    assert kinds(w.events) == ["first_trace", "new_input_type"]
    assert w.events[1].cause.changes[0].what == "object_identity"
    assert "__tf_tracing_type__" in w.events[1].cause.advice


def test_the_recursion_advice_applied_traces_once():
    # The advice for recursion_fn, applied: a loop over tf.range instead of the recursion.
    @tf.function
    def looped_fn(n):
        result = tf.constant(1)
        for _ in tf.range(n):
            result = tf.identity(result)
        return result

    with graphlab.watch() as w:
        assert looped_fn(tf.constant(5)).numpy() == 1
        assert looped_fn(tf.constant(50)).numpy() == 1
    assert kinds(w.events) == ["first_trace"]
