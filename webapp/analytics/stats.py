"""The statistics the analytics report, in plain Python (`math.erf`, `math.erfc`, `math.sqrt`).

No scipy or statsmodels at run time: these two formulas are short, and the tests cross-check them
against scipy on random data.

- `wilson_interval`: the Wilson score interval of a proportion. Weak areas are ranked by its upper
  bound, so an objective that is confidently weak (many attempts, low accuracy) comes before one
  that is merely noisy (few attempts, the same accuracy).
- `two_proportion_p_value`: the pooled two-proportion z-test, two-sided. The domain trend compares
  the recent window with everything before it.
- `beta_cdf` and `beta_interval`: the Beta distribution's CDF (the regularized incomplete beta
  function, by its continued fraction) and an equal-tailed interval (Newton steps on the CDF,
  kept inside a bisection bracket), for the mastery posteriors (webapp/learning/mastery.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

# The 97.5th percentile of the standard normal distribution: a two-sided 95% interval.
Z_95 = 1.959963984540054


def normal_cdf(z: float) -> float:
    """P(Z <= z) for a standard normal Z."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval (low, high) of `successes` out of `trials`, as proportions in [0, 1];
    (0.0, 1.0) when there are no trials (nothing is known)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    denominator = 1 + z2 / trials
    return max(0.0, (centre - margin) / denominator), min(1.0, (centre + margin) / denominator)


@dataclass(frozen=True)
class ProportionTest:
    """The outcome of a two-proportion z-test: z > 0 when the first proportion is the larger."""

    z: float
    p_value: float


def two_proportion_test(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> ProportionTest:
    """The pooled two-proportion z-test of a against b, two-sided.

    When the pooled proportion is 0 or 1 (every answer on both sides right, or every one wrong)
    the two samples cannot differ: z is 0 and the p-value 1."""
    if trials_a <= 0 or trials_b <= 0:
        raise ValueError("both samples need at least one trial")
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance <= 0:
        return ProportionTest(0.0, 1.0)
    z = (successes_a / trials_a - successes_b / trials_b) / math.sqrt(variance)
    return ProportionTest(z, min(1.0, math.erfc(abs(z) / math.sqrt(2.0))))  # 2 * (1 - cdf(|z|)), without cancellation


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz), for x < (a+1)/(a+b+2)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def _log_beta_front(x: float, a: float, b: float) -> float:
    return (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))


def beta_cdf(x: float, a: float, b: float) -> float:
    """P(X <= x) for X ~ Beta(a, b), a, b > 0 (the regularized incomplete beta function I_x(a, b))."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(_log_beta_front(x, a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(x, a, b) / a
    return 1.0 - front * _beta_continued_fraction(1.0 - x, b, a) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b): the x with beta_cdf(x) = q (to about 1e-10)."""
    low, high = 0.0, 1.0
    # Start at the normal approximation's quantile (the Beta's mean and spread): for the many
    # answers of a practised objective it is within a few 1e-3, and Newton needs half the steps
    # it took from the mean.
    mean = a / (a + b)
    spread = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    x = min(max(NormalDist(mean, spread).inv_cdf(min(max(q, 1e-12), 1 - 1e-12)), 1e-6), 1 - 1e-6)
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    for _ in range(100):
        error = beta_cdf(x, a, b) - q
        if abs(error) < 1e-12:
            break
        if error > 0:
            high = x
        else:
            low = x
        density = math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x)) if 0 < x < 1 else 0.0
        step = x - error / density if density > 0 else -1.0
        x = step if low < step < high else (low + high) / 2  # Newton inside the bracket, else bisect
        if high - low < 1e-12:
            break
    return x


def beta_interval(a: float, b: float, width: float) -> tuple[float, float]:
    """The equal-tailed `width` (0.8: the 10th to the 90th percentile) interval of Beta(a, b)."""
    tail = (1.0 - width) / 2
    return beta_ppf(tail, a, b), beta_ppf(1.0 - tail, a, b)
