"""NPS and its intervals against hand computation, the published method and
coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxgap.analysis.perception.nps import (
    expected_nps,
    nps_by_group,
    nps_counts,
    nps_difference,
    nps_estimate,
    nps_from_counts,
    predicted_vs_actual,
)
from cxgap.errors import AnalysisError

Z = 1.959963984540054  # scipy.stats.norm.ppf(0.975)

counts = st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60)).filter(
    lambda c: sum(c) >= 2
)


def test_categories_follow_the_net_promoter_definition() -> None:
    # Reichheld (2003): promoters 9-10, passives 7-8, detractors 0-6.
    assert nps_counts(list(range(11))) == (2, 2, 7)
    assert nps_estimate(list(range(11))).nps == pytest.approx(100 * (2 - 7) / 11)


# The R package NPS by B. Rocks (github.com/brendan-r/NPS @ cd9473e,
# tests/testthat/test_01_basics.R, "Statistical functions give expected
# answers"): nps(x), nps_var(x) (the variance of one answer scored +1/0/-1)
# and nps_se(x) = sqrt(nps_var(x) / n) for small vectors of 0-10 answers.
R_NPS_CASES = [
    # (answers, nps(x), nps_se(x))
    ([0, 7, 7, 9, 9, 9], 1 / 3, 0.304),
    ([7, 9], 0.5, 0.354),
    ([0, 7, 9], 0.0, 0.471),
]


@pytest.mark.parametrize(("answers", "nps", "se"), R_NPS_CASES)
def test_wald_interval_has_the_standard_error_of_the_r_nps_package(
    answers: list[int], nps: float, se: float
) -> None:
    est = nps_estimate(answers, method="wald")
    assert est.nps == pytest.approx(100 * nps)
    below = (est.nps - est.ci_low) / 100  # the lower side is not clipped at -100 here
    assert below / Z == pytest.approx(se, abs=0.001)  # R's tolerance


def test_adjusted_wald_is_the_wald_of_rocks_pseudo_observations() -> None:
    # Rocks (2016), as the R package NPS implements it (R/nps_tests.R,
    # nps_test_ with test = "adjusted.wald"): add the pseudo-observations
    # c(0.75, 1.50, 0.75) to the detractor, passive and promoter counts, then
    # take the Wald interval of those weighted counts. Computed here by an
    # independent route: NumPy's frequency-weighted variance of +1/0/-1.
    weights = np.array([8 + 0.75, 13 + 1.5, 15 + 0.75])  # detractors, passives, promoters
    values = np.array([-1.0, 0.0, 1.0])
    centre = np.average(values, weights=weights)
    variance = np.average((values - centre) ** 2, weights=weights)
    se = math.sqrt(variance / weights.sum())
    est = nps_from_counts(15, 13, 8, method="adjusted-wald")
    assert est.nps == pytest.approx(100 * 7 / 36)  # the point estimate is unadjusted
    assert est.ci_low == pytest.approx(100 * (centre - Z * se))
    assert est.ci_high == pytest.approx(100 * (centre + Z * se))
    assert est.ci_low == pytest.approx(-6.28, abs=0.01)  # the digits, for the reader
    assert est.ci_high == pytest.approx(42.18, abs=0.01)
    assert est.method == "adjusted-wald"


def test_plain_wald_equals_the_t_free_interval_of_the_trinomial_mean() -> None:
    # Independent route: score each answer +1/0/-1; the NPS is their mean and
    # the Wald variance is the population variance of those scores over n.
    scores = np.array([1] * 15 + [0] * 13 + [-1] * 8, dtype=float)
    se = scores.std(ddof=0) / math.sqrt(len(scores))
    est = nps_from_counts(15, 13, 8, method="wald")
    assert est.ci_low == pytest.approx(100 * (scores.mean() - Z * se))
    assert est.ci_high == pytest.approx(100 * (scores.mean() + Z * se))


def test_bootstrap_is_reproducible_and_close_to_wald_at_large_n() -> None:
    a = nps_from_counts(300, 400, 300, method="bootstrap")
    b = nps_from_counts(300, 400, 300, method="bootstrap")
    assert a == b
    w = nps_from_counts(300, 400, 300, method="wald")
    assert a.ci_low == pytest.approx(w.ci_low, abs=0.6)
    assert a.ci_high == pytest.approx(w.ci_high, abs=0.6)
    assert a.method == "bootstrap"


@settings(max_examples=60)
@given(counts, st.sampled_from(["adjusted-wald", "wald", "bootstrap", "wilson-effective-n"]))
def test_interval_stays_in_range_and_holds_the_bootstrap_and_wald_estimate(
    c: tuple[int, int, int], method: str
) -> None:
    est = nps_from_counts(*c, method=method, n_boot=400)
    assert est.nps is not None
    if method in ("wald", "bootstrap") and max(c) == sum(c):
        assert est.ci_low is None and est.note is not None  # would be zero width
        return
    assert est.ci_low is not None
    assert est.ci_high is not None
    assert -100 <= est.ci_low < est.ci_high <= 100
    assert -100 <= est.nps <= 100
    if method == "wald":
        assert est.ci_low - 1e-9 <= est.nps <= est.ci_high + 1e-9


@settings(max_examples=60)
@given(counts)
def test_adjusted_wald_contains_the_estimate_away_from_the_edges(c: tuple[int, int, int]) -> None:
    # The adjusted interval is centred on the shrunk estimate; it still holds
    # the observed NPS unless every answer is in one category and n is tiny.
    est = nps_from_counts(*c, method="adjusted-wald")
    if max(c) < sum(c):
        assert est.ci_low <= est.nps <= est.ci_high
    # the bounded interval always holds it, and has a width
    bounded = nps_from_counts(*c)
    assert bounded.method == "wilson-effective-n"
    assert bounded.ci_low <= bounded.nps <= bounded.ci_high
    assert bounded.ci_low < bounded.ci_high


def test_interval_widens_as_n_shrinks() -> None:
    widths = []
    for k in (100, 30, 10, 3, 1):
        est = nps_from_counts(4 * k, 3 * k, 3 * k)
        widths.append(est.ci_high - est.ci_low)
    assert widths == sorted(widths)


def test_adjusted_wald_covers_at_small_n_by_simulation() -> None:
    # Rocks (2016) reports coverage near the nominal 95% for the adjusted Wald
    # at small n, and undercoverage for the plain Wald. Checked by simulation
    # with a fixed seed at n = 20 for a typical B2B trinomial.
    rng = np.random.default_rng(2016)
    p = np.array([0.35, 0.40, 0.25])
    truth = 100 * (p[0] - p[2])
    draws = rng.multinomial(20, p, size=4000)
    cover = {"adjusted-wald": 0, "wald": 0}
    for pro, pas, det in draws:
        for method in cover:
            est = nps_from_counts(int(pro), int(pas), int(det), method=method)
            cover[method] += est.ci_low <= truth <= est.ci_high
    rate = {m: v / len(draws) for m, v in cover.items()}
    assert 0.93 <= rate["adjusted-wald"] <= 0.975
    assert rate["wald"] < rate["adjusted-wald"]


def test_difference_adds_the_variances_of_both_samples() -> None:
    a, b = nps_from_counts(50, 30, 20, method="wald"), nps_from_counts(30, 40, 30, method="wald")
    d = nps_difference(a, b)
    va = (0.5 + 0.2 - 0.3**2) / 100
    vb = (0.3 + 0.3 - 0.0**2) / 100
    assert d.difference == pytest.approx(30.0)
    assert d.ci_low == pytest.approx(100 * (0.3 - Z * math.sqrt(va + vb)))
    assert d.ci_high == pytest.approx(100 * (0.3 + Z * math.sqrt(va + vb)))


def test_difference_refuses_mixed_methods() -> None:
    with pytest.raises(AnalysisError, match="same method"):
        nps_difference(nps_from_counts(5, 5, 5), nps_from_counts(5, 5, 5, method="wald"))


def test_too_few_answers_give_a_score_but_no_interval() -> None:
    est = nps_estimate([10])
    assert est.nps == 100.0
    assert est.ci_low is None
    empty = nps_estimate([math.nan])
    assert empty.n == 0
    assert empty.nps is None


def test_out_of_scale_scores_are_refused() -> None:
    with pytest.raises(AnalysisError, match="0 to 10"):
        nps_estimate([3, 11])
    with pytest.raises(AnalysisError, match="0 to 10"):
        nps_estimate([3.5])


def test_unknown_method_is_refused() -> None:
    with pytest.raises(AnalysisError, match="unknown NPS interval method"):
        nps_from_counts(1, 1, 1, method="exact")


def test_by_group_matches_each_group_alone() -> None:
    scores = [10, 9, 3, 10, 6, 7, 8, 0]
    groups = ["a", "a", "a", "b", "b", "b", None, "a"]
    res = nps_by_group(scores, groups)
    assert [g.group for g in res.groups] == ["a", "b"]
    alone = nps_estimate([10, 9, 3, 0])
    assert res.groups[0].model_dump(exclude={"group"}) == alone.model_dump()


def _bounded_reference(x: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """Wilson at the Korn-Graubard effective n on the rescaled answers (statsmodels)."""
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    y = (x - low) / (high - low)
    n, p, s2 = len(y), y.mean(), y.var(ddof=1)
    n_eff = float(n)
    if s2 > 0:
        n_eff = n * p * (1 - p) / s2 * (Z / stats.t.ppf(0.975, n - 1)) ** 2
    lo, hi = proportion_confint(p * n_eff, n_eff, method="wilson")
    return low + (high - low) * lo, low + (high - low) * hi


def test_expected_nps_is_mean_promoters_minus_mean_detractors_on_its_scale() -> None:
    pro = np.array([60, 70, 80, 50, 55.0])
    det = np.array([10, 10, 20, 15, 5.0])
    e = expected_nps(pro, det, audience="leadership")
    assert e.nps == pytest.approx(pro.mean() - det.mean())
    assert (e.ci_low, e.ci_high) == pytest.approx(_bounded_reference(pro - det, -100, 100))
    # leaders who all expect 100: the t interval was [100, 100]; this one has a width
    top = expected_nps([100] * 6, [0] * 6, audience="leadership")
    assert top.ci_high == 100
    assert top.ci_low is not None and top.ci_low < 60


def test_predicted_vs_actual_gap_and_interval() -> None:
    e = expected_nps([60, 70, 80, 50, 55], [10, 10, 20, 15, 5], audience="staff")
    actual = nps_from_counts(20, 40, 40, method="wald")
    p = predicted_vs_actual(e, actual)
    assert p.gap == pytest.approx(e.nps - actual.nps)
    # MOVER (Zou & Donner 2008) from the two intervals, by hand
    le, ue = _bounded_reference(np.array([50, 60, 60, 35, 50.0]), -100, 100)
    se_a = 100 * math.sqrt((0.2 + 0.4 - 0.2**2) / 100)
    la, ua = actual.nps - Z * se_a, actual.nps + Z * se_a
    assert p.ci_low == pytest.approx(p.gap - math.hypot(e.nps - le, ua - actual.nps))
    assert p.ci_high == pytest.approx(p.gap + math.hypot(ue - e.nps, actual.nps - la))
    assert -200 <= p.ci_low < p.ci_high <= 200


def test_degenerate_groups_never_get_a_zero_width_interval() -> None:
    for method in ("wald", "bootstrap"):
        est = nps_from_counts(7, 0, 0, method=method)
        assert est.nps == 100.0
        assert est.ci_low is None and est.ci_high is None
        assert est.note is not None and "every answer is a promoter" in est.note
        d = nps_difference(est, nps_from_counts(0, 0, 4, method=method))
        assert d.difference == 200.0 and d.ci_low is None and d.note is not None
    # adjusted Wald by hand (Rocks 2016): n' = 10, p+ = 7.75/10, p- = 0.75/10
    est = nps_from_counts(7, 0, 0, method="adjusted-wald")
    centre, var = 0.775 - 0.075, (0.775 + 0.075 - 0.7**2) / 10
    assert est.ci_low == pytest.approx(100 * (centre - Z * math.sqrt(var)))
    assert est.ci_high == 100.0
    for method in ("adjusted-wald", "wilson-effective-n"):
        two = nps_from_counts(2, 0, 0, method=method)
        assert two.ci_low is not None and two.ci_high is not None
        assert two.ci_low < 0 < two.ci_high
        assert nps_from_counts(1, 0, 0, method=method).ci_low is None  # n = 1: too few


def test_bounded_method_is_the_wilson_interval_of_the_plus_minus_one_mean() -> None:
    # 4 promoters and 1 passive: scores [1, 1, 1, 1, 0], mean 0.8, on -1..1
    # rescaled p = 0.9, s² = 0.2/4; n* = 5·0.09/0.05·(z/t₄)² = 4.486; Wilson at n*
    est = nps_from_counts(4, 1, 0, method="wilson-effective-n")
    scores = np.array([1, 1, 1, 1, 0.0])
    low, high = _bounded_reference(scores, -1, 1)
    assert (est.ci_low, est.ci_high) == pytest.approx((100 * low, 100 * high))
    assert est.ci_low == pytest.approx(-11.9, abs=0.05)  # by hand, 3 digits
    assert est.ci_high == pytest.approx(98.1, abs=0.05)
    # the adjusted Wald's upper limit is below a true NPS of 97 here
    assert nps_from_counts(4, 1, 0, method="adjusted-wald").ci_high < 97 < est.ci_high
    # all promoters: the plain Wilson interval of 5 in 5, on -100..100
    from statsmodels.stats.proportion import proportion_confint

    top = nps_from_counts(5, 0, 0, method="wilson-effective-n")
    wl, wh = proportion_confint(5, 5, method="wilson")
    assert (top.ci_low, top.ci_high) == pytest.approx((200 * wl - 100, 200 * wh - 100))
    assert top.note is None


def test_bounded_method_matches_statsmodels_on_mixed_counts_and_its_difference() -> None:
    a = nps_from_counts(15, 13, 8, method="wilson-effective-n")
    scores_a = np.r_[np.ones(15), np.zeros(13), -np.ones(8)]
    la, ua = _bounded_reference(scores_a, -1, 1)
    assert (a.ci_low, a.ci_high) == pytest.approx((100 * la, 100 * ua))
    b = nps_from_counts(5, 10, 9, method="wilson-effective-n")
    scores_b = np.r_[np.ones(5), np.zeros(10), -np.ones(9)]
    lb, ub = _bounded_reference(scores_b, -1, 1)
    d = nps_difference(a, b)
    ma, mb = 100 * scores_a.mean(), 100 * scores_b.mean()
    assert d.ci_low == pytest.approx(ma - mb - math.hypot(ma - 100 * la, 100 * ub - mb))
    assert d.ci_high == pytest.approx(ma - mb + math.hypot(100 * ua - ma, mb - 100 * lb))
