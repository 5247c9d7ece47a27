"""Landmark dates, grouped validation, the calibrated risk model and revenue at risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from cxgap.analysis.ledger.balance import balances_at, score_events
from cxgap.analysis.ledger.landmark import landmark_dates, landmark_sample
from cxgap.analysis.ledger.probability import (
    DefectionModel,
    _group_folds,
    calibrate_defection_model,
    fit_defection_model,
    revenue_interval,
)
from cxgap.analysis.ledger.risk import ledger_report
from cxgap.analysis.ledger.threshold import (
    clustered_auc,
    delong_auc,
    learn_threshold,
    threshold_sample,
    validate_threshold,
)
from cxgap.study.model import LedgerParameters

P = LedgerParameters()
W = {"routine": 1.0}


def test_landmarks_run_back_every_step_from_as_of_minus_the_horizon() -> None:
    got = landmark_dates("2025-01-01", "2025-12-31", P)
    # last = 2025-12-31 - 90 days = 2025-10-02; back by 30 days while >= 2025-01-31
    want = pd.date_range(end="2025-10-02", periods=9, freq="30D")
    assert list(got) == list(want)
    assert got[0] >= pd.Timestamp("2025-01-31") > got[0] - pd.Timedelta(days=30)
    assert len(landmark_dates("2025-01-01", "2025-04-30", P)) == 0  # under 30 + 90 days
    p = P.model_copy(update={"landmark_step_days": 90.0, "horizon_days": 30.0})
    assert [str(d.date()) for d in landmark_dates("2025-01-01", "2025-12-31", p)] == [
        "2025-06-04",
        "2025-09-02",
        "2025-12-01",
    ]


def test_an_account_counts_at_each_landmark_it_was_a_customer_at() -> None:
    t = pd.Timestamp("2025-01-01")
    ev = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "a"],
            "timestamp": [t, t, t + pd.Timedelta(days=100), t, t + pd.Timedelta(days=50)],
            "moment": "routine",
            "outcome": ["met", "failed", "met", "failed", "failed"],
            "severity": [np.nan, 2, np.nan, 1, 1],
        }
    )
    acc = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            # e: acquired but no events (balance 0); c: acquired when it first shows
            "acquired_at": pd.to_datetime([None, None, None, "2024-06-01", "2025-02-15"]),
            "defected_at": pd.to_datetime([None, "2025-04-20", None, "2025-08-01", None]),
        }
    )
    as_of = pd.Timestamp("2025-09-28")  # landmarks 2025-01-31, 03-02, 04-01, 05-01, 05-31, 06-30
    s = landmark_sample(score_events(ev, P, W), acc, as_of, P)
    days = list(pd.date_range(end="2025-06-30", periods=6, freq="30D"))
    assert sorted(s["landmark"].unique()) == days
    want = []
    for day in days:
        for a, acq, left in [
            ("a", t, None),
            ("b", t, pd.Timestamp("2025-04-20")),
            ("c", t + pd.Timedelta(days=100), None),
            ("d", pd.Timestamp("2024-06-01"), pd.Timestamp("2025-08-01")),
            ("e", pd.Timestamp("2025-02-15"), None),
        ]:
            if acq <= day and (left is None or left > day):
                label = left is not None and left <= day + pd.Timedelta(days=90)
                want.append((day, a, label))
    got = list(zip(s["landmark"], s["account_id"], s["defected"], strict=True))
    assert sorted(got) == sorted(want)
    for row in s.itertuples():
        one = balances_at(score_events(ev, P, W), row.landmark, accounts=pd.Index([row.account_id]))
        assert row.balance == pytest.approx(float(one["balance"].iloc[0]))


def _clustered_by_hand(score: np.ndarray, event: np.ndarray, groups: np.ndarray) -> float:
    """Obuchowski (1997), eqs. for V10, V01, S10, S01, S11, written as loops."""
    x, y = score[event], score[~event]
    gx, gy = groups[event], groups[~event]
    big_m, big_n = len(x), len(y)

    def psi(a: float, b: float) -> float:
        return 1.0 if a > b else 0.5 if a == b else 0.0

    theta = sum(psi(a, b) for a in x for b in y) / (big_m * big_n)
    clusters = sorted(set(groups.tolist()))
    v10 = {c: sum(psi(a, b) for a in x[gx == c] for b in y) / big_n for c in clusters}
    v01 = {c: sum(psi(a, b) for b in y[gy == c] for a in x) / big_m for c in clusters}
    m = {c: int((gx == c).sum()) for c in clusters}
    n = {c: int((gy == c).sum()) for c in clusters}
    i10 = sum(1 for c in clusters if m[c])
    i01 = sum(1 for c in clusters if n[c])
    k = len(clusters)
    s10 = i10 / ((i10 - 1) * big_m) * sum((v10[c] - m[c] * theta) ** 2 for c in clusters)
    s01 = i01 / ((i01 - 1) * big_n) * sum((v01[c] - n[c] * theta) ** 2 for c in clusters)
    s11 = k / (k - 1) * sum((v10[c] - m[c] * theta) * (v01[c] - n[c] * theta) for c in clusters)
    return float(np.sqrt(s10 / big_m + s01 / big_n + 2 * s11 / (big_m * big_n)))


def test_clustered_auc_matches_obuchowski_written_out_and_delong_for_singletons() -> None:
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(30), rng.integers(1, 5, 30))
    event = rng.random(len(groups)) < 0.3
    score = (rng.normal(0, 1, len(groups)) + event).round(1)  # ties on purpose
    auc, se = clustered_auc(score, event, groups)
    assert auc == pytest.approx(delong_auc(score[event], score[~event])[0])
    assert se == pytest.approx(_clustered_by_hand(score, event, groups))
    _, se1 = clustered_auc(score, event, np.arange(len(score)))
    assert se1 == pytest.approx(delong_auc(score[event], score[~event])[1])


def test_validation_by_account_treats_copies_of_an_account_as_one() -> None:
    rng = np.random.default_rng(3)
    b = np.r_[rng.normal(-15, 10, 20), rng.normal(0, 10, 100)].round(1)
    d = np.r_[np.ones(20, bool), np.zeros(100, bool)]
    one = validate_threshold(b, d, P, n_boot=40, seed=2)
    # each account read three times, with the same balance and label
    tripled = validate_threshold(
        np.repeat(b, 3), np.repeat(d, 3), P, groups=np.repeat(np.arange(120), 3), n_boot=40, seed=2
    )
    naive = validate_threshold(np.repeat(b, 3), np.repeat(d, 3), P, n_boot=40, seed=2)
    assert tripled.youden_j == pytest.approx(one.youden_j)
    assert tripled.youden_j_ci == pytest.approx(one.youden_j_ci)
    assert tripled.sensitivity_ci == pytest.approx(one.sensitivity_ci)
    assert tripled.auc_ci == pytest.approx(one.auc_ci, abs=0.01)
    assert one.youden_j_ci is not None and naive.youden_j_ci is not None
    # rows taken for accounts: intervals too narrow
    assert naive.youden_j_ci[1] - naive.youden_j_ci[0] < 0.8 * (
        one.youden_j_ci[1] - one.youden_j_ci[0]
    )
    r = learn_threshold(np.repeat(b, 3), np.repeat(d, 3), P, groups=np.repeat(np.arange(120), 3))
    assert (r.defected_accounts, r.retained_accounts, r.n_defected) == (20, 100, 60)


def _drifting_book(seed: int, n: int = 150) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Balances rising for everyone over time; defection unrelated to them."""
    rng = np.random.default_rng(seed)
    start, as_of = pd.Timestamp("2024-01-01"), pd.Timestamp("2026-01-01")
    span = (as_of - start).days
    # constant hazard: about 30% leave within the two years, whatever happens
    leave_day = rng.exponential(span / 0.36, n)
    defected_at = pd.Series(start + pd.to_timedelta(leave_day, unit="D")).where(leave_day < span)
    rows = []
    for i in range(n):
        end = min(leave_day[i], span)
        # a hard start (failures at onboarding, fading over the years) and
        # routine work met since: everyone's balance rises with time
        days = np.r_[
            rng.uniform(0, 20, 3), np.sort(rng.uniform(20, max(end, 20), rng.poisson(end / 20)))
        ]
        fail = np.r_[np.ones(3, bool), rng.random(len(days) - 3) < 0.1]
        for day, f in zip(days[days <= end], fail[days <= end], strict=True):
            rows.append((f"A{i:03d}", start + pd.Timedelta(days=float(day)), f))
    ev = pd.DataFrame(rows, columns=["account_id", "timestamp", "failed"])
    ev = ev.assign(
        moment="routine",
        outcome=np.where(ev["failed"], "failed", "met"),
        severity=np.where(ev["failed"], 2.0, np.nan),
    ).drop(columns="failed")
    acc = pd.DataFrame(
        {
            "account_id": [f"A{i:03d}" for i in range(n)],
            "acquired_at": start,
            "defected_at": defected_at,
            "annual_revenue": 10_000.0,
        }
    )
    return ev, acc, as_of


