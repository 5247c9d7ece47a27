"""The Net Promoter Score with honest intervals at small n.

Likelihood to recommend is answered on 0-10: promoters 9-10, passives 7-8,
detractors 0-6; ``NPS = 100 · (promoters - detractors) / n``, on -100..100.

Four interval methods, named in every result:

``adjusted-wald``
    Rocks (2016): add 3 pseudo-answers, ¾ of them promoters and ¾ detractors
    (so 1½ passives): ``n' = n + 3``, ``p⁺' = (x⁺ + ¾)/n'``,
    ``p⁻' = (x⁻ + ¾)/n'``; ``NPS' = p⁺' - p⁻'``;
    ``Var = (p⁺' + p⁻' - NPS'²) / n'``; interval ``NPS' ± z·√Var`` clipped to
    -1..1 (then × 100). Rocks found it among the best-covering methods at
    small n, with the iterative score interval.
``wald``
    The same with no pseudo-answers: ``NPS ± z·√((p⁺ + p⁻ - NPS²)/n)``.
``bootstrap``
    Percentile bootstrap: resampled counts drawn from the multinomial with the
    observed shares (``n_boot`` draws, fixed ``seed``), so every run gives the
    same interval.
``wilson-effective-n`` (default)
    The NPS is the mean of the answers scored +1 (promoter), 0 (passive) and
    -1 (detractor), a mean bounded by -1..1, so it gets the bounded interval
    of a mean (:func:`~cxgap.analysis.perception.means.bounded_mean_from_stats`:
    Wilson at the Korn-Graubard effective sample size, the Bernoulli bound
    when every answer is in one category). It stays covering near the
    ceiling, where the adjusted Wald's upper limit falls below a true NPS of
    97 after one passive in five: in benchmarks/bench_interval_coverage.py
    it covers 93.9-99.6% of 95% intervals from n = 5 to 100 and from 97%
    promoters to 60% detractors, the adjusted Wald 86.1-96.9%.

The difference of two NPS values adds the two variances (independent samples);
for ``adjusted-wald`` each sample gets its own pseudo-answers (Lewis & Sauro
2021), for ``bootstrap`` both samples are resampled independently.

Every interval stays on its scale (-100..100 for a score, -200..200 for a
difference). A group whose answers all fall in one category (all promoters,
say) has no spread, so ``wald`` and ``bootstrap`` would give a zero-width
interval such as [100, 100]; they give none instead, with a ``note`` saying
why, while ``adjusted-wald`` keeps an honest width there (Rocks 2016).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from cxgap.analysis._base import Result, finite
from cxgap.analysis.perception.means import (
    bounded_mean_from_stats,
    clean,
    mean_estimate,
    mover_combination,
)
from cxgap.analysis.perception.proportions import z_value
from cxgap.errors import AnalysisError

__all__ = [
    "NPS_METHODS",
    "ExpectedNps",
    "NpsDifference",
    "NpsEstimate",
    "NpsGroup",
    "NpsGroups",
    "NpsMethod",
    "NpsPrediction",
    "expected_nps",
    "nps_by_group",
    "nps_counts",
    "nps_difference",
    "nps_estimate",
    "nps_from_counts",
    "nps_scale_doubt",
    "predicted_vs_actual",
]

NpsMethod = Literal["adjusted-wald", "wald", "bootstrap", "wilson-effective-n"]
NPS_METHODS: tuple[str, ...] = ("adjusted-wald", "wald", "bootstrap", "wilson-effective-n")
_PSEUDO_N = 3.0
_PSEUDO_EACH = 0.75


class NpsEstimate(Result):
    """One NPS: counts, the score and its interval on the -100..100 scale."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str
    note: str | None = None


_CATEGORY = ("promoter", "passive", "detractor")


def _one_category(counts: tuple[int, int, int], method: str) -> str | None:
    """Why ``method`` gives no interval when every answer is in one category."""
    n = sum(counts)
    if method in ("adjusted-wald", "wilson-effective-n") or n == 0 or max(counts) < n:
        return None
    cat = _CATEGORY[counts.index(n)]
    return (
        f"every answer is a {cat}: the {method} interval would have no width; "
        "the wilson-effective-n and adjusted-wald intervals have one"
    )


