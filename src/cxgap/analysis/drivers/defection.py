"""Defection risks: what separates customers who left from top customers.

For one wave, recently defected customers are compared with top customers on

* every factor (``perf.<factor>``), touchpoint (``tp.<touchpoint>``) and the
  overall items (``ltr``, ``excellent``): difference of means with Welch's
  interval and test, and Hedges' g with its interval (Hedges and Olkin 1985;
  Borenstein et al. 2009, ch. 4);
* every defection reason (``leave.<reason>``, 0/1): the difference of the
  shares naming it, with Newcombe's hybrid score interval (Newcombe 1998) and
  Fisher's exact test.

An item *separates* the groups when its interval excludes zero. The same
comparison is made for at-risk customers (the accounts given, or by default
current customers who are detractors, ``ltr`` 0-6) against the top customers
who are not at risk; ``shared`` lists the items where at-risk customers differ
from top customers in the same direction as defected ones: what at-risk
accounts have in common with those that left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from cxgap.analysis._base import Result, finite
from cxgap.analysis.drivers.priorities import (
    audience_rows,
    column_values,
    item_scale,
    select_wave,
)
from cxgap.analysis.perception.means import (
    MeanEstimate,
    bounded_welch,
    hedges_g,
    mean_estimate,
)
from cxgap.analysis.perception.proportions import newcombe_difference
from cxgap.errors import AnalysisError
from cxgap.study.model import StudyDefinition

ItemKind = Literal["factor", "touchpoint", "overall"]

__all__ = [
    "DefectionRisks",
    "GroupProfile",
    "RatingContrast",
    "ReasonContrast",
    "analyze_defection_risks",
    "hedges_g_interval",
]


class RatingContrast(Result):
    """One rating item: a group (defected or at-risk) against top customers.

    ``difference`` is ``group - top`` (negative: the group rates it lower).
    """

    item: str
    kind: ItemKind
    key: str
    label: str
    group: MeanEstimate
    top: MeanEstimate
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    hedges_g: float | None
    g_ci_low: float | None
    g_ci_high: float | None
    separates: bool
    ci_method: str = "welch"


class ReasonContrast(Result):
    """One defection reason: share of the group naming it against top customers."""

    reason: str
    label: str
    factor: str | None
    group_count: int
    group_n: int
    group_share: float | None
    top_count: int
    top_n: int
    top_share: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    separates: bool


class GroupProfile(Result):
    """How one group of customers differs from top customers, largest effects first."""

    group: Literal["defected", "at_risk"]
    basis: str
    n: int
    n_top: int
    factors: list[RatingContrast]
    touchpoints: list[RatingContrast]
    overall: list[RatingContrast]
    reasons: list[ReasonContrast]


class DefectionRisks(Result):
    """Defection risks of one study wave."""

    study: str
    wave: str
    confidence: float
    defected: GroupProfile
    at_risk: GroupProfile | None
    at_risk_note: str | None = None
    shared: list[str]


def hedges_g_interval(
    g: float, n_a: int, n_b: int, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Normal-theory interval of Hedges' g.

    ``d = g / J``, ``V_d = (n_a + n_b)/(n_a n_b) + d²/(2(n_a + n_b))``,
    ``SE_g = J √V_d``, interval ``g ± z SE_g``, with ``J`` the small-sample
    correction ``Γ(df/2) / (√(df/2) Γ((df-1)/2))``, ``df = n_a + n_b - 2``.

    Parameters
    ----------
    g : float
        Hedges' g.
    n_a, n_b : int
        Group sizes.
    confidence : float
        Level of the interval.

    Returns
    -------
    tuple of float, or None
        ``(low, high)``; ``None`` when a group has fewer than 2 members.

    References
    ----------
    Hedges, L. V. and Olkin, I. (1985). *Statistical Methods for
    Meta-Analysis*, ch. 5. Academic Press. Borenstein, M., Hedges, L. V.,
    Higgins, J. P. T. and Rothstein, H. R. (2009). *Introduction to
    Meta-Analysis*, ch. 4. Wiley.

    Examples
    --------
    >>> low, high = hedges_g_interval(0.5924, 50, 50)
    >>> round(low, 3), round(high, 3)
    (0.195, 0.99)
    """
    if n_a < 2 or n_b < 2 or not math.isfinite(g):
        return None
    df = n_a + n_b - 2
    j = math.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / math.sqrt(df / 2)
    d = g / j
    var_d = (n_a + n_b) / (n_a * n_b) + d**2 / (2 * (n_a + n_b))
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * j * math.sqrt(var_d)
    return g - half, g + half


