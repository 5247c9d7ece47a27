"""Accounts at risk, reasons, the defection model and revenue at risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

from cxgap.analysis.ledger.balance import balances_at, score_events
from cxgap.analysis.ledger.landmark import landmark_sample
from cxgap.analysis.ledger.risk import account_detail, fit_defection_model, ledger_report
from cxgap.errors import NotFoundError
from cxgap.study.model import LedgerParameters

P = LedgerParameters()
W = {"routine": 0.5, "problem_resolution": 2.5, "implementation": 3.0}
AS_OF = pd.Timestamp("2026-01-01")


@pytest.fixture(scope="module")
def book() -> tuple[pd.DataFrame, pd.DataFrame]:
    """60 accounts, 15 of which defected; defectors' events fail more often."""
    rng = np.random.default_rng(11)
    n_acc = 60
    ids = [f"A{i:02d}" for i in range(n_acc)]
    defected = np.arange(n_acc) < 15
    leave = pd.Timestamp("2025-07-01") + pd.to_timedelta(rng.integers(0, 150, n_acc), unit="D")
    defected_at = pd.Series(leave).where(defected)
    rows = []
    for i, acc in enumerate(ids):
        end = defected_at[i] - pd.Timedelta(days=1) if defected[i] else AS_OF
        for _ in range(30):
            t = pd.Timestamp("2025-01-01") + (end - pd.Timestamp("2025-01-01")) * rng.random()
            p_fail = 0.45 if defected[i] else 0.15
            if i in (20, 21):  # two retained accounts with failures of late
                p_fail = 0.6
            failed = rng.random() < p_fail
            rows.append(
                (
                    acc,
                    t.floor("s"),
                    "support",
                    rng.choice(list(W)),
                    "failed" if failed else rng.choice(["met", "exceeded"], p=[0.8, 0.2]),
                    float(rng.integers(1, 4)) if failed else np.nan,
                    f"S{len(rows)}",
                    100.0 if failed else 0.0,
                )
            )
    ev = pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "timestamp",
            "touchpoint",
            "moment",
            "outcome",
            "severity",
            "source_id",
            "cost",
        ],
    )
    acc = pd.DataFrame(
        {
            "account_id": ids,
            "defected_at": defected_at,
            "annual_revenue": rng.integers(10, 100, n_acc) * 1000.0,
            "owner": "Sam",
        }
    )
    return ev, acc


def test_defection_model_matches_statsmodels_and_sklearn() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(0, 20, 200)
    y = rng.random(200) < 1 / (1 + np.exp(-(-1.0 - 0.08 * x)))
    m = fit_defection_model(x, y)
    ref = sm.Logit(y.astype(float), sm.add_constant(x)).fit(disp=0)
    assert m.fitted
    assert m.n == 200
    assert [m.intercept, m.slope] == pytest.approx(list(ref.params), rel=1e-5)
    assert [m.intercept_se, m.slope_se] == pytest.approx(list(ref.bse), rel=1e-4)
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x[:, None], y)
    assert m.slope == pytest.approx(sk.coef_[0, 0], rel=1e-3)
    assert m.probability([0.0])[0] == pytest.approx(ref.predict([[1.0, 0.0]])[0], rel=1e-5)


def test_defection_model_is_not_fitted_with_too_few_defections() -> None:
    m = fit_defection_model([1.0, 2, 3, 4, 5, 6, 7], [1, 0, 0, 0, 0, 0, 0])
    assert not m.fitted
    assert "at least 5" in m.reason


def test_defection_model_reports_perfect_separation_instead_of_probabilities() -> None:
    m = fit_defection_model(np.arange(20.0), np.arange(20) < 10)
    assert not m.fitted
    assert "separates" in m.reason


