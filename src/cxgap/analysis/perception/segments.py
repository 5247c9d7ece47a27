"""Customer segments compared: defected vs top vs new (and other) customers on
every factor and touchpoint, their NPS and their "excellent" share.

Uses the gap matrix (Welch, Mann–Whitney, Holm, Hedges' g, Cliff's delta,
top-2-box with Wilson/Newcombe) with the segments as groups, the NPS with
its interval per segment and the difference of each segment's NPS from the
top customers'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cxgap.analysis._base import Result
from cxgap.analysis.perception.gaps import GapMatrix, Scale, gap_matrix
from cxgap.analysis.perception.importance import GroupShare
from cxgap.analysis.perception.nps import (
    NpsDifference,
    NpsEstimate,
    NpsGroup,
    NpsMethod,
    nps_counts,
    nps_difference,
    nps_from_counts,
)
from cxgap.analysis.perception.proportions import proportion_estimate
from cxgap.errors import AnalysisError

__all__ = ["SegmentComparison", "segment_comparison"]

DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("defected", "top"),
    ("new", "top"),
    ("defected", "new"),
    ("other", "top"),
)


class SegmentComparison(Result):
    """Customer segments side by side."""

    segments: list[str]
    gaps: GapMatrix
    nps: list[NpsGroup]
    nps_differences: list[NpsDifference]
    excellent: list[GroupShare]


def segment_comparison(
    frame: pd.DataFrame,
    *,
    items: Sequence[str],
    segments: Sequence[str] = ("top", "new", "defected", "other"),
    pairs: Sequence[tuple[str, str]] | None = None,
    top_box_min: float = 4,
    nps_method: NpsMethod = "wilson-effective-n",
    confidence: float = 0.95,
    scale: Scale | Mapping[str, Scale] | None = None,
) -> SegmentComparison:
    """Compare customer segments on rating items, NPS and the excellent share.

    Parameters
    ----------
    frame : pandas.DataFrame
        The wide frame; only rows with ``audience == "customer"`` are used.
        Needs ``segment`` and the ``items`` columns; ``ltr`` and ``excellent``
        are used when present.
    items : sequence of str
        Rating columns to compare (``perf.<factor>``, ``tp.<touchpoint>``).
    segments : sequence of str
        Segments to show, in order; segments with no customers are left out.
    pairs : sequence of (str, str), optional
        Comparisons ``a - b`` (default: defected−top, new−top, defected−new,
        other−top, those whose segments are present).
    top_box_min : float
        Top-2-box threshold on the 1-5 scale.
    nps_method : str
        NPS interval method (see :mod:`cxgap.analysis.perception.nps`).
    confidence : float
        Two-sided confidence level.
    scale : (float, float) or mapping of item to (float, float), optional
        The scale of the items, so that their intervals stay on it (see
        :func:`~cxgap.analysis.perception.gaps.gap_matrix`).

    Returns
    -------
    SegmentComparison
        The segment gap matrix, the NPS per segment, NPS differences for the
        same pairs, and the excellent (top box 5) share per segment.

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35; Holm, S. (1979). Scand. J.
    Statist. 6, 65-70; Rocks, B. (2016). The American Statistician 70(4),
    365-372; Newcombe, R. G. (1998). Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> df = pd.DataFrame({"audience": ["customer"] * 6,
    ...     "segment": ["top"] * 3 + ["defected"] * 3,
    ...     "perf.resolution": [4, 5, 4, 1, 2, 2], "ltr": [9, 10, 8, 3, 5, 6]})
    >>> res = segment_comparison(df, items=["perf.resolution"])
    >>> res.segments, round(res.gaps.comparison("perf.resolution", "defected", "top").difference, 2)
    (['top', 'defected'], -2.67)
    >>> [(g.group, round(g.nps)) for g in res.nps]
    [('top', 67), ('defected', -100)]
    """
    if "segment" not in frame.columns or "audience" not in frame.columns:
        raise AnalysisError("segment comparison needs the 'audience' and 'segment' columns")
    cust = frame[frame["audience"].astype("string") == "customer"]
    seg = cust["segment"].astype("string")
    present = [s for s in segments if bool((seg == s).any())]
    if not present:
        raise AnalysisError("no customer belongs to any of the segments " + ", ".join(segments))
    if pairs is None:
        pairs = [(a, b) for a, b in DEFAULT_PAIRS if a in present and b in present]
    items = [c for c in items if c in cust.columns]
    gaps = gap_matrix(
        cust,
        group="segment",
        items=items,
        groups=present,
        pairs=pairs,
        confidence=confidence,
        top_box_min=top_box_min,
        scale=scale,
    )
    nps_rows: dict[str, NpsGroup] = {}
    if "ltr" in cust.columns:
        ltr = cust["ltr"].to_numpy(dtype=float, na_value=np.nan)
        for s in present:
            est = nps_from_counts(
                *nps_counts(ltr[(seg == s).fillna(False).to_numpy(bool)]),
                method=nps_method,
                confidence=confidence,
            )
            nps_rows[s] = NpsGroup(group=s, **est.model_dump())
    diffs = []
    for a, b in pairs:
        if a in nps_rows and b in nps_rows:
            ea = nps_rows[a].model_dump(exclude={"group"})
            eb = nps_rows[b].model_dump(exclude={"group"})

            diffs.append(nps_difference(NpsEstimate(**ea), NpsEstimate(**eb), name_a=a, name_b=b))
    excellent = []
    if "excellent" in cust.columns:
        ex = cust["excellent"].to_numpy(dtype=float, na_value=np.nan)
        for s in present:
            x = ex[(seg == s).fillna(False).to_numpy(bool)]
            x = x[np.isfinite(x)]
            excellent.append(
                GroupShare(
                    group=s, estimate=proportion_estimate(int((x >= 5).sum()), len(x), confidence)
                )
            )
    return SegmentComparison(
        segments=present,
        gaps=gaps,
        nps=list(nps_rows.values()),
        nps_differences=diffs,
        excellent=excellent,
    )
