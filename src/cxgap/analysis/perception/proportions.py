"""Proportions: the Wilson score interval and Newcombe's hybrid score interval
for a difference of two independent proportions.

Both are the intervals recommended for small samples: the plain Wald interval
collapses to zero width at 0 or n successes and undercovers badly below
n ≈ 40, which is the size of most B2B customer samples.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from cxgap.analysis._base import Result, finite
from cxgap.errors import AnalysisError

__all__ = [
    "ProportionDifference",
    "ProportionEstimate",
    "newcombe_difference",
    "proportion_estimate",
    "wilson_bounds",
    "wilson_interval",
    "z_value",
]


@functools.lru_cache(maxsize=64)
def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for ``confidence`` (1.96 at 0.95)."""
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must be between 0 and 1, got {confidence}")
    return float(norm.ppf(1 - (1 - confidence) / 2))


def wilson_bounds(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised Wilson bounds; NaN where ``n`` is 0. See :func:`wilson_interval`."""
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = z_value(confidence)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        denom = 1 + z2 / m
        centre = (p + z2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z2 / (4 * m * m)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    # Exact bounds at the edges (the formula gives them up to rounding).
    low = np.where(x == 0, 0.0, low)
    high = np.where(x == m, 1.0, high)
    bad = ~(m > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes : int
        Number of successes, ``0 <= successes <= n``.
    n : int
        Number of trials, at least 1.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    tuple of float
        ``(low, high)`` on the 0-1 scale:
        ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22(158), 209-212.
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Statistics in Medicine 17, 857-872
    (method 3).

    Examples
    --------
    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    """
    if n < 1 or not 0 <= successes <= n:
        raise AnalysisError(
            f"a proportion needs 0 <= successes <= n and n >= 1 (got {successes}/{n})"
        )
    low, high = wilson_bounds(successes, n, confidence)
    return float(low), float(high)


class ProportionEstimate(Result):
    """A share with its Wilson interval (0-1 scale)."""

    n: int
    successes: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str = "wilson"


def proportion_estimate(successes: int, n: int, confidence: float = 0.95) -> ProportionEstimate:
    """A share with its Wilson interval; ``None`` statistics when ``n`` is 0.

    Parameters
    ----------
    successes : int
        Number of successes.
    n : int
        Number of answers (0 allowed: every statistic is then ``None``).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    ProportionEstimate
        ``n``, ``successes``, ``share`` and the Wilson ``ci_low``/``ci_high``.

    References
    ----------
    Wilson, E. B. (1927). JASA 22(158), 209-212.

    Examples
    --------
    >>> est = proportion_estimate(8, 100)
    >>> est.share, round(est.ci_low, 3), round(est.ci_high, 3)
    (0.08, 0.041, 0.15)
    """
    if n == 0:
        return ProportionEstimate(
            n=0, successes=0, share=None, ci_low=None, ci_high=None, confidence=confidence
        )
    low, high = wilson_interval(successes, n, confidence)
    return ProportionEstimate(
        n=int(n),
        successes=int(successes),
        share=successes / n,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
    )


class ProportionDifference(Result):
    """``share_a - share_b`` with Newcombe's hybrid score interval (0-1 scale)."""

    a: str
    b: str
    n_a: int
    n_b: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str = "newcombe-hybrid-score"


def newcombe_difference(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    confidence: float = 0.95,
    *,
    a: str = "a",
    b: str = "b",
) -> ProportionDifference:
    """Difference of two independent proportions with Newcombe's hybrid score interval.

    With Wilson limits ``(l1, u1)`` for ``p1`` and ``(l2, u2)`` for ``p2`` and
    ``d = p1 - p2``::

        low  = d - sqrt((p1 - l1)² + (u2 - p2)²)
        high = d + sqrt((u1 - p1)² + (p2 - l2)²)

    Parameters
    ----------
    successes_a, n_a : int
        Successes and answers in group ``a``.
    successes_b, n_b : int
        Successes and answers in group ``b``.
    confidence : float
        Two-sided confidence level.
    a, b : str
        Names of the groups, carried into the result.

    Returns
    -------
    ProportionDifference
        The difference ``p_a - p_b`` and its interval; ``None`` when a group is empty.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Statistics in
    Medicine 17, 873-890 (method 10).

    Examples
    --------
    >>> d = newcombe_difference(56, 70, 48, 80)
    >>> round(d.difference, 4), round(d.ci_low, 4), round(d.ci_high, 4)
    (0.2, 0.0524, 0.3339)
    """
    if n_a == 0 or n_b == 0:
        return ProportionDifference(
            a=a,
            b=b,
            n_a=n_a,
            n_b=n_b,
            difference=None,
            ci_low=None,
            ci_high=None,
            confidence=confidence,
        )
    p1, p2 = successes_a / n_a, successes_b / n_b
    l1, u1 = wilson_interval(successes_a, n_a, confidence)
    l2, u2 = wilson_interval(successes_b, n_b, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return ProportionDifference(
        a=a,
        b=b,
        n_a=int(n_a),
        n_b=int(n_b),
        difference=finite(d),
        ci_low=finite(low),
        ci_high=finite(high),
        confidence=confidence,
    )