def _rating(
    item: str,
    kind: ItemKind,
    key: str,
    label: str,
    group: pd.DataFrame,
    top: pd.DataFrame,
    confidence: float,
    scale: tuple[float, float] | None = None,
) -> RatingContrast:
    """One item's contrast; on a known ``scale`` the means get the bounded
    interval and the difference the MOVER interval built from them (Zou &
    Donner 2008), so no interval leaves the scale; the test stays Welch's."""
    a, b = column_values(group, item), column_values(top, item)
    w = bounded_welch(a, b, scale, confidence)
    low, high = finite(w.ci_low), finite(w.ci_high)
    g = hedges_g(a, b)
    ea, eb = mean_estimate(a, confidence, scale=scale), mean_estimate(b, confidence, scale=scale)
    interval = None if g is None else hedges_g_interval(g, ea.n, eb.n, confidence)
    separates = low is not None and high is not None and (low > 0 or high < 0)
    return RatingContrast(
        item=item,
        kind=kind,
        key=key,
        label=label,
        group=ea,
        top=eb,
        difference=w.difference,
        ci_low=low,
        ci_high=high,
        p_value=w.p_value,
        hedges_g=g,
        g_ci_low=None if interval is None else finite(interval[0]),
        g_ci_high=None if interval is None else finite(interval[1]),
        separates=bool(separates),
        ci_method=w.ci_method,
    )


def _reason(
    key: str,
    label: str,
    factor: str | None,
    group: pd.DataFrame,
    top: pd.DataFrame,
    confidence: float,
) -> ReasonContrast:
    va, vb = column_values(group, f"leave.{key}"), column_values(top, f"leave.{key}")
    a, b = va[np.isfinite(va)] > 0, vb[np.isfinite(vb)] > 0
    ca, na, cb, nb = int(a.sum()), len(a), int(b.sum()), len(b)
    diff = newcombe_difference(ca, na, cb, nb, confidence)
    p = None
    if na and nb:
        p = finite(stats.fisher_exact([[ca, na - ca], [cb, nb - cb]]).pvalue)
    separates = (
        diff.ci_low is not None
        and diff.ci_high is not None
        and (diff.ci_low > 0 or diff.ci_high < 0)
    )
    return ReasonContrast(
        reason=key,
        label=label,
        factor=factor,
        group_count=ca,
        group_n=na,
        group_share=ca / na if na else None,
        top_count=cb,
        top_n=nb,
        top_share=cb / nb if nb else None,
        difference=diff.difference,
        ci_low=diff.ci_low,
        ci_high=diff.ci_high,
        p_value=p,
        separates=bool(separates),
    )


def _by_effect(rows: list[RatingContrast]) -> list[RatingContrast]:
    return sorted(rows, key=lambda r: (r.hedges_g is None, r.hedges_g or 0.0))


def _profile(
    study: StudyDefinition,
    which: Literal["defected", "at_risk"],
    basis: str,
    group: pd.DataFrame,
    top: pd.DataFrame,
    confidence: float,
) -> GroupProfile:
    factors = [
        _rating(
            f"perf.{f.key}",
            "factor",
            f.key,
            f.label,
            group,
            top,
            confidence,
            item_scale(study, f"perf.{f.key}"),
        )
        for f in study.factors
    ]
    touchpoints = [
        _rating(
            f"tp.{t.key}",
            "touchpoint",
            t.key,
            t.label,
            group,
            top,
            confidence,
            item_scale(study, f"tp.{t.key}"),
        )
        for t in study.touchpoints
    ]
    overall = [
        _rating(key, "overall", key, label, group, top, confidence, item_scale(study, key))
        for key, label in (("ltr", "Likelihood to recommend"), ("excellent", "Excellent service"))
        if key in group.columns
    ]
    reasons = [
        _reason(r.key, r.label, r.factor, group, top, confidence) for r in study.defection_reasons
    ]
    reasons.sort(key=lambda r: (r.difference is None, -(r.difference or 0.0)))
    return GroupProfile(
        group=which,
        basis=basis,
        n=len(group),
        n_top=len(top),
        factors=_by_effect(factors),
        touchpoints=_by_effect(touchpoints),
        overall=overall,
        reasons=reasons,
    )


def _direction(profile: GroupProfile) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in [*profile.factors, *profile.touchpoints, *profile.overall]:
        if r.separates and r.difference is not None:
            out[r.item] = 1 if r.difference > 0 else -1
    for c in profile.reasons:
        if c.separates and c.difference is not None:
            out[f"leave.{c.reason}"] = 1 if c.difference > 0 else -1
    return out


