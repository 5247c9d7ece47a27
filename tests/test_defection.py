"""Defection risks: what separates defected (and at-risk) from top customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from cxgap.analysis.drivers.defection import analyze_defection_risks, hedges_g_interval
from cxgap.errors import AnalysisError
from cxgap.study import StudyDefinition, default_study
from tests.bounded import mover_reference, reference

FACTORS = ["personalisation", "integrity", "expectations", "resolution", "time_effort", "empathy"]
TOUCHPOINTS = ["sales", "implementation", "support", "billing", "account_management", "product"]
REASONS = [
    "unresolved_problems",
    "slow_response",
    "broken_promises",
    "not_understood",
    "missed_expectations",
    "uncaring_staff",
    "price",
    "competitor_offer",
]


@pytest.fixture
def study() -> StudyDefinition:
    return default_study("acme", organisation="Acme")


def _group(
    rng: np.random.Generator,
    n: int,
    segment: str,
    *,
    low: dict[str, float],
    reasons: dict[str, float],
    ltr: float,
    prefix: str,
) -> pd.DataFrame:
    rows: dict[str, object] = {
        "respondent_id": [f"{prefix}{i}" for i in range(n)],
        "audience": "customer",
        "segment": segment,
        "team": None,
        "account_id": [f"{prefix}-acct{i}" for i in range(n)],
        "wave": "w1",
        "source": "individual",
    }
    for f in FACTORS:
        rows[f"perf.{f}"] = np.clip(np.round(rng.normal(low.get(f, 4.0), 0.8, n)), 1, 5)
    for t in TOUCHPOINTS:
        rows[f"tp.{t}"] = np.clip(np.round(rng.normal(low.get(t, 4.0), 0.8, n)), 1, 5)
    for r in REASONS:
        rows[f"leave.{r}"] = (rng.random(n) < reasons.get(r, 0.2)).astype(float)
    rows["ltr"] = np.clip(np.round(rng.normal(ltr, 1.0, n)), 0, 10)
    rows["excellent"] = np.clip(np.round(rng.normal(ltr / 2.5, 0.8, n)), 1, 5)
    return pd.DataFrame(rows)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    defected = _group(
        rng,
        40,
        "defected",
        low={"resolution": 2.2, "time_effort": 2.5, "support": 2.3},
        reasons={"unresolved_problems": 0.7, "slow_response": 0.55},
        ltr=3.5,
        prefix="d",
    )
    top = _group(rng, 60, "top", low={}, reasons={}, ltr=8.8, prefix="t")
    # Current customers at risk: detractors with the defected pattern.
    others = _group(
        rng,
        30,
        "other",
        low={"resolution": 2.4, "support": 2.6},
        reasons={"unresolved_problems": 0.6},
        ltr=4.0,
        prefix="o",
    )
    happy = _group(rng, 30, "new", low={}, reasons={}, ltr=9.0, prefix="n")
    staff = _group(rng, 10, "top", low={}, reasons={}, ltr=9.0, prefix="s").assign(
        audience="staff", segment=None
    )
    return pd.concat([defected, top, others, happy, staff], ignore_index=True)


def test_hedges_g_interval_matches_borenstein_worked_example() -> None:
    # Borenstein, Hedges, Higgins & Rothstein (2009), Introduction to
    # Meta-Analysis, ch. 4: n1 = n2 = 50, d = 0.5970, J = 0.9923, g = 0.5924,
    # V_g = 0.0411, SE_g = 0.2028, so g ± 1.96 SE_g = (0.1950, 0.9898).
    low, high = hedges_g_interval(0.5924, 50, 50) or (0.0, 0.0)
    assert (high - low) / (2 * 1.959964) == pytest.approx(0.2028, abs=5e-4)
    assert low == pytest.approx(0.1950, abs=1e-3)
    assert high == pytest.approx(0.9898, abs=1e-3)
    assert hedges_g_interval(0.5, 1, 10) is None


def test_ratings_separate_defected_from_top_with_welch_and_hedges_g(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    risks = analyze_defection_risks(study, frame)
    prof = risks.defected
    assert (prof.n, prof.n_top) == (40, 60)
    by = {r.key: r for r in prof.factors}
    d = frame[frame["segment"] == "defected"]["perf.resolution"]
    t = frame[(frame["segment"] == "top") & (frame["audience"] == "customer")]["perf.resolution"]
    # Reference: SciPy's Welch t test; the interval, on the item's 1-5
    # scale, is MOVER (Zou & Donner 2008) over each group's Wilson interval
    # at the Korn-Graubard effective n, computed here with statsmodels.
    ref = stats.ttest_ind(d, t, equal_var=False)
    r = by["resolution"]
    assert r.difference == pytest.approx(d.mean() - t.mean())
    low, high = mover_reference(d, t, 1, 5)
    assert (r.ci_low, r.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert r.ci_method == "mover-wilson-effective-n"
    assert -4 <= r.ci_low < r.ci_high <= 4  # type: ignore[operator]
    assert r.group.ci_low == pytest.approx(reference(d, 1, 5)[0])
    assert r.p_value == pytest.approx(ref.pvalue)
    # Hedges' g with the usual approximate correction 1 - 3/(4 df - 1).
    df = len(d) + len(t) - 2
    sp = np.sqrt(((len(d) - 1) * d.var() + (len(t) - 1) * t.var()) / df)
    g = (1 - 3 / (4 * df - 1)) * (d.mean() - t.mean()) / sp
    assert r.hedges_g == pytest.approx(g, rel=1e-3)
    assert r.g_ci_low is not None
    assert r.g_ci_high is not None
    assert r.g_ci_low < r.hedges_g < r.g_ci_high  # type: ignore[operator]
    assert r.separates
    # Largest negative effect first.
    assert [f.key for f in prof.factors[:2]] == ["resolution", "time_effort"]
    assert prof.touchpoints[0].key == "support"
    gs = [f.hedges_g for f in prof.factors]
    assert gs == sorted(gs)  # type: ignore[type-var]
    ltr = next(o for o in prof.overall if o.key == "ltr")
    assert ltr.separates
    assert (ltr.difference or 0) < -4


def test_reasons_use_newcombe_intervals_and_fisher_exact(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    risks = analyze_defection_risks(study, frame)
    first = risks.defected.reasons[0]
    assert first.reason == "unresolved_problems"
    assert first.factor == "resolution"
    # Reference: statsmodels' Newcombe hybrid score interval.
    low, high = confint_proportions_2indep(
        first.group_count, first.group_n, first.top_count, first.top_n, method="newcomb"
    )
    assert first.ci_low == pytest.approx(low)
    assert first.ci_high == pytest.approx(high)
    assert first.group_share == pytest.approx(first.group_count / 40)
    assert first.separates
    diffs = [r.difference for r in risks.defected.reasons]
    assert diffs == sorted(diffs, reverse=True)  # type: ignore[type-var]


def test_fisher_p_value_matches_hand_computation(study: StudyDefinition) -> None:
    # 3 of 4 defected vs 1 of 4 top name "price": two-sided Fisher p =
    # (16 + 1 + 1 + 16) / C(8, 4) = 34/70 (hypergeometric tables at least as
    # extreme).
    frame = pd.DataFrame(
        {
            "audience": "customer",
            "wave": "w1",
            "segment": ["defected"] * 4 + ["top"] * 4,
            "leave.price": [1.0, 1, 1, 0, 1, 0, 0, 0],
        }
    )
    risks = analyze_defection_risks(study, frame)
    price = next(r for r in risks.defected.reasons if r.reason == "price")
    assert price.p_value == pytest.approx(34 / 70)
    assert price.difference == pytest.approx(0.5)
    assert not price.separates


def test_at_risk_detractors_share_the_defected_pattern(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    risks = analyze_defection_risks(study, frame)
    assert risks.at_risk is not None
    assert risks.at_risk.basis.startswith("current customers who are detractors")
    current = frame[(frame["audience"] == "customer") & (frame["segment"] != "defected")]
    assert risks.at_risk.n == int((current["ltr"] <= 6).sum())
    assert "perf.resolution" in risks.shared
    assert "tp.support" in risks.shared
    assert "leave.unresolved_problems" in risks.shared
    # Time and effort separates defected customers only.
    assert "perf.time_effort" not in risks.shared


def test_at_risk_accounts_can_be_given(study: StudyDefinition, frame: pd.DataFrame) -> None:
    accounts = [f"o-acct{i}" for i in range(10)]
    risks = analyze_defection_risks(study, frame, at_risk_accounts=accounts)
    assert risks.at_risk is not None
    assert risks.at_risk.n == 10
    assert risks.at_risk.basis == "10 account(s) given as at risk"
    none = analyze_defection_risks(study, frame, at_risk_accounts=["nobody"])
    assert none.at_risk is None
    assert none.at_risk_note is not None
    assert "has 0 and 60" in none.at_risk_note
    assert none.shared == []


def test_too_few_defected_customers_is_an_error(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    keep = frame[(frame["segment"] != "defected") | (frame["respondent_id"] == "d0")]
    with pytest.raises(AnalysisError, match="it has 1 defected and 60 top"):
        analyze_defection_risks(study, keep)


def test_items_nobody_answered_have_no_estimates(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    risks = analyze_defection_risks(study, frame.drop(columns=["tp.billing"]))
    billing = next(t for t in risks.defected.touchpoints if t.key == "billing")
    assert billing.group.n == 0
    assert billing.difference is None
    assert billing.hedges_g is None
    assert not billing.separates
    assert risks.defected.touchpoints[-1].key == "billing"
