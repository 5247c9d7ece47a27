"""Means of rating items and the comparison of two groups.

The t interval of a mean (unbounded answers), the bounded interval of a mean
on a known scale (Wilson score interval at the effective sample size, so that
no interval leaves the scale and a group whose answers are all the same still
gets an honest, non-zero width), the MOVER interval of a difference of two
bounded means, Welch's unequal-variance difference of means with its
interval and test, the Mann–Whitney test (normal approximation with tie and
continuity correction), Hedges' g, Cliff's delta and Holm's step-down
adjustment. Everything works from a small number of passes over the data so
that a million-row export is compared in well under a second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special
from scipy.stats import norm
from scipy.stats import t as t_dist

from cxgap.analysis._base import Result, finite
from cxgap.errors import AnalysisError

__all__ = [
    "BOUNDED_MEAN_METHOD",
    "MOVER_DIFFERENCE_METHOD",
    "T_METHOD",
    "MeanEstimate",
    "RankComparison",
    "WelchComparison",
    "bounded_mean_from_stats",
    "bounded_mean_interval",
    "bounded_welch",
    "clean",
    "cliffs_delta",
    "hedges_g",
    "holm",
    "mann_whitney",
    "mean_estimate",
    "mover_combination",
    "mover_difference",
    "welch",
    "welch_from_stats",
]


T_METHOD = "t"
BOUNDED_MEAN_METHOD = "wilson-effective-n"
MOVER_DIFFERENCE_METHOD = "mover-wilson-effective-n"


def clean(values: ArrayLike) -> NDArray[np.float64]:
    """The finite values of ``values`` as a float array (NaN = no answer)."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must be between 0 and 1, got {confidence}")


class MeanEstimate(Result):
    """Mean of one group with its interval (``method``: ``t`` or ``wilson-effective-n``)."""

    n: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str = T_METHOD


def _check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    low, high = float(scale[0]), float(scale[1])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise AnalysisError(f"a scale needs a finite lowest value below its highest, got {scale}")
    return low, high


def bounded_mean_interval(
    values: ArrayLike, scale: tuple[float, float], confidence: float = 0.95
) -> tuple[float, float] | None:
    """Interval of a mean of answers bounded by ``scale``, never leaving it.

    The answers are rescaled to 0-1 (``y = (x - low)/(high - low)``, mean
    ``p``, sample variance ``s²``) and the Wilson score interval is taken at
    the effective sample size, the number of 0/1 answers whose mean would be
    as precise as this one, with the degrees-of-freedom adjustment of Korn &
    Graubard::

        n* = n · p(1 - p) / s² · (z / t(1-α/2, n-1))²

        (p + z²/2n* ± z·sqrt(p(1-p)/n* + z²/4n*²)) / (1 + z²/n*)

    mapped back to the scale. Because ``s² ≤ p(1 - p)·n/(n-1)`` for any
    answers on the scale, ``n*`` is never much above ``n`` times the
    adjustment; when every answer is the same (``s² = 0``, for example all
    at the top of the scale) the variance is unknown and its largest possible
    value is used, ``p(1-p)`` (the Bernoulli bound, ``n* = n``), so the
    interval is the plain Wilson interval of ``n`` answers: honest about how
    little a constant group says, never of zero width.

    Parameters
    ----------
    values : array-like
        The answers; NaN counts as no answer. Every answer must lie on the scale.
    scale : (float, float)
        The lowest and highest possible answer (1 and 5 on a 1-5 item).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    tuple of float or None
        ``(low, high)`` on the scale; ``None`` below 2 answers.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22(158), 209-212.
    Korn, E. L., Graubard, B. I. (1998). Confidence intervals for proportions
    with small expected number of positive counts estimated from survey data.
    Survey Methodology 24(2), 193-201 (the effective sample size and its
    degrees-of-freedom adjustment).
    Dean, N., Pagano, M. (2015). Evaluating confidence interval methods for
    binomial proportions in clustered surveys. Journal of Survey Statistics
    and Methodology 3(4), 484-503 (Wilson at the effective sample size).

    Examples
    --------
    >>> low, high = bounded_mean_interval([5, 5, 5, 5, 5], (1, 5))
    >>> round(low, 2), high
    (3.26, 5.0)
    >>> [round(v, 3) for v in bounded_mean_interval([1, 2, 3, 4, 5], (1, 5))]
    [1.599, 4.401]
    """
    _check_confidence(confidence)
    lo, hi = _check_scale(scale)
    x = clean(values)
    n = len(x)
    if n < 2:
        return None
    if (x < lo).any() or (x > hi).any():
        bad = x[(x < lo) | (x > hi)][0]
        raise AnalysisError(f"an answer of {bad:g} lies outside the scale {lo:g} to {hi:g}")
    return bounded_mean_from_stats(float(x.mean()), float(x.var(ddof=1)), n, (lo, hi), confidence)