def analyze_defection_risks(
    study: StudyDefinition,
    frame: pd.DataFrame,
    wave: str | None = None,
    *,
    at_risk_accounts: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> DefectionRisks:
    """The factors, touchpoints and reasons that separate defected from top customers.

    Parameters
    ----------
    study : StudyDefinition
        Gives the factors, touchpoints and defection reasons.
    frame : pandas.DataFrame
        The wide answers frame; customers' ``segment`` marks ``defected`` and
        ``top`` customers.
    wave : str, optional
        The wave to analyse; default the latest wave with answers.
    at_risk_accounts : sequence of str, optional
        Account ids judged at risk (e.g. by the relationship ledger); default
        the current customers who answered ``ltr`` 0-6.
    confidence : float
        Level of every interval.

    Returns
    -------
    DefectionRisks
        ``defected`` and ``at_risk`` profiles (largest negative Hedges' g
        first; reasons with the largest excess share first) and ``shared``,
        the items on which both groups separate from top customers in the
        same direction.

    Raises
    ------
    AnalysisError
        Fewer than two defected or two top customers answered in the wave.

    References
    ----------
    Welch, B. L. (1947). *Biometrika* 34, 28-35. Hedges, L. V. and Olkin, I.
    (1985). *Statistical Methods for Meta-Analysis*. Newcombe, R. G. (1998).
    *Statistics in Medicine* 17, 873-890. Fisher, R. A. (1935). *The Design
    of Experiments*.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study import default_study
    >>> study = default_study("demo", organisation="Acme")
    >>> frame = pd.DataFrame({
    ...     "audience": "customer", "wave": "w1",
    ...     "segment": ["defected"] * 4 + ["top"] * 4,
    ...     "perf.resolution": [1.0, 2, 2, 1, 4, 5, 4, 5],
    ...     "leave.unresolved_problems": [1.0, 1, 1, 0, 0, 0, 1, 0],
    ... })
    >>> risks = analyze_defection_risks(study, frame)
    >>> f = risks.defected.factors[0]
    >>> f.key, f.difference, f.separates
    ('resolution', -3.0, True)
    >>> risks.defected.reasons[0].reason, risks.defected.reasons[0].difference
    ('unresolved_problems', 0.5)
    """
    if not 0 < confidence < 1:
        raise AnalysisError("confidence must be between 0 and 1")
    wave_key = select_wave(study, frame, wave)
    customers = audience_rows(frame, "customer", wave_key)
    if "segment" not in customers.columns:
        raise AnalysisError("the answers frame has no column 'segment'")
    defected = customers[customers["segment"] == "defected"]
    top = customers[customers["segment"] == "top"]
    if len(defected) < 2 or len(top) < 2:
        raise AnalysisError(
            f"defection risks need at least 2 defected and 2 top customers in wave "
            f"{wave_key!r}; it has {len(defected)} defected and {len(top)} top"
        )
    defected_profile = _profile(study, "defected", "segment 'defected'", defected, top, confidence)

    current = customers[customers["segment"] != "defected"]
    if at_risk_accounts is not None:
        if "account_id" not in current.columns:
            raise AnalysisError("the answers frame has no column 'account_id'")
        in_risk = current["account_id"].isin(list(at_risk_accounts))
        basis = f"{len(set(at_risk_accounts))} account(s) given as at risk"
    else:
        ltr = column_values(current, "ltr")
        in_risk = pd.Series(np.isfinite(ltr) & (ltr <= 6), index=current.index)
        basis = "current customers who are detractors (ltr 0-6)"
    at_risk = current[in_risk.to_numpy()]
    top_rest = top[~top.index.isin(at_risk.index)]
    at_risk_profile: GroupProfile | None = None
    note: str | None = None
    if len(at_risk) >= 2 and len(top_rest) >= 2:
        at_risk_profile = _profile(study, "at_risk", basis, at_risk, top_rest, confidence)
    else:
        note = (
            f"at-risk comparison needs at least 2 at-risk and 2 other top customers "
            f"({basis}); wave {wave_key!r} has {len(at_risk)} and {len(top_rest)}"
        )

    shared: list[str] = []
    if at_risk_profile is not None:
        a, b = _direction(defected_profile), _direction(at_risk_profile)
        shared = sorted(k for k in a if b.get(k) == a[k])
    return DefectionRisks(
        study=study.slug,
        wave=wave_key,
        confidence=confidence,
        defected=defected_profile,
        at_risk=at_risk_profile,
        at_risk_note=note,
        shared=shared,
    )