def test_landmarks_remove_the_separation_made_by_when_accounts_were_read() -> None:
    ev, acc, as_of = _drifting_book(1)
    scored = score_events(ev, P, W)
    old = threshold_sample(scored, acc, as_of, P)
    d_old = old["defected"].to_numpy()
    auc_old, se_old = delong_auc(
        -old["balance"].to_numpy()[d_old], -old["balance"].to_numpy()[~d_old]
    )
    assert se_old is not None
    assert auc_old - 1.96 * se_old > 0.6  # defectors read earlier, when balances were lower
    r = ledger_report(ev, P, W, as_of, accounts=acc)
    t = r.threshold_detail
    assert t.sample is not None and t.sample.method == "landmark"
    assert t.auc is not None and t.auc_ci_low is not None and t.auc_ci_high is not None
    assert abs(t.auc - 0.5) < 0.1
    assert t.auc_ci_low <= 0.5 <= t.auc_ci_high
    assert r.threshold_method == "default"  # nothing to learn: said, not invented
    assert "not reliably better than chance" in t.reason or "does not separate" in t.reason


def test_the_risk_model_matches_sklearn_and_a_sandwich_covariance_by_hand() -> None:
    rng = np.random.default_rng(21)
    g = np.repeat(np.arange(80), 4)
    u = rng.normal(0, 1, 80)[g]  # an account effect: rows of an account correlated
    x = rng.normal(0, 10, len(g)) + 5 * u
    y = rng.random(len(g)) < 1 / (1 + np.exp(-(-1.5 - 0.08 * x + u)))
    m = fit_defection_model(x, y, groups=g, calibrate=False)
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x[:, None], y)
    assert m.intercept == pytest.approx(sk.intercept_[0], rel=1e-4)
    assert m.slope == pytest.approx(sk.coef_[0, 0], rel=1e-4)
    # Liang & Zeger (1986) sandwich, with statsmodels' small-sample factor
    xd = np.c_[np.ones(len(x)), x]
    p = 1 / (1 + np.exp(-xd @ np.array([m.intercept, m.slope])))
    bread = np.linalg.inv(xd.T @ (xd * (p * (1 - p))[:, None]))
    scores = np.array([xd[g == c].T @ (y[g == c] - p[g == c]) for c in range(80)])
    n_obs, n_par, n_g = len(x), 2, 80
    factor = n_g / (n_g - 1) * (n_obs - 1) / (n_obs - n_par)
    cov = factor * bread @ (scores.T @ scores) @ bread
    assert np.asarray(m.covariance) == pytest.approx(cov, rel=1e-4)
    assert m.slope_se == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-4)
    assert m.n_accounts == 80 and m.cov_method.startswith("cluster-robust")