def bounded_mean_from_stats(
    mean: float, var: float, n: int, scale: tuple[float, float], confidence: float = 0.95
) -> tuple[float, float] | None:
    """:func:`bounded_mean_interval` from the mean, sample variance and n.

    For callers that hold summary statistics (waves). ``None`` below n = 2
    or when the mean or variance is not a finite number.

    Examples
    --------
    >>> [round(v, 3) for v in bounded_mean_from_stats(3.0, 2.5, 5, (1, 5))]
    [1.599, 4.401]
    """
    _check_confidence(confidence)
    lo, hi = _check_scale(scale)
    if n < 2 or not (math.isfinite(mean) and math.isfinite(var)):
        return None
    width = hi - lo
    p = min(max((mean - lo) / width, 0.0), 1.0)
    s2 = var / (width * width)
    v = p * (1 - p)
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    if s2 <= 1e-14 or v <= 0:
        n_eff = float(n)
    else:
        q = float(t_dist.ppf(1 - (1 - confidence) / 2, n - 1))
        n_eff = n * v / s2 * (z / q) ** 2
    z2 = z * z
    denom = 1 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / denom
    half = z * math.sqrt(v / n_eff + z2 / (4 * n_eff * n_eff)) / denom
    low = min(max(centre - half, 0.0), p)
    high = max(min(centre + half, 1.0), p)
    return lo + width * low, lo + width * high


def mean_estimate(
    values: ArrayLike, confidence: float = 0.95, *, scale: tuple[float, float] | None = None
) -> MeanEstimate:
    """Mean, sample standard deviation and interval of the mean.

    Parameters
    ----------
    values : array-like
        The answers; NaN counts as no answer.
    confidence : float
        Two-sided confidence level.
    scale : (float, float), optional
        The lowest and highest possible answer. With it the interval is
        :func:`bounded_mean_interval` (method ``wilson-effective-n``), which
        never leaves the scale; without it, Student's t interval
        ``mean ± t(1-α/2, n-1) · sd/√n`` (method ``t``).

    Returns
    -------
    MeanEstimate
        ``n``, ``mean``, ``sd`` (``n - 1`` denominator), the interval and its
        ``method``; the interval and SD are ``None`` below n = 2, the mean too
        at n = 0.

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika 6(1), 1-25.
    See :func:`bounded_mean_interval` for the bounded interval.

    Examples
    --------
    >>> est = mean_estimate([1, 2, 3, 4, 5])
    >>> est.mean, round(est.ci_low, 3), round(est.ci_high, 3), est.method
    (3.0, 1.037, 4.963, 't')
    >>> est = mean_estimate([5, 5, 4, 5], scale=(1, 5))
    >>> round(est.ci_low, 2), round(est.ci_high, 2), est.method
    (3.11, 4.98, 'wilson-effective-n')
    """
    _check_confidence(confidence)
    method = T_METHOD if scale is None else BOUNDED_MEAN_METHOD
    x = clean(values)
    n = len(x)
    if n == 0:
        return MeanEstimate(
            n=0,
            mean=None,
            sd=None,
            ci_low=None,
            ci_high=None,
            confidence=confidence,
            method=method,
        )
    m = float(x.mean())
    if n == 1:
        return MeanEstimate(
            n=1, mean=m, sd=None, ci_low=None, ci_high=None, confidence=confidence, method=method
        )
    sd = float(x.std(ddof=1))
    if scale is not None:
        bounds = bounded_mean_interval(x, scale, confidence)
        assert bounds is not None  # n >= 2
        low, high = bounds
    else:
        half = float(t_dist.ppf(1 - (1 - confidence) / 2, n - 1)) * sd / math.sqrt(n)
        low, high = m - half, m + half
    return MeanEstimate(
        n=n, mean=m, sd=sd, ci_low=low, ci_high=high, confidence=confidence, method=method
    )


