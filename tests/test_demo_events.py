"""The demo company's interaction events: shape, realism and planted effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

from cxgap.analysis.ledger.balance import score_events
from cxgap.analysis.ledger.consistency import touchpoint_consistency
from cxgap.analysis.ledger.risk import ledger_report
from cxgap.analysis.ledger.threshold import learn_threshold, threshold_sample
from cxgap.contracts.records import EVENT_COLUMNS
from cxgap.demo.events import generate_events
from cxgap.study import default_study

START, END = pd.Timestamp("2025-01-01"), pd.Timestamp("2026-06-30")
STUDY = default_study("demo", organisation="X")
WEIGHTS = {m.key: m.weight for m in STUDY.moments}


def accounts(seed: int, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.choice(["top", "new", "other", "defected"], n, p=[0.15, 0.2, 0.5, 0.15])
    acquired = np.where(
        segment == "new",
        START + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        pd.Timestamp("2021-01-01"),
    )
    leave = pd.Series(START + pd.to_timedelta(rng.integers(240, 540, n), unit="D"))
    return pd.DataFrame(
        {
            "account_id": [f"ACC-{i:04d}" for i in range(n)],
            "segment": segment,
            "annual_revenue": rng.integers(20, 500, n) * 1000.0,
            "owner": "Sam",
            "acquired_at": pd.to_datetime(acquired),
            "defected_at": leave.where(segment == "defected"),
        }
    )


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame]:
    acc = accounts(3)
    return acc, generate_events(np.random.default_rng(3), acc, STUDY, start=START, end=END)


def test_events_have_the_contract_columns_and_valid_values(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, ev = demo
    assert list(ev.columns) == list(EVENT_COLUMNS)
    assert ev["source_id"].is_unique
    assert ev["source_id"].iloc[0] == "EV-000001"
    assert set(ev["source_system"]) == {"crm", "helpdesk", "billing"}
    assert set(ev["outcome"]) == {"exceeded", "met", "failed"}
    assert ev["timestamp"].is_monotonic_increasing
    assert ev["timestamp"].between(START, END).all()
    failed = ev["outcome"] == "failed"
    assert ev.loc[failed, "severity"].isin([1.0, 2.0, 3.0]).all()
    assert ev.loc[~failed, "severity"].isna().all()
    assert (ev.loc[failed, "cost"] > 0).all()
    assert (ev.loc[~failed, "cost"] == 0).all()
    assert set(ev["moment"]) <= set(WEIGHTS)
    assert set(ev["touchpoint"]) <= {t.key for t in STUDY.touchpoints}


def test_tens_of_events_per_account_over_18_months(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    acc, ev = demo
    per = ev["account_id"].value_counts().reindex(acc["account_id"], fill_value=0)
    old = acc.set_index("account_id")["segment"].eq("other")
    assert 30 <= per[old].median() <= 70


def test_no_event_after_an_account_defected_or_before_it_was_acquired(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    acc, ev = demo
    merged = ev.merge(acc, on="account_id")
    assert not (merged["timestamp"] >= merged["defected_at"]).any()
    assert not (merged["timestamp"] < merged["acquired_at"]).any()


def test_the_same_seed_gives_the_same_events() -> None:
    acc = accounts(5, 40)
    a = generate_events(np.random.default_rng(9), acc, STUDY, start=START, end=END)
    b = generate_events(np.random.default_rng(9), acc, STUDY, start=START, end=END)
    pd.testing.assert_frame_equal(a, b)


def test_the_planted_hot_spot_support_problem_resolution_is_found_first(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, ev = demo
    r = touchpoint_consistency(score_events(ev, STUDY.ledger, WEIGHTS))
    spots = [(h.touchpoint, h.moment) for h in r.hot_spots]
    assert spots[0] == ("support", "problem_resolution")
    assert ("implementation", "implementation") in spots
    assert r.total_cost > 0


def test_new_accounts_fail_more_in_implementation(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    acc, ev = demo
    m = ev.merge(acc[["account_id", "segment"]], on="account_id")
    impl = m[(m["touchpoint"] == "implementation") & (m["moment"] == "implementation")]
    retained = impl[impl["segment"].isin(["top", "other"])]
    new = impl[impl["segment"] == "new"]
    counts = [int((new["outcome"] == "failed").sum()), int((retained["outcome"] == "failed").sum())]
    _, p = proportions_ztest(counts, [len(new), len(retained)], alternative="larger")
    assert counts[0] / len(new) > 0.3
    assert p < 0.001


def test_defected_accounts_fall_below_the_learned_threshold_before_they_leave(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    acc, ev = demo
    sample = threshold_sample(score_events(ev, STUDY.ledger, WEIGHTS), acc, END, STUDY.ledger)
    r = learn_threshold(sample["balance"], sample["defected"], STUDY.ledger)
    assert r.method == "youden"
    assert r.n_defected == int(acc["defected_at"].notna().sum())
    assert r.sensitivity is not None
    assert r.sensitivity >= 0.75  # 85% get a failure cluster before leaving
    assert r.auc is not None
    assert r.auc >= 0.8
    assert r.specificity is not None
    assert r.specificity >= 0.75


def test_some_retained_accounts_are_at_risk_now_with_revenue_behind_them(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    acc, ev = demo
    r = ledger_report(ev, STUDY.ledger, WEIGHTS, END, accounts=acc)
    below = [a for a in r.accounts if a.below_threshold]
    assert 3 <= len(below) <= 0.3 * len(r.accounts)
    assert r.revenue_at_risk is not None
    assert r.revenue_at_risk.revenue_below_threshold > 0
    assert r.model is not None
    assert r.model.fitted
    assert r.model.slope is not None
    assert r.model.slope < 0  # lower balance, higher chance of leaving


def test_the_demo_companys_defectors_are_recovered_by_the_ledger() -> None:
    from cxgap.demo.generator import EVENTS_END, generate_demo

    d = generate_demo(seed=7)
    weights = {m.key: m.weight for m in d.study.moments}
    r = ledger_report(d.events, d.study.ledger, weights, EVENTS_END, accounts=d.accounts)
    t = r.threshold_detail
    assert t.method == "youden"
    assert t.sensitivity is not None
    assert t.sensitivity >= 0.75
    assert t.auc is not None
    assert t.auc >= 0.8


def test_the_demo_learns_its_threshold_and_risk_from_landmark_dates(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    acc, ev = demo
    r = ledger_report(ev, STUDY.ledger, WEIGHTS, END, accounts=acc)
    t = r.threshold_detail
    assert t.sample is not None and t.sample.method == "landmark"
    assert t.sample.horizon_days == STUDY.ledger.horizon_days
    # every defection at least a horizon before the as-of date is counted
    early = acc["defected_at"] <= END - pd.Timedelta(days=STUDY.ledger.horizon_days)
    assert t.sample.defected_accounts >= int(early.sum())
    assert r.threshold_method == "youden", t.reason
    assert r.model is not None and r.model.fitted
    cal = r.model.calibration
    assert cal is not None
    assert cal.brier < cal.brier_base_rate  # the balance tells more than the base rate
    assert cal.calibration_slope_ci is not None
    assert cal.calibration_slope_ci[0] <= 1.0 <= cal.calibration_slope_ci[1]