def test_calibration_brier_and_cox_slope_recomputed_with_sklearn_and_numpy() -> None:
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(150), 3)
    x = rng.normal(0, 10, len(g))
    y = rng.random(len(g)) < 1 / (1 + np.exp(-(-2 - 0.1 * x)))
    c = calibrate_defection_model(x, y, groups=g, folds=5, seed=9)
    fold = _group_folds(y, np.unique(g, return_inverse=True)[1], 5, 9)
    # every account's readings in one fold
    assert all(len(set(fold[g == a])) == 1 for a in range(150))
    p = np.empty(len(x))
    p0 = np.empty(len(x))
    for f in range(5):
        test = fold == f
        fit = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000)
        fit.fit(x[~test, None], y[~test])
        p[test] = fit.predict_proba(x[test, None])[:, 1]
        p0[test] = y[~test].mean()
    assert c.brier == pytest.approx(np.mean((p - y) ** 2), rel=1e-5)
    assert c.brier_base_rate == pytest.approx(np.mean((p0 - y) ** 2), rel=1e-9)
    assert c.brier < c.brier_base_rate
    cox = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000)
    cox.fit(np.log(p / (1 - p))[:, None], y)
    assert c.calibration_slope == pytest.approx(cox.coef_[0, 0], rel=1e-3)
    assert c.calibration_intercept == pytest.approx(cox.intercept_[0], abs=1e-3)
    assert c.calibration_slope_ci is not None
    assert c.calibration_slope_ci[0] < 1 < c.calibration_slope_ci[1]  # a true logit
    assert sum(b.n for b in c.reliability) == len(x)
    assert sum(b.n * b.observed for b in c.reliability) == pytest.approx(y.sum())
    assert sum(b.n * b.mean_predicted for b in c.reliability) == pytest.approx(p.sum(), rel=1e-5)
    assert [b.mean_predicted for b in c.reliability] == sorted(
        b.mean_predicted for b in c.reliability
    )