def mover_difference(
    a: ArrayLike, b: ArrayLike, scale: tuple[float, float], confidence: float = 0.95
) -> tuple[float, float] | None:
    """Interval of ``mean_a - mean_b`` for two groups answering on one bounded scale.

    The method of variance estimates recovery (MOVER) of Zou & Donner, as in
    Newcombe's hybrid score interval for two proportions, built from each
    group's :func:`bounded_mean_interval` ``(l_a, u_a)`` and ``(l_b, u_b)``::

        low  = d - sqrt((m_a - l_a)² + (u_b - m_b)²)
        high = d + sqrt((u_a - m_a)² + (m_b - l_b)²)

    Since each group's limits stay on the scale, the interval stays within
    ``±(high - low)`` of the scale, and it has a width even when both groups
    answered one value each.

    Parameters
    ----------
    a, b : array-like
        The answers of the two groups (NaN = no answer).
    scale : (float, float)
        The lowest and highest possible answer.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    tuple of float or None
        ``(low, high)``; ``None`` when a group has fewer than 2 answers.

    References
    ----------
    Zou, G. Y., Donner, A. (2008). Construction of confidence limits about
    effect measures: a general approach. Statistics in Medicine 27(10),
    1693-1702.
    Newcombe, R. G. (1998). Statistics in Medicine 17, 873-890 (method 10).

    Examples
    --------
    >>> [round(v, 3) for v in mover_difference([5, 5, 5], [1, 1, 1], (1, 5))]
    [0.824, 4.0]
    """
    x, y = clean(a), clean(b)
    la = bounded_mean_interval(x, scale, confidence)
    lb = bounded_mean_interval(y, scale, confidence)
    if la is None or lb is None:
        return None
    return mover_combination([(1, float(x.mean()), *la), (-1, float(y.mean()), *lb)])


def mover_combination(
    terms: Sequence[tuple[int, float, float, float]],
) -> tuple[float, float]:
    """MOVER interval of ``Σ sign·estimate`` over independent estimates.

    Each term is ``(sign, estimate, low, high)`` with ``sign`` +1 or -1 and
    the estimate's own interval. With ``L`` and ``U`` each term's distance
    to its limit on the side that lowers (raises) the sum::

        low  = S - sqrt(Σ L²),   high = S + sqrt(Σ U²)

    where a +1 term contributes ``estimate - low`` to ``L`` and
    ``high - estimate`` to ``U``, and a -1 term the reverse (a distance is
    taken as 0 if an interval does not hold its estimate). The limits stay
    within the range the terms' own limits allow.

    References
    ----------
    Zou, G. Y., Donner, A. (2008). Statistics in Medicine 27(10), 1693-1702
    (sums and differences of independent parameters).

    Examples
    --------
    >>> [round(v, 4) for v in mover_combination([(1, 0.5, 0.3, 0.7), (-1, 0.2, 0.1, 0.4)])]
    [0.0172, 0.5236]
    """
    total = sum(sign * est for sign, est, _, _ in terms)
    down = up = 0.0
    for sign, est, low, high in terms:
        below, above = max(est - low, 0.0), max(high - est, 0.0)
        if sign < 0:
            below, above = above, below
        down += below * below
        up += above * above
    return total - math.sqrt(down), total + math.sqrt(up)


class WelchComparison(Result):
    """``mean_a - mean_b`` with Welch's interval and test.

    ``ci_method`` is ``welch``, or ``mover-wilson-effective-n`` where a caller
    replaced the interval by the bounded one of :func:`mover_difference`
    (the test stays Welch's).
    """

    difference: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: float | None
    p_value: float | None
    ci_method: str = "welch"


def welch_from_stats(
    mean_a: float,
    var_a: float,
    n_a: int,
    mean_b: float,
    var_b: float,
    n_b: int,
    confidence: float = 0.95,
) -> WelchComparison:
    """Welch's comparison from group means, sample variances and sizes.

    See :func:`welch`; this form lets callers that already hold summary
    statistics (waves, big tables) avoid a second pass over the data.
    """
    _check_confidence(confidence)
    if n_a < 2 or n_b < 2:
        return WelchComparison(
            difference=finite(mean_a - mean_b) if n_a and n_b else None,
            ci_low=None,
            ci_high=None,
            t=None,
            df=None,
            p_value=None,
        )
    d = mean_a - mean_b
    sa, sb = var_a / n_a, var_b / n_b
    se2 = sa + sb
    if se2 <= 0:
        # Both groups constant: the difference is known exactly; no test.
        return WelchComparison(difference=d, ci_low=d, ci_high=d, t=None, df=None, p_value=None)
    se = math.sqrt(se2)
    df = se2**2 / (sa**2 / (n_a - 1) + sb**2 / (n_b - 1))
    t = d / se
    q = float(t_dist.ppf(1 - (1 - confidence) / 2, df))
    p = float(2 * t_dist.sf(abs(t), df))
    return WelchComparison(
        difference=d, ci_low=d - q * se, ci_high=d + q * se, t=t, df=df, p_value=p
    )


