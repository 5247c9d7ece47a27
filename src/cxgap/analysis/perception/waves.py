"""Change between waves, and whether each perception gap is closing.

For each pair of consecutive waves, each item and each audience: the change of
the mean (later − earlier) with Welch's interval and test. For leadership and
staff: the gap to customers in each wave (``mean_audience - mean_customer``)
and the change in the gap, ``Δgap = gap_2 - gap_1``, with

``se² = Σ s_i²/n_i`` over the four independent cells and the
Welch–Satterthwaite degrees of freedom ``df = se⁴ / Σ (s_i²/n_i)² / (n_i - 1)``.
A gap is *closing* when ``|gap_2| < |gap_1|``; the interval and p-value of
``Δgap`` say whether the change is more than noise. Waves are treated as
independent samples (respondents are not matched across waves).

On an item whose scale is known the intervals of both changes are instead
the MOVER combination (Zou & Donner 2008) of each cell's bounded interval
(:func:`~cxgap.analysis.perception.means.bounded_mean_from_stats`), so they
never leave the range a change can take (±4 and ±8 on a 1-5 item) and keep a
width when a cell's answers are all the same; ``ci_method`` names the method.
The p-values stay Welch's and Satterthwaite's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import t as t_dist

from cxgap.analysis._base import Result, Suppressed, finite
from cxgap.analysis.perception.gaps import suppression_reason
from cxgap.analysis.perception.means import (
    MOVER_DIFFERENCE_METHOD,
    bounded_mean_from_stats,
    mover_combination,
    welch_from_stats,
)
from cxgap.analysis.perception.nps import NpsDifference, NpsMethod, nps_difference, nps_estimate
from cxgap.errors import AnalysisError
from cxgap.study.model import AUDIENCES

__all__ = [
    "GapChange",
    "SuppressedChange",
    "WaveChange",
    "WaveChanges",
    "WavePair",
    "gap_change_from_stats",
    "wave_changes",
]

_PROTECTED = ("leadership", "staff")


class WaveChange(Result):
    """Change of one item's mean in one audience between two waves."""

    item: str
    audience: str
    suppressed: Literal[False] = False
    n_before: int
    n_after: int
    mean_before: float | None
    mean_after: float | None
    change: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    ci_method: str = "welch"


class GapChange(Result):
    """Change of one audience's gap to customers on one item."""

    item: str
    audience: str
    suppressed: Literal[False] = False
    gap_before: float | None
    gap_after: float | None
    change: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None
    p_value: float | None
    closing: bool | None
    ci_method: str = "satterthwaite"


class SuppressedChange(Suppressed):
    """A change withheld (anonymity threshold)."""

    item: str
    audience: str


class WavePair(Result):
    """Everything that changed from ``before`` to ``after``."""

    before: str
    after: str
    changes: list[WaveChange | SuppressedChange]
    gaps: list[GapChange | SuppressedChange]
    nps_change: NpsDifference | None


class WaveChanges(Result):
    """Every pair of consecutive waves present in the data."""

    waves: list[str]
    pairs: list[WavePair]


_Cell = tuple[float, float, int]  # mean, variance, n


def gap_change_from_stats(
    aud_before: _Cell,
    cust_before: _Cell,
    aud_after: _Cell,
    cust_after: _Cell,
    confidence: float = 0.95,
) -> tuple[float | None, float | None, float | None, float | None, float | None]:
    """Change in the gap with its interval from four (mean, variance, n) cells.

    Returns ``(change, ci_low, ci_high, df, p_value)``; the interval and test
    are ``None`` when a cell has fewer than 2 answers.

    References
    ----------
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of
    variance components. Biometrics Bulletin 2(6), 110-114.

    Examples
    --------
    >>> ch, lo, hi, df, p = gap_change_from_stats((4.5, 0.5, 10), (3.0, 1.0, 40),
    ...                                           (4.4, 0.5, 10), (3.6, 1.0, 40))
    >>> round(ch, 2), round(lo, 2), round(hi, 2)
    (-0.7, -1.48, 0.08)
    """
    cells = (aud_before, cust_before, aud_after, cust_after)
    if any(n == 0 for _, _, n in cells):
        return None, None, None, None, None
    change = (aud_after[0] - cust_after[0]) - (aud_before[0] - cust_before[0])
    if any(n < 2 for _, _, n in cells):
        return change, None, None, None, None
    parts = [v / n for _, v, n in cells]
    se2 = sum(parts)
    if se2 <= 0:
        return change, change, change, None, None
    df = se2**2 / sum(p**2 / (n - 1) for p, (_, _, n) in zip(parts, cells, strict=True))
    se = math.sqrt(se2)
    q = float(t_dist.ppf(1 - (1 - confidence) / 2, df))
    p_value = float(2 * t_dist.sf(abs(change / se), df))
    return change, change - q * se, change + q * se, df, p_value


