"""The seed chapter's custom training step, built afresh from factories.

``make_train_step`` writes the step every custom training loop in the seed chapter
has: ``GradientTape``, ``model(x, training=True)``, the main loss plus
``model.losses``, ``apply_gradients``, weight constraints applied after it, metrics
updated. Benchmarks build it once per mode from factories so that no model, optimizer
or metric state leaks from one mode into the next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import tensorflow as tf


class TrainingSetupError(ValueError):
    """A factory or the data does not fit; the message names the argument."""


@dataclass
class TrainingSetup:
    """What one mode trains: a fresh model, optimizer, loss and metrics."""

    model: Any
    optimizer: Any
    loss_fn: Callable[..., Any]
    metrics: list[Any]
    mean_loss: Any

    def step_function(self) -> Callable[[Any, Any], Any]:
        return make_train_step(
            self.model, self.optimizer, self.loss_fn, self.metrics, mean_loss=self.mean_loss
        )


def make_train_step(
    model: Any,
    optimizer: Any,
    loss_fn: Callable[..., Any],
    metrics: Sequence[Any] = (),
    *,
    mean_loss: Any = None,
) -> Callable[[Any, Any], Any]:
    """The seed chapter's training step as a plain Python function ``step(x, y) -> loss``.

    Wrap it in ``tf.function`` (or ``graphlab.function``) for graph mode. The optimizer
    must already be built (see :func:`build_setup`): building it inside a trace would
    create variables on a non-first call.
    """

    def train_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            main_loss = tf.reduce_mean(loss_fn(y, y_pred))
            extra = list(model.losses)
            loss = tf.add_n([main_loss, *extra]) if extra else main_loss
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        for variable in model.variables:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))
        if mean_loss is not None:
            mean_loss.update_state(loss)
        for metric in metrics:
            metric.update_state(y, y_pred)
        return loss

    return train_step


def build_setup(
    model_fn: Callable[[], Any],
    optimizer_fn: Callable[[], Any],
    loss_fn: Callable[..., Any],
    sample: tuple[Any, Any],
    metrics_fn: Callable[[], Sequence[Any]] | None = None,
) -> TrainingSetup:
    """Call the factories, check what they return against a sample batch, build the
    optimizer. Raises :class:`TrainingSetupError` naming the argument at fault."""
    import keras

    model = model_fn()
    if not isinstance(model, keras.Model):
        raise TrainingSetupError(
            f"model_fn must return a keras.Model, got {type(model).__name__}"
        )
    optimizer = optimizer_fn()
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TrainingSetupError(
            f"optimizer_fn must return a keras.optimizers.Optimizer, got {type(optimizer).__name__}"
        )
    x, y = sample
    try:
        y_pred = model(x, training=False)
    except Exception as error:
        raise TrainingSetupError(
            f"data does not fit the model: calling it on a batch of shape {tuple(x.shape)} "
            f"raised {type(error).__name__}: {str(error).splitlines()[0]}"
        ) from error
    try:
        loss = loss_fn(y, y_pred)
    except Exception as error:
        raise TrainingSetupError(
            f"loss_fn failed on (labels {tuple(y.shape)}, predictions {tuple(y_pred.shape)}): "
            f"{type(error).__name__}: {str(error).splitlines()[0]}"
        ) from error
    loss_shape = tuple(getattr(loss, "shape", ()))
    if len(loss_shape) > 1 or (loss_shape and loss_shape[0] not in (None, x.shape[0])):
        raise TrainingSetupError(
            f"loss_fn must return a scalar or one loss per example (shape ({x.shape[0]},)), "
            f"got shape {loss_shape}"
        )
    optimizer.build(model.trainable_variables)
    metrics = list(metrics_fn()) if metrics_fn is not None else []
    return TrainingSetup(model, optimizer, loss_fn, metrics, keras.metrics.Mean(name="loss"))
