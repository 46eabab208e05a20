"""Pure statistics: checked against numpy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphlab._text import format_significant
from graphlab.bench import stats


def test_quantiles_match_numpy():
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0]
    for q in (0.0, 0.25, 0.5, 0.75, 1.0):
        assert stats.quantile(values, q) == pytest.approx(np.quantile(values, q))
    assert stats.iqr(values) == pytest.approx(np.subtract(*np.quantile(values, [0.75, 0.25])))
    assert stats.mean(values) == pytest.approx(np.mean(values))


def test_relative_iqr_needs_two_values():
    assert stats.relative_iqr([1.0]) == math.inf
    assert stats.relative_iqr([1.0, 1.0, 1.0]) == 0.0


def test_median_ci_brackets_the_median_and_narrows_with_n():
    small = stats.median_ci(list(range(1, 11)))
    large = stats.median_ci([float(i % 10 + 1) for i in range(1000)])
    assert small[0] <= 5.5 <= small[1]
    assert small == (2, 9)  # ranks 2 and 9 of 10 at 95%
    assert large[1] - large[0] <= 1
    assert stats.median_ci([3.0, 1.0]) == (1.0, 3.0)


def test_speedup_and_its_interval():
    eager = [10.0, 11.0, 10.5, 10.2, 10.8]
    graph = [2.0, 2.1, 2.05, 1.95, 2.02]
    value = stats.speedup(eager, graph)
    low, high = stats.speedup_ci(eager, graph)
    assert value == pytest.approx(10.5 / 2.02)
    assert low <= value <= high
    boot_low, boot_high = stats.bootstrap_ratio_ci(eager, graph, resamples=200)
    assert low <= boot_low <= value <= boot_high <= high


def test_mann_whitney_against_hand_computation():
    u, p = stats.mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert u == 0
    # normal approximation with continuity correction: z = 4 / sqrt(5.25)
    assert p == pytest.approx(2 * (1 - 0.5 * math.erfc(-(4 / math.sqrt(5.25)) / math.sqrt(2))))
    assert stats.mann_whitney_u([1, 1, 1], [1, 1, 1])[1] == 1.0
    _, same = stats.mann_whitney_u([1, 2, 3, 4], [1.5, 2.5, 3.5, 4.5])
    assert same > 0.5
    with pytest.raises(ValueError, match="both sides"):
        stats.mann_whitney_u([], [1])


def test_break_even_calls():
    # graph: first call 50 ms, then 1 ms; eager: 5 ms, then 6 ms -> 45 ms extra / 5 ms saved
    assert stats.break_even_calls(50.0, 1.0, 5.0, 6.0) == 10
    assert stats.break_even_calls(50.0, 7.0, 5.0, 6.0) is None  # never catches up
    assert stats.break_even_calls(1.0, 1.0, 5.0, 6.0) == 1  # never behind


def test_significant_figures_follow_the_noise():
    assert stats.significant_figures(123.4, 5.0) == 3
    assert stats.significant_figures(123.4, 0.05) == 4  # clamped
    assert stats.significant_figures(123.4, 50.0) == 2
    assert stats.significant_figures(123.4, 0.0) == 4
    assert format_significant(123.456, 3) == "123"
    assert format_significant(0.012345, 2) == "0.012"
    assert format_significant(12345.0, 2) == "12000"
    assert format_significant(1.5, 3) == "1.50"


def test_rounding_up_a_digit_keeps_the_figures():
    assert format_significant(9.96, 2) == "10"
    assert format_significant(0.0996, 2) == "0.10"
    assert stats.speedup([1.0], [0.0]) == math.inf