def test_the_revenue_lost_interval_is_the_poisson_binomial_when_coefficients_are_known() -> None:
    m = DefectionModel(
        fitted=True,
        reason="",
        n=1000,
        n_defected=100,
        intercept=-2.0,
        slope=-0.08,
        covariance=[[1e-14, 0.0], [0.0, 1e-14]],
    )
    balance = np.linspace(-40, 20, 40)
    p = 1 / (1 + np.exp(-(-2.0 - 0.08 * balance)))
    r = revenue_interval(m, balance, np.full(40, 1000.0), draws=4000, seed=1)
    assert r.expected == pytest.approx(1000 * p.sum())
    assert r.expected_ci == pytest.approx((1000 * p.sum(), 1000 * p.sum()), rel=1e-5)
    # exact distribution of the number leaving: a Poisson-binomial, by convolution
    dist = np.array([1.0])
    for q in p:
        dist = np.convolve(dist, [1 - q, q])
    cdf = np.cumsum(dist)
    low, high = int(np.searchsorted(cdf, 0.025)), int(np.searchsorted(cdf, 0.975))
    assert r.lost_interval[0] / 1000 in (low - 1, low, low + 1)
    assert r.lost_interval[1] / 1000 in (high - 1, high, high + 1)
    # with uncertain coefficients the expectation's interval widens
    wide = revenue_interval(
        m.model_copy(update={"covariance": [[0.04, 0.0], [0.0, 1e-5]]}),
        balance,
        np.full(40, 1000.0),
    )
    z = float(norm.ppf(0.975))
    assert wide.expected_ci[0] < r.expected - z < r.expected + z < wide.expected_ci[1]


def test_ledger_report_says_how_its_sample_was_built() -> None:
    ev, acc, as_of = _drifting_book(2, n=60)
    r = ledger_report(ev, P, W, as_of, accounts=acc)
    s = r.threshold_detail.sample
    assert s is not None
    sample = landmark_sample(score_events(ev, P, W), acc, as_of, P)
    assert (s.rows, s.accounts) == (len(sample), sample["account_id"].nunique())
    assert s.defections == int(sample["defected"].sum()) == r.threshold_detail.n_defected
    assert s.landmarks == sample["landmark"].nunique()
    assert s.last_landmark == (as_of - pd.Timedelta(days=90)).to_pydatetime()
    assert "van Houwelingen" in s.description
    short = P.model_copy(update={"horizon_days": 800.0})
    r2 = ledger_report(ev, short, W, as_of, accounts=acc)
    assert r2.threshold_detail.sample is not None
    assert r2.threshold_detail.sample.method == "none"
    assert r2.threshold_method == "default"


def test_the_statsmodels_cluster_fit_is_what_the_model_reports() -> None:
    rng = np.random.default_rng(6)
    g = np.repeat(np.arange(50), 2)
    x = rng.normal(0, 5, 100)
    y = rng.random(100) < 1 / (1 + np.exp(-(-1 - 0.2 * x)))
    m = fit_defection_model(x, y, groups=g, calibrate=False)
    glm = sm.GLM(y.astype(float), sm.add_constant(x), family=sm.families.Binomial()).fit()
    assert [m.intercept, m.slope] == pytest.approx(list(glm.params), rel=1e-5)
