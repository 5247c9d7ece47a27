"""The ledger model: contributions, compounding, memory and balances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxgap.analysis.ledger.balance import balance_history, balances_at, ledger, score_events
from cxgap.errors import AnalysisError
from cxgap.study.model import LedgerParameters

P = LedgerParameters()
W = {"routine": 0.5, "problem_resolution": 2.5, "implementation": 3.0, "plain": 1.0}
T0 = pd.Timestamp("2025-01-01")


def events(*rows: tuple[str, pd.Timestamp, str, str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["account_id", "timestamp", "moment", "outcome", "severity"]
    ).astype({"severity": float})


def day(d: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=d)


def test_contributions_follow_the_formula_for_each_outcome_and_weight() -> None:
    # hand-computed: met 0.5*1; exceeded 3*2; failed 2.5*(-2*3)
    ev = events(
        ("a", day(0), "routine", "met", None),
        ("b", day(0), "implementation", "exceeded", None),
        ("c", day(0), "problem_resolution", "failed", 3),
    )
    assert score_events(ev, P, W)["contribution"].tolist() == [0.5, 6.0, -15.0]


def test_a_credit_halves_every_90_days_and_a_debit_every_365() -> None:
    ev = events(("a", day(0), "plain", "met", None), ("b", day(0), "plain", "failed", 1))
    s = score_events(ev, P, W)
    at_90 = balances_at(s, day(90))["balance"]
    at_365 = balances_at(s, day(365))["balance"]
    assert at_90["a"] == pytest.approx(0.5)
    assert at_90["b"] == pytest.approx(-2 * 0.5 ** (90 / 365))
    assert at_365["a"] == pytest.approx(0.5 ** (365 / 90))
    assert at_365["b"] == pytest.approx(-1.0)


def test_events_after_the_as_of_date_do_not_count() -> None:
    ev = events(("a", day(0), "plain", "met", None), ("a", day(10), "plain", "failed", 1))
    b = balances_at(score_events(ev, P, W), day(5))
    assert b.loc["a", "balance"] == pytest.approx(0.5 ** (5 / 90))
    assert b.loc["a", "events"] == 1
    assert b.loc["a", "failures"] == 0


def test_a_failure_exactly_30_days_after_another_compounds() -> None:
    ev = events(("a", day(0), "plain", "failed", 1), ("a", day(30), "plain", "failed", 1))
    s = score_events(ev, P, W)
    assert s["prior_failures"].tolist() == [0, 1]
    assert s["contribution"].tolist() == [-2.0, -3.0]  # -2 * (1 + 0.5 * 1)


def test_a_failure_just_over_30_days_later_does_not_compound() -> None:
    later = day(30) + pd.Timedelta(seconds=1)
    ev = events(("a", day(0), "plain", "failed", 1), ("a", later, "plain", "failed", 1))
    assert score_events(ev, P, W)["prior_failures"].tolist() == [0, 0]


def test_failures_at_the_same_instant_compound_in_file_order() -> None:
    ev = events(("a", day(0), "plain", "failed", 1), ("a", day(0), "plain", "failed", 3))
    assert score_events(ev, P, W)["contribution"].tolist() == [-2.0, -9.0]
    swapped = ev.iloc[::-1].reset_index(drop=True)
    assert score_events(swapped, P, W)["contribution"].tolist() == [-6.0, -3.0]


def test_compounding_is_capped_at_four_prior_failures() -> None:
    ev = events(*[("a", day(i), "plain", "failed", 1) for i in range(7)])
    s = score_events(ev, P, W)
    assert s["prior_failures"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert s["multiplier"].tolist() == [1.0, 1.5, 2.0, 2.5, 3.0, 3.0, 3.0]


def test_compounding_counts_only_the_same_accounts_failures_and_ignores_credits() -> None:
    ev = events(
        ("a", day(0), "plain", "failed", 1),
        ("b", day(1), "plain", "failed", 1),
        ("b", day(2), "plain", "met", None),
        ("a", day(3), "plain", "failed", 1),
    )
    assert score_events(ev, P, W)["prior_failures"].tolist() == [0, 0, 0, 1]


def test_the_window_slides_so_old_failures_drop_out() -> None:
    ev = events(
        ("a", day(0), "plain", "failed", 1),
        ("a", day(20), "plain", "failed", 1),
        ("a", day(45), "plain", "failed", 1),  # day 20 inside, day 0 outside
    )
    assert score_events(ev, P, W)["prior_failures"].tolist() == [0, 1, 1]


def test_severity_scales_the_debit() -> None:
    ev = events(("a", day(0), "plain", "failed", 1), ("b", day(0), "plain", "failed", 3))
    assert score_events(ev, P, W)["contribution"].tolist() == [-2.0, -6.0]


def test_parameters_from_the_study_change_the_scores() -> None:
    params = LedgerParameters(loss_aversion=3.0, compounding_window_days=10)
    ev = events(("a", day(0), "plain", "failed", 1), ("a", day(20), "plain", "failed", 1))
    assert score_events(ev, params, W)["contribution"].tolist() == [-3.0, -3.0]


def test_unknown_moments_outcomes_and_missing_severities_are_refused() -> None:
    with pytest.raises(AnalysisError, match="unknown moment"):
        score_events(events(("a", day(0), "lunch", "met", None)), P, W)
    with pytest.raises(AnalysisError, match="unknown outcome"):
        score_events(events(("a", day(0), "plain", "meh", None)), P, W)
    with pytest.raises(AnalysisError, match="severity"):
        score_events(events(("a", day(0), "plain", "failed", None)), P, W)
    with pytest.raises(AnalysisError, match="missing column"):
        score_events(pd.DataFrame({"account_id": ["a"]}), P, W)


def test_categorical_and_timezone_aware_inputs_give_the_same_scores() -> None:
    ev = events(
        ("a", day(0), "plain", "failed", 2),
        ("a", day(3), "routine", "met", None),
        ("b", day(1), "plain", "exceeded", None),
    )
    cat = ev.astype({"account_id": "category", "moment": "category", "outcome": "category"})
    aware = ev.assign(timestamp=ev["timestamp"].dt.tz_localize("UTC"))
    expected = score_events(ev, P, W)["contribution"].tolist()
    assert score_events(cat, P, W)["contribution"].tolist() == expected
    assert score_events(aware, P, W)["contribution"].tolist() == expected


def test_balance_history_agrees_with_balances_at_each_date() -> None:
    ev = events(
        ("a", day(0), "plain", "met", None),
        ("a", day(10), "plain", "failed", 2),
        ("b", day(5), "implementation", "exceeded", None),
    )
    s = score_events(ev, P, W)
    dates = [day(-1), day(7), day(100)]
    hist = balance_history(s, dates)
    for d in dates:
        assert hist.loc[d].to_dict() == pytest.approx(balances_at(s, d)["balance"].to_dict())


def test_a_per_account_evaluation_date_is_used_for_each_account() -> None:
    ev = events(("a", day(0), "plain", "met", None), ("b", day(0), "plain", "met", None))
    s = score_events(ev, P, W)
    when = pd.Series([day(90), day(180)], index=["a", "b"])
    assert balances_at(s, when)["balance"].tolist() == pytest.approx([0.5, 0.25])


def test_ledger_lists_accounts_lowest_balance_first_with_counts() -> None:
    ev = events(
        ("a", day(0), "plain", "met", None),
        ("b", day(0), "plain", "failed", 1),
        ("b", day(1), "plain", "met", None),
    )
    r = ledger(ev, P, W, day(1))
    assert [a.account for a in r.accounts] == ["b", "a"]
    assert (r.accounts[0].events, r.accounts[0].failures) == (2, 1)
    assert r.n_events == 3


# -- an independent, straightforward reference: a loop over events ----------


def reference_balances(ev: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, float]:
    """The documented formula, event by event, with no shared code."""
    out: dict[str, float] = {}
    rows = list(ev.itertuples(index=False))
    for i, r in enumerate(rows):
        out.setdefault(r.account_id, 0.0)
        if r.timestamp > as_of:
            continue
        w = W[r.moment]
        if r.outcome == "met":
            c = w * 1.0
        elif r.outcome == "exceeded":
            c = w * 2.0
        else:
            k = 0
            for j, q in enumerate(rows):
                if j == i or q.account_id != r.account_id or q.outcome != "failed":
                    continue
                gap = (r.timestamp - q.timestamp).total_seconds() / 86400
                earlier_in_file = j < i
                if 0 < gap <= 30 or (gap == 0 and earlier_in_file):
                    k += 1
            c = -w * 2.0 * r.severity * (1 + 0.5 * min(k, 4))
        h = 90.0 if c >= 0 else 365.0
        age = (as_of - r.timestamp).total_seconds() / 86400
        out[r.account_id] += c * 0.5 ** (age / h)
    return out


event_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=0, max_value=120),  # day; many ties and window edges
        st.sampled_from(sorted(W)),
        st.sampled_from(["met", "exceeded", "failed"]),
        st.sampled_from([1.0, 2.0, 3.0]),
    ),
    min_size=1,
    max_size=25,
)


def frame_of(rows: list[tuple[str, int, str, str, float]]) -> pd.DataFrame:
    return events(*[(a, day(d), m, o, s if o == "failed" else None) for a, d, m, o, s in rows])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_rows, as_of_day=st.integers(min_value=0, max_value=200))
def test_vectorised_balances_match_the_event_by_event_reference(
    rows: list[tuple[str, int, str, str, float]], as_of_day: int
) -> None:
    ev = frame_of(rows)
    got = balances_at(score_events(ev, P, W), day(as_of_day))["balance"].to_dict()
    want = reference_balances(ev, day(as_of_day))
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    rows=event_rows,
    extra_day=st.integers(min_value=0, max_value=120),
    moment=st.sampled_from(sorted(W)),
    as_of_day=st.integers(min_value=0, max_value=200),
    position=st.integers(min_value=0, max_value=25),
)
def test_adding_a_met_event_never_lowers_a_balance(
    rows: list[tuple[str, int, str, str, float]],
    extra_day: int,
    moment: str,
    as_of_day: int,
    position: int,
) -> None:
    base = frame_of(rows)
    extra = frame_of([*rows[:position], ("a", extra_day, moment, "met", 1.0), *rows[position:]])
    before = balances_at(score_events(base, P, W), day(as_of_day), accounts=pd.Index(["a"]))
    after = balances_at(score_events(extra, P, W), day(as_of_day), accounts=pd.Index(["a"]))
    assert after.loc["a", "balance"] >= before.loc["a", "balance"] - 1e-12


@settings(max_examples=30, deadline=None)
@given(
    rows=event_rows,
    extra_day=st.integers(min_value=0, max_value=120),
    severity=st.sampled_from([1.0, 2.0, 3.0]),
    after_days=st.integers(min_value=0, max_value=200),
    position=st.integers(min_value=0, max_value=25),
)
def test_adding_a_failure_always_lowers_a_balance(
    rows: list[tuple[str, int, str, str, float]],
    extra_day: int,
    severity: float,
    after_days: int,
    position: int,
) -> None:
    as_of = day(extra_day + after_days)
    base = frame_of(rows)
    extra = frame_of(
        [*rows[:position], ("a", extra_day, "plain", "failed", severity), *rows[position:]]
    )
    before = balances_at(score_events(base, P, W), as_of, accounts=pd.Index(["a"]))
    after = balances_at(score_events(extra, P, W), as_of, accounts=pd.Index(["a"]))
    assert after.loc["a", "balance"] < before.loc["a", "balance"]
    assert math.isfinite(after.loc["a", "balance"])


def test_scoring_a_larger_ledger_matches_the_reference_on_a_sample() -> None:
    rng = np.random.default_rng(3)
    n = 400
    ev = pd.DataFrame(
        {
            "account_id": rng.choice(["a", "b", "c", "d"], n),
            "timestamp": T0 + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h"),
            "moment": rng.choice(sorted(W), n),
            "outcome": rng.choice(["met", "exceeded", "failed"], n, p=[0.5, 0.2, 0.3]),
            "severity": rng.choice([1.0, 2.0, 3.0], n),
        }
    )
    got = balances_at(score_events(ev, P, W), day(210))["balance"].to_dict()
    assert got == pytest.approx(reference_balances(ev, day(210)), rel=1e-9)


def test_unused_categories_are_not_reported_as_unknown() -> None:
    ev = events(("a", day(0), "plain", "met", None))
    ev["moment"] = pd.Categorical(ev["moment"], categories=["plain", "lunch"])
    ev["outcome"] = pd.Categorical(ev["outcome"], categories=["met", "meh"])
    assert score_events(ev, P, W)["contribution"].tolist() == [1.0]
