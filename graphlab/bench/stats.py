"""Pure statistics for timings: medians, spreads, intervals, tests, display precision.

Nothing here imports TensorFlow or knows about clocks, so every function is tested with
plain numbers. Times are in any unit as long as the caller is consistent.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

#: z for a two-sided 95% interval.
Z_95 = 1.959963984540054


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile (numpy's default), so figures match numpy/pandas."""
    if not values:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return quantile(values, 0.5)


def iqr(values: Sequence[float]) -> float:
    """Interquartile range: robust to the outliers that GC and scheduling cause."""
    return quantile(values, 0.75) - quantile(values, 0.25)


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def relative_iqr(values: Sequence[float]) -> float:
    """IQR / median: the precision a timer stops on. ``inf`` until it can be judged."""
    if len(values) < 2:
        return math.inf
    middle = median(values)
    return iqr(values) / middle if middle > 0 else math.inf


def median_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free confidence interval of the median from order statistics.

    Timings are skewed (long right tail), so a normal interval around the mean would
    mislead. The number of values below the true median is binomial(n, 1/2): the
    interval is ``[x_(j), x_(n-j+1)]`` with the largest ``j`` whose coverage is at least
    ``confidence`` (exact up to n = 1000, normal approximation above). When no ``j``
    qualifies (n <= 5 at 95%) the interval is the whole range.
    """
    if not values:
        raise ValueError("median_ci of no values")
    ordered = sorted(values)
    n = len(ordered)
    alpha = 1.0 - confidence
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n <= 1000:
        j, cumulative = 0, 0.0
        while j < n // 2:
            cumulative += math.comb(n, j) / 2.0**n  # P(B = j)
            if 2.0 * cumulative > alpha:
                break
            j += 1
    else:
        j = math.floor(n / 2.0 - _z_for(confidence) * math.sqrt(n) / 2.0)
    if j < 1:
        return ordered[0], ordered[-1]
    return ordered[j - 1], ordered[n - j]


def _z_for(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if abs(confidence - 0.95) < 1e-12:
        return Z_95
    # Invert the normal CDF by bisection: exact enough and dependency-free.
    target = 1.0 - (1.0 - confidence) / 2.0
    low, high = 0.0, 10.0
    for _ in range(100):
        middle = (low + high) / 2.0
        if _normal_cdf(middle) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def speedup(reference: Sequence[float], candidate: Sequence[float]) -> float:
    """How many times faster ``candidate`` is than ``reference`` (ratio of medians);
    ``inf`` when the candidate's median is 0 (a clock too coarse for it)."""
    return _ratio(median(reference), median(candidate))


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return math.inf if numerator > 0 else math.nan
    return numerator / denominator


def speedup_ci(
    reference: Sequence[float], candidate: Sequence[float], confidence: float = 0.95
) -> tuple[float, float]:
    """A conservative interval for :func:`speedup`: the extreme ratios of the two
    medians' intervals. Cheap, deterministic and never narrower than the truth, which
    is what a table that people act on should show."""
    ref_low, ref_high = median_ci(reference, confidence)
    cand_low, cand_high = median_ci(candidate, confidence)
    return _ratio(ref_low, cand_high), _ratio(ref_high, cand_low)


def bootstrap_ratio_ci(
    reference: Sequence[float],
    candidate: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of median(reference)/median(candidate), seeded so
    that the same data always give the same interval."""
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        ref = [reference[rng.randrange(len(reference))] for _ in reference]
        cand = [candidate[rng.randrange(len(candidate))] for _ in candidate]
        ratios.append(median(ref) / median(cand))
    alpha = (1.0 - confidence) / 2.0
    return quantile(ratios, alpha), quantile(ratios, 1.0 - alpha)


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test: ``(U of a, p-value)``.

    Rank-based, so it suits skewed timings and needs no normality. The p-value uses the
    normal approximation with tie and continuity corrections (good from ~8 values per
    side; with fewer it is only indicative). Identical samples give p = 1.
    """
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        raise ValueError("mann_whitney_u needs values on both sides")
    pooled = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    ranks = [0.0] * len(pooled)
    tie_term = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        average_rank = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[k] = average_rank
        tied = j - i + 1
        tie_term += tied**3 - tied
        i = j + 1
    rank_sum_a = sum(rank for rank, (_, side) in zip(ranks, pooled) if side == 0)
    u_a = rank_sum_a - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    variance = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:
        return u_a, 1.0
    deviation = abs(u_a - n1 * n2 / 2.0) - 0.5
    z = max(deviation, 0.0) / math.sqrt(variance)
    return u_a, min(1.0, 2.0 * (1.0 - _normal_cdf(z)))


def break_even_calls(
    first_call: float, steady: float, reference_first_call: float, reference_steady: float
) -> int | None:
    """After how many calls a mode with a costly first call (tracing, compilation) has
    cost no more in total than the reference (eager).

    Total cost of ``n`` calls is ``first + (n - 1) * steady``. Returns 1 when the mode is
    never behind, ``None`` when it never catches up (its steady state is not faster).
    """
    extra_first = first_call - reference_first_call
    if extra_first <= 0 and steady <= reference_steady:
        return 1
    saving = reference_steady - steady
    if saving <= 0:
        return None
    return 1 + max(0, math.ceil(extra_first / saving))


def significant_figures(center: float, spread: float, *, lowest: int = 1, highest: int = 4) -> int:
    """Digits worth showing for ``center`` when it is uncertain by ``spread``.

    The last digit shown is the first one the noise reaches: 123.4 +- 5 shows ``123``,
    123.4 +- 0.05 shows ``123.4``. Clamped to ``[lowest, highest]``.
    """
    if center == 0 or not math.isfinite(center):
        return highest
    if spread <= 0 or not math.isfinite(spread):
        return highest
    digits = math.floor(math.log10(abs(center))) - math.floor(math.log10(spread)) + 1
    return max(lowest, min(highest, digits))
