"""Stated importance, the Borda count and defection-reason shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cxgap.analysis.perception.importance import (
    AudienceImportance,
    GroupShare,
    SuppressedGroupShare,
    borda_points,
    defection_factor_shares,
    stated_importance,
)
from cxgap.study.defaults import DEFECTION_REASONS


def test_borda_count_matches_a_hand_tally() -> None:
    # Four voters ranking three factors (1 = first). Borda with k - rank points:
    # a = 2+2+0+1 = 5, b = 1+0+2+2 = 5, c = 0+1+1+0 = 2 (hand tally).
    ranks = np.array([[1, 2, 3], [1, 3, 2], [3, 1, 2], [2, 1, 3]], dtype=float)
    assert borda_points(ranks).sum(axis=0).tolist() == [5.0, 5.0, 2.0]


def test_stated_importance_orders_factors_and_counts_respondents() -> None:
    frame = pd.DataFrame(
        {
            "audience": ["customer"] * 5 + ["staff"] * 2,
            "imp.a": [5, 5, 4, 5, np.nan, 4, 4],
            "imp.b": [2, 3, 3, 2, np.nan, 5, 5],
            "rank.a": [1, 1, 2, 1, np.nan, 2, 2],
            "rank.b": [2, 2, 1, 2, np.nan, 1, 1],
        }
    )
    res = stated_importance(frame, ["a", "b"], anonymity_threshold=3)
    cust = res.audiences[2]
    assert isinstance(cust, AudienceImportance)
    assert cust.n == 4
    assert cust.n_ranked == 4
    a, b = cust.factors
    assert a.borda_position == 1
    assert b.borda_position == 2
    assert a.importance.mean == pytest.approx(4.75)
    assert a.importance.n == 4
    assert res.audiences[1].suppressed  # two staff, threshold three


def test_defection_shares_use_wilson_and_newcombe() -> None:
    reasons = [r for r in DEFECTION_REASONS if r.key in ("price", "unresolved_problems")]
    frame = pd.DataFrame(
        {
            "audience": ["customer"] * 10 + ["leadership"] * 3,
            "segment": ["defected"] * 5 + ["top"] * 5 + [None] * 3,
            "leave.unresolved_problems": [1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1],
            "leave.price": [0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1],
        }
    )
    res = defection_factor_shares(frame, reasons, anonymity_threshold=5)
    unresolved = next(r for r in res.reasons if r.reason == "unresolved_problems")
    assert unresolved.factor == "resolution"
    shares = {s.group: s for s in unresolved.shares}
    assert isinstance(shares["leadership"], SuppressedGroupShare)
    defected = shares["defected"]
    assert isinstance(defected, GroupShare)
    assert defected.estimate.share == pytest.approx(0.8)
    assert (defected.estimate.ci_low, defected.estimate.ci_high) == pytest.approx(
        proportion_confint(4, 5, method="wilson")
    )
    d = next(x for x in unresolved.differences if x.a == "defected")
    ref = confint_proportions_2indep(4, 5, 1, 5, method="newcomb", compare="diff")
    assert (d.ci_low, d.ci_high) == pytest.approx(ref)
    assert all(x.a != "leadership" for x in unresolved.differences)
