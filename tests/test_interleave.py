"""Interleaved timing, paired speedups and the unstable verdict, with a fake clock whose
machine slows down: the statistics are checked with numbers, never with real timings."""

from __future__ import annotations

import itertools

import pytest
from test_timing import FakeClock

from graphlab._text import format_range
from graphlab.bench import pairing
from graphlab.bench.records import Comparison, ComparisonRow, Measurement
from graphlab.bench.render import _median_iqr, _speedup, render
from graphlab.bench.schedule import interleave
from graphlab.bench.timer import Timer

EAGER_COST, GRAPH_COST = 1e-3, 2e-4  # the true speedup is 5
SLOWDOWN_AT = 1.0  # fake seconds: the machine runs at half speed from then on
NOISE = (1.0, 1.01, 0.99, 1.02, 0.98, 1.005, 0.995)


def drifting_timer(cost: float, clock: FakeClock, label: str, log: list[str] | None = None):
    """A Timer of a callable that costs ``cost`` (with a little noise), twice as much
    once the fake clock passes :data:`SLOWDOWN_AT`."""
    noise = itertools.cycle(NOISE)

    def stmt() -> None:
        if log is not None:
            log.append(label)
        speed = 1.0 if clock.now < SLOWDOWN_AT else 0.5
        clock.advance(cost * next(noise) / speed)

    return Timer(
        stmt,
        label=label,
        clock=clock,
        sync=lambda output: None,
        record_traces=False,
        gc_between_blocks=False,
        max_time=1.0,
        precision=1e-4,  # never reached: the whole budget is used
    )


def comparison_of(eager: Measurement, graph: Measurement) -> Comparison:
    return Comparison(rows=(ComparisonRow("f", "eager", eager), ComparisonRow("f", "graph", graph)))


def test_interleaved_speedup_survives_a_machine_that_slows_down_halfway():
    clock = FakeClock()
    eager, graph = interleave(
        [drifting_timer(EAGER_COST, clock, "eager"), drifting_timer(GRAPH_COST, clock, "graph")]
    )
    assert isinstance(eager, Measurement) and isinstance(graph, Measurement)
    assert clock.now > 1.5 * SLOWDOWN_AT  # the slowdown happened while timing
    assert max(eager.times) / min(eager.times) > 1.8  # each mode saw it
    comparison = comparison_of(eager, graph)
    assert comparison.speedup(comparison.rows[1]) == pytest.approx(5.0, rel=0.05)
    paired = comparison.paired(comparison.rows[1])
    assert paired is not None and paired.pairs == graph.rounds
    low, high = comparison.speedup_ci(comparison.rows[1])
    assert low == pytest.approx(5.0, rel=0.05) and high == pytest.approx(5.0, rel=0.05)
    # the ratio held, but a machine whose speed halves is worth a warning
    reason = comparison.unstable(comparison.rows[1])
    assert reason.startswith("unstable: the machine's speed changed during the run (reference")


def test_the_old_sequential_schedule_turns_the_slowdown_into_a_false_speedup():
    clock = FakeClock()
    eager = drifting_timer(EAGER_COST, clock, "eager").measure()  # before the slowdown
    graph = drifting_timer(GRAPH_COST, clock, "graph").measure()  # after it
    comparison = comparison_of(eager, graph)
    assert comparison.paired(comparison.rows[1]) is None  # no rounds to pair
    assert comparison.speedup(comparison.rows[1]) == pytest.approx(2.5, rel=0.05)


def test_rounds_alternate_and_rotate():
    clock = FakeClock()
    log: list[str] = []
    timers = [drifting_timer(1e-2, clock, name, log) for name in "abc"]
    for timer in timers:
        timer.max_time = 0.2
    results = interleave(timers)
    assert all(isinstance(r, Measurement) for r in results)
    runs = [name for name, _ in itertools.groupby(log)]
    # warm-ups one after the other (first call, second call, calibration), then rounds
    assert runs[:12] == list("abcabcbcacab")
    assert [r.block_rounds[:3] for r in results] == [(0, 1, 2)] * 3


