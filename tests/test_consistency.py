"""Touchpoint consistency, hot spots and the cost of poor experience."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2 as chi2_dist

from cxgap.analysis.ledger.balance import score_events
from cxgap.analysis.ledger.consistency import touchpoint_consistency
from cxgap.errors import AnalysisError
from cxgap.study.model import LedgerParameters

W = {"routine": 0.5, "problem_resolution": 2.5, "implementation": 3.0}


def make_events(cells: dict[tuple[str, str], tuple[int, int]], cost: float = 100.0) -> pd.DataFrame:
    """Events with a fixed number of (events, failures) per touchpoint x moment."""
    rows = []
    t = pd.Timestamp("2025-01-01")
    for (tp, moment), (n, k) in cells.items():
        for i in range(n):
            failed = i < k
            rows.append(
                {
                    "account_id": f"acc{i % 7}",
                    "timestamp": t + pd.Timedelta(hours=len(rows)),
                    "touchpoint": tp,
                    "moment": moment,
                    "outcome": "failed" if failed else "met",
                    "severity": 1.0 if failed else np.nan,
                    "cost": cost if failed else 0.0,
                }
            )
    return score_events(pd.DataFrame(rows), LedgerParameters(), W)


CELLS = {
    ("support", "problem_resolution"): (100, 40),
    ("support", "routine"): (80, 4),
    ("billing", "routine"): (60, 3),
    ("implementation", "implementation"): (50, 5),
}


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    # Wilson (1927), by its closed form
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_failure_rates_carry_n_and_wilson_intervals() -> None:
    r = touchpoint_consistency(make_events(CELLS))
    support = next(t for t in r.touchpoints if t.touchpoint == "support")
    assert (support.n, support.failures) == (180, 44)
    assert support.failure_rate == pytest.approx(44 / 180)
    assert support.failure_rate_ci == pytest.approx(wilson(44, 180))
    assert r.overall_failure_rate == pytest.approx(52 / 290)


def test_mean_contribution_per_cell_follows_the_ledger() -> None:
    r = touchpoint_consistency(make_events({("billing", "routine"): (60, 3)}), min_n=1)
    cell = r.cells[0]
    # 3 failures of 3 different accounts (no compounding): -0.5 * 2 each; 57 met at +0.5
    contributions = [-1.0, -1.0, -1.0] + [0.5] * 57
    assert cell.mean_contribution == pytest.approx(np.mean(contributions))
    assert cell.contribution_se == pytest.approx(np.std(contributions, ddof=1) / np.sqrt(60))
    assert cell.weight == 0.5


def test_consistency_index_and_chi_square_follow_their_formulas() -> None:
    r = touchpoint_consistency(make_events(CELLS))
    rates = {"billing": 3 / 60, "implementation": 5 / 50, "support": 44 / 180}
    success = 1 - np.array(list(rates.values()))
    assert r.consistency_index == pytest.approx(1 - 2 * success.std(ddof=0))
    # Pearson chi-square of homogeneity, by hand (Agresti 2013, section 3.2)
    obs = np.array([[3, 57], [5, 45], [44, 136]], dtype=float)
    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
    stat = ((obs - exp) ** 2 / exp).sum()
    assert r.chi2 == pytest.approx(stat)
    assert r.chi2_dof == 2
    assert r.chi2_p_value == pytest.approx(chi2_dist.sf(stat, 2))


def test_equal_delivery_everywhere_is_perfectly_consistent() -> None:
    even = {("support", "routine"): (50, 5), ("billing", "routine"): (50, 5)}
    r = touchpoint_consistency(make_events(even))
    assert r.consistency_index == pytest.approx(1.0)
    assert r.hot_spots == []


def test_the_heavy_failing_cell_is_the_hot_spot() -> None:
    r = touchpoint_consistency(make_events(CELLS))
    assert [(h.touchpoint, h.moment) for h in r.hot_spots] == [("support", "problem_resolution")]
    spot = r.hot_spots[0]
    assert spot.score == pytest.approx(2.5 * 0.4)
    assert spot.failure_rate_ci[0] > r.overall_failure_rate
    assert spot.cost == pytest.approx(40 * 100.0)


def test_a_cell_below_min_n_is_never_a_hot_spot() -> None:
    r = touchpoint_consistency(make_events(CELLS), min_n=101)
    assert r.hot_spots == []
    assert r.consistency_index is None
    assert r.consistency_n_touchpoints == 1


def test_hot_spots_carry_the_sentiment_of_open_answers_about_them() -> None:
    sentiment = pd.DataFrame(
        {
            "touchpoint": ["support", "support", "support", "billing"],
            "moment": [None, "problem_resolution", "routine", None],
            "sentiment": [-0.6, -0.2, 0.9, 0.5],
        }
    )
    r = touchpoint_consistency(make_events(CELLS), sentiment=sentiment)
    spot = r.hot_spots[0]
    assert spot.sentiment_n == 2  # the untagged support answer and the matching moment
    assert spot.sentiment_mean == pytest.approx(-0.4)
    assert spot.negative_share == 1.0


def test_cost_of_poor_experience_adds_failure_costs_per_touchpoint() -> None:
    r = touchpoint_consistency(make_events(CELLS, cost=250.0))
    by_tp = {t.touchpoint: t.cost for t in r.touchpoints}
    assert by_tp == {"billing": 750.0, "implementation": 1250.0, "support": 11000.0}
    assert r.total_cost == 13000.0


def test_missing_columns_or_no_events_are_refused() -> None:
    with pytest.raises(AnalysisError, match="touchpoint"):
        touchpoint_consistency(make_events(CELLS).drop(columns="touchpoint"))
    with pytest.raises(AnalysisError, match="no events"):
        touchpoint_consistency(make_events(CELLS).iloc[:0])