def _stats(values: np.ndarray) -> _Cell:
    x = values[np.isfinite(values)]
    n = len(x)
    return (
        float(x.mean()) if n else math.nan,
        float(x.var(ddof=1)) if n > 1 else math.nan,
        n,
    )


def _mover(
    terms: Sequence[tuple[int, _Cell]], scale: tuple[float, float] | None, confidence: float
) -> tuple[float, float] | None:
    """MOVER interval of a signed sum of cell means on one scale; ``None`` if a cell is short."""
    if scale is None:
        return None
    parts = []
    for sign, (mean, var, n) in terms:
        bounds = bounded_mean_from_stats(mean, var, n, scale, confidence)
        if bounds is None:
            return None
        parts.append((sign, mean, *bounds))
    return mover_combination(parts)


def wave_changes(
    frame: pd.DataFrame,
    *,
    waves: Sequence[str],
    items: Sequence[str],
    anonymity_threshold: int = 5,
    confidence: float = 0.95,
    nps_method: NpsMethod = "wilson-effective-n",
    scale: Mapping[str, tuple[float, float]] | None = None,
) -> WaveChanges:
    """Change per item and audience between consecutive waves, and gap closure.

    Parameters
    ----------
    frame : pandas.DataFrame
        The wide frame with ``wave``, ``audience`` and the item columns (and
        ``ltr`` for the NPS change).
    waves : sequence of str
        The study's waves in order; those with no rows are skipped, and each
        remaining wave is compared with the one before it.
    items : sequence of str
        Rating columns to follow.
    anonymity_threshold : int
        Leadership or staff cells with fewer answers are withheld.
    confidence : float
        Two-sided confidence level.
    nps_method : str
        Interval method for the customers' NPS change.
    scale : mapping of item to (float, float), optional
        The scale of each item. On an item with a scale the interval of a
        change (and of a change in gap) is the MOVER combination of each
        cell's bounded interval (``ci_method = "mover-wilson-effective-n"``),
        so it stays within the range a change can take; the p-values stay
        Welch's and Satterthwaite's.

    Returns
    -------
    WaveChanges
        Per consecutive pair: ``changes`` (item × audience), ``gaps``
        (item × leadership/staff) and the customers' ``nps_change``.

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35.
    Satterthwaite, F. E. (1946). Biometrics Bulletin 2(6), 110-114.
    Rocks, B. (2016). The American Statistician 70(4), 365-372.
    Zou, G. Y., Donner, A. (2008). Statistics in Medicine 27(10), 1693-1702.

    Examples
    --------
    >>> df = pd.DataFrame({"wave": ["w1"] * 4 + ["w2"] * 4,
    ...     "audience": ["customer", "customer", "leadership", "leadership"] * 2,
    ...     "q": [2, 3, 5, 5, 4, 4, 5, 4]})
    >>> res = wave_changes(df, waves=["w1", "w2"], items=["q"], anonymity_threshold=1)
    >>> g = res.pairs[0].gaps[0]
    >>> g.gap_before, g.gap_after, g.closing
    (2.5, 0.5, True)
    """
    for col in ("wave", "audience"):
        if col not in frame.columns:
            raise AnalysisError(f"wave comparison needs the column {col!r}")
    wave_col = frame["wave"].astype("string").fillna("").to_numpy(dtype=object)
    aud_col = frame["audience"].astype("string").fillna("").to_numpy(dtype=object)
    present = [w for w in waves if bool((wave_col == w).any())]
    items = [c for c in items if c in frame.columns]
    scales = {c: scale[c] for c in items if scale and c in scale}
    cols = {c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in items}
    stats: dict[tuple[str, str, str], _Cell] = {}
    for w in present:
        for a in AUDIENCES:
            mask = (wave_col == w) & (aud_col == a)
            for c in items:
                stats[(w, a, c)] = _stats(cols[c][mask])

    def hidden(a: str, *cells: _Cell) -> bool:
        return a in _PROTECTED and any(0 < n < anonymity_threshold for _, _, n in cells)

    pairs = []
    for before, after in itertools.pairwise(present):
        changes: list[WaveChange | SuppressedChange] = []
        gaps: list[GapChange | SuppressedChange] = []
        for c in items:
            for a in AUDIENCES:
                b, f = stats[(before, a, c)], stats[(after, a, c)]
                if hidden(a, b, f):
                    changes.append(
                        SuppressedChange(
                            item=c, audience=a, reason=suppression_reason(a, anonymity_threshold)
                        )
                    )
                    continue
                wc = welch_from_stats(f[0], f[1], f[2], b[0], b[1], b[2], confidence)
                bounded = _mover(((1, f), (-1, b)), scales.get(c), confidence)
                lo_c, hi_c = bounded if bounded is not None else (wc.ci_low, wc.ci_high)
                changes.append(
                    WaveChange(
                        item=c,
                        audience=a,
                        n_before=b[2],
                        n_after=f[2],
                        mean_before=finite(b[0]),
                        mean_after=finite(f[0]),
                        change=finite(wc.difference),
                        ci_low=finite(lo_c) if c in scales else wc.ci_low,
                        ci_high=finite(hi_c) if c in scales else wc.ci_high,
                        p_value=wc.p_value,
                        ci_method=MOVER_DIFFERENCE_METHOD if c in scales else "welch",
                    )
                )
            cb, cf = stats[(before, "customer", c)], stats[(after, "customer", c)]
            for inside in _PROTECTED:
                b, f = stats[(before, inside, c)], stats[(after, inside, c)]
                if hidden(inside, b, f):
                    gaps.append(
                        SuppressedChange(
                            item=c,
                            audience=inside,
                            reason=suppression_reason(inside, anonymity_threshold),
                        )
                    )
                    continue
                change, lo, hi, df, p = gap_change_from_stats(b, cb, f, cf, confidence)
                if c in scales:
                    lo, hi = _mover(
                        ((1, f), (-1, cf), (-1, b), (1, cb)), scales[c], confidence
                    ) or (None, None)
                g1, g2 = finite(b[0] - cb[0]), finite(f[0] - cf[0])
                gaps.append(
                    GapChange(
                        item=c,
                        audience=inside,
                        gap_before=g1,
                        gap_after=g2,
                        change=finite(change),
                        ci_low=finite(lo),
                        ci_high=finite(hi),
                        df=finite(df),
                        p_value=finite(p),
                        closing=None if g1 is None or g2 is None else abs(g2) < abs(g1),
                        ci_method=MOVER_DIFFERENCE_METHOD if c in scales else "satterthwaite",
                    )
                )
        nps_change = None
        if "ltr" in frame.columns:
            ltr = frame["ltr"].to_numpy(dtype=float, na_value=np.nan)
            cust = aud_col == "customer"
            e1 = nps_estimate(
                ltr[cust & (wave_col == before)], method=nps_method, confidence=confidence
            )
            e2 = nps_estimate(
                ltr[cust & (wave_col == after)], method=nps_method, confidence=confidence
            )
            if e1.n and e2.n:
                nps_change = nps_difference(e2, e1, name_a=after, name_b=before)
        pairs.append(
            WavePair(before=before, after=after, changes=changes, gaps=gaps, nps_change=nps_change)
        )
    return WaveChanges(waves=present, pairs=pairs)
