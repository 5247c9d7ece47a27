"""Intervals that stay on their scale (issue 18), against statsmodels' Wilson
interval and hand formulas, on real airline survey answers and on the
degenerate groups (all at the ceiling, one answer each) that used to collapse."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cxgap.analysis.perception.gaps import GapComparison, GroupCell, gap_matrix
from cxgap.analysis.perception.means import (
    bounded_mean_interval,
    mean_estimate,
    mover_difference,
)
from cxgap.errors import AnalysisError
from tests.bounded import reference
from tests.realdata import real_data_path


def test_by_hand_for_one_to_five() -> None:
    # p = 0.5, s² = 2.5/16, n* = 5·0.25/0.15625·(1.96/2.776)² = 3.9866;
    # Wilson at p = 1/2: 0.5 ± z·sqrt(0.25/n* + z²/4n*²)/(1 + z²/n*) = 0.5 ± 0.35026
    low, high = bounded_mean_interval([1, 2, 3, 4, 5], (1, 5))
    assert (low, high) == pytest.approx((1 + 4 * 0.14974, 1 + 4 * 0.85026), abs=2e-4)


@pytest.mark.parametrize(
    "answers",
    [
        [5, 5, 4, 5],
        [1, 2, 2, 3, 5, 4, 4],
        [4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 3],
        [1, 1, 1, 2],
    ],
)
def test_matches_statsmodels_wilson_at_the_effective_n(answers: list[int]) -> None:
    assert bounded_mean_interval(answers, (1, 5)) == pytest.approx(
        reference(np.array(answers), 1, 5)
    )


def test_all_at_the_ceiling_is_the_plain_wilson_interval_never_zero_width() -> None:
    low, high = bounded_mean_interval([5] * 5, (1, 5))
    wl, wh = proportion_confint(5, 5, method="wilson")
    assert (low, high) == pytest.approx((1 + 4 * wl, 1 + 4 * wh))
    assert high == 5.0
    assert low < 4  # five answers say little
    # all one middle answer: as wide, centred
    low, high = bounded_mean_interval([3, 3, 3], (1, 5))
    wl, wh = proportion_confint(1.5, 3, method="wilson")
    assert (low, high) == pytest.approx((1 + 4 * wl, 1 + 4 * wh))
    assert high - low > 1


def test_too_few_and_off_scale() -> None:
    assert bounded_mean_interval([4], (1, 5)) is None
    est = mean_estimate([4], scale=(1, 5))
    assert est.mean == 4 and est.ci_low is None
    with pytest.raises(AnalysisError, match="outside the scale 1 to 5"):
        bounded_mean_interval([4, 6], (1, 5))
    with pytest.raises(AnalysisError, match="lowest value below its highest"):
        bounded_mean_interval([4, 5], (5, 1))


def test_never_leaves_the_scale_where_t_did() -> None:
    rng = np.random.default_rng(18)
    left_t = 0
    for _ in range(300):
        n = int(rng.integers(2, 12))
        x = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.0, 0.02, 0.05, 0.18, 0.75])
        low, high = bounded_mean_interval(x, (1, 5))
        assert 1 <= low <= x.mean() <= high <= 5
        assert high > low
        t = mean_estimate(x)
        left_t += int(t.ci_high is not None and t.ci_high > 5)
    assert left_t > 50  # the old interval did leave it


def test_mover_difference_by_hand_from_statsmodels_limits() -> None:
    a = np.array([5, 5, 4, 5, 5, 3])
    b = np.array([2, 3, 3, 4, 2, 1, 3])
    la, ua = reference(a, 1, 5)
    lb, ub = reference(b, 1, 5)
    d = a.mean() - b.mean()
    expected = (
        d - math.hypot(a.mean() - la, ub - b.mean()),
        d + math.hypot(ua - a.mean(), b.mean() - lb),
    )
    assert mover_difference(a, b, (1, 5)) == pytest.approx(expected)


def test_mover_difference_of_two_constant_groups_has_a_width_inside_the_scale() -> None:
    low, high = mover_difference([5, 5, 5], [1, 1, 1], (1, 5))
    wl, _ = proportion_confint(3, 3, method="wilson")
    gap = 4 - 4 * wl  # each group's distance to its far limit
    assert (low, high) == pytest.approx((4 - math.sqrt(2) * gap, 4.0))
    low, high = mover_difference([4, 4], [4, 4, 4], (1, 5))
    assert low < 0 < high
    assert low >= -4 and high <= 4


@pytest.fixture(scope="module")
def airline() -> pd.DataFrame:
    frame = pd.read_csv(real_data_path("airline_passenger_satisfaction_test.csv"))
    return frame.assign(**{"Seat comfort": frame["Seat comfort"].where(frame["Seat comfort"] > 0)})


def test_gap_matrix_on_real_answers_with_their_scale(airline: pd.DataFrame) -> None:
    item = "Seat comfort"
    small = airline.groupby("Class").head(8)  # small groups, where it matters
    m = gap_matrix(small, group="Class", items=[item], scale=(1, 5))
    assert m.scales == {item: (1.0, 5.0)}
    for g in m.groups:
        x = small.loc[small["Class"] == g, item].dropna().to_numpy()
        cell = m.cell(item, g)
        assert isinstance(cell, GroupCell)
        assert cell.ci_method == "wilson-effective-n"
        assert (cell.ci_low, cell.ci_high) == pytest.approx(reference(x, 1, 5))
    for c in m.comparisons:
        assert isinstance(c, GapComparison)
        assert c.ci_method == "mover-wilson-effective-n"
        x = small.loc[small["Class"] == c.a, item].dropna().to_numpy()
        y = small.loc[small["Class"] == c.b, item].dropna().to_numpy()
        (la, ua), (lb, ub) = reference(x, 1, 5), reference(y, 1, 5)
        d = x.mean() - y.mean()
        assert c.ci_low == pytest.approx(d - math.hypot(x.mean() - la, ub - y.mean()))
        assert c.ci_high == pytest.approx(d + math.hypot(ua - x.mean(), y.mean() - lb))
        # the test is still Welch's
        assert c.p_welch == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue)


def test_gap_matrix_scale_by_item_and_without() -> None:
    frame = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 3, "q": [5, 5, 5, 4, 4, 5], "r": [1] * 6})
    m = gap_matrix(frame, group="g", items=["q", "r"], scale={"q": (1, 5)})
    q, r = m.cell("q", "a"), m.cell("r", "a")
    assert isinstance(q, GroupCell) and isinstance(r, GroupCell)
    assert q.ci_method == "wilson-effective-n" and q.ci_high == 5 and q.ci_low is not None
    assert q.ci_low < 4
    assert r.ci_method == "t"
    with pytest.raises(AnalysisError, match="the scale of 'q'"):
        gap_matrix(frame, group="g", items=["q"], scale={"q": (5, 5)})
    with pytest.raises(AnalysisError, match="'q' in group 'a' has an answer of 5, outside"):
        gap_matrix(frame, group="g", items=["q"], scale={"q": (1, 4)})


def test_stated_importance_on_its_scale_and_borda_on_zero_to_k_minus_one() -> None:
    from cxgap.analysis.perception.importance import stated_importance

    frame = pd.DataFrame(
        {
            "audience": ["customer"] * 6,
            "imp.a": [5, 5, 5, 5, 4, 5],
            "imp.b": [3, 2, 4, 3, 3, 2],
            "rank.a": [1, 1, 1, 2, 1, 1],
            "rank.b": [2, 2, 2, 1, 2, 2],
        }
    )
    res = stated_importance(frame, ["a", "b"], scale=(1, 5))
    cust = res.audiences[2]
    a = cust.factors[0]  # type: ignore[union-attr]
    assert a.importance.method == "wilson-effective-n"
    assert (a.importance.ci_low, a.importance.ci_high) == pytest.approx(
        reference(frame["imp.a"].to_numpy(), 1, 5)
    )
    # Borda points of 2 factors are 0 or 1, so their scale is 0 to 1
    assert a.borda.method == "wilson-effective-n"
    assert (a.borda.ci_low, a.borda.ci_high) == pytest.approx(
        reference(np.array([1, 1, 1, 0, 1, 1]), 0, 1)
    )


def test_wave_changes_on_a_scale_are_mover_of_the_cells_by_hand() -> None:
    from cxgap.analysis.perception.waves import GapChange, WaveChange, wave_changes

    frame = pd.DataFrame(
        {
            "wave": ["w1"] * 9 + ["w2"] * 9,
            "audience": (["leadership"] * 4 + ["customer"] * 5) * 2,
            "q": [5, 5, 5, 4, 2, 3, 2, 1, 3, 5, 5, 5, 5, 4, 3, 4, 5, 3],  # w1 then w2
        }
    )
    res = wave_changes(
        frame, waves=["w1", "w2"], items=["q"], anonymity_threshold=1, scale={"q": (1, 5)}
    )
    pair = res.pairs[0]

    def cell(wave: str, aud: str) -> np.ndarray:
        rows = (frame["wave"] == wave) & (frame["audience"] == aud)
        return frame.loc[rows, "q"].to_numpy(dtype=float)

    lead1, lead2 = cell("w1", "leadership"), cell("w2", "leadership")
    cust1, cust2 = cell("w1", "customer"), cell("w2", "customer")
    change = next(c for c in pair.changes if c.audience == "customer")
    assert isinstance(change, WaveChange)
    assert change.ci_method == "mover-wilson-effective-n"
    (l2, u2), (l1, u1) = reference(cust2, 1, 5), reference(cust1, 1, 5)
    d = cust2.mean() - cust1.mean()
    assert change.ci_low == pytest.approx(d - math.hypot(cust2.mean() - l2, u1 - cust1.mean()))
    assert change.ci_high == pytest.approx(d + math.hypot(u2 - cust2.mean(), cust1.mean() - l1))
    # the leaders who all answered 5 in w2: the change still has a width
    lead = next(c for c in pair.changes if c.audience == "leadership")
    assert isinstance(lead, WaveChange) and lead.ci_high is not None and lead.ci_low is not None
    assert lead.ci_high > lead.ci_low
    gap = next(g for g in pair.gaps if g.audience == "leadership")
    assert isinstance(gap, GapChange)
    # Δgap = (lead2 - cust2) - (lead1 - cust1): MOVER over four cells
    parts = [
        (1, lead2, reference(lead2, 1, 5)),
        (-1, cust2, reference(cust2, 1, 5)),
        (-1, lead1, reference(lead1, 1, 5)),
        (1, cust1, reference(cust1, 1, 5)),
    ]
    total = sum(s * x.mean() for s, x, _ in parts)
    down = sum((x.mean() - lo if s > 0 else hi - x.mean()) ** 2 for s, x, (lo, hi) in parts)
    up = sum((hi - x.mean() if s > 0 else x.mean() - lo) ** 2 for s, x, (lo, hi) in parts)
    assert gap.change == pytest.approx(total)
    assert (gap.ci_low, gap.ci_high) == pytest.approx(
        (total - math.sqrt(down), total + math.sqrt(up))
    )
    assert -8 <= gap.ci_low < gap.ci_high <= 8
    assert gap.ci_method == "mover-wilson-effective-n"
