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

    def step_function(self, loss_scale: float = 1.0) -> Callable[[Any, Any], Any]:
        return make_train_step(
            self.model,
            self.optimizer,
            self.loss_fn,
            self.metrics,
            mean_loss=self.mean_loss,
            loss_scale=loss_scale,
        )


def make_train_step(
    model: Any,
    optimizer: Any,
    loss_fn: Callable[..., Any],
    metrics: Sequence[Any] = (),
    *,
    mean_loss: Any = None,
    loss_scale: float = 1.0,
) -> Callable[[Any, Any], Any]:
    """The seed chapter's training step as a plain Python function ``step(x, y) -> loss``.

    Wrap it in ``tf.function`` (or ``graphlab.function``) for graph mode. The optimizer
    must already be built (see :func:`build_setup`): building it inside a trace would
    create variables on a non-first call. ``loss_scale`` (``1 / replicas`` under a
    distribution strategy) makes the replicas' summed gradients those of the global mean.
    """

    def train_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            main_loss = tf.reduce_mean(loss_fn(y, y_pred))
            extra = list(model.losses)
            loss = tf.add_n([main_loss, *extra]) if extra else main_loss
            if loss_scale != 1.0:
                loss = loss * loss_scale
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
        raise TrainingSetupError(f"model_fn must return a keras.Model, got {type(model).__name__}")
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


# ---------------------------------------------------------------------------
# bench_training_step

#: Custom-loop modes (the seed chapter's step) and Keras-native modes.
CUSTOM_MODES = ("eager", "graph", "xla")
FIT_MODES = ("fit_eager", "fit", "fit_xla", "fit_spe")
TRAINING_MODES = CUSTOM_MODES + FIT_MODES


