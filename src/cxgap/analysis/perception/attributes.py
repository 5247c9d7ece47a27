"""Customers broken down by a respondent attribute (Class, Region, Plan),
exactly as by segment, under the anonymity threshold.

Each attribute's levels are compared on every rating item with the gap
matrix (Welch, Mann–Whitney, Holm, Hedges' g, Cliff's delta, top-2-box with
Wilson/Newcombe), each level against the first one shown; the NPS of each
level comes with its interval. The customers' own cell of each item is the
total of the levels, so small levels are withheld with complementary
suppression (:func:`cxgap.contracts.disclosure.withheld_groups`, Hundepool
et al. 2012, sections 4.2-4.3): a level with fewer than the threshold of
customers, and as many of the smallest others as needed so that the total
minus the shown levels never leaves fewer than the threshold hidden. A level
withheld for the wave as a whole is withheld on every item and in the NPS.

Attributes describe customers (plan, class, customer type); leadership and
staff are broken down by team only, so their values, where an export
carries them, are kept but not broken down here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxgap.analysis._base import Result, Suppressed
from cxgap.analysis.perception.gaps import GapMatrix, gap_matrix
from cxgap.analysis.perception.nps import NpsGroup, NpsMethod, nps_counts, nps_from_counts
from cxgap.contracts.disclosure import group_withholding, secondary_reason, suppression_reason
from cxgap.study.model import Attribute

__all__ = [
    "MAX_LEVELS",
    "AttributeBreakdown",
    "SuppressedNpsGroup",
    "attribute_breakdown",
    "attribute_breakdowns",
]

#: An attribute with more levels among a wave's customers is not broken down
#: (a free-text column is no breakdown).
MAX_LEVELS = 12


class SuppressedNpsGroup(Suppressed):
    """The NPS of one level, withheld (anonymity threshold)."""

    group: str


class AttributeBreakdown(Result):
    """The customers of one wave by the levels of one attribute."""

    attribute: str
    label: str
    column: str
    levels: list[str]
    withheld: dict[str, str]
    gaps: GapMatrix
    nps: list[NpsGroup | SuppressedNpsGroup]


def attribute_breakdown(
    frame: pd.DataFrame,
    attribute: Attribute,
    *,
    items: Sequence[str],
    anonymity_threshold: int,
    top_box_min: float = 4,
    nps_method: NpsMethod = "adjusted-wald",
    confidence: float = 0.95,
) -> AttributeBreakdown | None:
    """Break the customers of ``frame`` (one wave) down by ``attribute``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The wide frame of one wave; only ``audience == "customer"`` rows are
        used. The attribute's column is ``attr.<key>``.
    attribute : Attribute
        The attribute; its ``values`` give the order of the levels (levels
        it does not list follow, sorted).
    items : sequence of str
        Rating columns to compare.
    anonymity_threshold : int
        Levels with fewer counted customers are withheld, with complements.

    Returns
    -------
    AttributeBreakdown or None
        ``None`` when no customer has a value, or the levels number more
        than :data:`MAX_LEVELS`.

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35; Holm, S. (1979). Scand. J.
    Statist. 6, 65-70; Rocks, B. (2016). The American Statistician 70(4),
    365-372; Hundepool, A. et al. (2012). *Statistical Disclosure Control*.
    Wiley, sections 4.2-4.3.

    Examples
    --------
    >>> df = pd.DataFrame({"audience": ["customer"] * 18, "respondent_id": range(18),
    ...     "attr.plan": ["Gold"] * 7 + ["Basic"] * 6 + ["Trial"] * 2 + ["Pilot"] * 3,
    ...     "perf.resolution": [5, 4, 5, 4, 5, 4, 5] + [2, 3] * 3 + [1, 1, 2, 2, 2]})
    >>> b = attribute_breakdown(df, Attribute(key="plan", label="Plan", values=["Gold", "Basic"]),
    ...                         items=["perf.resolution"], anonymity_threshold=5)
    >>> b.levels, b.withheld
    (['Gold', 'Basic', 'Pilot', 'Trial'], {'Pilot': 'primary', 'Trial': 'primary'})
    >>> round(b.gaps.comparison("perf.resolution", "Basic", "Gold").difference, 3)
    -2.071
    """
    column = f"attr.{attribute.key}"
    if column not in frame.columns or "audience" not in frame.columns:
        return None
    customers = frame[frame["audience"].astype("string") == "customer"]
    values = customers[column]
    seen = {str(v) for v in pd.unique(values.dropna())}
    if not seen or len(seen) > MAX_LEVELS:
        return None
    levels = [v for v in attribute.values if v in seen] + sorted(seen - set(attribute.values))
    withheld = group_withholding(customers, column, anonymity_threshold)
    items = [c for c in items if c in customers.columns]
    gaps = gap_matrix(
        customers,
        group=column,
        items=items,
        groups=levels,
        pairs=[(level, levels[0]) for level in levels[1:]],
        confidence=confidence,
        top_box_min=top_box_min,
        protected=levels,
        anonymity_threshold=anonymity_threshold,
        complementary=True,
        withheld=list(withheld),
    )
    nps: list[NpsGroup | SuppressedNpsGroup] = []
    # An NPS per level only where customers answered ltr at all (an imported
    # export may have no 0-10 question: no table of empty rows).
    if "ltr" in customers.columns and customers["ltr"].notna().any():
        ltr = customers["ltr"].to_numpy(dtype=float, na_value=np.nan)
        labels = values.astype("string")
        for level in levels:
            if level in withheld:
                who = f"customers with {attribute.label} {level}"
                reason = (
                    suppression_reason(who, anonymity_threshold)
                    if withheld[level] == "primary"
                    else secondary_reason(anonymity_threshold)
                )
                nps.append(SuppressedNpsGroup(group=level, reason=reason))
                continue
            mine = (labels == level).fillna(False).to_numpy(bool)
            est = nps_from_counts(*nps_counts(ltr[mine]), method=nps_method, confidence=confidence)
            nps.append(NpsGroup(group=level, **est.model_dump()))
    return AttributeBreakdown(
        attribute=attribute.key,
        label=attribute.label,
        column=column,
        levels=levels,
        withheld=dict(withheld),
        gaps=gaps,
        nps=nps,
    )


def attribute_breakdowns(
    frame: pd.DataFrame,
    attributes: Sequence[Attribute],
    *,
    items: Sequence[str],
    anonymity_threshold: int,
    top_box_min: float = 4,
    nps_method: NpsMethod = "adjusted-wald",
    confidence: float = 0.95,
) -> list[AttributeBreakdown]:
    """:func:`attribute_breakdown` of every attribute that breaks the wave down."""
    out = []
    for a in attributes:
        found = attribute_breakdown(
            frame,
            a,
            items=items,
            anonymity_threshold=anonymity_threshold,
            top_box_min=top_box_min,
            nps_method=nps_method,
            confidence=confidence,
        )
        if found is not None:
            out.append(found)
    return out