def test_revenue_at_risk_adds_the_revenue_of_accounts_below_the_threshold(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ev, acc = book
    r = ledger_report(ev, P, W, AS_OF, accounts=acc)
    assert r.threshold_method == "youden"
    retained = acc[acc["defected_at"].isna()].set_index("account_id")
    assert {a.account for a in r.accounts} == set(retained.index)  # the defected are gone
    now = balances_at(score_events(ev, P, W), AS_OF, accounts=pd.Index(retained.index))
    below = now.index[now["balance"] < r.threshold]
    assert r.revenue_at_risk is not None
    assert r.revenue_at_risk.n_below == len(below)
    assert r.revenue_at_risk.revenue_below_threshold == pytest.approx(
        retained.loc[below, "annual_revenue"].sum()
    )
    assert [a.balance for a in r.accounts] == sorted(a.balance for a in r.accounts)


def test_probability_weighted_revenue_uses_a_logit_fitted_on_the_landmark_sample(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ev, acc = book
    r = ledger_report(ev, P, W, AS_OF, accounts=acc)
    sample = landmark_sample(score_events(ev, P, W), acc, AS_OF, P)
    # the same maximum-likelihood fit by another route: a binomial GLM (IRLS)
    fit = sm.GLM(
        sample["defected"].astype(float).to_numpy(),
        sm.add_constant(sample["balance"].to_numpy()),
        family=sm.families.Binomial(),
    ).fit()
    retained = acc[acc["defected_at"].isna()].set_index("account_id")
    now = balances_at(score_events(ev, P, W), AS_OF, accounts=pd.Index(retained.index))
    p = fit.predict(sm.add_constant(now["balance"].to_numpy()))
    assert r.model is not None
    assert r.model.n == len(sample) > 60
    assert r.model.n_accounts == 60
    assert r.model.n_defected == int(sample["defected"].sum())
    assert r.model.horizon_days == P.horizon_days
    assert [r.model.intercept, r.model.slope] == pytest.approx(list(fit.params), rel=1e-5)
    assert r.revenue_at_risk is not None
    rar = r.revenue_at_risk
    assert rar.expected_revenue_loss == pytest.approx(
        float(np.sum(p * retained.loc[now.index, "annual_revenue"].to_numpy())), rel=1e-5
    )
    assert rar.expected_revenue_loss_ci is not None and rar.revenue_lost_interval is not None
    low, high = rar.expected_revenue_loss_ci
    assert low < rar.expected_revenue_loss < high
    assert rar.revenue_lost_interval[0] <= low and high <= rar.revenue_lost_interval[1]


def test_accounts_below_the_threshold_carry_their_largest_debits(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ev, acc = book
    r = ledger_report(ev, P, W, AS_OF, accounts=acc, top_debits=2)
    below = [a for a in r.accounts if a.below_threshold]
    assert below
    s = score_events(ev, P, W)
    for a in below:
        assert a.distance == pytest.approx(a.balance - r.threshold)
        assert len(a.largest_debits) == 2
        fails = s[(s["account_id"] == a.account) & s["failed"]]
        age = (AS_OF - fails["timestamp"]).dt.total_seconds() / 86400
        now = (fails["contribution"] * 0.5 ** (age / 365)).sort_values()
        assert [d.weight_now for d in a.largest_debits] == pytest.approx(now.iloc[:2].tolist())
    above = [a for a in r.accounts if not a.below_threshold]
    assert all(a.largest_debits == [] for a in above)


def test_without_accounts_the_default_threshold_applies_and_no_revenue_is_claimed(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ev, _ = book
    r = ledger_report(ev, P, W, AS_OF)
    assert r.threshold_method == "default"
    assert r.threshold == P.default_threshold
    assert r.revenue_at_risk is None


def test_account_detail_lists_events_runs_and_history() -> None:
    t0 = pd.Timestamp("2025-01-01")
    ev = pd.DataFrame(
        {
            "account_id": ["a"] * 5,
            "timestamp": [t0 + pd.Timedelta(days=d) for d in (0, 5, 10, 100, 110)],
            "moment": ["routine"] * 5,
            "outcome": ["met", "failed", "failed", "failed", "failed"],
            "severity": [np.nan, 1, 1, 2, 2],
        }
    )
    d = account_detail(score_events(ev, P, W), "a", t0 + pd.Timedelta(days=120), -3.0)
    assert len(d.events) == 5
    assert [r.failures for r in d.compounding_runs] == [2, 2]
    assert d.compounding_runs[0].debit == pytest.approx(-1.0 - 1.5)
    assert d.history[-1].balance == pytest.approx(d.balance)
    assert d.balance == pytest.approx(sum(e.weight_now for e in d.events))
    assert d.below_threshold
    with pytest.raises(NotFoundError):
        account_detail(score_events(ev, P, W), "zz", t0, -3.0)
