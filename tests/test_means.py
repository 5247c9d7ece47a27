"""Mean intervals, Welch, Mann–Whitney, Hedges' g, Cliff's delta and Holm
against SciPy, statsmodels and brute force."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxgap.analysis.perception.means import (
    cliffs_delta,
    hedges_g,
    holm,
    mann_whitney,
    mean_estimate,
    welch,
)

ratings = st.lists(st.integers(1, 5), min_size=2, max_size=40)


@given(ratings)
def test_mean_interval_matches_scipy_t_interval(xs: list[int]) -> None:
    est = mean_estimate(xs)
    if np.std(xs) == 0:
        assert est.ci_low == est.ci_high == est.mean
        return
    ref = stats.ttest_1samp(xs, 0).confidence_interval(0.95)
    assert (est.ci_low, est.ci_high) == pytest.approx((ref.low, ref.high), rel=1e-10)
    assert est.ci_low <= est.mean <= est.ci_high


def test_mean_interval_is_absent_below_two_answers() -> None:
    assert mean_estimate([4.0, math.nan]).ci_low is None
    assert mean_estimate([]).mean is None


@settings(max_examples=50)
@given(ratings, ratings)
def test_welch_matches_scipy(a: list[int], b: list[int]) -> None:
    w = welch(a, b)
    if np.var(a) == 0 and np.var(b) == 0:
        assert w.p_value is None
        return
    with warnings.catch_warnings():
        # SciPy warns about a constant group; the statistic is still exact.
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = stats.ttest_ind(a, b, equal_var=False)
        ci = ref.confidence_interval(0.95)
    assert w.t == pytest.approx(ref.statistic, rel=1e-9)
    assert w.df == pytest.approx(ref.df, rel=1e-9)
    assert w.p_value == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-15)
    assert (w.ci_low, w.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9, abs=1e-12)


@settings(max_examples=50)
@given(ratings, ratings)
def test_mann_whitney_matches_scipy_asymptotic(a: list[int], b: list[int]) -> None:
    r = mann_whitney(a, b)
    assert r is not None
    if len(set(a) | set(b)) == 1:
        assert r.p_value is None
        return
    ref = stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=True)
    assert r.u == pytest.approx(ref.statistic)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)


@given(
    st.lists(st.integers(0, 10), min_size=1, max_size=25),
    st.lists(st.integers(0, 10), min_size=1, max_size=25),
)
def test_cliffs_delta_equals_brute_force_pair_count(a: list[int], b: list[int]) -> None:
    greater = sum(x > y for x in a for y in b)
    less = sum(x < y for x in a for y in b)
    assert cliffs_delta(a, b) == pytest.approx((greater - less) / (len(a) * len(b)))


def test_hedges_g_matches_the_textbook_formula() -> None:
    # Independent computation: Cohen's d with the pooled SD, times Hedges's
    # exact correction J(df) (Hedges 1981, eq. 6b), from the statistics module.
    import statistics

    a, b = [4, 5, 5, 4, 5, 3, 4], [2, 3, 2, 4, 3, 2, 1, 3]
    na, nb = len(a), len(b)
    sp = math.sqrt(
        ((na - 1) * statistics.variance(a) + (nb - 1) * statistics.variance(b)) / (na + nb - 2)
    )
    d = (statistics.mean(a) - statistics.mean(b)) / sp
    df = na + nb - 2
    j = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))
    assert hedges_g(a, b) == pytest.approx(j * d, rel=1e-12)
    # The common approximation J ≈ 1 - 3/(4 df - 1) agrees to 3 decimals here.
    assert hedges_g(a, b) == pytest.approx(d * (1 - 3 / (4 * df - 1)), abs=1e-3)


def test_hedges_g_is_none_when_it_is_undefined() -> None:
    assert hedges_g([3, 3, 3], [3, 3]) is None
    assert hedges_g([3], [1, 2]) is None


@settings(max_examples=25)
@given(st.lists(st.one_of(st.floats(1e-6, 1.0), st.none()), min_size=1, max_size=30))
def test_holm_matches_statsmodels(ps: list[float | None]) -> None:
    got = holm(ps)
    present = [p for p in ps if p is not None]
    if present:
        ref = iter(multipletests(present, method="holm")[1])
        for p, g in zip(ps, got, strict=True):
            if p is None:
                assert g is None
            else:
                assert g == pytest.approx(next(ref), rel=1e-12)


def test_holm_keeps_tiny_p_values() -> None:
    assert holm([1e-100, 0.5]) == [pytest.approx(2e-100, rel=1e-12), 0.5]
