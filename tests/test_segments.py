"""Customer segments side by side."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from cxgap.analysis.perception.gaps import GapComparison
from cxgap.analysis.perception.nps import nps_difference, nps_estimate
from cxgap.analysis.perception.segments import segment_comparison


def test_defected_vs_top_matches_welch_and_nps_difference() -> None:
    frame = pd.DataFrame(
        {
            "audience": ["customer"] * 12 + ["staff"],
            "segment": ["top"] * 6 + ["defected"] * 6 + [None],
            "perf.resolution": [4, 5, 4, 4, 5, 3, 1, 2, 2, 3, 1, 2, 5],
            "ltr": [9, 10, 8, 9, 7, 10, 3, 5, 6, 7, 2, 4, None],
            "excellent": [5, 5, 4, 3, 5, 4, 1, 2, 3, 2, 1, 5, 5],
        }
    )
    res = segment_comparison(frame, items=["perf.resolution"])
    assert res.segments == ["top", "defected"]
    c = res.gaps.comparison("perf.resolution", "defected", "top")
    assert isinstance(c, GapComparison)
    ref = stats.ttest_ind([1, 2, 2, 3, 1, 2], [4, 5, 4, 4, 5, 3], equal_var=False)
    assert c.p_welch == pytest.approx(ref.pvalue)
    d = res.nps_differences[0]
    expected = nps_difference(nps_estimate([3, 5, 6, 7, 2, 4]), nps_estimate([9, 10, 8, 9, 7, 10]))
    assert (d.difference, d.ci_low, d.ci_high) == pytest.approx(
        (expected.difference, expected.ci_low, expected.ci_high)
    )
    ex = {g.group: g.estimate for g in res.excellent}
    assert ex["top"].share == pytest.approx(3 / 6)
    assert ex["defected"].share == pytest.approx(1 / 6)