def bench_training_step(
    model_fn: Callable[[], Any],
    optimizer_fn: Callable[[], Any],
    loss_fn: Callable[..., Any],
    data: tuple[Any, Any],
    batch_size: int,
    modes: Sequence[str] = CUSTOM_MODES,
    metrics: Callable[[], Sequence[Any]] | None = None,
    strategy: Any = None,
    *,
    steps_per_execution: int = 8,
    max_time: float = 1.0,
    precision: float = 0.05,
    check_steps: int = 3,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Any:
    """Time one training step in several modes, each built afresh from the factories.

    Args:
        model_fn: Returns a new ``keras.Model`` (called once per mode, and once more
            for the parity check, with the same seed: identical initial weights).
        optimizer_fn: Returns a new Keras optimizer.
        loss_fn: ``loss_fn(y_true, y_pred)``, per example or scalar.
        data: ``(x, y)``; steps cycle through its batches as epochs would, the smaller
            last batch included (a graph retrace it causes is reported with its cause).
        batch_size: Global batch size.
        modes: ``eager``, ``graph``, ``xla`` (the seed chapter's custom step, eager,
            ``tf.function``, ``jit_compile=True``) and Keras's own ``fit_eager``
            (``run_eagerly=True``), ``fit``, ``fit_xla`` (``jit_compile=True``),
            ``fit_spe`` (``steps_per_execution``).
        metrics: Returns new Keras metrics, updated every step.
        strategy: A ``tf.distribute`` strategy: the step runs through ``strategy.run``
            under its scope, each replica on ``batch_size / replicas`` examples.
        steps_per_execution: For ``fit_spe``.
        max_time: Time budget per mode, seconds.
        precision: Stop a mode once IQR/median is at most this.
        check_steps: Steps whose losses must agree across modes (parity check).
        rtol: Relative tolerance of the parity check.
        atol: Absolute tolerance of the parity check.
        seed: Seeds Keras before each model is built.
        progress: Called with a short line as each mode starts and ends.

    Returns:
        A :class:`graphlab.records.Comparison` whose calls are training steps:
        ``to_frame()`` has ``first_step_ms``, ``median_step_us``, ``steps_per_s``,
        ``examples_per_s`` and ``speedup_vs_eager`` per mode.

    Raises:
        TrainingSetupError: Bad arguments, named, before any timing starts.
    """
    from graphlab.compare import environment

    modes = _check_modes(modes)
    x, y = _check_data(data, batch_size)
    if strategy is not None:
        replicas = strategy.num_replicas_in_sync
        if batch_size % replicas:
            raise TrainingSetupError(
                f"batch_size {batch_size} does not split over {replicas} replicas"
            )
    factories = _Factories(model_fn, optimizer_fn, loss_fn, metrics, seed, strategy)
    factories.setup((x[:batch_size], y[:batch_size]))  # validate before any timing
    metadata = environment()
    metadata["unit"] = "training step"
    metadata["batch_size"] = str(batch_size)
    if strategy is not None:
        metadata["strategy"] = type(strategy).__name__
        metadata["replicas"] = str(strategy.num_replicas_in_sync)
        metadata["per_replica_batch"] = str(batch_size // strategy.num_replicas_in_sync)

    rows = []
    losses: dict[str, list[float]] = {}
    for mode in modes:
        if progress:
            progress(f"{mode}: timing ...")
        row, mode_losses = _run_mode(
            mode,
            factories,
            x,
            y,
            batch_size,
            steps_per_execution,
            max_time,
            precision,
            check_steps,
            metadata,
        )
        if mode_losses is not None:
            row = _with_loss_parity(row, losses, mode_losses, rtol, atol)
        rows.append(row)
        if progress:
            progress(f"{mode}: {'done' if row.ok else row.error}")
    from graphlab import _tf
    from graphlab.records import Comparison

    return Comparison(tuple(rows), _tf.TF_VERSION, None, metadata)


def _check_modes(modes: Sequence[str] | str) -> list[str]:
    if isinstance(modes, str):
        modes = [m.strip() for m in modes.split(",") if m.strip()]
    modes = list(modes)
    unknown = [m for m in modes if m not in TRAINING_MODES]
    if unknown or not modes:
        raise TrainingSetupError(
            f"modes: unknown mode(s) {', '.join(map(repr, unknown)) or '(none)'}; "
            f"choose from {', '.join(TRAINING_MODES)}"
        )
    return modes


def _check_data(data: Any, batch_size: int) -> tuple[Any, Any]:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise TrainingSetupError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TrainingSetupError("data must be a pair (x, y) of arrays or tensors")
    x, y = (tf.convert_to_tensor(part) for part in data)
    if x.shape.rank == 0 or y.shape.rank == 0 or x.shape[0] != y.shape[0]:
        raise TrainingSetupError(
            f"data: x and y need the same number of examples, got shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}"
        )
    if x.shape[0] < batch_size:
        raise TrainingSetupError(
            f"data has {x.shape[0]} examples, fewer than one batch of {batch_size}"
        )
    return x, y


@dataclass
class _Factories:
    model_fn: Callable[[], Any]
    optimizer_fn: Callable[[], Any]
    loss_fn: Callable[..., Any]
    metrics_fn: Callable[[], Sequence[Any]] | None
    seed: int
    strategy: Any

    def scope(self) -> Any:
        import contextlib

        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def setup(self, sample: tuple[Any, Any]) -> TrainingSetup:
        import keras

        keras.utils.set_random_seed(self.seed)
        with self.scope():
            return build_setup(
                self.model_fn, self.optimizer_fn, self.loss_fn, sample, self.metrics_fn
            )

    def keras_model(self, mode: str, steps_per_execution: int, sample: tuple[Any, Any]) -> Any:
        setup = self.setup(sample)
        with self.scope():
            setup.model.compile(
                optimizer=self.optimizer_fn(),
                loss=self.loss_fn,
                metrics=list(self.metrics_fn()) if self.metrics_fn else None,
                run_eagerly=mode == "fit_eager",
                jit_compile=mode == "fit_xla",
                steps_per_execution=steps_per_execution if mode == "fit_spe" else 1,
            )
        return setup.model


def _batches(x: Any, y: Any, batch_size: int) -> list[tuple[Any, Any]]:
    return [
        (x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)
    ]


def _custom_step(mode: str, setup: TrainingSetup, strategy: Any) -> Callable[..., Any]:
    from graphlab import _tf

    if strategy is None:
        step = setup.step_function()
    else:
        replica_step = setup.step_function(loss_scale=1.0 / strategy.num_replicas_in_sync)

        def step(xb: Any, yb: Any) -> Any:
            per_replica = strategy.run(replica_step, args=(xb, yb))
            return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    if mode == "eager":
        return step
    return _tf.make_tf_function(step, jit_compile=mode == "xla")


def _distributed_batches(strategy: Any, x: Any, y: Any, batch_size: int) -> list[Any]:
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    return list(strategy.experimental_distribute_dataset(dataset))


def _run_mode(
    mode: str,
    factories: _Factories,
    x: Any,
    y: Any,
    batch_size: int,
    steps_per_execution: int,
    max_time: float,
    precision: float,
    check_steps: int,
    metadata: dict[str, str],
) -> tuple[Any, list[float] | None]:
    from graphlab.compare import describe_error
    from graphlab.records import ComparisonRow

    try:
        if mode in CUSTOM_MODES:
            losses = _custom_losses(mode, factories, x, y, batch_size, check_steps)
            measurement = _time_custom(
                mode, factories, x, y, batch_size, max_time, precision, metadata
            )
        else:
            losses = _fit_losses(
                mode, factories, x, y, batch_size, steps_per_execution, check_steps
            )
            measurement = _time_fit(
                mode,
                factories,
                x,
                y,
                batch_size,
                steps_per_execution,
                max_time,
                precision,
                metadata,
            )
    except TrainingSetupError:
        raise
    except Exception as error:  # one failing mode must not hide the others
        return ComparisonRow("train_step", mode, None, error=describe_error(error)), None
    return ComparisonRow("train_step", mode, measurement), losses


def _custom_batches(factories: _Factories, x: Any, y: Any, batch_size: int) -> list[Any]:
    if factories.strategy is not None:
        return _distributed_batches(factories.strategy, x, y, batch_size)
    return _batches(x, y, batch_size)


def _custom_losses(
    mode: str, factories: _Factories, x: Any, y: Any, batch_size: int, steps: int
) -> list[float]:
    setup = factories.setup((x[:batch_size], y[:batch_size]))
    step = _custom_step(mode, setup, factories.strategy)
    batches = _custom_batches(factories, x, y, batch_size)
    return [float(step(*batches[i % len(batches)])) for i in range(steps)]


def _fit_losses(
    mode: str, factories: _Factories, x: Any, y: Any, batch_size: int, spe: int, steps: int
) -> list[float]:
    model = factories.keras_model(mode, spe, (x[:batch_size], y[:batch_size]))
    batches = _batches(x, y, batch_size)
    losses = []
    for i in range(steps):
        xb, yb = batches[i % len(batches)]
        result = model.train_on_batch(xb, yb, return_dict=True)
        losses.append(float(result["loss"]))
    return losses


def _time_custom(
    mode: str,
    factories: _Factories,
    x: Any,
    y: Any,
    batch_size: int,
    max_time: float,
    precision: float,
    metadata: dict[str, str],
) -> Any:
    import itertools

    from graphlab import _tf
    from graphlab.timing import Timer

    setup = factories.setup((x[:batch_size], y[:batch_size]))
    step = _custom_step(mode, setup, factories.strategy)
    batches = itertools.cycle(_custom_batches(factories, x, y, batch_size))

    def one_step() -> Any:
        return step(*next(batches))

    _tf.reset_peak_memory()
    timer = Timer(
        one_step,
        label=f"train_step/{mode}",
        max_time=max_time,
        precision=precision,
        metadata=metadata,
    )
    measurement = timer.measure()
    return _with_peak_memory(measurement)


def _time_fit(
    mode: str,
    factories: _Factories,
    x: Any,
    y: Any,
    batch_size: int,
    spe: int,
    max_time: float,
    precision: float,
    metadata: dict[str, str],
) -> Any:
    """Keras's ``fit`` is timed an epoch at a time (its per-call setup included, as
    users pay it) and reported per step. The first step is the first epoch minus the
    other steps at the steady rate: tracing and compilation plus one step."""
    import dataclasses
    import math

    from graphlab import _tf
    from graphlab.timing import Timer

    model = factories.keras_model(mode, spe, (x[:batch_size], y[:batch_size]))
    steps = math.ceil(x.shape[0] / batch_size)

    def one_epoch() -> Any:
        return model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)

    _tf.reset_peak_memory()
    timer = Timer(
        one_epoch,
        label=f"train_step/{mode}",
        max_time=max_time,
        precision=precision,
        metadata=metadata,
        sync=lambda _: None,
    )
    epoch = timer.measure()
    per_step = epoch.median / steps
    measurement = dataclasses.replace(
        epoch,
        block_calls=tuple(c * steps for c in epoch.block_calls),
        first_call=None if epoch.first_call is None else epoch.first_call - (steps - 1) * per_step,
        second_call=None if epoch.second_call is None else epoch.second_call / steps,
        metadata={**epoch.metadata, "timed_as": f"fit epochs of {steps} steps"},
    )
    return _with_peak_memory(measurement)


def _with_peak_memory(measurement: Any) -> Any:
    import dataclasses

    from graphlab import _tf

    peak = _tf.peak_memory_bytes()
    if peak is None:
        return measurement
    return dataclasses.replace(
        measurement, metadata={**measurement.metadata, "peak_memory_bytes": str(peak)}
    )


def _with_loss_parity(
    row: Any, losses: dict[str, list[float]], mode_losses: list[float], rtol: float, atol: float
) -> Any:
    import math

    from graphlab.records import ComparisonRow

    if not losses:
        losses["reference"] = mode_losses
        return ComparisonRow(row.function, row.mode, row.measurement, parity="reference")
    reference = losses["reference"]
    bad = [
        (i, r, m)
        for i, (r, m) in enumerate(zip(reference, mode_losses))
        if not math.isclose(r, m, rel_tol=rtol, abs_tol=atol)
    ]
    if not bad:
        return ComparisonRow(
            row.function,
            row.mode,
            row.measurement,
            parity=f"ok (first {len(mode_losses)} losses)",
            parity_ok=True,
        )
    i, r, m = bad[0]
    return ComparisonRow(
        row.function,
        row.mode,
        row.measurement,
        parity=f"mismatch: step {i + 1} loss {m:.6g} vs {r:.6g}",
        parity_ok=False,
    )
