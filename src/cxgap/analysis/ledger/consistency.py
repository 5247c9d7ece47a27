"""Touchpoint consistency against the customer promise, hot spots, and the
cost of poor experience, from scored interaction events.

* **Per touchpoint, per moment and per touchpoint x moment cell**: number of
  events, failures, failure rate with a Wilson 95% interval, mean contribution
  with its standard error, and the recorded cost of failures (rework, error
  correction, concessions).
* **Consistency index** across touchpoints: ``1 - 2 * SD(r_t)``, where ``r_t``
  is the share of touchpoint *t*'s events that met or exceeded the promise and
  SD the population standard deviation over touchpoints with at least
  ``min_n`` events. Values lie in [0, 1] (0.5 is the largest possible SD of
  shares): 1 means every touchpoint delivers equally often; lower means
  customers meet a different company depending on whom they deal with. A
  chi-square test of homogeneity of failure rates across touchpoints gives
  its significance.
* **Hot spots**: touchpoint x moment cells with at least ``min_n`` events, a
  moment weight at or above the median weight of the cells, and a failure rate
  whose Wilson lower bound exceeds the overall failure rate; ranked by
  ``weight x failure rate`` (the expected weighted failures per event). When a
  sentiment table of open answers is passed, each hot spot carries the mean
  sentiment of the answers about its touchpoint (and moment, where tagged)
  and the share that is negative (compound score <= -0.05, VADER's
  convention).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import proportion_confint

from cxgap.analysis._base import Result, finite
from cxgap.errors import AnalysisError

__all__ = ["CellStats", "ConsistencyResult", "HotSpot", "touchpoint_consistency"]

NEGATIVE_SENTIMENT = -0.05


class CellStats(Result):
    """Delivery of one touchpoint, moment, or touchpoint x moment cell."""

    touchpoint: str | None
    moment: str | None
    n: int
    failures: int
    failure_rate: float
    failure_rate_ci: tuple[float, float]
    mean_contribution: float
    contribution_se: float | None
    weight: float | None
    cost: float
    n_cost: int


class HotSpot(Result):
    """A touchpoint x moment cell where customers become frustrated."""

    touchpoint: str
    moment: str
    n: int
    failures: int
    failure_rate: float
    failure_rate_ci: tuple[float, float]
    weight: float
    score: float
    excess_failure_rate: float
    cost: float
    sentiment_mean: float | None = None
    sentiment_n: int = 0
    negative_share: float | None = None


class ConsistencyResult(Result):
    """Consistency of delivery across touchpoints, hot spots and cost."""

    n_events: int
    failures: int
    overall_failure_rate: float
    consistency_index: float | None
    consistency_n_touchpoints: int
    chi2: float | None
    chi2_dof: int | None
    chi2_p_value: float | None
    total_cost: float
    touchpoints: list[CellStats]
    moments: list[CellStats]
    cells: list[CellStats]
    hot_spots: list[HotSpot]
    min_n: int


def _cell_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = frame.groupby(keys, observed=True, sort=True)
    table = pd.DataFrame(
        {
            "n": g.size(),
            "failures": g["failed"].sum(),
            "mean_contribution": g["contribution"].mean(),
            "sd_contribution": g["contribution"].std(ddof=1),
            "weight": g["weight"].mean(),
            "cost": g["_cost"].sum(),
            "n_cost": g["_has_cost"].sum(),
        }
    )
    low, high = proportion_confint(
        table["failures"].to_numpy(), table["n"].to_numpy(), alpha=0.05, method="wilson"
    )
    table["failure_rate"] = table["failures"] / table["n"]
    table["ci_low"] = np.asarray(low, dtype=float)
    table["ci_high"] = np.asarray(high, dtype=float)
    return table.reset_index()


def _stats(table: pd.DataFrame, with_weight: bool) -> list[CellStats]:
    out = []
    for row in table.to_dict("records"):
        n = int(row["n"])
        sd = finite(row["sd_contribution"])
        out.append(
            CellStats(
                touchpoint=str(row["touchpoint"]) if "touchpoint" in row else None,
                moment=str(row["moment"]) if "moment" in row else None,
                n=n,
                failures=int(row["failures"]),
                failure_rate=float(row["failure_rate"]),
                failure_rate_ci=(float(row["ci_low"]), float(row["ci_high"])),
                mean_contribution=float(row["mean_contribution"]),
                contribution_se=sd / np.sqrt(n) if sd is not None else None,
                weight=float(row["weight"]) if with_weight else None,
                cost=float(row["cost"]),
                n_cost=int(row["n_cost"]),
            )
        )
    return out


def touchpoint_consistency(
    scored: pd.DataFrame,
    *,
    sentiment: pd.DataFrame | None = None,
    min_n: int = 10,
) -> ConsistencyResult:
    """Failure rates, consistency across touchpoints, hot spots and cost.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`cxgap.analysis.ledger.balance.score_events`, with a
        ``touchpoint`` column and optionally ``cost`` (cost of each failure).
    sentiment : pandas.DataFrame, optional
        Sentiment of open answers: ``touchpoint``, ``sentiment`` (compound
        score from -1 to 1) and optionally ``moment``.
    min_n : int
        Smallest number of events for a touchpoint to enter the consistency
        index and for a cell to be a hot spot.

    Returns
    -------
    ConsistencyResult
        The statistics per touchpoint, moment and cell, the consistency index
        and chi-square test, the hot spots (highest score first) and the total
        recorded cost of failures.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22(158), 209-212. Pearson's chi-square test
    of homogeneity (Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed.,
    section 3.2). Hutto, C. J. & Gilbert, E. (2014). VADER, ICWSM-14 (the
    -0.05 negative cut-off). Hot-spot rule and consistency index as
    documented in ``docs/LEDGER.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> sc = pd.DataFrame({"touchpoint": ["support"] * 4 + ["billing"] * 4,
    ...     "moment": ["routine"] * 8, "failed": [True, True, False, False] + [False] * 4,
    ...     "contribution": [-1.0, -1.0, 0.5, 0.5] + [0.5] * 4, "weight": [0.5] * 8})
    >>> r = touchpoint_consistency(sc, min_n=1)
    >>> r.overall_failure_rate, r.consistency_index
    (0.25, 0.5)
    """
    needed = ["touchpoint", "moment", "failed", "contribution", "weight"]
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise AnalysisError(f"scored events: missing column(s) {', '.join(missing)}")
    if len(scored) == 0:
        raise AnalysisError("no events to analyse")
    frame = scored[needed].copy()
    frame["touchpoint"] = frame["touchpoint"].astype(str)
    frame["moment"] = frame["moment"].astype(str)
    frame["failed"] = frame["failed"].astype(bool)
    cost = (
        pd.to_numeric(scored["cost"], errors="coerce")
        if "cost" in scored.columns
        else pd.Series(np.nan, index=scored.index)
    )
    has_cost = frame["failed"].to_numpy() & cost.notna().to_numpy()
    frame["_cost"] = np.where(has_cost, cost.fillna(0.0).to_numpy(), 0.0)
    frame["_has_cost"] = has_cost

    by_tp = _cell_table(frame, ["touchpoint"])
    by_moment = _cell_table(frame, ["moment"])
    cells = _cell_table(frame, ["touchpoint", "moment"])
    n_events = len(frame)
    failures = int(frame["failed"].sum())
    overall = failures / n_events

    eligible = by_tp[by_tp["n"] >= min_n]
    index = None
    if len(eligible) >= 2:
        success = 1.0 - eligible["failure_rate"].to_numpy()
        index = float(1.0 - 2.0 * np.std(success, ddof=0))
    chi2 = dof = p = None
    if len(by_tp) >= 2 and 0 < failures < n_events:
        counts = np.column_stack(
            [by_tp["failures"].to_numpy(), (by_tp["n"] - by_tp["failures"]).to_numpy()]
        )
        stat, p_value, dof_, _ = chi2_contingency(counts, correction=False)
        chi2, dof, p = float(stat), int(dof_), float(p_value)

    median_weight = float(np.median(cells["weight"]))
    hot = cells[
        (cells["n"] >= min_n) & (cells["weight"] >= median_weight) & (cells["ci_low"] > overall)
    ].copy()
    hot["score"] = hot["weight"] * hot["failure_rate"]
    hot = hot.sort_values(["score", "n"], ascending=[False, False], kind="stable")
    spots: list[HotSpot] = []
    for row in hot.to_dict("records"):
        extra: dict[str, float | int | None] = {}
        if sentiment is not None and len(sentiment):
            if "touchpoint" not in sentiment.columns or "sentiment" not in sentiment.columns:
                raise AnalysisError("sentiment: columns touchpoint and sentiment are needed")
            match = sentiment["touchpoint"].astype(str) == row["touchpoint"]
            if "moment" in sentiment.columns:
                m = sentiment["moment"]
                match &= m.isna() | (m.astype(str) == row["moment"])
            scores = pd.to_numeric(sentiment.loc[match, "sentiment"], errors="coerce").dropna()
            if len(scores):
                extra = {
                    "sentiment_mean": float(scores.mean()),
                    "sentiment_n": len(scores),
                    "negative_share": float((scores <= NEGATIVE_SENTIMENT).mean()),
                }
        spots.append(
            HotSpot(
                touchpoint=str(row["touchpoint"]),
                moment=str(row["moment"]),
                n=int(row["n"]),
                failures=int(row["failures"]),
                failure_rate=float(row["failure_rate"]),
                failure_rate_ci=(float(row["ci_low"]), float(row["ci_high"])),
                weight=float(row["weight"]),
                score=float(row["score"]),
                excess_failure_rate=float(row["failure_rate"] - overall),
                cost=float(row["cost"]),
                **extra,  # type: ignore[arg-type]
            )
        )
    return ConsistencyResult(
        n_events=n_events,
        failures=failures,
        overall_failure_rate=overall,
        consistency_index=index,
        consistency_n_touchpoints=len(eligible),
        chi2=chi2,
        chi2_dof=dof,
        chi2_p_value=p,
        total_cost=float(frame["_cost"].sum()),
        touchpoints=_stats(by_tp, with_weight=False),
        moments=_stats(by_moment, with_weight=True),
        cells=_stats(cells, with_weight=True),
        hot_spots=spots,
        min_n=min_n,
    )
