"""The gap matrix: every rating item × every group, and every pair of groups.

For each item and group: n, mean, SD, the interval of the mean and the
top-box share with its Wilson interval. For each item and pair of groups: the
difference of means with its interval, Welch's t-test and the Mann–Whitney
test, Hedges' g, Cliff's delta and the difference of top-box shares with
Newcombe's interval.

On an item whose scale is known (``scale``) the interval of a mean is the
Wilson interval at the effective sample size and the interval of a
difference is its MOVER combination
(:func:`~cxgap.analysis.perception.means.bounded_mean_interval`,
:func:`~cxgap.analysis.perception.means.mover_difference`), so that neither
leaves the scale; without a scale they are Student's t and Welch's intervals.
Each interval names its method (``ci_method``).

The Holm adjustment's family is stated and stable: the pairs of groups
compared on one item (``holm_family = "item"``; ``holm_family_size`` on each
comparison counts the p-values adjusted together). Adding or removing an
item never changes another item's adjusted p-values.

Groups named in ``protected`` (staff, leadership) are suppressed in any cell
answered by fewer people than the anonymity threshold (counting only the
answers :func:`~cxgap.contracts.disclosure.counted_rows` counts), and so is
every comparison that involves such a cell. With ``complementary``, groups
that partition a published total (staff by team) are also withheld as
complements, so that no withheld cell can be worked out from the total and
the shown cells (:func:`~cxgap.contracts.disclosure.withheld_groups`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from cxgap.analysis._base import Result, Suppressed, finite
from cxgap.analysis.perception.means import (
    MOVER_DIFFERENCE_METHOD,
    T_METHOD,
    clean,
    hedges_g,
    holm,
    mann_whitney,
    mean_estimate,
    mover_difference,
    welch_from_stats,
)
from cxgap.analysis.perception.proportions import (
    ProportionDifference,
    ProportionEstimate,
    newcombe_difference,
    proportion_estimate,
)
from cxgap.contracts.disclosure import (
    counted_rows,
    secondary_reason,
    suppression_reason,
    withheld_groups,
)
from cxgap.errors import AnalysisError

__all__ = [
    "HOLM_FAMILY",
    "GapComparison",
    "GapMatrix",
    "GroupCell",
    "Scale",
    "SuppressedCell",
    "SuppressedComparison",
    "gap_matrix",
    "suppression_reason",
]


HOLM_FAMILY: Literal["item"] = "item"

Scale = tuple[float, float]


class GroupCell(Result):
    """One item in one group."""

    item: str
    group: str
    suppressed: Literal[False] = False
    n: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None
    top_box: ProportionEstimate | None
    ci_method: str = T_METHOD
    note: str | None = None


class SuppressedCell(Suppressed):
    """One item in one group, withheld (anonymity threshold)."""

    item: str
    group: str


class GapComparison(Result):
    """``mean_a - mean_b`` on one item, with its tests and effect sizes."""

    item: str
    a: str
    b: str
    suppressed: Literal[False] = False
    n_a: int
    n_b: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: float | None
    p_welch: float | None
    p_welch_holm: float | None
    p_mann_whitney: float | None
    p_mann_whitney_holm: float | None
    holm_family_size: int = 0
    hedges_g: float | None
    cliffs_delta: float | None
    top_box_difference: ProportionDifference | None
    ci_method: str = "welch"
    note: str | None = None


class SuppressedComparison(Suppressed):
    """A comparison withheld because one side is below the anonymity threshold."""

    item: str
    a: str
    b: str


class GapMatrix(Result):
    """The whole matrix.

    ``holm_family`` names the family of the Holm adjustment: ``"item"``, the
    pairs of groups compared on one item (each comparison's
    ``holm_family_size`` says how many p-values were adjusted together).
    ``scales`` holds the scale of each item whose intervals respect it.
    """

    group_column: str
    groups: list[str]
    items: list[str]
    confidence: float
    top_box_min: float | None
    cells: list[GroupCell | SuppressedCell]
    comparisons: list[GapComparison | SuppressedComparison]
    holm_family: Literal["item"] = HOLM_FAMILY
    scales: dict[str, tuple[float, float]] = Field(default_factory=dict)

    def cell(self, item: str, group: str) -> GroupCell | SuppressedCell:
        """The cell of ``item`` in ``group``."""
        for c in self.cells:
            if c.item == item and c.group == group:
                return c
        raise KeyError((item, group))

    def comparison(self, item: str, a: str, b: str) -> GapComparison | SuppressedComparison:
        """The comparison ``a - b`` on ``item``."""
        for c in self.comparisons:
            if c.item == item and c.a == a and c.b == b:
                return c
        raise KeyError((item, a, b))


def _too_few(n: int, min_n: int) -> str | None:
    if n == 0:
        return "no answers"
    if n < min_n:
        return f"too few answers (n={n}) for an interval"
    return None


def gap_matrix(
    frame: pd.DataFrame,
    *,
    group: str,
    items: Sequence[str],
    groups: Sequence[str] | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    confidence: float = 0.95,
    top_box_min: float | None = None,
    protected: Collection[str] = (),
    anonymity_threshold: int = 5,
    min_n: int = 2,
    complementary: bool = False,
    withheld: Collection[str] = (),
    scale: Scale | Mapping[str, Scale] | None = None,
) -> GapMatrix:
    """Compare groups on rating items: summaries, differences, tests, effect sizes.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent; ``group`` names a column of group labels, each
        of ``items`` a numeric column (NaN = no answer).
    group : str
        Column holding the group of each row.
    items : sequence of str
        Numeric columns to compare.
    groups : sequence of str, optional
        Groups to show, in order (default: every group, in order of first
        appearance). Rows of other groups are left out.
    pairs : sequence of (str, str), optional
        Pairs ``(a, b)`` to compare as ``a - b`` (default: every pair in
        ``groups`` order).
    confidence : float
        Two-sided confidence level of every interval.
    top_box_min : float, optional
        Answers at or above this value count as top box (4 on a 1-5 scale for
        top-2-box); ``None`` leaves the top-box shares out.
    protected : collection of str
        Groups under the anonymity rule (staff, leadership).
    anonymity_threshold : int
        A protected group's cell with fewer answers than this (but at least
        one) is withheld, with every comparison that uses it.
    min_n : int
        Below this many answers a cell or comparison carries a note and no
        interval or test.
    complementary : bool
        The protected groups split a total that is published elsewhere (the
        staff audience's cell of each item): withhold complements too, item
        by item, so that the total minus the shown groups never leaves fewer
        than ``anonymity_threshold`` counted answers hidden together.
    withheld : collection of str
        Protected groups to withhold in every item (withheld at the level of
        respondents, so that every view of the study agrees).
    scale : (float, float) or mapping of item to (float, float), optional
        The lowest and highest possible answer, for every item or item by
        item. An item with a scale gets intervals that stay on it
        (``wilson-effective-n`` for a mean, ``mover-wilson-effective-n``
        for a difference); an item without one gets the t and Welch
        intervals.

    Returns
    -------
    GapMatrix
        ``cells`` (item × group) and ``comparisons`` (item × pair). Welch and
        Mann–Whitney p-values are Holm-adjusted, each test separately, over
        the pairs of one item (``holm_family = "item"``).

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35.
    Mann, H. B., Whitney, D. R. (1947). Ann. Math. Stat. 18, 50-60.
    Holm, S. (1979). Scand. J. Statist. 6(2), 65-70.
    Hedges, L. V. (1981). J. Educ. Stat. 6(2), 107-128.
    Cliff, N. (1993). Psychological Bulletin 114(3), 494-509.
    Wilson, E. B. (1927). JASA 22, 209-212; Newcombe, R. G. (1998).
    Statistics in Medicine 17, 873-890.
    Korn, E. L., Graubard, B. I. (1998). Survey Methodology 24(2), 193-201;
    Zou, G. Y., Donner, A. (2008). Statistics in Medicine 27, 1693-1702.

    Examples
    --------
    >>> df = pd.DataFrame({"who": ["lead"] * 4 + ["cust"] * 5,
    ...                    "q": [5, 5, 4, 5, 2, 3, 2, 4, 3]})
    >>> m = gap_matrix(df, group="who", items=["q"], top_box_min=4)
    >>> c = m.comparison("q", "lead", "cust")
    >>> round(c.difference, 2), round(c.hedges_g, 2), c.cliffs_delta
    (1.95, 2.43, 0.95)
    """
    if group not in frame.columns:
        raise AnalysisError(f"no column {group!r} to group by")
    missing = [c for c in items if c not in frame.columns]
    if missing:
        raise AnalysisError(f"no column(s) {', '.join(map(repr, missing))} in the data")
    if not items:
        raise AnalysisError("at least one item to compare")
    labels = frame[group]
    present = labels.dropna().astype(str)
    if groups is None:
        groups = list(pd.unique(present))
    groups = [str(g) for g in groups]
    if len(groups) < 1:
        raise AnalysisError(f"column {group!r} has no groups")
    if pairs is None:
        pairs = list(itertools.combinations(groups, 2))
    scales = _scales(scale, items)
    as_text = labels.astype("string")
    known = as_text.notna().to_numpy(dtype=bool)
    label_arr = as_text.fillna("").to_numpy(dtype=object)
    masks = {g: (label_arr == g) & known for g in groups}

    cells: list[GroupCell | SuppressedCell] = []
    values: dict[tuple[str, str], np.ndarray] = {}
    withheld_cells: set[tuple[str, str]] = set()
    counts_toward = counted_rows(frame)
    guarded = [g for g in groups if g in protected]
    for item in items:
        col = frame[item].to_numpy(dtype=float, na_value=np.nan)
        answered = np.isfinite(col)
        hide: Mapping[str, str] = {}
        if guarded:
            sizes = {g: int((answered & masks[g]).sum()) for g in guarded}
            counted = {g: int((answered & masks[g] & counts_toward).sum()) for g in guarded}
            if complementary:
                hide = withheld_groups(
                    sizes,
                    total=int(answered.sum()),
                    total_counted=int((answered & counts_toward).sum()),
                    counted=counted,
                    threshold=anonymity_threshold,
                    always=withheld,
                )
            else:
                hide = {
                    g: "primary"
                    for g in guarded
                    if sizes[g] > 0 and counted[g] < anonymity_threshold
                }
        for g in groups:
            x = clean(col[masks[g]])
            values[(item, g)] = x
            n = len(x)
            if g in hide:
                withheld_cells.add((item, g))
                reason = (
                    suppression_reason(g, anonymity_threshold)
                    if hide[g] == "primary"
                    else secondary_reason(anonymity_threshold)
                )
                cells.append(SuppressedCell(item=item, group=g, reason=reason))
                continue
            if item in scales:
                low, high = scales[item]
                off = x[(x < low) | (x > high)]
                if len(off):
                    raise AnalysisError(
                        f"{item!r} in group {g!r} has an answer of {off[0]:g}, outside its "
                        f"scale {low:g} to {high:g}"
                    )
            est = mean_estimate(x, confidence, scale=scales.get(item))
            top = None
            if top_box_min is not None:
                top = proportion_estimate(int((x >= top_box_min).sum()), n, confidence)
            note = _too_few(n, min_n)
            cells.append(
                GroupCell(
                    item=item,
                    group=g,
                    n=n,
                    mean=est.mean,
                    sd=est.sd,
                    ci_low=None if note else est.ci_low,
                    ci_high=None if note else est.ci_high,
                    top_box=top,
                    ci_method=est.method,
                    note=note,
                )
            )

    raw: list[dict[str, object] | SuppressedComparison] = []
    for item in items:
        for a, b in pairs:
            if a not in masks or b not in masks:
                raise AnalysisError(f"pair ({a!r}, {b!r}) names a group not in {groups}")
            hidden = [g for g in (a, b) if (item, g) in withheld_cells]
            if hidden:
                raw.append(
                    SuppressedComparison(
                        item=item,
                        a=a,
                        b=b,
                        reason=suppression_reason(hidden[0], anonymity_threshold),
                    )
                )
                continue
            raw.append(
                _compare(
                    item,
                    a,
                    b,
                    values[(item, a)],
                    values[(item, b)],
                    confidence,
                    top_box_min,
                    min_n,
                    scales.get(item),
                )
            )

    comparisons: list[GapComparison | SuppressedComparison] = []
    per_item = len(pairs)
    for start in range(0, len(raw), max(per_item, 1)):
        comparisons.extend(_adjust(raw[start : start + per_item]))
    return GapMatrix(
        group_column=group,
        groups=groups,
        items=list(items),
        confidence=confidence,
        top_box_min=top_box_min,
        cells=cells,
        comparisons=comparisons,
        scales=scales,
    )


def _scales(scale: Scale | Mapping[str, Scale] | None, items: Sequence[str]) -> dict[str, Scale]:
    """The scale of each item that has one, checked."""
    if scale is None:
        return {}
    if isinstance(scale, Mapping):
        chosen = {item: scale[item] for item in items if item in scale}
    else:
        chosen = dict.fromkeys(items, scale)
    out: dict[str, Scale] = {}
    for item, (low, high) in chosen.items():
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise AnalysisError(
                f"the scale of {item!r} needs a finite lowest value below its highest, "
                f"got {low:g} to {high:g}"
            )
        out[item] = (low, high)
    return out


def _adjust(
    family: Sequence[dict[str, object] | SuppressedComparison],
) -> list[GapComparison | SuppressedComparison]:
    """Holm-adjust one item's comparisons (each test separately) and build them."""
    p_w = [r["p_welch"] if isinstance(r, dict) else None for r in family]
    p_m = [r["p_mann_whitney"] if isinstance(r, dict) else None for r in family]
    adj_w, adj_m = holm(p_w), holm(p_m)  # type: ignore[arg-type]
    size = sum(p is not None for p in p_w)
    out: list[GapComparison | SuppressedComparison] = []
    for r, hw, hm in zip(family, adj_w, adj_m, strict=True):
        if isinstance(r, dict):
            out.append(
                GapComparison(
                    p_welch_holm=hw,
                    p_mann_whitney_holm=hm,
                    holm_family_size=size,
                    **r,  # type: ignore[arg-type]
                )
            )
        else:
            out.append(r)
    return out


def _compare(
    item: str,
    a: str,
    b: str,
    x: np.ndarray,
    y: np.ndarray,
    confidence: float,
    top_box_min: float | None,
    min_n: int,
    scale: Scale | None,
) -> dict[str, object]:
    n_a, n_b = len(x), len(y)
    out: dict[str, object] = {
        "item": item,
        "a": a,
        "b": b,
        "n_a": n_a,
        "n_b": n_b,
        "difference": None,
        "ci_low": None,
        "ci_high": None,
        "t": None,
        "df": None,
        "p_welch": None,
        "p_mann_whitney": None,
        "hedges_g": None,
        "cliffs_delta": None,
        "top_box_difference": None,
        "ci_method": "welch" if scale is None else MOVER_DIFFERENCE_METHOD,
        "note": None,
    }
    if n_a and n_b:
        out["difference"] = finite(float(x.mean() - y.mean()))
    short = [f"{g} (n={n})" for g, n in ((a, n_a), (b, n_b)) if n < min_n]
    if short:
        out["note"] = "too few answers in " + " and ".join(short) + " to compare"
        return out
    w = welch_from_stats(
        float(x.mean()),
        float(x.var(ddof=1)),
        n_a,
        float(y.mean()),
        float(y.var(ddof=1)),
        n_b,
        confidence,
    )
    r = mann_whitney(x, y)
    ci_low, ci_high = w.ci_low, w.ci_high
    if scale is not None:
        bounds = mover_difference(x, y, scale, confidence)
        ci_low, ci_high = bounds if bounds is not None else (None, None)
    out.update(
        difference=w.difference,
        ci_low=ci_low,
        ci_high=ci_high,
        t=finite(w.t),
        df=finite(w.df),
        p_welch=finite(w.p_value),
        p_mann_whitney=None if r is None else finite(r.p_value),
        hedges_g=hedges_g(x, y),
        cliffs_delta=None if r is None else finite(r.cliffs_delta),
    )
    if top_box_min is not None:
        out["top_box_difference"] = newcombe_difference(
            int((x >= top_box_min).sum()),
            n_a,
            int((y >= top_box_min).sum()),
            n_b,
            confidence,
            a=a,
            b=b,
        )
    if w.p_value is None and not math.isfinite(w.difference or 0.0):
        out["note"] = "no variation in either group"
    return out
