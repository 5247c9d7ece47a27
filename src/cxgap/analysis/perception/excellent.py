"""The "excellent" headline: how many in each audience call the service excellent.

The product's first line: the share of leadership, staff and customers who
answer the top box (5 = "yes, excellent") to "would you describe the service
as excellent?", each with its Wilson interval, and the leadership−customer and
staff−customer differences with Newcombe's hybrid score interval.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from cxgap.analysis._base import Result, Suppressed
from cxgap.analysis.perception.gaps import suppression_reason
from cxgap.analysis.perception.proportions import (
    ProportionDifference,
    ProportionEstimate,
    newcombe_difference,
    proportion_estimate,
)
from cxgap.errors import AnalysisError
from cxgap.study.model import AUDIENCES

__all__ = [
    "AudienceDifference",
    "AudienceShare",
    "ExcellentHeadline",
    "SuppressedDifference",
    "SuppressedShare",
    "excellent_headline",
]

_PROTECTED: tuple[str, ...] = ("leadership", "staff")


class AudienceShare(Result):
    """The share of one audience calling the service excellent."""

    audience: str
    suppressed: Literal[False] = False
    estimate: ProportionEstimate


class SuppressedShare(Suppressed):
    """An audience share withheld (anonymity threshold)."""

    audience: str


class AudienceDifference(Result):
    """``share(audience) - share(customer)`` with its Newcombe interval."""

    audience: str
    suppressed: Literal[False] = False
    difference: ProportionDifference


class SuppressedDifference(Suppressed):
    """A difference withheld because its audience is below the threshold."""

    audience: str


class ExcellentHeadline(Result):
    """Shares per audience, differences from customers, and the headline sentence."""

    column: str
    top_box: float
    shares: list[AudienceShare | SuppressedShare]
    differences: list[AudienceDifference | SuppressedDifference]
    headline: str


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def excellent_headline(
    frame: pd.DataFrame,
    *,
    column: str = "excellent",
    top_box: float = 5,
    anonymity_threshold: int = 5,
    confidence: float = 0.95,
) -> ExcellentHeadline:
    """Share of each audience calling the service excellent, and the gaps.

    Parameters
    ----------
    frame : pandas.DataFrame
        The wide frame (or any frame with ``audience`` and ``column``); one row
        per response. Rows with no answer are left out.
    column : str
        The excellent item (1-5, 5 = excellent).
    top_box : float
        Answers at or above this count as "excellent".
    anonymity_threshold : int
        Leadership or staff answered by fewer people than this (but at least
        one) are withheld, with their difference.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    ExcellentHeadline
        ``shares`` (Wilson intervals), ``differences`` (audience − customer,
        Newcombe hybrid score intervals) and a one-line ``headline``.

    References
    ----------
    Wilson, E. B. (1927). JASA 22, 209-212.
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions. Statistics in Medicine 17, 873-890 (method 10).
    Allen, J., Reichheld, F. F., Hamilton, B., Markey, R. (2005). Closing the
    delivery gap. Bain & Company (the 80% vs 8% finding).

    Examples
    --------
    >>> df = pd.DataFrame({"audience": ["leadership"] * 5 + ["customer"] * 10,
    ...                    "excellent": [5, 5, 5, 5, 3] + [5] + [3] * 9})
    >>> h = excellent_headline(df)
    >>> h.headline
    '80% of leadership call the service excellent; 10% of customers do.'
    >>> round(h.differences[0].difference.difference, 2)
    0.7
    """
    for col in ("audience", column):
        if col not in frame.columns:
            raise AnalysisError(f"no column {col!r} for the excellent headline")
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    audience = frame["audience"].astype("string").fillna("").to_numpy(dtype=object)
    counts: dict[str, tuple[int, int]] = {}
    shares: list[AudienceShare | SuppressedShare] = []
    for aud in AUDIENCES:
        x = values[(audience == aud) & np.isfinite(values)]
        n, k = len(x), int((x >= top_box).sum())
        counts[aud] = (k, n)
        if aud in _PROTECTED and 0 < n < anonymity_threshold:
            shares.append(
                SuppressedShare(audience=aud, reason=suppression_reason(aud, anonymity_threshold))
            )
        else:
            shares.append(
                AudienceShare(audience=aud, estimate=proportion_estimate(k, n, confidence))
            )
    hidden = {s.audience for s in shares if isinstance(s, SuppressedShare)}
    differences: list[AudienceDifference | SuppressedDifference] = []
    kc, nc = counts["customer"]
    for inside in _PROTECTED:
        if inside in hidden:
            differences.append(
                SuppressedDifference(
                    audience=inside, reason=suppression_reason(inside, anonymity_threshold)
                )
            )
            continue
        k, n = counts[inside]
        differences.append(
            AudienceDifference(
                audience=inside,
                difference=newcombe_difference(k, n, kc, nc, confidence, a=inside, b="customer"),
            )
        )
    parts = []
    for s in shares:
        if isinstance(s, AudienceShare) and s.estimate.n > 0 and s.audience != "customer":
            parts.append(f"{_pct(s.estimate.share)} of {s.audience}")
    cust = next(s for s in shares if s.audience == "customer")
    cust_share = cust.estimate.share if isinstance(cust, AudienceShare) else None
    if parts and cust_share is not None:
        headline = (
            f"{' and '.join(parts)} call the service excellent; {_pct(cust_share)} of customers do."
        )
    elif cust_share is not None:
        headline = f"{_pct(cust_share)} of customers call the service excellent."
    else:
        headline = "No customer has answered the excellent question yet."
    return ExcellentHeadline(
        column=column, top_box=top_box, shares=shares, differences=differences, headline=headline
    )
