"""The defection threshold: Youden cut-off, AUC with DeLong interval, default."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score, roc_curve

from cxgap.analysis.ledger.balance import score_events
from cxgap.analysis.ledger.threshold import (
    delong_auc,
    learn_threshold,
    threshold_sample,
    validate_threshold,
)
from cxgap.errors import AnalysisError
from cxgap.study.model import LedgerParameters
from tests.realdata import real_data_path

P = LedgerParameters()


def groups(seed: int, m: int = 30, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    balance = np.concatenate([rng.normal(-20, 10, m), rng.normal(0, 10, n)]).round(1)
    defected = np.r_[np.ones(m, bool), np.zeros(n, bool)]
    return balance, defected


def test_auc_matches_hanley_and_mcneil_1982_worked_example() -> None:
    # Hanley & McNeil (1982), Radiology 143:29-36, Table 1: CT ratings 1-5 of
    # 58 normal and 51 abnormal cases; they give A = 0.893 and SE = 0.032 (their
    # exponential approximation). DeLong's SE is close to it on these data.
    normal = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    abnormal = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    auc, se = delong_auc(abnormal, normal)
    assert auc == pytest.approx(0.893, abs=5e-4)
    assert se == pytest.approx(0.032, abs=0.003)


def test_delong_standard_error_matches_its_definition_computed_pairwise() -> None:
    balance, defected = groups(1, 25, 40)
    x, y = -balance[defected], -balance[~defected]
    # DeLong et al. (1988): structural components from every pair, psi = 1, 1/2, 0
    psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    want = np.sqrt(v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y))
    auc, se = delong_auc(x, y)
    assert auc == pytest.approx(psi.mean())
    assert se == pytest.approx(want)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_youden_cut_off_matches_sklearn_roc_curve(seed: int) -> None:
    balance, defected = groups(seed)
    r = learn_threshold(balance, defected, P)
    fpr, tpr, thr = roc_curve(defected, -balance)
    j = tpr - fpr
    assert r.method == "youden"
    assert r.youden_j == pytest.approx(j.max())
    assert r.auc == pytest.approx(roc_auc_score(defected, -balance))
    best = int(np.argmax(j))
    # sklearn flags defection when -balance >= thr, i.e. balance <= -thr
    assert r.sensitivity == pytest.approx(tpr[best])
    assert r.specificity == pytest.approx(1 - fpr[best])
    assert -thr[best] < r.threshold
    assert r.auc_ci_low is not None
    assert r.auc_ci_high is not None
    assert r.auc_ci_low < r.auc < r.auc_ci_high


def test_threshold_lies_between_observed_balances() -> None:
    bal = [-30, -25, -22, -18, -15, -5, 0, 2, 5, 8, 10, -20]
    r = learn_threshold(bal, [True] * 5 + [False] * 7, P)
    assert r.threshold == -10.0  # midpoint of -15 (last defected) and -5
    assert r.sensitivity == 1.0
    assert r.specificity == pytest.approx(6 / 7)
    assert r.sensitivity_ci is not None
    assert r.sensitivity_ci[0] < 1.0


def test_fewer_defections_than_the_minimum_use_the_labelled_default() -> None:
    bal = [-30, -25, 0, 2, 5, 8]
    r = learn_threshold(bal, [True, True, False, False, False, False], P)
    assert r.method == "default"
    assert r.threshold == P.default_threshold
    assert "fewer than min_defections = 5" in r.reason
    assert r.auc == 1.0  # still reported, with its n


def test_a_balance_that_does_not_separate_falls_back_to_the_default() -> None:
    bal = [5, 6, 7, 8, 9, -1, -2, -3, -4, -5]
    r = learn_threshold(bal, [True] * 5 + [False] * 5, P)
    assert r.method == "default"
    assert "does not separate" in r.reason


def test_inputs_of_different_length_or_non_finite_are_refused() -> None:
    with pytest.raises(AnalysisError):
        learn_threshold([1.0, 2.0], [True], P)
    with pytest.raises(AnalysisError):
        learn_threshold([1.0, float("nan")], [True, False], P)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(-40, 20), min_size=5, max_size=30),
    st.lists(st.integers(-20, 40), min_size=5, max_size=30),
)
def test_reported_rates_are_those_of_the_threshold(dfc: list[int], ret: list[int]) -> None:
    bal = np.array(dfc + ret, dtype=float)
    lab = np.r_[np.ones(len(dfc), bool), np.zeros(len(ret), bool)]
    r = learn_threshold(bal, lab, P)
    assert r.sensitivity == pytest.approx(np.mean(bal[lab] < r.threshold))
    assert r.specificity == pytest.approx(np.mean(bal[~lab] >= r.threshold))
    assert r.auc == pytest.approx(roc_auc_score(lab, -bal))


def test_threshold_sample_reads_defected_balances_30_days_before_they_left() -> None:
    ev = pd.DataFrame(
        {
            "account_id": ["a", "b", "b", "c"],
            "timestamp": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-03-20", "2025-01-01"]),
            "moment": ["routine"] * 4,
            "outcome": ["met", "met", "failed", "met"],
            "severity": [None, None, 3, None],
        }
    )
    s = score_events(ev, P, {"routine": 1.0})
    acc = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "defected_at": pd.to_datetime([None, "2025-04-01", "2025-09-01", None]),
        }
    )
    t = threshold_sample(s, acc, "2025-06-01", P)
    assert t["defected"].tolist() == [False, True, False, False]  # c leaves after as-of
    assert t.loc["b", "evaluated_at"] == pd.Timestamp("2025-03-02")
    # at 2025-03-02 the failure of 03-20 has not happened: only the credit, 60 days old
    assert t.loc["b", "balance"] == pytest.approx(1.0 * 0.5 ** (60 / 90))
    assert t.loc["d", "balance"] == 0.0  # no events


def test_kaplan_meier_by_band_matches_statsmodels_survfunc() -> None:
    from statsmodels.duration.survfunc import SurvfuncRight

    from cxgap.analysis.ledger.threshold import survival_by_band

    rng = np.random.default_rng(8)
    n = 120
    ids = [f"a{i}" for i in range(n)]
    landmark, as_of = pd.Timestamp("2025-06-01"), pd.Timestamp("2026-06-01")
    failing = np.arange(n) < 40
    ev = pd.DataFrame(
        {
            "account_id": ids,
            "timestamp": pd.Timestamp("2025-05-01"),
            "moment": "routine",
            "outcome": np.where(failing, "failed", "met"),
            "severity": np.where(failing, 3.0, np.nan),
        }
    )
    leave_day = rng.integers(1, 500, n)  # some after as_of: censored
    leave = pd.Series(landmark + pd.to_timedelta(leave_day, unit="D"))
    leaves = rng.random(n) < np.where(failing, 0.7, 0.2)
    acc = pd.DataFrame({"account_id": ids, "defected_at": leave.where(leaves)})
    r = survival_by_band(
        score_events(ev, P, {"routine": 1.0}), acc, landmark=landmark, as_of=as_of, threshold=0.0
    )
    assert [b.band for b in r.bands] == ["below 0", "0 and above"]
    event = (leaves & (leave <= as_of)).to_numpy()
    time = np.where(event, leave_day, (as_of - landmark).days).astype(float)
    for band, mask in zip(r.bands, [failing, ~failing], strict=True):
        ref = SurvfuncRight(time[mask], event[mask].astype(float))
        assert band.n == int(mask.sum())
        assert band.defections == int(event[mask].sum())
        assert band.times_days == pytest.approx(ref.surv_times)
        assert band.survival == pytest.approx(ref.surv_prob)
        assert band.at_risk == list(ref.n_risk)
        assert band.survival_se == pytest.approx(ref.surv_prob_se)
        bounds = zip(band.ci_low, band.survival, band.ci_high, strict=True)
        assert all(lo <= s <= hi for lo, s, hi in bounds)
    below, above = r.bands
    assert below.survival_at_end is not None
    assert above.survival_at_end is not None
    assert below.survival_at_end < above.survival_at_end


def test_threshold_and_km_on_the_telco_churn_data() -> None:
    # Real data with heavy ties: tenure (months) as the "balance", Churn as defection.
    from statsmodels.duration.survfunc import SurvfuncRight

    from cxgap.analysis.ledger.threshold import _kaplan_meier

    telco = pd.read_csv(real_data_path("telco_customer_churn.csv"))
    tenure = telco["tenure"].to_numpy(dtype=float)
    churn = (telco["Churn"] == "Yes").to_numpy()
    r = learn_threshold(tenure, churn, P)
    fpr, tpr, _ = roc_curve(churn, -tenure)
    assert r.auc == pytest.approx(roc_auc_score(churn, -tenure))
    assert r.youden_j == pytest.approx((tpr - fpr).max())
    assert (r.n_defected, r.n_retained) == (1869, 5174)
    km = _kaplan_meier(tenure, churn)
    ref = SurvfuncRight(tenure, churn.astype(float))
    assert km["survival"] == pytest.approx(ref.surv_prob)
    assert km["survival_se"] == pytest.approx(ref.surv_prob_se)


def test_out_of_sample_j_is_below_the_optimistic_in_sample_j() -> None:
    # Issue 18: 10 defected, 200 retained, 1.5 SD apart. The in-sample J is
    # chosen and scored on the same accounts; the cross-validated one is not.
    gaps = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        bal = np.r_[rng.normal(-15, 10, 10), rng.normal(0, 10, 200)]
        lab = np.r_[np.ones(10, bool), np.zeros(200, bool)]
        r = learn_threshold(bal, lab, P, validation_options={"n_boot": 20})
        assert r.validation is not None
        assert r.youden_j is not None
        assert r.validation.youden_j is not None
        gaps.append(r.youden_j - r.validation.youden_j)
    assert min(gaps) > 0
    assert np.mean(gaps) > 0.05


def test_validation_is_reproducible_with_its_seed() -> None:
    balance, defected = groups(4, 12, 60)
    a = validate_threshold(balance, defected, P, n_boot=30, seed=7)
    b = validate_threshold(balance, defected, P, n_boot=30, seed=7)
    c = validate_threshold(balance, defected, P, n_boot=30, seed=8)
    assert a == b
    assert a.seed == 7
    assert (a.youden_j, a.youden_j_ci) != (c.youden_j, c.youden_j_ci)
    assert learn_threshold(balance, defected, P) == learn_threshold(balance, defected, P)


def test_two_fold_validation_counted_by_hand() -> None:
    # Defected -10, -8; retained -9, 5. Two stratified folds hold one of each,
    # paired in one of two ways, and both give the same held-out counts:
    #  {-10, -9} held out, trained on {-8 | 5}: cut -1.5 -> -10 caught, -9 flagged;
    #  {-8, 5} held out, trained on {-10 | -9}: cut -9.5 -> -8 missed, 5 clear.
    #  {-10, 5} held out, trained on {-8 | -9}: J <= 0 -> default -10 -> -10 missed;
    #  {-8, -9} held out, trained on {-10 | 5}: cut -2.5 -> -8 caught, -9 flagged.
    # Either way sensitivity 1/2, specificity 1/2, J 0 (in sample J is 1/2).
    p = LedgerParameters(min_defections=1)
    bal, lab = [-10.0, -8.0, -9.0, 5.0], [True, True, False, False]
    for seed in range(5):
        v = validate_threshold(bal, lab, p, folds=2, repeats=3, n_boot=0, seed=seed)
        assert (v.folds, v.repeats, v.sample) == (2, 3, "out")
        assert (v.sensitivity, v.specificity, v.youden_j) == (0.5, 0.5, 0.0)
        assert v.youden_j_ci is None  # no bootstrap asked for
    r = learn_threshold(bal, lab, p, validation_options={"folds": 2, "n_boot": 0})
    assert r.youden_j == 0.5
    assert r.rates_sample == "in"


def test_validation_needs_two_accounts_in_each_group() -> None:
    v = validate_threshold([-5.0, 1.0, 2.0], [True, False, False], P)
    assert v.youden_j is None
    assert "fewer than 2" in v.reason
    with pytest.raises(AnalysisError):
        validate_threshold([1.0, 2.0], [True, False], P, folds=1)


def _newcombe_by_polynomial(auc: float, m: int, n: int) -> tuple[float, float]:
    # Newcombe (2006) method 5 written out as the quartic in t it is:
    # (auc - t)^2 m n (1 + t)(2 - t) = z^2 t (1 - t)[(1 + t)(2 - t) + k(1 - t)(1 + t)
    # + k t (2 - t)], k = N* - 1; multiplied out with numpy's polynomial tools.
    from numpy.polynomial import polynomial as npp

    z2, k = 1.959963984540054**2, (m + n) / 2 - 1
    left = npp.polymul(npp.polymul([auc * auc, -2 * auc, 1], [1, 1]), [2, -1])
    inner = npp.polyadd(
        npp.polyadd(npp.polymul([1, 1], [2, -1]), k * npp.polymul([1, -1], [1, 1])),
        k * npp.polymul([0, 1], [2, -1]),
    )
    right = z2 * npp.polymul([0, 1, -1], inner)
    roots = npp.polyroots(npp.polysub(m * n * left, right))
    real = sorted(r.real for r in roots if abs(r.imag) < 1e-9 and 0 < r.real < 1)
    low = [r for r in real if r <= auc]
    high = [r for r in real if r >= auc]
    return (low[-1] if low else 0.0), (high[0] if high else 1.0)


@pytest.mark.parametrize(("auc", "m", "n"), [(0.856, 10, 200), (0.7, 30, 300), (0.95, 5, 40)])
def test_newcombe_auc_interval_matches_its_quartic(auc: float, m: int, n: int) -> None:
    from cxgap.analysis.ledger.threshold import _newcombe_auc_ci

    low, high = _newcombe_auc_ci(auc, m, n)
    want = _newcombe_by_polynomial(auc, m, n)
    assert (low, high) == pytest.approx(want, abs=1e-7)
    assert low < auc < high


def test_a_cut_off_no_better_than_chance_out_of_sample_is_not_used() -> None:
    # Six defected accounts drawn from the same balances as the retained ones:
    # the in-sample J is positive (it always finds some cut), the
    # cross-validated one is not reliably so, and the default applies.
    rng = np.random.default_rng(3)
    bal = rng.normal(0, 10, 106).round(1)
    lab = np.r_[np.ones(6, bool), np.zeros(100, bool)]
    r = learn_threshold(bal, lab, P, validation_options={"n_boot": 100})
    assert r.validation is not None
    assert r.validation.youden_j_ci is not None
    assert r.validation.youden_j_ci[0] <= 0
    assert r.method == "default"
    assert r.threshold == P.default_threshold
    assert "not reliably better than chance out of sample" in r.reason
    assert "includes 0" in r.reason
    # well separated, the same number of defections is enough
    good = np.r_[rng.normal(-40, 5, 6), rng.normal(0, 10, 100)]
    r = learn_threshold(good, lab, P, validation_options={"n_boot": 100})
    assert r.method == "youden"
    assert r.validation is not None
    assert r.validation.youden_j_ci is not None
    assert r.validation.youden_j_ci[0] > 0