def nps_scale_doubt(scores: ArrayLike) -> str | None:
    """Why ``scores`` look like no 0-10 likelihood to recommend, or ``None``.

    On the 0-10 scale of the NPS question (Reichheld 2003) a column whose
    answers never go above 5 makes every respondent a detractor (NPS -100):
    far likelier, it holds a 1-5 or 0-5 rating. NaN is no answer.

    Examples
    --------
    >>> nps_scale_doubt([1, 4, 5, 3])
    'never above 5 (max 5, n = 4): a 1-5 or 0-5 rating, not a 0-10 likelihood to recommend'
    >>> nps_scale_doubt([5, 9, 10]) is None
    True
    """
    x = clean(scores)
    if len(x) == 0 or x.max() > 5:
        return None
    return (
        f"never above 5 (max {x.max():g}, n = {len(x)}): a 1-5 or 0-5 rating, "
        "not a 0-10 likelihood to recommend"
    )


def nps_counts(scores: ArrayLike) -> tuple[int, int, int]:
    """Promoters (9-10), passives (7-8) and detractors (0-6) among ``scores``.

    NaN counts as no answer; anything else outside the whole numbers 0-10
    raises :class:`~cxgap.errors.AnalysisError`.

    Examples
    --------
    >>> nps_counts([10, 9, 8, 7, 6, 0, float("nan")])
    (2, 2, 2)
    """
    x = clean(scores)
    bad = (x < 0) | (x > 10) | (np.floor(x) != x)
    if bad.any():
        raise AnalysisError(
            f"likelihood to recommend must be a whole number from 0 to 10; "
            f"got {x[bad][0]:g} ({int(bad.sum())} such value(s))"
        )
    promoters = int((x >= 9).sum())
    detractors = int((x <= 6).sum())
    return promoters, len(x) - promoters - detractors, detractors


def _check_method(method: str) -> None:
    if method not in NPS_METHODS:
        raise AnalysisError(f"unknown NPS interval method {method!r}; use one of {NPS_METHODS}")


def _wald_parts(pro: float, det: float, n: float, method: str) -> tuple[float, float]:
    """Centre (−1..1) and variance of the NPS for the Wald-type methods."""
    if method == "adjusted-wald":
        pro, det, n = pro + _PSEUDO_EACH, det + _PSEUDO_EACH, n + _PSEUDO_N
    p_pro, p_det = pro / n, det / n
    centre = p_pro - p_det
    return centre, (p_pro + p_det - centre**2) / n


def _bounded(counts: tuple[int, int, int], confidence: float) -> tuple[float, float] | None:
    """The bounded interval of the mean of +1/0/-1 answers, on -1..1 (``None`` below n = 2)."""
    pro, _, det = counts
    n = sum(counts)
    if n < 2:
        return None
    mean = (pro - det) / n
    var = (pro + det - n * mean * mean) / (n - 1)
    return bounded_mean_from_stats(mean, max(var, 0.0), n, (-1.0, 1.0), confidence)


