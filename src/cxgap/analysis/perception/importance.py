"""Stated importance: rated importance, the Borda count of rankings, and what
each group says would make a customer leave.

* Rated importance: the mean of ``imp.<factor>`` (1-5) per audience, with its
  t interval.
* Ranking: each respondent ranks the ``k`` factors (1 = most important). A
  factor ranked ``r`` earns ``k - r`` Borda points, an unranked one 0; the mean
  points per respondent who ranked anything (with its t interval) orders the
  factors, position 1 first.
* Defection factors: the share of each group ticking each reason in
  ``leave.<reason>`` (0/1), with Wilson intervals, and the defected − top and
  leadership − customer differences with Newcombe's interval. Respondents
  count in the denominator when they answered the question at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cxgap.analysis._base import Result, Suppressed
from cxgap.analysis.perception.gaps import suppression_reason
from cxgap.analysis.perception.means import MeanEstimate, mean_estimate
from cxgap.analysis.perception.proportions import (
    ProportionDifference,
    ProportionEstimate,
    newcombe_difference,
    proportion_estimate,
)
from cxgap.errors import AnalysisError
from cxgap.study.model import AUDIENCES, DefectionReason

__all__ = [
    "AudienceImportance",
    "DefectionFactors",
    "FactorImportance",
    "GroupShare",
    "ReasonShares",
    "StatedImportance",
    "SuppressedAudience",
    "SuppressedGroupShare",
    "borda_points",
    "defection_factor_shares",
    "stated_importance",
]

_PROTECTED = ("leadership", "staff")


class FactorImportance(Result):
    """One factor for one audience: rated importance and Borda points."""

    factor: str
    importance: MeanEstimate
    borda: MeanEstimate
    borda_position: int | None


class AudienceImportance(Result):
    """Stated importance of every factor for one audience."""

    audience: str
    suppressed: Literal[False] = False
    n: int
    n_ranked: int
    factors: list[FactorImportance]


class SuppressedAudience(Suppressed):
    """An audience withheld (anonymity threshold)."""

    audience: str


class StatedImportance(Result):
    """Stated importance per audience; ``method`` names the ranking rule."""

    factors: list[str]
    audiences: list[AudienceImportance | SuppressedAudience]
    method: str = "borda: k - rank points for a ranked factor, 0 if unranked"


def borda_points(ranks: np.ndarray) -> np.ndarray:
    """Borda points ``k - rank`` of a respondents × factors rank matrix.

    Rows with no rank at all become NaN (no answer); unranked cells in a
    ranked row earn 0.

    References
    ----------
    de Borda, J.-C. (1781). Mémoire sur les élections au scrutin. Histoire de
    l'Académie Royale des Sciences.

    Examples
    --------
    >>> borda_points(np.array([[1.0, 2.0, 3.0], [np.nan, 1.0, np.nan]]))
    array([[2., 1., 0.],
           [0., 2., 0.]])
    """
    r = np.asarray(ranks, dtype=float)
    k = r.shape[1]
    points = np.where(np.isfinite(r), k - r, 0.0)
    answered = np.isfinite(r).any(axis=1)
    points[~answered] = np.nan
    return points


def stated_importance(
    frame: pd.DataFrame,
    factors: Sequence[str],
    *,
    anonymity_threshold: int = 5,
    confidence: float = 0.95,
    scale: tuple[float, float] | None = None,
) -> StatedImportance:
    """Rated importance and Borda-ranked importance of each factor per audience.

    Parameters
    ----------
    frame : pandas.DataFrame
        The wide frame: ``audience`` and, per factor, ``imp.<factor>`` (1-5)
        and ``rank.<factor>`` (1 = most important); missing columns count as
        unanswered.
    factors : sequence of str
        The factor keys, in study order.
    anonymity_threshold : int
        Leadership or staff with fewer respondents than this are withheld.
    confidence : float
        Two-sided confidence level.
    scale : (float, float), optional
        The scale of the ``imp.<factor>`` answers (1-5). With it their
        intervals stay on it (``wilson-effective-n``, see
        :func:`~cxgap.analysis.perception.means.bounded_mean_interval`);
        without it they are t intervals.

    Returns
    -------
    StatedImportance
        Per audience: ``n`` (respondents answering any importance item),
        ``n_ranked``, and per factor the mean importance, mean Borda points
        and the Borda position. Borda points lie on 0 to ``k - 1`` by
        construction, so their interval is the bounded one on that scale
        (with ``k`` = 1 factor, or points off that scale, a t interval).

    References
    ----------
    de Borda, J.-C. (1781). Mémoire sur les élections au scrutin.
    Saari, D. G. (2000). Mathematical structure of voting paradoxes.
    Economic Theory 15, 1-53 (Borda count with partial rankings).

    Examples
    --------
    >>> df = pd.DataFrame({"audience": ["customer"] * 6,
    ...     "imp.a": [5, 4, 5, 4, 5, 5], "imp.b": [2, 3, 2, 3, 3, 2],
    ...     "rank.a": [1, 1, 1, 2, 1, 1], "rank.b": [2, 2, 2, 1, 2, 2]})
    >>> res = stated_importance(df, ["a", "b"])
    >>> cust = res.audiences[2]
    >>> [(f.factor, f.borda_position, round(f.borda.mean, 2)) for f in cust.factors]
    [('a', 1, 0.83), ('b', 2, 0.17)]
    """
    if "audience" not in frame.columns:
        raise AnalysisError("no column 'audience' for stated importance")
    if not factors:
        raise AnalysisError("at least one factor")

    def matrix(prefix: str) -> np.ndarray:
        cols = [
            frame[f"{prefix}.{f}"].to_numpy(dtype=float, na_value=np.nan)
            if f"{prefix}.{f}" in frame.columns
            else np.full(len(frame), np.nan)
            for f in factors
        ]
        return np.column_stack(cols)

    imp, ranks = matrix("imp"), matrix("rank")
    points = borda_points(ranks)
    k = len(factors)
    seen = points[np.isfinite(points)]
    borda_scale = (
        (0.0, float(k - 1)) if k > 1 and bool(((seen >= 0) & (seen <= k - 1)).all()) else None
    )
    audience = frame["audience"].astype("string").fillna("").to_numpy(dtype=object)
    out: list[AudienceImportance | SuppressedAudience] = []
    for aud in AUDIENCES:
        mask = audience == aud
        answered = np.isfinite(imp[mask]).any(axis=1) | np.isfinite(ranks[mask]).any(axis=1)
        n = int(answered.sum())
        if aud in _PROTECTED and 0 < n < anonymity_threshold:
            out.append(
                SuppressedAudience(
                    audience=aud, reason=suppression_reason(aud, anonymity_threshold)
                )
            )
            continue
        pts = points[mask]
        borda_means = np.array(
            [
                np.nanmean(pts[:, j]) if np.isfinite(pts[:, j]).any() else -np.inf
                for j in range(len(factors))
            ]
        )
        order = np.argsort(-borda_means, kind="stable")
        position = {int(j): i + 1 for i, j in enumerate(order)}
        items = [
            FactorImportance(
                factor=f,
                importance=mean_estimate(imp[mask][:, j], confidence, scale=scale),
                borda=mean_estimate(pts[:, j], confidence, scale=borda_scale),
                borda_position=position[j] if np.isfinite(borda_means[j]) else None,
            )
            for j, f in enumerate(factors)
        ]
        out.append(
            AudienceImportance(
                audience=aud,
                n=n,
                n_ranked=int(np.isfinite(pts).any(axis=1).sum()),
                factors=items,
            )
        )
    return StatedImportance(factors=list(factors), audiences=out)


class GroupShare(Result):
    """The share of one group ticking one reason."""

    group: str
    suppressed: Literal[False] = False
    estimate: ProportionEstimate


class SuppressedGroupShare(Suppressed):
    """A group share withheld (anonymity threshold)."""

    group: str


class ReasonShares(Result):
    """One defection reason across groups."""

    reason: str
    label: str
    factor: str | None
    shares: list[GroupShare | SuppressedGroupShare]
    differences: list[ProportionDifference]


class DefectionFactors(Result):
    """What each group says would make a customer leave."""

    groups: list[str]
    reasons: list[ReasonShares]


def _groups_of(frame: pd.DataFrame) -> np.ndarray:
    """Each row's group: the segment for customers, the audience otherwise."""
    aud = frame["audience"].astype("string").fillna("")
    seg = (
        frame["segment"].astype("string")
        if "segment" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    group = aud.where(aud != "customer", seg.fillna("customer"))
    return group.to_numpy(dtype=object)


def defection_factor_shares(
    frame: pd.DataFrame,
    reasons: Sequence[DefectionReason],
    *,
    segments: Sequence[str] = ("top", "new", "defected", "other"),
    anonymity_threshold: int = 5,
    confidence: float = 0.95,
) -> DefectionFactors:
    """Share of each group choosing each reason a customer would leave.

    Parameters
    ----------
    frame : pandas.DataFrame
        The wide frame: ``audience``, ``segment`` and ``leave.<reason>`` (0/1;
        NaN = no answer).
    reasons : sequence of DefectionReason
        The study's defection reasons (key, label, optional factor).
    segments : sequence of str
        Customer segments to show, in order.
    anonymity_threshold : int
        Leadership or staff with fewer respondents than this are withheld.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    DefectionFactors
        Groups ``leadership, staff, <segments>, customers`` (all customers) and
        per reason the Wilson shares and the Newcombe differences
        ``defected - top`` and ``leadership - customers``.

    References
    ----------
    Wilson, E. B. (1927). JASA 22, 209-212.
    Newcombe, R. G. (1998). Statistics in Medicine 17, 873-890 (method 10).

    Examples
    --------
    >>> df = pd.DataFrame({"audience": ["customer"] * 4, "segment": ["top", "top",
    ...     "defected", "defected"], "leave.price": [0, 0, 1, 1]})
    >>> res = defection_factor_shares(df, [DefectionReason(key="price", label="Price")])
    >>> [(s.group, s.estimate.share) for s in res.reasons[0].shares if s.estimate.n]
    [('top', 0.0), ('defected', 1.0), ('customers', 0.5)]
    """
    if "audience" not in frame.columns:
        raise AnalysisError("no column 'audience' for defection factors")
    groups_of = _groups_of(frame)
    is_customer = (frame["audience"].astype("string") == "customer").fillna(False).to_numpy(bool)
    cols = [f"leave.{r.key}" for r in reasons]
    present = [c for c in cols if c in frame.columns]
    leave = (
        np.column_stack([frame[c].to_numpy(dtype=float, na_value=np.nan) for c in present])
        if present
        else np.full((len(frame), 0), np.nan)
    )
    answered = np.isfinite(leave).any(axis=1) if present else np.zeros(len(frame), bool)
    groups = ["leadership", "staff", *segments, "customers"]
    masks = {g: (groups_of == g) & answered for g in groups if g != "customers"}
    masks["customers"] = is_customer & answered
    hidden = {g for g in _PROTECTED if 0 < int(masks[g].sum()) < anonymity_threshold}
    out = []
    for r in reasons:
        col = f"leave.{r.key}"
        ticked = (
            np.nan_to_num(frame[col].to_numpy(dtype=float, na_value=np.nan)) > 0
            if col in frame.columns
            else np.zeros(len(frame), bool)
        )
        counts = {g: (int((ticked & m).sum()), int(m.sum())) for g, m in masks.items()}
        shares: list[GroupShare | SuppressedGroupShare] = []
        for g in groups:
            if g in hidden:
                shares.append(
                    SuppressedGroupShare(group=g, reason=suppression_reason(g, anonymity_threshold))
                )
            else:
                shares.append(
                    GroupShare(group=g, estimate=proportion_estimate(*counts[g], confidence))
                )
        diffs = []
        pairs = [("defected", "top"), ("leadership", "customers")]
        for a, b in pairs:
            if a in hidden or b in hidden or a not in counts or b not in counts:
                continue
            diffs.append(newcombe_difference(*counts[a], *counts[b], confidence, a=a, b=b))
        out.append(
            ReasonShares(
                reason=r.key, label=r.label, factor=r.factor, shares=shares, differences=diffs
            )
        )
    return DefectionFactors(groups=groups, reasons=out)
