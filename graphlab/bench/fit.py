"""Keras ``fit`` as a sample source of the :class:`~graphlab.bench.timer.Timer`.

``fit`` drives its own loop, so it is observed from inside: a callback stamps the end of
every step (every execution with ``steps_per_execution``) and the steady state is the
time between stamps. ``fit``'s setup per call (data adapter, iterator, callbacks: tens
of ms) is thereby neither hidden nor spread over the steps; it is kept in the metadata.
The first step is what a user waits for on the first call: from calling ``fit`` to the
end of its first step.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable
from typing import Any

from graphlab.bench.records import Measurement

Clock = Callable[[], float]


class StepStamps:
    """A Keras callback's view of ``fit``: when each step (or execution) ended."""

    def __init__(self, clock: Clock):
        import keras

        self.clock = clock
        self.started = 0.0
        self.stamps: list[tuple[int, float]] = []
        outer = self

        class _Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                outer.stamps.append((batch, outer.clock()))

        self.callback = _Callback()

    def start(self) -> None:
        self.stamps = []
        self.started = self.clock()

    def first_step(self, steady: float) -> float | None:
        """From calling ``fit`` to the end of its first step: the first stamp, less the
        other steps of the first execution (``steps_per_execution``) at ``steady``."""
        if not self.stamps:
            return None
        batch, stamp = self.stamps[0]
        return stamp - self.started - batch * steady

    def steady_steps(self) -> list[tuple[float, int]]:
        """Times between consecutive stamps and the steps they cover; the first stamp
        of a call (iterator start-up included) is the reference, not a sample."""
        return [
            (t1 - t0, b1 - b0)
            for (b0, t0), (b1, t1) in zip(self.stamps, self.stamps[1:])
            if b1 > b0
        ]

    def steps_time(self) -> float:
        """Time the call spent in steps, the first step counted at the steady rate."""
        samples = self.steady_steps()
        if not samples:
            return 0.0
        total = sum(t for t, _ in samples)
        first_batch = self.stamps[0][0] + 1
        return total + total / sum(n for _, n in samples) * first_batch


class FitSource:
    """Samples for the Timer: one block is one ``fit`` call of ``steps`` steps, giving
    one sample per step (or execution). The first ``fit`` call is the first call."""

    def __init__(self, model: Any, dataset: Any, steps: int, clock: Clock = time.perf_counter):
        self.model = model
        self.dataset = dataset
        self.steps = steps
        self.clock = clock
        self.stamps = StepStamps(clock)
        self._first: tuple[list[tuple[int, float]], float] = ([], 0.0)
        self._first_fit = 0.0
        self._setups: list[float] = []

    def _fit(self) -> float:
        self.stamps.start()
        self.model.fit(
            self.dataset,
            epochs=1,
            steps_per_epoch=self.steps,
            verbose=0,
            shuffle=False,
            callbacks=[self.stamps.callback],
        )
        return self.clock() - self.stamps.started

    def first_call(self) -> tuple[float | None, Any]:
        """The first ``fit`` call; its first step is known once the steady state is."""
        self._first_fit = self._fit()
        self._first = list(self.stamps.stamps), self.stamps.started
        return None, None

    def second_call(self) -> tuple[float | None, Any]:
        return None, None

    def calls_per_block(self, timer: Any, output: Any, deadline: float) -> int:
        return self.steps

    def samples(self, calls: int) -> list[tuple[float, int]]:
        fit_time = self._fit()
        self._setups.append(fit_time - self.stamps.steps_time())
        return self.stamps.steady_steps()

    def finish(self, measurement: Measurement) -> Measurement:
        self.stamps.stamps, self.stamps.started = self._first
        return dataclasses.replace(
            measurement,
            first_call=self.stamps.first_step(measurement.median),
            metadata={
                **measurement.metadata,
                "timed_as": f"step to step inside fit() calls of {self.steps} steps",
                "fit_call_setup_ms": f"{max(statistics.median(self._setups), 0.0) * 1e3:.3g}",
                "first_fit_ms": f"{self._first_fit * 1e3:.4g}",
            },
        )