def welch(a: ArrayLike, b: ArrayLike, confidence: float = 0.95) -> WelchComparison:
    """Difference of two means with Welch's unequal-variance t interval and test.

    ``d = mean_a - mean_b``, ``se = sqrt(s_a²/n_a + s_b²/n_b)``, degrees of
    freedom by the Welch–Satterthwaite equation
    ``df = se⁴ / ((s_a²/n_a)²/(n_a-1) + (s_b²/n_b)²/(n_b-1))``.

    Parameters
    ----------
    a, b : array-like
        The answers of the two groups (NaN = no answer).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    WelchComparison
        ``difference``, ``ci_low``, ``ci_high``, ``t``, ``df`` and the two-sided
        ``p_value``; ``None`` where a group has fewer than 2 answers.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. Biometrika 34, 28-35.

    Examples
    --------
    >>> w = welch([4, 5, 5, 4, 5], [2, 3, 2, 4, 3, 2])
    >>> round(w.difference, 3), round(w.p_value, 4)
    (1.933, 0.0013)
    """
    x, y = clean(a), clean(b)
    return welch_from_stats(
        float(x.mean()) if len(x) else math.nan,
        float(x.var(ddof=1)) if len(x) > 1 else math.nan,
        len(x),
        float(y.mean()) if len(y) else math.nan,
        float(y.var(ddof=1)) if len(y) > 1 else math.nan,
        len(y),
        confidence,
    )


def bounded_welch(
    a: ArrayLike,
    b: ArrayLike,
    scale: tuple[float, float] | None,
    confidence: float = 0.95,
) -> WelchComparison:
    """:func:`welch`, with the interval of :func:`mover_difference` on a known ``scale``.

    The difference, t, df and p-value are Welch's; on a bounded scale the
    interval is the MOVER one, which never leaves ``±(high - low)`` and is
    not zero-width when both groups gave one answer each. Without a scale it
    is :func:`welch` unchanged.

    Examples
    --------
    >>> w = bounded_welch([5, 5, 5], [1, 1, 1], (1, 5))
    >>> w.difference, round(w.ci_low, 3), w.ci_high, w.ci_method
    (4.0, 0.824, 4.0, 'mover-wilson-effective-n')
    """
    w = welch(a, b, confidence)
    if scale is None:
        return w
    mover = mover_difference(a, b, scale, confidence)
    low, high = (None, None) if mover is None else mover
    return w.model_copy(
        update={"ci_low": low, "ci_high": high, "ci_method": MOVER_DIFFERENCE_METHOD}
    )


