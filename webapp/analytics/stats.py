"""The statistics the analytics report, in plain Python (`math.erf`, `math.erfc`, `math.sqrt`).

No scipy or statsmodels at run time: these two formulas are short, and the tests cross-check them
against scipy on random data.

- `wilson_interval`: the Wilson score interval of a proportion. Weak areas are ranked by its upper
  bound, so an objective that is confidently weak (many attempts, low accuracy) comes before one
  that is merely noisy (few attempts, the same accuracy).
- `two_proportion_p_value`: the pooled two-proportion z-test, two-sided. The domain trend compares
  the recent window with everything before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
