"""The Timer, with a fake clock (deterministic) and, briefly, with real TensorFlow."""

from __future__ import annotations

import functools
import itertools

import pytest

from graphlab.bench.timer import Timer


class FakeClock:
    """A clock that only moves when the code under test says work happened."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fake_timer(costs, clock: FakeClock, **options) -> Timer:
    """A Timer whose callable costs the next value of ``costs`` in fake seconds."""
    iterator = iter(costs)

    def stmt() -> None:
        clock.advance(next(iterator))

    defaults = dict(
        clock=clock, sync=lambda output: None, record_traces=False, gc_between_blocks=False
    )
    return Timer(stmt, **{**defaults, **options})


def test_first_and_second_calls_are_kept_apart_from_the_steady_state():
    clock = FakeClock()
    costs = itertools.chain([0.050, 0.002], itertools.repeat(0.001))
    m = fake_timer(costs, clock, max_time=1.0).measure()
    assert m.first_call == pytest.approx(0.050)
    assert m.second_call == pytest.approx(0.002)
    assert m.median == pytest.approx(0.001)
    assert m.stop_reason == "precision"
    assert m.rounds == 5  # constant cost: IQR 0 as soon as min_rounds blocks exist


def test_calibration_makes_blocks_long_enough():
    clock = FakeClock()
    timer = fake_timer(itertools.repeat(1e-5), clock, min_block_time=0.01, max_time=1.0)
    m = timer.measure()
    assert all(t >= 0.01 for t in m.block_times)
    assert m.calls_per_block == pytest.approx(1000, rel=0.1)
    assert m.median == pytest.approx(1e-5)


def test_block_target_grows_with_sync_cost():
    clock = FakeClock()
    timer = fake_timer(itertools.repeat(1e-6), clock, sync=lambda output: clock.advance(1e-4))
    # a 100 µs sync per block must stay under 0.1% of the block
    assert timer.block_target(None) == pytest.approx(0.1)


def test_noisy_timings_stop_at_the_time_budget():
    clock = FakeClock()
    costs = itertools.cycle([0.001, 0.002, 0.004])
    m = fake_timer(costs, clock, max_time=0.5, min_block_time=0.001).measure()
    assert m.stop_reason == "time budget"
    assert m.relative_iqr > 0.05
    assert clock.now < 0.5 + 0.05


def test_max_rounds_caps_blocks():
    clock = FakeClock()
    costs = itertools.cycle([0.001, 0.003])
    m = fake_timer(costs, clock, max_time=100.0, max_rounds=7, min_block_time=0.001).measure()
    assert m.rounds == 7
    assert m.stop_reason == "max rounds"


def test_one_sync_per_block():
    clock = FakeClock()
    syncs = []
    timer = fake_timer(
        itertools.repeat(1e-4), clock, sync=syncs.append, min_block_time=0.01, max_time=1.0
    )
    m = timer.measure()
    assert m.calls_per_block >= 100
    # first + second call, 5 overhead probes, a few calibration blocks, one per block
    calibration_syncs = len(syncs) - 2 - 5 - m.rounds
    assert 1 <= calibration_syncs <= 4


class StepSource:
    """A loop the Timer does not drive (Keras fit): each block yields many samples."""

    def __init__(self, clock: FakeClock, step: float, steps: int) -> None:
        self.clock, self.step, self.steps = clock, step, steps
        self.blocks = 0

    def first_call(self):
        self.clock.advance(0.5)
        return None, None

    def second_call(self):
        return None, None

    def calls_per_block(self, timer, output, deadline):
        return self.steps

    def samples(self, calls):
        self.blocks += 1
        self.clock.advance(self.step * calls)
        return [(self.step, 1)] * calls

    def finish(self, measurement):
        import dataclasses

        return dataclasses.replace(measurement, first_call=0.5 - measurement.median)


def test_a_sample_source_gets_the_same_loop_and_record():
    clock = FakeClock()
    source = StepSource(clock, step=0.002, steps=16)
    timer = Timer(None, source=source, clock=clock, record_traces=False, max_time=1.0)
    m = timer.measure()
    assert source.blocks == 1  # 16 equal samples: precise after one block
    assert m.stop_reason == "precision"
    assert m.rounds == 16 and m.block_calls == (1,) * 16
    assert m.median == pytest.approx(0.002)
    assert m.first_call == pytest.approx(0.498)  # finish() completed the record


def test_a_noisy_sample_source_runs_to_the_budget():
    clock = FakeClock()
    source = StepSource(clock, step=0.002, steps=4)
    source.samples = lambda calls: [  # type: ignore[method-assign]
        (clock.advance(t) or t, 1) for t in (0.001, 0.004, 0.002, 0.008)
    ]
    m = Timer(None, source=source, clock=clock, record_traces=False, max_time=0.1).measure()
    assert m.stop_reason == "time budget"
    assert m.rounds % 4 == 0 and clock.now >= 0.1


def test_bad_options_say_what_is_wrong():
    with pytest.raises(ValueError, match="max_time"):
        Timer(lambda: None, max_time=0)
    with pytest.raises(ValueError, match="precision"):
        Timer(lambda: None, precision=-1)
    with pytest.raises(TypeError, match="callable"):
        Timer(42)  # type: ignore[arg-type]


def test_real_tf_function_records_tracing_and_retraces():
    import tensorflow as tf

    values = itertools.count()
    square = tf.function(lambda x, n: x * x + n)
    x = tf.constant(2.0)
    # A new Python int per call: every call retraces, which timing must flag.
    timer = Timer(lambda: square(x, next(values)), max_time=0.05, min_rounds=2)
    m = timer.measure()
    assert m.tracing > 0
    assert m.op_count and m.op_count >= 2
    assert m.retraces > 0
    assert "changed Python value" in m.retrace_causes[0]
    steady = Timer(functools.partial(square, x, 1), max_time=0.05).measure()
    assert steady.retraces == 0
    assert float(timer.first_output) == 4.0


def test_the_heap_is_frozen_while_timing_and_given_back_after():
    """A full collection of TensorFlow's heap before each mode's calibration cost ~200 ms
    each; the measurement freezes the heap once and unfreezes it when done."""
    import gc

    from graphlab.bench.timer import frozen_heap

    seen = []
    clock = FakeClock()

    def stmt() -> None:
        seen.append(gc.get_freeze_count())
        clock.advance(1e-3)

    timer = Timer(stmt, clock=clock, sync=lambda output: None, max_time=0.05, record_traces=False)
    assert gc.get_freeze_count() == 0
    timer.measure()
    assert seen and min(seen) > 0  # every call ran with the heap frozen
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        outer = gc.get_freeze_count()
        with frozen_heap():  # nested: no second collection, the same frozen set
            assert gc.get_freeze_count() == outer
        assert gc.get_freeze_count() == outer
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a program that froze its heap itself keeps it frozen
    try:
        mine = gc.get_freeze_count()
        with frozen_heap():
            pass
        assert gc.get_freeze_count() == mine
    finally:
        gc.unfreeze()