def test_two_modes_alternate_and_never_time_two_blocks_in_a_row():
    clock = FakeClock()
    log: list[str] = []
    timers = [drifting_timer(1e-2, clock, name, log) for name in "ab"]
    for timer in timers:
        timer.max_time = 0.2
    interleave(timers)
    runs = [name for name, _ in itertools.groupby(log)]
    assert runs[2:12] == list("ab" * 5)  # after the warm-ups: a b a b, not a b b a


def test_a_failing_timer_does_not_stop_the_others():
    clock = FakeClock()
    calls = itertools.count()

    def breaks_later() -> None:
        clock.advance(1e-3)
        if next(calls) > 30:
            raise ValueError("boom")

    broken = Timer(
        breaks_later, clock=clock, sync=lambda o: None, record_traces=False, max_time=0.5
    )
    good, failed = interleave([drifting_timer(1e-3, clock, "good"), broken])
    assert isinstance(good, Measurement) and good.rounds >= 5
    assert isinstance(failed, ValueError)


def measurement(ratio_by_round: list[float], processes: list[int] | None = None) -> Measurement:
    """A graph measurement whose round i is ``ratio_by_round[i]`` times faster than
    :func:`eager_for` of the same rounds."""
    times = [1e-3 / r for r in ratio_by_round]
    return Measurement(
        "f/graph",
        tuple(times),
        (1,) * len(times),
        block_rounds=tuple(range(len(times))),
        block_processes=tuple(processes or ()),
    )


def eager_for(graph: Measurement) -> Measurement:
    n = graph.rounds
    return Measurement(
        "f/eager",
        (1e-3,) * n,
        (1,) * n,
        block_rounds=graph.block_rounds,
        block_processes=graph.block_processes,
    )


def wobble(center: float, n: int) -> list[float]:
    return [center * f for f, _ in zip(itertools.cycle(NOISE), range(n))]


def test_processes_that_disagree_make_the_row_unstable():
    graph = measurement(wobble(5.0, 20) + wobble(7.0, 20), [0] * 20 + [1] * 20)
    comparison = comparison_of(eager_for(graph), graph)
    row = comparison.rows[1]
    assert comparison.processes == 2
    assert "unstable: the 2 processes disagree" in comparison.unstable(row)
    assert any(note.startswith("unstable") for note in comparison.notes(row))
    low, high = comparison.speedup_ci(row)
    assert low <= 5.0 and high >= 7.0 * 0.99  # the interval covers both
    data = comparison.to_dict()["rows"][1]
    assert data["unstable"] is True and data["processes"] == 2 and data["pairs"] == 40
    assert Comparison.from_dict(comparison.to_dict()).unstable(row)


def test_a_steady_machine_gives_a_stable_row():
    clock = FakeClock()
    eager, graph = interleave([steady_timer(EAGER_COST, clock), steady_timer(GRAPH_COST, clock)])
    comparison = comparison_of(eager, graph)
    assert comparison.unstable(comparison.rows[1]) == ""
    assert comparison.speedup(comparison.rows[1]) == pytest.approx(5.0, rel=0.02)


def steady_timer(cost: float, clock: FakeClock) -> Timer:
    noise = itertools.cycle(NOISE)
    return Timer(
        lambda: clock.advance(cost * next(noise)),
        clock=clock,
        sync=lambda output: None,
        record_traces=False,
        gc_between_blocks=False,
        max_time=0.5,
        precision=1e-4,
    )


def test_processes_that_agree_are_stable():
    graph = measurement(wobble(5.0, 20) + wobble(5.05, 20), [0] * 20 + [1] * 20)
    comparison = comparison_of(eager_for(graph), graph)
    assert comparison.unstable(comparison.rows[1]) == ""


