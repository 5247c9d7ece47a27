"""The action plan: candidate actions, their priority score, evidence and progress."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from cxgap.analysis.plan.actions import (
    action_progress,
    candidate_actions,
    leadership_customer_gap,
    priority_score,
)
from cxgap.errors import AnalysisError
from cxgap.study import StudyDefinition, default_study
from cxgap.study.model import Wave
from tests.bounded import mover_reference, reference

FACTORS = ["personalisation", "integrity", "expectations", "resolution", "time_effort", "empathy"]
TOUCHPOINTS = ["sales", "implementation", "support", "billing", "account_management", "product"]


@pytest.fixture
def study() -> StudyDefinition:
    s = default_study("acme", organisation="Acme")
    return s.model_copy(update={"waves": [Wave(key="w1", label="W1"), Wave(key="w2", label="W2")]})


def _people(
    rng: np.random.Generator,
    n: int,
    audience: str,
    *,
    perf: dict[str, float],
    wave: str = "w1",
    team: str | None = None,
    prefix: str = "r",
) -> pd.DataFrame:
    rows: dict[str, object] = {
        "respondent_id": [f"{prefix}{i}" for i in range(n)],
        "audience": audience,
        "segment": "other" if audience == "customer" else None,
        "team": team,
        "wave": wave,
        "source": "individual",
    }
    for key in FACTORS + TOUCHPOINTS:
        col = f"perf.{key}" if key in FACTORS else f"tp.{key}"
        rows[col] = np.clip(np.round(rng.normal(perf.get(key, 3.8), 0.7, n)), 1, 5)
    for f in FACTORS:
        rows[f"imp.{f}"] = np.clip(
            np.round(rng.normal(4.5 if f == "resolution" else 3.5, 0.6, n)), 1, 5
        )
    return pd.DataFrame(rows)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    customers = _people(
        rng, 80, "customer", perf={"resolution": 2.3, "support": 2.5, "time_effort": 3.0}
    )
    customers["ltr"] = np.clip(np.round(rng.normal(6, 2, 80)), 0, 10)
    customers["open.improve"] = ["Fix issues faster, tickets sit for weeks"] * 3 + [None] * 77
    leaders = _people(rng, 8, "leadership", perf={"resolution": 4.4, "support": 4.5}, prefix="l")
    support = _people(rng, 6, "staff", perf={}, team="support", prefix="s")
    support["open.barriers"] = [
        "No root cause analysis on recurring issues",
        "Escalation path unclear",
        None,
        "Too many tickets per person",
        "We never hear back from product on a bug",
        None,
    ]
    levers = [None, None, "Better tooling", None, None, "Own the problem end to end"]
    support["open.levers"] = levers
    billing = _people(rng, 3, "staff", perf={}, team="billing", prefix="b")
    billing["open.barriers"] = ["Billing errors are a problem nobody fixes"] * 3
    sales = _people(rng, 5, "staff", perf={}, team="sales", prefix="x")
    sales["open.barriers"] = ["Customers wait for an issue to be resolved"] + [None] * 4
    return pd.concat([customers, leaders, support, billing, sales], ignore_index=True)


def test_priority_score_follows_its_documented_formula() -> None:
    assert priority_score(0.8, 0.5, 0.25) == pytest.approx(100 * 0.8 * 0.5 * 1.25 / 2)
    assert priority_score(1.2, -0.1, 2.0) == 0.0
    assert priority_score(1.0, 1.0, 1.0) == 100.0


def test_every_action_scores_importance_times_shortfall_times_blind_spot(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    plan = candidate_actions(study, frame)
    assert len(plan.actions) == 36
    assert (plan.n_customers, plan.n_leadership, plan.n_staff) == (80, 8, 14)
    cust = frame[frame["audience"] == "customer"]
    lead = frame[frame["audience"] == "leadership"]
    for a in plan.actions:
        f, t = f"perf.{a.factor}", f"tp.{a.touchpoint}"
        i = (cust[f"imp.{a.factor}"].mean() - 1) / 4
        s = ((5 - cust[f].mean()) / 4 + (5 - cust[t].mean()) / 4) / 2
        g = max(0.0, (lead[[f, t]].mean(axis=1).mean() - cust[[f, t]].mean(axis=1).mean()) / 4)
        assert a.importance_score == pytest.approx(i)
        assert a.shortfall == pytest.approx(s)
        assert a.blind_spot == pytest.approx(g)
        assert a.priority == pytest.approx(100 * i * s * (1 + g) / 2)
    assert plan.actions[0].key == "resolution.support"
    assert plan.actions[0].title == "Resolution at Support"
    assert [a.rank for a in plan.actions] == list(range(1, 37))
    prios = [a.priority for a in plan.actions]
    assert prios == sorted(prios, reverse=True)  # type: ignore[type-var]


def test_leadership_customer_gap_is_welchs_test_with_a_bounded_interval(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    plan = candidate_actions(study, frame)
    gap = plan.actions[0].evidence.gap
    items = ["perf.resolution", "tp.support"]
    lead = frame[frame["audience"] == "leadership"][items].mean(axis=1)
    cust = frame[frame["audience"] == "customer"][items].mean(axis=1)
    # Reference: SciPy's Welch t test on the per-respondent composite; the
    # interval, on the items' 1-5 scale, MOVER over statsmodels' Wilson
    # intervals at the effective n (tests/bounded.py).
    ref = stats.ttest_ind(lead, cust, equal_var=False)
    low, high = mover_reference(lead, cust, 1, 5)
    assert gap.items == items
    assert gap.difference == pytest.approx(lead.mean() - cust.mean())
    assert (gap.ci_low, gap.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert gap.ci_method == "mover-wilson-effective-n"
    assert gap.leadership.ci_low == pytest.approx(reference(lead, 1, 5)[0])
    assert gap.p_value == pytest.approx(ref.pvalue)
    assert (gap.leadership.n, gap.customers.n) == (8, 80)


def test_staff_quotes_mention_the_factor_and_respect_anonymity(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    plan = candidate_actions(study, frame)
    assert [s.team for s in plan.suppressed_teams] == ["billing"]
    assert "fewer than 5 respondents" in plan.suppressed_teams[0].reason
    by = {a.key: a for a in plan.actions}
    support = by["resolution.support"].evidence.staff_quotes
    assert len(support) == 3
    assert all(q.team == "support" for q in support)
    lexicon = next(f.lexicon for f in study.factors if f.key == "resolution")
    assert all(any(w in q.text.lower() for w in lexicon) for q in support)
    for a in plan.actions:
        for q in a.evidence.staff_quotes:
            assert q.team != "billing"
            assert "Billing errors" not in q.text
    # At sales, the sales team's own quote comes first.
    assert by["resolution.sales"].evidence.staff_quotes[0].team == "sales"
    # Empathy's lexicon matches nothing staff wrote.
    assert by["empathy.support"].evidence.staff_quotes == []
    cq = by["time_effort.support"].evidence.customer_quotes
    assert len(cq) == 3
    assert cq[0].text.startswith("Fix issues faster")
    assert cq[0].audience == "customer"


def test_derived_importance_scores_the_strongest_driver_one(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    cust = frame["audience"] == "customer"
    frame.loc[cust, "ltr"] = np.clip(2 * frame.loc[cust, "perf.empathy"], 0, 10)
    plan = candidate_actions(study, frame, importance="derived")
    empathy = [a for a in plan.actions if a.factor == "empathy"]
    assert all(a.importance_score == pytest.approx(1.0) for a in empathy)
    others = [a.importance_score or 0 for a in plan.actions if a.factor != "empathy"]
    assert max(others) < 0.1


def test_missing_leadership_and_importance_are_noted(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    no_lead = frame[frame["audience"] != "leadership"].drop(columns=["imp.integrity"])
    plan = candidate_actions(study, no_lead)
    assert any("no leadership answers" in n for n in plan.notes)
    assert any("no stated importance for integrity" in n for n in plan.notes)
    assert all(a.blind_spot == 0.0 for a in plan.actions)
    integrity = [a for a in plan.actions if a.factor == "integrity"]
    assert all(a.priority is None and a.rank is None for a in integrity)
    assert plan.actions[-1].factor == "integrity"


def _two_waves(
    study: StudyDefinition, lead: tuple[float, float], cust: tuple[float, float], n: int = 60
) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    parts = []
    for wave, lm, cm in (("w1", lead[0], cust[0]), ("w2", lead[1], cust[1])):
        perf = {"resolution": lm, "support": lm}
        parts.append(_people(rng, 12, "leadership", perf=perf, wave=wave, prefix=f"l{wave}"))
        perf = {"resolution": cm, "support": cm}
        parts.append(_people(rng, n, "customer", perf=perf, wave=wave, prefix=f"c{wave}"))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize(
    ("lead", "cust", "status"),
    [
        ((4.5, 4.5), (2.5, 4.4), "closed"),
        ((4.5, 4.5), (2.0, 3.3), "narrowed"),
        ((4.5, 4.6), (3.3, 2.0), "widened"),
        ((4.5, 4.5), (2.5, 2.6), "unchanged"),
        ((3.0, 4.5), (3.1, 2.0), "no gap at baseline"),
    ],
)
def test_action_progress_reports_whether_the_gap_closed(
    study: StudyDefinition, lead: tuple[float, float], cust: tuple[float, float], status: str
) -> None:
    frame = _two_waves(study, lead, cust)
    prog = action_progress(study, frame, "resolution", "support", "w1", "w2")
    assert prog.status == status
    assert prog.explanation


def test_gap_change_interval_is_mover_of_the_two_waves_gaps(
    study: StudyDefinition,
) -> None:
    frame = _two_waves(study, (4.5, 4.5), (2.0, 3.3))
    prog = action_progress(study, frame, "resolution", "support", "w1", "w2")
    items = ["perf.resolution", "tp.support"]

    def gap(wave: str) -> tuple[float, float, float]:
        rows = frame[frame["wave"] == wave]
        lead = rows[rows["audience"] == "leadership"][items].mean(axis=1)
        cust = rows[rows["audience"] == "customer"][items].mean(axis=1)
        return (lead.mean() - cust.mean(), *mover_reference(lead, cust, 1, 5))

    (d1, l1, u1), (d2, l2, u2) = gap("w1"), gap("w2")
    # Zou & Donner (2008): MOVER for the difference of two independent estimates.
    assert prog.gap_change == pytest.approx(d2 - d1)
    assert prog.gap_change_ci_low == pytest.approx(d2 - d1 - math.hypot(d2 - l2, u1 - d1))
    assert prog.gap_change_ci_high == pytest.approx(d2 - d1 + math.hypot(u2 - d2, d1 - l1))
    assert -8 <= prog.gap_change_ci_low < prog.gap_change_ci_high <= 8  # type: ignore[operator]
    assert (prog.customer_change.difference or 0) > 0.8
    assert prog.customer_change.ci_method == "mover-wilson-effective-n"


def test_gap_change_without_a_stated_scale_is_the_normal_interval_of_a_difference(
    study: StudyDefinition,
) -> None:
    unscaled = study.model_copy(
        update={
            "questions": [
                q.model_copy(update={"scale_min": None, "scale_max": None})
                if q.key in ("perf.resolution", "tp.support")
                else q
                for q in study.questions
            ]
        }
    )
    frame = _two_waves(study, (4.5, 4.5), (2.0, 3.3))
    prog = action_progress(unscaled, frame, "resolution", "support", "w1", "w2")
    items = ["perf.resolution", "tp.support"]

    def gap_and_se(wave: str) -> tuple[float, float]:
        rows = frame[frame["wave"] == wave]
        lead = rows[rows["audience"] == "leadership"][items].mean(axis=1)
        cust = rows[rows["audience"] == "customer"][items].mean(axis=1)
        se2 = lead.var() / len(lead) + cust.var() / len(cust)
        return lead.mean() - cust.mean(), se2

    (d1, v1), (d2, v2) = gap_and_se("w1"), gap_and_se("w2")
    # Altman & Bland (2003): difference of two independent estimates.
    half = 1.959964 * math.sqrt(v1 + v2)
    assert prog.gap_change_ci_low == pytest.approx(d2 - d1 - half, rel=1e-5)
    assert prog.gap_change_ci_high == pytest.approx(d2 - d1 + half, rel=1e-5)
    assert prog.baseline.ci_method == "welch"


def test_action_progress_with_too_few_leaders_is_insufficient_data(
    study: StudyDefinition,
) -> None:
    frame = _two_waves(study, (4.5, 4.5), (2.5, 4.4))
    drop = (frame["audience"] == "leadership") & (frame["wave"] == "w2")
    keep = frame[~drop | (frame["respondent_id"] == "lw20")]
    prog = action_progress(study, keep, "resolution", "support", "w1", "w2")
    assert prog.status == "insufficient data"
    assert prog.gap_change_ci_low is None


def test_action_progress_rejects_unknown_keys_and_waves(study: StudyDefinition) -> None:
    frame = _two_waves(study, (4.5, 4.5), (2.5, 4.4))
    with pytest.raises(AnalysisError, match="unknown factor 'speed'"):
        action_progress(study, frame, "speed", "support", "w1", "w2")
    with pytest.raises(AnalysisError, match="unknown touchpoint 'desk'"):
        action_progress(study, frame, "resolution", "desk", "w1", "w2")
    with pytest.raises(AnalysisError, match="must differ"):
        action_progress(study, frame, "resolution", "support", "w1", "w1")
    with pytest.raises(AnalysisError, match="no answers in wave 'w2'"):
        action_progress(study, frame[frame["wave"] == "w1"], "resolution", None, "w1", "w2")


def test_leadership_customer_gap_needs_every_item_answered() -> None:
    lead = pd.DataFrame({"a": [4.0, 5.0, np.nan], "b": [4.0, 5.0, 3.0]})
    cust = pd.DataFrame({"a": [2.0, 3.0], "b": [2.0, np.nan]})
    gap = leadership_customer_gap(lead, cust, ["a", "b"])
    assert (gap.leadership.n, gap.customers.n) == (2, 1)
    assert gap.difference == pytest.approx(4.5 - 2.0)
    assert gap.ci_low is None


@given(
    i=st.floats(-1, 2),
    s=st.floats(-1, 2),
    g=st.floats(-1, 2),
    bump=st.floats(0, 1),
)
def test_priority_score_is_bounded_and_grows_with_each_component(
    i: float, s: float, g: float, bump: float
) -> None:
    score = priority_score(i, s, g)
    assert 0.0 <= score <= 100.0
    assert priority_score(i + bump, s, g) >= score - 1e-9
    assert priority_score(i, s + bump, g) >= score - 1e-9
    assert priority_score(i, s, g + bump) >= score - 1e-9


def test_candidate_action_quotes_mask_names_and_emails() -> None:
    from cxgap.analysis.plan.actions import candidate_actions
    from cxgap.demo import generate_demo

    demo = generate_demo(seed=7)
    plan = candidate_actions(demo.study, demo.frame, "w2")
    quotes = [
        q.text
        for a in plan.actions
        for q in (*a.evidence.staff_quotes, *a.evidence.customer_quotes)
    ]
    assert quotes
    assert not any("@" in q and "." in q.split("@")[-1] for q in quotes)
    assert not any("Sarah Jones" in q for q in quotes)