def hedges_g(a: ArrayLike, b: ArrayLike) -> float | None:
    """Hedges' g: the standardised mean difference with the small-sample correction.

    ``g = J(df) · (mean_a - mean_b) / s_pooled`` with
    ``s_pooled² = ((n_a-1)s_a² + (n_b-1)s_b²) / df``, ``df = n_a + n_b - 2`` and
    the exact correction ``J(df) = Γ(df/2) / (√(df/2) · Γ((df-1)/2))``
    (≈ ``1 - 3/(4·df - 1)``).

    Parameters
    ----------
    a, b : array-like
        The answers of the two groups (NaN = no answer).

    Returns
    -------
    float or None
        ``None`` when a group has fewer than 2 answers or both are constant.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect
    size and related estimators. Journal of Educational Statistics 6(2), 107-128.

    Examples
    --------
    >>> round(hedges_g([4, 5, 5, 4, 5], [2, 3, 2, 4, 3, 2]), 3)
    2.489
    """
    x, y = clean(a), clean(b)
    n1, n2 = len(x), len(y)
    if n1 < 2 or n2 < 2:
        return None
    df = n1 + n2 - 2
    pooled = ((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / df
    if pooled <= 0:
        return None
    j = math.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / math.sqrt(df / 2)
    return finite(j * (x.mean() - y.mean()) / math.sqrt(pooled))


class RankComparison(Result):
    """Mann–Whitney U of group ``a`` and its p-value, and Cliff's delta."""

    u: float
    p_value: float | None
    cliffs_delta: float


def mann_whitney(a: ArrayLike, b: ArrayLike) -> RankComparison | None:
    """Mann–Whitney U test (two-sided) and Cliff's delta from one ranking.

    ``U_a = R_a - n_a(n_a+1)/2`` where ``R_a`` is the sum of the mid-ranks of
    ``a`` in the pooled sample; ``z = (|U_a - n_a n_b/2| - 1/2) / σ`` with the
    tie-corrected ``σ² = n_a n_b/12 · ((N+1) - Σ(t³-t)/(N(N-1)))``.
    Cliff's delta is ``(#(a>b) - #(a<b)) / (n_a n_b) = 2U_a/(n_a n_b) - 1``.

    Parameters
    ----------
    a, b : array-like
        The answers of the two groups (NaN = no answer).

    Returns
    -------
    RankComparison or None
        ``u``, ``p_value`` (normal approximation with tie and continuity
        correction; ``None`` when every answer is the same value) and
        ``cliffs_delta``; ``None`` when a group is empty.

    References
    ----------
    Mann, H. B., Whitney, D. R. (1947). On a test of whether one of two random
    variables is stochastically larger than the other. Ann. Math. Stat. 18, 50-60.
    Cliff, N. (1993). Dominance statistics: ordinal analyses to answer ordinal
    questions. Psychological Bulletin 114(3), 494-509.

    Examples
    --------
    >>> r = mann_whitney([4, 5, 5, 4, 5], [2, 3, 2, 4, 3, 2])
    >>> r.u, round(r.cliffs_delta, 3), round(r.p_value, 4)
    (29.0, 0.933, 0.0111)
    """
    x, y = clean(a), clean(b)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return None
    values, inverse = np.unique(np.concatenate([x, y]), return_inverse=True)
    k = len(values)
    count_a = np.bincount(inverse[:n1], minlength=k).astype(float)
    count_b = np.bincount(inverse[n1:], minlength=k).astype(float)
    total = count_a + count_b
    midrank = np.cumsum(total) - (total - 1) / 2
    u = float((count_a * midrank).sum() - n1 * (n1 + 1) / 2)
    big_n = n1 + n2
    ties = float((total**3 - total).sum())
    var = n1 * n2 / 12 * ((big_n + 1) - ties / (big_n * (big_n - 1))) if big_n > 1 else 0.0
    p: float | None = None
    if var > 0:
        z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
        p = float(min(1.0, 2 * norm.sf(max(z, 0.0))))
    return RankComparison(u=u, p_value=p, cliffs_delta=2 * u / (n1 * n2) - 1)


def cliffs_delta(a: ArrayLike, b: ArrayLike) -> float | None:
    """Cliff's delta ``(#(a>b) - #(a<b)) / (n_a n_b)``, in -1..1.

    Parameters
    ----------
    a, b : array-like
        The answers of the two groups (NaN = no answer).

    Returns
    -------
    float or None
        ``None`` when a group is empty.

    References
    ----------
    Cliff, N. (1993). Psychological Bulletin 114(3), 494-509.

    Examples
    --------
    >>> cliffs_delta([1, 2, 3], [1, 1, 1])
    0.6666666666666667
    """
    r = mann_whitney(a, b)
    return None if r is None else r.cliffs_delta


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of a family of p-values.

    Sorted ascending, ``p_(i)`` becomes ``max_{j<=i} min(1, (m - j + 1) p_(j))``;
    missing p-values (``None``/NaN) are left out of the family and stay ``None``.

    Parameters
    ----------
    p_values : sequence of float or None
        The unadjusted p-values.

    Returns
    -------
    list of float or None
        The adjusted p-values, in the input order.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics 6(2), 65-70.

    Examples
    --------
    >>> [None if p is None else round(p, 6) for p in holm([0.01, 0.04, 0.03, None])]
    [0.03, 0.06, 0.06, None]
    """
    out: list[float | None] = [None] * len(p_values)
    idx = [i for i, p in enumerate(p_values) if p is not None and math.isfinite(p)]
    if not idx:
        return out
    ps = np.array([p_values[i] for i in idx], dtype=float)
    order = np.argsort(ps, kind="stable")
    m = len(ps)
    scaled = np.minimum(1.0, (m - np.arange(m)) * ps[order])
    adjusted = np.maximum.accumulate(scaled)
    for rank, pos in enumerate(order):
        out[idx[int(pos)]] = float(adjusted[rank])
    return out