def test_a_speedup_that_moves_during_the_run_is_unstable():
    graph = measurement(wobble(5.0, 20) + wobble(6.5, 20))
    comparison = comparison_of(eager_for(graph), graph)
    reason = comparison.unstable(comparison.rows[1])
    assert reason.startswith("unstable: the machine's speed changed during the run")
    assert "rerun with --processes 5" in reason
    low, high = comparison.speedup_ci(comparison.rows[1])
    assert low <= 5.0 and high >= 6.5 * 0.98
    assert "unstable" in render(comparison)


def test_the_interval_includes_how_far_batches_moved():
    ratios = {(0, i): r for i, r in enumerate([5.0] * 10 + [5.4] * 10 + [5.0] * 10)}
    paired = pairing.paired_speedup(ratios)
    assert paired is not None
    assert paired.value == 5.0
    assert paired.high >= 5.4  # one batch of the run sat at 5.4: the interval says so
    assert paired.unstable == ""


def test_batches_need_three_ratios_each():
    assert pairing.batch_medians([1.0, 2.0, 3.0, 4.0, 5.0]) == []
    assert pairing.batch_medians([1.0] * 6 + [2.0] * 6, 2) == [1.0, 2.0]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (10.2, 10.8, ("10", "11")),
        (10.02, 10.04, ("10.02", "10.04")),
        (9.96, 10.04, ("9.96", "10.0")),
        (5.0, 5.0, ("5.0", "5.0")),
    ],
)
def test_interval_ends_get_the_digits_that_tell_them_apart(low, high, expected):
    assert format_range(low, high) == expected


def test_rendered_speedup_never_shows_equal_ends():
    graph = measurement(wobble(10.5, 30))
    comparison = comparison_of(eager_for(graph), graph)
    text = _speedup(comparison, comparison.figures()[1])
    interval = text[text.index("[") + 1 : text.index("]")]
    low, high = interval.split("-")
    assert low != high, text


def test_a_median_with_no_spread_is_not_shown_as_plus_minus_zero():
    m = Measurement("f/eager", (5.668e-3,) * 5, (1,) * 5)
    assert _median_iqr(ComparisonRow("f", "eager", m)) == "5.668 ± <0.001 ms"
    one = Measurement("f/eager", (5.668e-3,), (1,))
    assert _median_iqr(ComparisonRow("f", "eager", one)) == "5.668 ms (1 block)"


def test_the_plugin_summary_uses_the_paired_speedup_of_interleaved_modes():
    """graph_benchmark(interleave=True) rows: the summary's speedup is the paired one
    (median of neighbouring blocks' ratios) with its interval; rows of separate tests
    keep the ratio of medians."""
    from graphlab.bench.render_plugin import pivot

    clock = FakeClock()
    eager, graph = interleave(
        [drifting_timer(EAGER_COST, clock, "eager"), drifting_timer(GRAPH_COST, clock, "graph")]
    )
    rows = [ComparisonRow("test_f", "eager", eager), ComparisonRow("test_f", "graph", graph)]
    (row,) = pivot(rows)
    paired = comparison_of(eager, graph).paired(ComparisonRow("f", "graph", graph))
    assert row["graph_speedup"] == paired.value
    assert row["graph_speedup"] == pytest.approx(5.0, rel=0.05)
    low, high = row["graph_speedup_ci"]
    assert low <= row["graph_speedup"] <= high
    skewed = pivot(  # the same blocks without their rounds: ratio of medians, no interval
        [
            ComparisonRow(
                "t", "eager", Measurement("t/eager", eager.block_times, eager.block_calls)
            ),
            ComparisonRow(
                "t", "graph", Measurement("t/graph", graph.block_times, graph.block_calls)
            ),
        ]
    )[0]
    assert "graph_speedup_ci" not in skewed
    assert skewed["graph_speedup"] == pytest.approx(eager.median / graph.median)
