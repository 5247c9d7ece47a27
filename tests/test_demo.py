"""The demo company: deterministic, realistic in structure, and carrying the
effects documented in cxgap.demo.effects (checked here with plain SciPy,
independently of cxgap's own analyses)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxgap.demo import DemoData, generate_demo
from cxgap.demo import effects as fx


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo(seed=7)


def _individual(demo: DemoData) -> pd.DataFrame:
    return demo.frame[demo.frame["source"] == "individual"]


def test_same_seed_same_company_other_seed_other_company() -> None:
    a, b, c = generate_demo(seed=3), generate_demo(seed=3), generate_demo(seed=4)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.accounts, b.accounts)
    assert not a.frame["perf.resolution"].equals(c.frame["perf.resolution"])


def test_sizes_match_the_brief(demo: DemoData) -> None:
    counts = demo.counts()
    assert counts["leaders"] == 10
    assert 100 <= counts["staff"] <= 120
    assert 240 <= counts["customer contacts"] <= 360
    assert counts["accounts"] == 120
    assert set(demo.accounts["segment"]) == {"top", "new", "defected", "other"}
    assert set(demo.frame["wave"]) == {"w1", "w2"}
    assert counts["workshop sheets"] >= 2
    assert 15 <= counts["interview notes"] <= 25
    assert counts["action items"] >= 3
    assert (demo.accounts["annual_revenue"] > 0).all()


def test_one_staff_team_is_under_the_anonymity_threshold(demo: DemoData) -> None:
    staff = _individual(demo).query("audience == 'staff'")
    per_team = staff.groupby(["wave", "team"]).size()
    threshold = demo.study.anonymity_threshold
    assert (per_team.xs(fx.SMALL_TEAM, level="team") < threshold).all()
    assert (per_team.drop(fx.SMALL_TEAM, level="team") >= threshold).all()


def test_leaders_rate_higher_than_staff_higher_than_customers(demo: DemoData) -> None:
    f = _individual(demo)
    for factor in fx.CUSTOMER_FACTOR_MEANS:
        col = f"perf.{factor}"
        lead, staff, cust = (
            f.loc[f["audience"] == a, col].dropna() for a in ("leadership", "staff", "customer")
        )
        assert stats.ttest_ind(lead, staff, equal_var=False, alternative="greater").pvalue < 0.01
        assert stats.ttest_ind(staff, cust, equal_var=False, alternative="greater").pvalue < 0.01


def test_most_leaders_and_few_customers_call_the_service_excellent(demo: DemoData) -> None:
    f = _individual(demo)
    share = f.groupby("audience")["excellent"].apply(lambda s: (s == 5).mean())
    assert share["leadership"] >= 0.65
    assert share["customer"] <= 0.15
    assert share["leadership"] > share["staff"] > share["customer"]


def test_defected_customers_are_low_on_resolution_and_time_effort(demo: DemoData) -> None:
    c = _individual(demo).query("audience == 'customer'")
    for factor in ("resolution", "time_effort"):
        top = c.loc[c["segment"] == "top", f"perf.{factor}"]
        gone = c.loc[c["segment"] == "defected", f"perf.{factor}"]
        assert top.mean() - gone.mean() > 0.8
        assert stats.mannwhitneyu(top, gone, alternative="greater").pvalue < 1e-6


def test_hidden_driver_is_ranked_low_but_drives_recommendation(demo: DemoData) -> None:
    c = _individual(demo).query("audience == 'customer'")
    factors = list(fx.CUSTOMER_FACTOR_MEANS)
    x = c[[f"perf.{f}" for f in factors]].to_numpy()
    y = c["ltr"].to_numpy()
    z = (x - x.mean(0)) / x.std(0)
    beta = np.linalg.lstsq(np.column_stack([np.ones(len(y)), z]), y, rcond=None)[0][1:]
    assert factors[int(np.argmax(beta))] == fx.HIDDEN_DRIVER
    stated = c[[f"imp.{f}" for f in factors]].mean()
    assert stated.idxmin() == f"imp.{fx.HIDDEN_DRIVER}"
    ranks = c[[f"rank.{f}" for f in factors]].mean()
    assert ranks.idxmax() == f"rank.{fx.HIDDEN_DRIVER}"  # rank 6 = least important


def test_wave_two_improves_targeted_factors_for_customers(demo: DemoData) -> None:
    c = _individual(demo).query("audience == 'customer'")
    means = c.groupby("wave")[[f"perf.{f}" for f in fx.CUSTOMER_FACTOR_MEANS]].mean()
    change = means.loc["w2"] - means.loc["w1"]
    for factor in fx.WAVE2_IMPROVEMENT:
        assert change[f"perf.{factor}"] > 0.2
    for factor in set(fx.CUSTOMER_FACTOR_MEANS) - set(fx.WAVE2_IMPROVEMENT):
        assert abs(change[f"perf.{factor}"]) < 0.2


def test_leadership_and_staff_expect_a_far_higher_nps(demo: DemoData) -> None:
    f = _individual(demo)
    c = f.query("audience == 'customer'")["ltr"]
    actual = 100 * ((c >= 9).mean() - (c <= 6).mean())
    for audience in ("leadership", "staff"):
        g = f[f["audience"] == audience]
        expected = g["expected_promoters"].mean() - g["expected_detractors"].mean()
        assert expected - actual > 15


def test_leadership_thinks_customers_leave_on_price_defectors_say_problems(
    demo: DemoData,
) -> None:
    f = _individual(demo)
    lead = f[f["audience"] == "leadership"]
    gone = f[f["segment"] == "defected"]
    assert lead["leave.price"].mean() > 0.6 > gone["leave.price"].mean()
    assert gone["leave.unresolved_problems"].mean() > 0.6 > lead["leave.unresolved_problems"].mean()


def test_open_answers_are_varied_paraphrases(demo: DemoData) -> None:
    answers = demo.frame["open.improve"].dropna()
    assert answers.nunique() / len(answers) > 0.5
    assert demo.frame.loc[demo.frame["audience"] != "staff", "open.barriers"].isna().all()
    workshop = demo.frame[demo.frame["source"] == "workshop"]
    assert (workshop["audience"] == "leadership").all()
    assert workshop["open.well"].notna().all()


def test_events_cover_eighteen_months_and_stop_at_defection(demo: DemoData) -> None:
    ev = demo.events
    span = ev["timestamp"].max() - ev["timestamp"].min()
    assert span.days >= 500
    assert ev["source_id"].is_unique
    merged = ev.merge(demo.accounts[["account_id", "defected_at"]], on="account_id")
    assert not (merged["timestamp"] > merged["defected_at"]).any()
    per_account = ev.groupby("account_id").size()
    assert per_account.min() >= 5


def test_scale_multiplies_people_accounts_and_events() -> None:
    one, three = generate_demo(seed=2), generate_demo(seed=2, scale=3)
    assert three.counts()["accounts"] == 3 * one.counts()["accounts"]
    assert three.counts()["leaders"] == 3 * one.counts()["leaders"]
    assert 2.5 < len(three.events) / len(one.events) < 3.5
