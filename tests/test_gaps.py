"""The gap matrix against SciPy and statsmodels, on real survey data and on
small frames built for one behaviour each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cxgap.analysis.perception.gaps import GapComparison, GroupCell, SuppressedCell, gap_matrix
from cxgap.errors import AnalysisError
from tests.realdata import real_data_path

ITEMS = ["Seat comfort", "Inflight wifi service", "Cleanliness", "Checkin service"]


@pytest.fixture(scope="module")
def airline() -> pd.DataFrame:
    frame = pd.read_csv(real_data_path("airline_passenger_satisfaction_test.csv"))
    for c in ITEMS:
        frame[c] = frame[c].where(frame[c] > 0)  # 0 = not applicable
    return frame


def test_airline_loyal_vs_disloyal_matches_scipy_and_statsmodels(airline: pd.DataFrame) -> None:
    m = gap_matrix(airline, group="Customer Type", items=ITEMS, top_box_min=4)
    assert m.groups == ["Loyal Customer", "disloyal Customer"]
    for item in ITEMS:
        loyal = airline.loc[airline["Customer Type"] == "Loyal Customer", item].dropna()
        disloyal = airline.loc[airline["Customer Type"] == "disloyal Customer", item].dropna()
        cell = m.cell(item, "Loyal Customer")
        assert isinstance(cell, GroupCell)
        assert cell.n == len(loyal)
        ci = stats.ttest_1samp(loyal, 0).confidence_interval()
        assert (cell.ci_low, cell.ci_high) == pytest.approx((ci.low, ci.high))
        top = int((loyal >= 4).sum())
        assert cell.top_box is not None
        wil = proportion_confint(top, len(loyal), method="wilson")
        assert (cell.top_box.ci_low, cell.top_box.ci_high) == pytest.approx(wil)

        c = m.comparison(item, "Loyal Customer", "disloyal Customer")
        assert isinstance(c, GapComparison)
        ref = stats.ttest_ind(loyal, disloyal, equal_var=False)
        rci = ref.confidence_interval()
        assert c.t == pytest.approx(ref.statistic)
        assert (c.ci_low, c.ci_high) == pytest.approx((rci.low, rci.high))
        mw = stats.mannwhitneyu(loyal, disloyal, method="asymptotic")
        assert c.p_mann_whitney == pytest.approx(mw.pvalue, rel=1e-6, abs=1e-300)
        assert c.cliffs_delta == pytest.approx(2 * mw.statistic / (len(loyal) * len(disloyal)) - 1)
        assert c.top_box_difference is not None
        nc = confint_proportions_2indep(
            top,
            len(loyal),
            int((disloyal >= 4).sum()),
            len(disloyal),
            method="newcomb",
            compare="diff",
        )
        assert (c.top_box_difference.ci_low, c.top_box_difference.ci_high) == pytest.approx(nc)


def test_holm_family_is_the_pairs_of_one_item() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "g": np.repeat(["a", "b", "c"], 12),
            "x": rng.integers(1, 6, 36),
            "y": np.r_[rng.integers(3, 6, 12), rng.integers(1, 4, 24)],
        }
    )
    m = gap_matrix(frame, group="g", items=["x", "y"])
    assert m.holm_family == "item"
    for item in ("x", "y"):
        comps = [c for c in m.comparisons if isinstance(c, GapComparison) and c.item == item]
        assert len(comps) == 3
        assert {c.holm_family_size for c in comps} == {3}
        ref = multipletests([c.p_welch for c in comps], method="holm")[1]
        assert [c.p_welch_holm for c in comps] == pytest.approx(list(ref))
        ref_mw = multipletests([c.p_mann_whitney for c in comps], method="holm")[1]
        assert [c.p_mann_whitney_holm for c in comps] == pytest.approx(list(ref_mw))


def test_an_unrelated_item_leaves_the_adjusted_p_values_as_they_were() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "g": np.repeat(["a", "b", "c"], 15),
            "x": np.r_[rng.integers(3, 6, 15), rng.integers(1, 6, 30)],
            "noise": rng.integers(1, 6, 45),
        }
    )
    alone = gap_matrix(frame, group="g", items=["x"])
    both = gap_matrix(frame, group="g", items=["x", "noise"])
    for c in alone.comparisons:
        assert isinstance(c, GapComparison)
        other = both.comparison("x", c.a, c.b)
        assert isinstance(other, GapComparison)
        assert other.p_welch_holm == c.p_welch_holm
        assert other.p_mann_whitney_holm == c.p_mann_whitney_holm
    # and the whole-matrix family of before would have moved them
    pooled = [c.p_welch for c in both.comparisons if isinstance(c, GapComparison)]
    whole = multipletests(pooled, method="holm")[1][:3]
    assert list(whole) != pytest.approx([c.p_welch_holm for c in alone.comparisons])


def test_small_protected_group_is_withheld_with_its_comparisons() -> None:
    frame = pd.DataFrame(
        {
            "audience": ["staff"] * 4 + ["leadership"] * 6 + ["customer"] * 8,
            "q": [5, 4, 5, 5, 5, 5, 4, 5, 5, 4, 2, 3, 3, 2, 4, 2, 3, 3],
        }
    )
    m = gap_matrix(
        frame,
        group="audience",
        items=["q"],
        protected=("staff", "leadership"),
        anonymity_threshold=5,
    )
    staff = m.cell("q", "staff")
    assert isinstance(staff, SuppressedCell)
    assert "anonymity" in staff.reason
    assert "fewer than 5" in staff.reason
    assert m.comparison("q", "staff", "customer").suppressed
    assert not m.comparison("q", "leadership", "customer").suppressed
    dumped = str(m.to_json_dict())
    assert "4.75" not in dumped  # the staff mean never leaks


def test_group_with_one_answer_says_so_instead_of_an_interval() -> None:
    frame = pd.DataFrame({"g": ["a", "b", "b", "b"], "q": [3, 4, 5, 4]})
    m = gap_matrix(frame, group="g", items=["q"])
    cell = m.cell("q", "a")
    assert isinstance(cell, GroupCell)
    assert cell.ci_low is None
    assert cell.note == "too few answers (n=1) for an interval"
    comp = m.comparison("q", "a", "b")
    assert isinstance(comp, GapComparison)
    assert comp.p_welch is None
    assert comp.note is not None
    assert "too few answers in a (n=1)" in comp.note


def test_json_holds_no_nan() -> None:
    frame = pd.DataFrame({"g": ["a", "a", "b", "b"], "q": [3, 3, 3, 3]})
    m = gap_matrix(frame, group="g", items=["q"])
    import json

    text = json.dumps(m.to_json_dict(), allow_nan=False)
    assert "NaN" not in text


def test_missing_column_is_a_clear_error() -> None:
    with pytest.raises(AnalysisError, match="no column"):
        gap_matrix(pd.DataFrame({"g": ["a"]}), group="g", items=["q"])
