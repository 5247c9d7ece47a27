"""The "excellent" headline: Wilson shares, Newcombe differences, anonymity."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cxgap.analysis.perception.excellent import (
    AudienceDifference,
    AudienceShare,
    SuppressedDifference,
    SuppressedShare,
    excellent_headline,
)
from cxgap.errors import AnalysisError


def _frame(leaders: list[int], staff: list[int], customers: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "audience": ["leadership"] * len(leaders)
            + ["staff"] * len(staff)
            + ["customer"] * len(customers),
            "excellent": leaders + staff + customers,
        }
    )


def test_eighty_versus_eight_percent_with_wilson_and_newcombe() -> None:
    # The brief's headline: 8 of 10 leaders vs 2 of 25 customers.
    frame = _frame([5] * 8 + [4, 3], [5] * 6 + [3] * 6, [5] * 2 + [2] * 23)
    h = excellent_headline(frame)
    assert h.headline == (
        "80% of leadership and 50% of staff call the service excellent; 8% of customers do."
    )
    lead = h.shares[0]
    assert isinstance(lead, AudienceShare)
    assert (lead.estimate.ci_low, lead.estimate.ci_high) == pytest.approx(
        proportion_confint(8, 10, method="wilson")
    )
    diff = h.differences[0]
    assert isinstance(diff, AudienceDifference)
    ref = confint_proportions_2indep(8, 10, 2, 25, method="newcomb", compare="diff")
    assert (diff.difference.ci_low, diff.difference.ci_high) == pytest.approx(ref)
    assert diff.difference.difference == pytest.approx(0.72)


def test_small_staff_group_is_withheld_but_customers_are_not() -> None:
    frame = _frame([5] * 6, [5, 5, 4], [5] + [3] * 3)
    h = excellent_headline(frame, anonymity_threshold=5)
    assert isinstance(h.shares[1], SuppressedShare)
    assert isinstance(h.differences[1], SuppressedDifference)
    assert isinstance(h.shares[2], AudienceShare)
    assert "staff" not in h.headline


def test_unanswered_rows_do_not_count() -> None:
    frame = _frame([5, 5, 5, 5, 5], [], [5, 1])
    frame.loc[len(frame)] = ["customer", float("nan")]
    h = excellent_headline(frame)
    cust = h.shares[2]
    assert isinstance(cust, AudienceShare)
    assert cust.estimate.n == 2


def test_missing_column_is_a_clear_error() -> None:
    with pytest.raises(AnalysisError, match="excellent"):
        excellent_headline(pd.DataFrame({"audience": ["staff"]}))
