"""The pure-Python statistics (webapp/analytics/stats.py), by hand and against scipy on random data."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats as scipy_stats  # tests only (requirements-dev.txt)

from webapp.analytics.stats import Z_95, normal_cdf, two_proportion_test, wilson_interval


def test_wilson_interval_matches_the_hand_computed_values():
    """5 of 10 gives (0.2366, 0.7634); 0 of 9 has lower bound 0 and upper z²/(n+z²); no trials is (0, 1)."""
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson_interval(0, 9) == (0.0, pytest.approx(Z_95 ** 2 / (9 + Z_95 ** 2)))
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_two_proportion_test_matches_the_hand_computed_values():
    """10/10 against 6/10: pooled 0.8, z = 0.4 / sqrt(0.8 * 0.2 * 0.2) = 2.236, p = 0.0253."""
    result = two_proportion_test(10, 10, 6, 10)
    assert result.z == pytest.approx(math.sqrt(5))
    assert result.p_value == pytest.approx(0.025347, abs=1e-6)
    assert two_proportion_test(10, 10, 10, 10).p_value == 1.0  # nothing to tell apart


def test_the_normal_cdf_agrees_with_scipy():
    """normal_cdf (math.erf) equals scipy's norm.cdf from -6 to 6."""
    for step in range(-60, 61):
        z = step / 10
        assert normal_cdf(z) == pytest.approx(scipy_stats.norm.cdf(z), abs=1e-12)


def test_wilson_interval_agrees_with_scipy_on_random_data():
    """On 500 random samples the interval equals scipy's binomtest(...).proportion_ci(method='wilson')."""
    rng = random.Random(13)
    for _ in range(500):
        trials = rng.randint(1, 2000)
        successes = rng.randint(0, trials)
        expected = scipy_stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
        low, high = wilson_interval(successes, trials)
        assert low == pytest.approx(expected.low, abs=1e-9)
        assert high == pytest.approx(expected.high, abs=1e-9)


def test_two_proportion_test_agrees_with_scipy_on_random_data():
    """On 500 random pairs z and the two-sided p-value equal the pooled test built from scipy's norm.sf."""
    rng = random.Random(12)
    for _ in range(500):
        n1, n2 = rng.randint(1, 1500), rng.randint(1, 1500)
        x1, x2 = rng.randint(0, n1), rng.randint(0, n2)
        pooled = (x1 + x2) / (n1 + n2)
        result = two_proportion_test(x1, n1, x2, n2)
        if pooled in (0.0, 1.0):
            assert (result.z, result.p_value) == (0.0, 1.0)
            continue
        z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        assert result.z == pytest.approx(z, rel=1e-9, abs=1e-12)
        assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-7, abs=1e-15)


def test_two_proportion_p_value_agrees_with_scipys_chi_square_test():
    """The pooled z-test is the uncorrected chi-square test of the 2x2 table: scipy's p-value is the same."""
    rng = random.Random(7)
    for _ in range(200):
        n1, n2 = rng.randint(10, 800), rng.randint(10, 800)
        x1, x2 = rng.randint(1, n1 - 1), rng.randint(1, n2 - 1)
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        expected = scipy_stats.chi2_contingency(table, correction=False).pvalue
        assert two_proportion_test(x1, n1, x2, n2).p_value == pytest.approx(expected, rel=1e-6, abs=1e-14)
