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

from graphlab import _runtime
from graphlab._tf import TF_VERSION
from graphlab._tf import functions as tf_functions
from graphlab.bench.compare import describe_error, recorder_quiet
from graphlab.bench.fit import FitSource
from graphlab.bench.modenames import parse_modes
from graphlab.bench.parity import Parity, check_losses
from graphlab.bench.progress import say
from graphlab.bench.records import Comparison, ComparisonRow, Measurement
from graphlab.bench.schedule import interleave
from graphlab.bench.settings import TrainingSettings
from graphlab.bench.timer import Timer
from graphlab.distributed import sync
from graphlab.profiling.calls import profiling_for


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

    def step_function(self, distributed: bool = False) -> Callable[[Any, Any], Any]:
        return make_train_step(
            self.model,
            self.optimizer,
            self.loss_fn,
            self.metrics,
            mean_loss=self.mean_loss,
            distributed=distributed,
        )


def make_train_step(
    model: Any,
    optimizer: Any,
    loss_fn: Callable[..., Any],
    metrics: Sequence[Any] = (),
    *,
    mean_loss: Any = None,
    distributed: bool = False,
) -> Callable[[Any, Any], Any]:
    """The seed chapter's training step as a plain Python function ``step(x, y) -> loss``.

    Wrap it in ``tf.function`` (or ``graphlab.function``) for graph mode. The optimizer
    must already be built (see :func:`build_setup`): building it inside a trace would
    create variables on a non-first call. With ``distributed=True`` (inside
    ``strategy.run``) each replica's loss is its share of the global mean, the global
    batch counted across replicas (so an uneven or empty last batch stays right), and
    regularization is split over the replicas: their summed gradients are the global ones.
    """

    def replica_mean(per_example: Any) -> Any:
        per_example = tf.convert_to_tensor(per_example)
        if per_example.shape.rank and per_example.shape.rank > 1:
            per_example = tf.reduce_mean(per_example, axis=list(range(1, per_example.shape.rank)))
        context = tf.distribute.get_replica_context()
        global_batch = context.all_reduce(tf.distribute.ReduceOp.SUM, tf.shape(per_example)[0])
        return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)

    def train_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            extra = list(model.losses)
            if distributed:
                main_loss = replica_mean(loss_fn(y, y_pred))
                regularization = tf.nn.scale_regularization_loss(tf.add_n(extra)) if extra else 0.0
                loss = main_loss + regularization
            else:
                main_loss = tf.reduce_mean(loss_fn(y, y_pred))
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
    if loss_shape and loss_shape[0] not in (None, x.shape[0]):
        raise TrainingSetupError(
            f"loss_fn must return a scalar or losses whose first dimension is the batch "
            f"({x.shape[0]}), got shape {loss_shape}"
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
#: Shortest timed block under a multi-worker strategy: each block starts after a barrier
#: (an all-reduce, ~10 ms on loopback), and a one-step block would wait for every step
#: to finish where a training loop lets the next one queue behind it.
MULTI_WORKER_BLOCK_S = 0.1


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
    fit_steps: int = 128,
    max_time: float = 1.0,
    precision: float = 0.05,
    check_steps: int = 3,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    profile: bool = False,
    profile_dir: str | None = None,
    workers: int | None = None,
    layouts: Sequence[str] = ("single", "mirrored", "multi_worker"),
    timeout: float | None = None,
    processes: int = 1,
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
            ``"multi_worker"``: a ``MultiWorkerMirroredStrategy`` over the cluster
            ``TF_CONFIG`` names, used as it is (run this in every worker). Under a
            multi-worker strategy the workers agree on every block they time, each
            timed block starts after a barrier, and the rows are this worker's timing
            with every worker's median (``worker_median_us``).
        steps_per_execution: For ``fit_spe``.
        fit_steps: Steps per ``fit()`` call in the ``fit`` modes (the data repeated).
            A callback stamps the end of each step and the steady state is the time
            between stamps, so ``fit``'s setup per call (tens of ms) is neither hidden
            nor spread over the steps; it is kept in the metadata (``fit_call_setup_ms``).
        max_time: Time budget per mode, seconds.
        precision: Stop a mode once IQR/median is at most this.
        check_steps: Steps whose losses must agree across modes (parity check).
        rtol: Relative tolerance of the parity check.
        atol: Absolute tolerance of the parity check.
        seed: Seeds Keras before each model is built.
        progress: Called with a short line as each mode starts and ends.
        profile: Profile each mode's first step (its phases, XLA compilations) and,
            after timing, a few more steps (top ops, compilations); FLOPs of the custom
            step (see :func:`graphlab.compare`).
        profile_dir: Keep the profiles there (``DIR/train_step_MODE``).
        workers: Start this many local worker processes (loopback ports, ``TF_CONFIG``
            per worker) and measure a scaling table: ``layouts`` ``single`` (one device,
            one process), ``mirrored`` (``MirroredStrategy`` over ``workers`` devices:
            GPUs when there are enough, else logical CPU devices), ``multi_worker``
            (``workers`` processes under ``MultiWorkerMirroredStrategy``), each in fresh
            processes, one after the other. The factories must be importable by name
            (module-level functions, or ``"module:function"`` texts); the error says so.
        layouts: Which rows of the scaling table to measure (with ``workers``).
        timeout: Seconds a layout's processes may run before they are killed and the
            layout's rows report it (default: from the budget, several minutes).
        processes: Run the whole interleaved measurement this many times, each in a
            fresh process (with ``workers``: each layout this many times), and pool the
            runs as ``graphlab bench --processes`` does: the interval then shows how far
            processes disagree. The factories must be importable by name, as for
            ``workers``. 1 (default): this process, without ``workers``.

    Returns:
        A :class:`~graphlab.bench.records.Comparison` whose calls are training steps:
        ``to_frame()`` has ``first_step_ms``, ``median_step_us``, ``steps_per_s``,
        ``examples_per_s`` and ``speedup_vs_eager`` per mode; under a strategy (and
        with ``workers``) also ``workers``, ``replicas``, ``worker_spread`` and
        ``scaling_efficiency``.

    Raises:
        TrainingSetupError: Bad arguments, named, before any timing starts.
    """

    modes = _check_modes(modes)
    try:
        settings = TrainingSettings(
            steps_per_execution=steps_per_execution,
            fit_steps=fit_steps,
            max_time=max_time,
            precision=precision,
            check_steps=check_steps,
            rtol=rtol,
            atol=atol,
            seed=seed,
            processes=processes,
            timeout=timeout,
        )
    except (TypeError, ValueError) as error:
        raise TrainingSetupError(str(error)) from None
    if workers is None:  # before any tensor: a multi-worker strategy comes first
        strategy, coordinator = _resolve_strategy(strategy)
    x, y = _check_data(data, batch_size)
    in_processes = workers is None and processes > 1
    if in_processes:
        workers, layouts = 1, ("single",)
    if workers is not None:
        from graphlab.bench import scaling

        try:
            result = scaling.bench_workers(
                workers,
                dict(model_fn=model_fn, optimizer_fn=optimizer_fn, loss_fn=loss_fn),
                (x.numpy(), y.numpy()),
                batch_size,
                modes,
                metrics,
                settings,
                layouts=layouts,
                progress=progress,
                validate=lambda *f: _Factories(*f, seed, None).setup(
                    (x[:batch_size], y[:batch_size])
                ),
                unsupported=[
                    n for n, v in (("profile", profile or profile_dir), ("strategy", strategy)) if v
                ],
                called_as="processes=N" if in_processes else "workers=N",
            )
        except scaling.LayoutError as error:
            raise TrainingSetupError(str(error)) from None
        return scaling.as_train_step(result) if in_processes else result
    if strategy is not None and batch_size % strategy.num_replicas_in_sync:
        raise TrainingSetupError(
            f"batch_size {batch_size} does not split over {strategy.num_replicas_in_sync} replicas"
        )
    factories = _Factories(model_fn, optimizer_fn, loss_fn, metrics, seed, strategy)
    factories.setup((x[:batch_size], y[:batch_size]))  # validate before any timing
    metadata = _runtime.environment()
    metadata.update({"unit": "training step", "batch_size": str(batch_size)})
    if strategy is not None:
        replicas = strategy.num_replicas_in_sync
        metadata.update(
            {
                "strategy": sync.strategy_name(strategy),
                "replicas": str(replicas),
                "per_replica_batch": str(batch_size // replicas),
            }
        )
        if coordinator is not None:
            if profile:
                raise TrainingSetupError("profile is not supported under a multi-worker strategy")
            metadata.update(workers=str(coordinator.count), rank=str(coordinator.rank))
    plan = _Plan(factories, x, y, batch_size, settings, metadata, profile, profile_dir)
    failed: dict[str, str] = {}
    timers: dict[str, Timer] = {}
    losses: dict[str, list[float]] = {}
    for mode in modes:
        say(progress, f"{mode}: building and checking losses ...")
        try:
            with recorder_quiet():
                losses[mode], timers[mode] = plan.losses(mode), plan.timer(mode)
        except Exception as error:  # one failing mode must not hide the others
            failed[mode] = describe_error(error)
        if coordinator is not None and coordinator.any(mode in failed):  # all drop it
            failed.setdefault(mode, "failed in another worker")
            timers.pop(mode, None)
    if coordinator is not None:  # blocks of several steps, pipelined as in a plain loop
        for timer in timers.values():
            timer.min_block_time = MULTI_WORKER_BLOCK_S
    say(progress, f"timing {', '.join(timers)} interleaved ...")
    with recorder_quiet():  # each mode's peak memory comes with its measurement
        measured = interleave(list(timers.values()), coordinator=coordinator)
        results = dict(zip(timers, measured))
    rows = []
    parity = Parity(check_losses(rtol, atol), first_label="reference")
    for mode in modes:
        result = results.get(mode)
        if isinstance(result, Measurement):
            row = parity.apply(ComparisonRow("train_step", mode, result), losses[mode])
        else:
            error = failed.get(mode) or describe_error(result or RuntimeError("not measured"))
            row = ComparisonRow("train_step", mode, None, error=error)
        rows.append(row)
        say(progress, f"{mode}: {'done' if row.ok else row.error}")
    if strategy is not None:
        rows = sync.placed(rows, strategy, coordinator)
    return Comparison(tuple(rows), TF_VERSION, None, metadata)


def _resolve_strategy(strategy: Any) -> tuple[Any, Any]:
    """The strategy (``"multi_worker"`` built from ``TF_CONFIG``) and, under a
    multi-worker one, the workers to agree with."""
    if isinstance(strategy, str):
        if strategy != sync.MULTI_WORKER:
            raise TrainingSetupError(
                f"strategy must be a tf.distribute strategy or {sync.MULTI_WORKER!r}, "
                f"got {strategy!r}"
            )
        try:
            strategy = sync.multi_worker_strategy()
        except sync.ClusterError as error:
            raise TrainingSetupError(str(error)) from None
    return strategy, sync.coordinator_for(strategy)


def _check_modes(modes: Sequence[str] | str) -> list[str]:

    try:
        return parse_modes(modes, TRAINING_MODES)
    except ValueError as error:
        raise TrainingSetupError(f"modes: {error}") from None


def _check_data(data: Any, batch_size: int) -> tuple[Any, Any]:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise TrainingSetupError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TrainingSetupError("data must be a pair (x, y) of arrays or tensors")
    try:
        x, y = (tf.convert_to_tensor(part) for part in data)
    except (TypeError, ValueError) as error:
        raise TrainingSetupError(
            "data must be (x, y) with x and y arrays or tensors (one input, one target); "
            f"converting them failed: {str(error).splitlines()[0]}"
        ) from None
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
    """Fresh, identically initialized training state for each mode."""

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
        """A fresh model compiled for one of the ``fit`` modes."""
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


@dataclass
class _Plan:
    """Everything a mode needs: factories, data, budgets."""

    factories: _Factories
    x: Any
    y: Any
    batch_size: int
    settings: TrainingSettings
    metadata: dict[str, str]
    profile: bool = False
    profile_dir: str | None = None

    @property
    def sample(self) -> tuple[Any, Any]:
        return self.x[: self.batch_size], self.y[: self.batch_size]

    def losses(self, mode: str) -> list[float]:
        """The first ``check_steps`` losses of a fresh setup (the parity check)."""
        return self._custom_losses(mode) if mode in CUSTOM_MODES else self._fit_losses(mode)

    def timer(self, mode: str) -> Timer:
        """A Timer of ``mode`` on another fresh setup, ready to be interleaved."""
        return self._time_custom(mode) if mode in CUSTOM_MODES else self._time_fit(mode)

    # -- the seed chapter's custom step ----------------------------------------
    def _custom_step(self, mode: str) -> Callable[..., Any]:

        setup = self.factories.setup(self.sample)
        strategy = self.factories.strategy
        if strategy is None:
            step = setup.step_function()
        else:
            replica_step = setup.step_function(distributed=True)

            def step(xb: Any, yb: Any) -> Any:
                per_replica = strategy.run(replica_step, args=(xb, yb))
                return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

        if mode == "eager":
            return step
        return tf_functions.rebuild(step, jit_compile=mode == "xla")

    def _custom_batches(self) -> list[Any]:
        strategy = self.factories.strategy
        if strategy is not None:
            dataset = tf.data.Dataset.from_tensor_slices((self.x, self.y)).batch(self.batch_size)
            return list(strategy.experimental_distribute_dataset(dataset))
        return _batches(self.x, self.y, self.batch_size)

    def _custom_losses(self, mode: str) -> list[float]:
        step = self._custom_step(mode)
        batches = self._custom_batches()
        return [float(step(*batches[i % len(batches)])) for i in range(self.settings.check_steps)]

    def _time_custom(self, mode: str) -> Timer:
        import itertools

        step = self._custom_step(mode)
        batches = itertools.cycle(self._custom_batches())

        def one_step() -> Any:
            return step(*next(batches))

        return self._timer(mode, one_step, graph=step)

    # -- Keras fit ---------------------------------------------------------------
    def _fit_losses(self, mode: str) -> list[float]:
        model = self.factories.keras_model(mode, self.settings.steps_per_execution, self.sample)
        batches = _batches(self.x, self.y, self.batch_size)
        losses = []
        for i in range(self.settings.check_steps):
            xb, yb = batches[i % len(batches)]
            losses.append(float(model.train_on_batch(xb, yb, return_dict=True)["loss"]))
        return losses

    def _time_fit(self, mode: str) -> Timer:
        """Keras's ``fit`` drives its own loop: the Timer reads its steps through
        :class:`~graphlab.bench.fit.FitSource` (step stamps, setup per call kept apart)."""
        model = self.factories.keras_model(mode, self.settings.steps_per_execution, self.sample)
        dataset = (
            tf.data.Dataset.from_tensor_slices((self.x, self.y)).batch(self.batch_size).repeat()
        )
        source = FitSource(model, dataset, self.settings.fit_steps)
        # a fit() call is a block: the garbage Keras makes inside it counts
        return self._timer(mode, None, source=source, gc_between_blocks=False)

    def _timer(
        self, mode: str, stmt: Callable[[], Any] | None, graph: Any = None, **options: Any
    ) -> Timer:
        """One mode's Timer: the one timing loop, interleaved with the other modes
        (``graph``: the step whose FLOPs and op sources ``profile`` reports)."""
        if self.profile:
            options["profile"] = profiling_for(
                graph, self.sample, {}, label=f"train_step_{mode}", profile_dir=self.profile_dir
            )
        return Timer(
            stmt,
            label=f"train_step/{mode}",
            max_time=self.settings.max_time,
            precision=self.settings.precision,
            metadata=self.metadata,
            **options,
        )


def _batches(x: Any, y: Any, batch_size: int) -> list[tuple[Any, Any]]:
    return [
        (x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)
    ]