def _bootstrap_draws(
    pro: int, pas: int, det: int, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    n = pro + pas + det
    draws = rng.multinomial(n, [pro / n, pas / n, det / n], size=n_boot)
    return (draws[:, 0] - draws[:, 2]) / n


def nps_from_counts(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    method: NpsMethod = "wilson-effective-n",
    confidence: float = 0.95,
    min_n: int = 2,
    n_boot: int = 10_000,
    seed: int = 0,
) -> NpsEstimate:
    """NPS and its interval from the three counts.

    Parameters
    ----------
    promoters, passives, detractors : int
        Counts of answers 9-10, 7-8 and 0-6.
    method : {"adjusted-wald", "wald", "bootstrap", "wilson-effective-n"}
        Interval method (see the module docstring for the formulas).
    confidence : float
        Two-sided confidence level.
    min_n : int
        Below this many answers the interval is ``None`` (too few answers
        for a meaningful interval); the score is still given from n = 1.
    n_boot, seed : int
        Bootstrap draws and random seed (``bootstrap`` only).

    Returns
    -------
    NpsEstimate
        ``n``, the three counts, ``nps``, ``ci_low``, ``ci_high`` (all on
        -100..100), ``confidence`` and ``method``; with ``wald`` or
        ``bootstrap``, a group whose answers all fall in one category gets no
        interval and a ``note`` (the interval would have no width).

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business
    Review 81(12), 46-54.
    Rocks, B. (2016). Interval estimation for the "net promoter score".
    The American Statistician 70(4), 365-372.
    Efron, B., Tibshirani, R. (1993). An Introduction to the Bootstrap, ch. 13.

    Examples
    --------
    >>> est = nps_from_counts(30, 40, 30)
    >>> est.nps, round(est.ci_low, 1), round(est.ci_high, 1), est.method
    (0.0, -15.3, 15.3, 'wilson-effective-n')
    """
    _check_method(method)
    z = z_value(confidence)
    counts = (int(promoters), int(passives), int(detractors))
    if min(counts) < 0:
        raise AnalysisError(f"NPS counts cannot be negative (got {counts})")
    n = sum(counts)
    base: dict[str, Any] = {
        "n": n,
        "promoters": counts[0],
        "passives": counts[1],
        "detractors": counts[2],
        "confidence": confidence,
        "method": method,
    }
    if n == 0:
        return NpsEstimate(nps=None, ci_low=None, ci_high=None, **base)
    score = (counts[0] - counts[2]) / n
    low: float | None = None
    high: float | None = None
    note = _one_category(counts, method) if n >= max(min_n, 1) else None
    if n >= max(min_n, 1) and note is None:
        if method == "bootstrap":
            rng = np.random.default_rng(seed)
            draws = _bootstrap_draws(*counts, n_boot, rng)
            alpha = 1 - confidence
            low, high = (float(v) for v in np.quantile(draws, [alpha / 2, 1 - alpha / 2]))
        elif method == "wilson-effective-n":
            low, high = _bounded(counts, confidence) or (None, None)
        else:
            centre, var = _wald_parts(counts[0], counts[2], n, method)
            half = z * math.sqrt(max(var, 0.0))
            low, high = max(-1.0, centre - half), min(1.0, centre + half)
    return NpsEstimate(
        nps=100 * score,
        ci_low=None if low is None else 100 * low,
        ci_high=None if high is None else 100 * high,
        note=note,
        **base,
    )


def nps_estimate(
    scores: ArrayLike,
    *,
    method: NpsMethod = "wilson-effective-n",
    confidence: float = 0.95,
    min_n: int = 2,
    n_boot: int = 10_000,
    seed: int = 0,
) -> NpsEstimate:
    """NPS and its interval from raw 0-10 answers (NaN = no answer).

    Parameters
    ----------
    scores : array-like
        Likelihood-to-recommend answers, whole numbers 0-10.
    method, confidence, min_n, n_boot, seed
        As for :func:`nps_from_counts`.

    Returns
    -------
    NpsEstimate
        See :func:`nps_from_counts`.

    References
    ----------
    Rocks, B. (2016). The American Statistician 70(4), 365-372.

    Examples
    --------
    >>> est = nps_estimate([10, 10, 9, 8, 7, 3, 6, 10, 9, 5])
    >>> est.n, est.promoters, est.detractors, est.nps
    (10, 5, 3, 20.0)
    """
    pro, pas, det = nps_counts(scores)
    return nps_from_counts(
        pro, pas, det, method=method, confidence=confidence, min_n=min_n, n_boot=n_boot, seed=seed
    )


class NpsDifference(Result):
    """``NPS_a - NPS_b`` with its interval (points on -200..200)."""

    a: str
    b: str
    n_a: int
    n_b: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str
    note: str | None = None


def nps_difference(
    a: NpsEstimate,
    b: NpsEstimate,
    *,
    name_a: str = "a",
    name_b: str = "b",
    min_n: int = 2,
    n_boot: int = 10_000,
    seed: int = 0,
) -> NpsDifference:
    """Difference of two independent NPS values with its interval.

    The method and confidence are those of ``a`` (both must agree). For the
    Wald-type methods ``d' ± z·√(Var_a + Var_b)`` with each sample's own
    (adjusted) centre and variance; for ``bootstrap`` the percentile interval
    of independent multinomial resamples of each group.

    Parameters
    ----------
    a, b : NpsEstimate
        The two scores (for example two waves or two segments).
    name_a, name_b : str
        Names carried into the result.
    min_n, n_boot, seed
        As for :func:`nps_from_counts`.

    Returns
    -------
    NpsDifference
        ``difference`` (``a - b``), ``ci_low``, ``ci_high`` in NPS points;
        no interval, with a ``note``, when ``wald`` or ``bootstrap`` would
        give it no width (each group's answers all in one category).

    References
    ----------
    Rocks, B. (2016). The American Statistician 70(4), 365-372.
    Lewis, J. R., Sauro, J. (2021). How to statistically compare two Net
    Promoter Scores. MeasuringU.

    Examples
    --------
    >>> d = nps_difference(nps_from_counts(50, 30, 20), nps_from_counts(30, 40, 30))
    >>> d.difference, round(d.ci_low, 1), round(d.ci_high, 1)
    (30.0, 7.8, 51.1)
    """
    if a.method != b.method or a.confidence != b.confidence:
        raise AnalysisError("both NPS values must use the same method and confidence")
    method = a.method
    base: dict[str, Any] = {
        "a": name_a,
        "b": name_b,
        "n_a": a.n,
        "n_b": b.n,
        "confidence": a.confidence,
        "method": method,
    }
    if a.nps is None or b.nps is None:
        return NpsDifference(difference=None, ci_low=None, ci_high=None, **base)
    diff = a.nps - b.nps
    if a.n < min_n or b.n < min_n:
        return NpsDifference(difference=diff, ci_low=None, ci_high=None, **base)
    flat_a = _one_category((a.promoters, a.passives, a.detractors), method)
    flat_b = _one_category((b.promoters, b.passives, b.detractors), method)
    if flat_a and flat_b:
        note = (
            f"every answer of each group is in one category: the {method} interval "
            "would have no width; the wilson-effective-n and adjusted-wald intervals "
            "have one"
        )
        return NpsDifference(difference=diff, ci_low=None, ci_high=None, note=note, **base)
    if method == "wilson-effective-n":
        if None in (a.ci_low, a.ci_high, b.ci_low, b.ci_high):
            return NpsDifference(difference=diff, ci_low=None, ci_high=None, **base)
        lo_d, hi_d = mover_combination(
            [(1, a.nps, a.ci_low, a.ci_high), (-1, b.nps, b.ci_low, b.ci_high)]  # type: ignore[list-item]
        )
        return NpsDifference(difference=diff, ci_low=lo_d, ci_high=hi_d, **base)
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        da = _bootstrap_draws(a.promoters, a.passives, a.detractors, n_boot, rng)
        db = _bootstrap_draws(b.promoters, b.passives, b.detractors, n_boot, rng)
        alpha = 1 - a.confidence
        low, high = (float(v) for v in np.quantile(da - db, [alpha / 2, 1 - alpha / 2]))
    else:
        ca, va = _wald_parts(a.promoters, a.detractors, a.n, method)
        cb, vb = _wald_parts(b.promoters, b.detractors, b.n, method)
        half = z_value(a.confidence) * math.sqrt(max(va + vb, 0.0))
        low, high = max(-2.0, ca - cb - half), min(2.0, ca - cb + half)
    return NpsDifference(difference=diff, ci_low=100 * low, ci_high=100 * high, **base)


class NpsGroup(NpsEstimate):
    """The NPS of one group: an :class:`NpsEstimate` and its ``group``."""

    group: str


class NpsGroups(Result):
    """The NPS of every group of a column, in order of first appearance."""

    groups: list[NpsGroup]


def nps_by_group(
    scores: ArrayLike,
    groups: ArrayLike,
    *,
    method: NpsMethod = "wilson-effective-n",
    confidence: float = 0.95,
    min_n: int = 2,
    n_boot: int = 10_000,
    seed: int = 0,
) -> NpsGroups:
    """NPS and interval per group (answers with no group are left out).

    Parameters
    ----------
    scores : array-like
        Likelihood-to-recommend answers, 0-10 (NaN = no answer).
    groups : array-like
        The group of each answer, same length as ``scores``.
    method, confidence, min_n, n_boot, seed
        As for :func:`nps_from_counts`.

    Returns
    -------
    NpsGroups
        ``groups``: one :class:`NpsGroup` per group.

    References
    ----------
    Rocks, B. (2016). The American Statistician 70(4), 365-372.

    Examples
    --------
    >>> res = nps_by_group([10, 9, 3, 10, 6, 7], ["a", "a", "a", "b", "b", "b"])
    >>> [(g.group, g.n, round(g.nps, 1)) for g in res.groups]
    [('a', 3, 33.3), ('b', 3, 0.0)]
    """
    x = np.asarray(scores, dtype=float).ravel()
    g = pd.Series(np.asarray(groups, dtype=object).ravel())
    if len(g) != len(x):
        raise AnalysisError("scores and groups must have the same length")
    nps_counts(x)  # validates every score
    codes, names = pd.factorize(g, sort=False)  # missing groups get code -1
    keep = np.isfinite(x) & (codes >= 0)
    cat = np.where(x[keep] >= 9, 0, np.where(x[keep] >= 7, 1, 2))
    k = len(names)
    table = np.bincount(codes[keep] * 3 + cat, minlength=3 * k).reshape(k, 3)
    seen = np.bincount(codes[keep], minlength=k) > 0
    out = []
    for idx in np.flatnonzero(seen):
        pro, pas, det = (int(v) for v in table[idx])
        est = nps_from_counts(
            pro,
            pas,
            det,
            method=method,
            confidence=confidence,
            min_n=min_n,
            n_boot=n_boot,
            seed=seed,
        )
        out.append(NpsGroup(group=str(names[int(idx)]), **est.model_dump()))
    return NpsGroups(groups=out)


class ExpectedNps(Result):
    """The NPS one audience expects: mean(expected promoters − expected detractors)."""

    audience: str
    n: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str = "wilson-effective-n interval of expected promoters % - expected detractors %"


class NpsPrediction(Result):
    """An audience's expected NPS against the customers' actual NPS."""

    audience: str
    expected: ExpectedNps
    actual: NpsEstimate
    gap: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    method: str = "expected - actual, MOVER from the two intervals"


def expected_nps(
    expected_promoters: ArrayLike,
    expected_detractors: ArrayLike,
    *,
    audience: str,
    confidence: float = 0.95,
) -> ExpectedNps:
    """The NPS an audience expects, with an interval that stays on -100..100.

    Each respondent's expected NPS is ``expected_promoters - expected_detractors``
    (both in %, 0-100); respondents who answered both count. The result is the
    mean, so it is ``mean(promoters) - mean(detractors)`` over those
    respondents, with the bounded interval of a mean on -100..100
    (:func:`~cxgap.analysis.perception.means.bounded_mean_interval`: Wilson at
    the effective sample size), which never leaves the scale and keeps a
    width when every respondent gave the same answer.

    Parameters
    ----------
    expected_promoters, expected_detractors : array-like
        The two answers of each respondent, in % (NaN = no answer).
    audience : str
        Name of the audience, carried into the result.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    ExpectedNps
        ``n``, ``nps``, ``ci_low``, ``ci_high`` on -100..100.

    References
    ----------
    Wilson, E. B. (1927). JASA 22(158), 209-212.
    Korn, E. L., Graubard, B. I. (1998). Survey Methodology 24(2), 193-201.

    Examples
    --------
    >>> e = expected_nps([60, 70, 80], [10, 10, 20], audience="leadership")
    >>> e.n, round(e.nps, 2)
    (3, 56.67)
    """
    p = np.asarray(expected_promoters, dtype=float).ravel()
    d = np.asarray(expected_detractors, dtype=float).ravel()
    est = mean_estimate(p - d, confidence, scale=(-100.0, 100.0))
    return ExpectedNps(
        audience=audience,
        n=est.n,
        nps=est.mean,
        ci_low=est.ci_low,
        ci_high=est.ci_high,
        confidence=confidence,
    )


def predicted_vs_actual(expected: ExpectedNps, actual: NpsEstimate) -> NpsPrediction:
    """Compare the NPS an audience expects with the customers' NPS.

    ``gap = expected - actual``, on -200..200. Its interval combines the two
    samples' own intervals ``(l_e, u_e)`` and ``(l_a, u_a)`` by the method of
    variance estimates recovery, treating the samples as independent::

        low  = gap - sqrt((e - l_e)² + (u_a - a)²)
        high = gap + sqrt((u_e - e)² + (a - l_a)²)

    (a distance is taken as 0 where an adjusted interval does not hold the
    observed score), so it inherits their respect for the bounds and never
    leaves -200..200.

    Parameters
    ----------
    expected : ExpectedNps
        From :func:`expected_nps`.
    actual : NpsEstimate
        The customers' NPS.

    Returns
    -------
    NpsPrediction
        ``gap`` and its interval in NPS points; ``None`` where either side has
        no interval.

    References
    ----------
    Zou, G. Y., Donner, A. (2008). Construction of confidence limits about
    effect measures: a general approach. Statistics in Medicine 27(10),
    1693-1702.
    Rocks, B. (2016). The American Statistician 70(4), 365-372.

    Examples
    --------
    >>> e = expected_nps([60, 70, 80, 70], [10, 10, 20, 10], audience="staff")
    >>> p = predicted_vs_actual(e, nps_from_counts(20, 40, 40))
    >>> round(p.gap, 1)
    77.5
    """
    conf = expected.confidence
    gap = None
    low = high = None
    if expected.nps is not None and actual.nps is not None:
        gap = expected.nps - actual.nps
        if (
            expected.ci_low is not None
            and expected.ci_high is not None
            and actual.ci_low is not None
            and actual.ci_high is not None
        ):
            e, a = expected.nps, actual.nps
            low = gap - math.hypot(max(e - expected.ci_low, 0.0), max(actual.ci_high - a, 0.0))
            high = gap + math.hypot(max(expected.ci_high - e, 0.0), max(a - actual.ci_low, 0.0))
    return NpsPrediction(
        audience=expected.audience,
        expected=expected,
        actual=actual,
        gap=finite(gap),
        ci_low=finite(low),
        ci_high=finite(high),
        confidence=conf,
    )
