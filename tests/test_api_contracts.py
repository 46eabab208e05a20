"""The public API says no to arguments it cannot honour, and labels what TensorFlow does
when it saves a model."""

from __future__ import annotations

import pytest
import tensorflow as tf

import graphlab


@pytest.mark.parametrize(
    ("fn", "limit", "error"),
    [
        (42, 0, TypeError),
        (None, 1.5, TypeError),
        (None, True, TypeError),
        (None, -1, ValueError),
    ],
)
def test_expect_traces_rejects_what_it_cannot_check(fn, limit, error):
    with pytest.raises(error), graphlab.expect_traces(fn, max=limit):
        pass


def test_expect_traces_on_a_python_function_no_tf_function_traced():
    def plain(x):
        return x + 1

    with pytest.raises(TypeError, match=r"pass the tf\.function object"):
        with graphlab.expect_traces(plain, max=0):
            plain(tf.ones([2]))


def test_expect_traces_on_the_python_function_of_a_recreated_tf_function():
    def body(x):
        return x + 1

    with pytest.raises(graphlab.RetraceError):
        with graphlab.expect_traces(body, max=1):
            for _ in range(2):
                tf.function(body)(tf.ones([2]))


@pytest.mark.parametrize("max_time", [0, -1.0, float("nan"), float("inf")])
def test_compare_rejects_a_time_budget_it_cannot_use(max_time):
    with pytest.raises(ValueError, match="max_time"):
        graphlab.compare(lambda x: x, tf.ones([2]), max_time=max_time)


def test_saved_model_trace_is_labelled_as_the_save(tmp_path):
    class Scaler(tf.Module):
        def __init__(self):
            self.scale = None

        @tf.function
        def __call__(self, x):
            if self.scale is None:
                self.scale = tf.Variable(2.0)
            return x * self.scale

    module = Scaler()
    with graphlab.watch() as watch:
        module(tf.ones([2]))
        tf.saved_model.save(module, str(tmp_path / "saved"))
    kinds = [(e.cause.kind, e.cause.detail) for e in watch.report().events if not e.internal]
    assert kinds[1][0] == "variable_creation"
    assert "variable_creation" not in [kind for kind, _ in kinds[2:]], kinds
    saving = [detail for kind, detail in kinds[2:] if kind == "context_change"]
    assert saving and all("tf.saved_model.save" in d for d in saving), kinds


def test_the_demo_document_names_its_schema():
    from graphlab.demo import records

    assert records.document({"traces": {}})["schema"] == "graphlab.demo/1"
