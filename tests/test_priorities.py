"""Priorities: stated vs derived importance and the importance–performance map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxgap.analysis.drivers.keydrivers import key_drivers
from cxgap.analysis.drivers.priorities import analyze_drivers, analyze_priorities, quadrant
from cxgap.errors import AnalysisError
from cxgap.study import StudyDefinition, default_study
from cxgap.study.model import Wave

FACTORS = ["personalisation", "integrity", "expectations", "resolution", "time_effort", "empathy"]
# Customers' mean performance and stated importance per factor (1-5).
PERF = dict(zip(FACTORS, [3.8, 4.2, 3.0, 2.4, 2.8, 4.0], strict=True))
IMP = dict(zip(FACTORS, [3.2, 4.6, 3.6, 4.5, 3.0, 3.1], strict=True))
# What actually moves likelihood to recommend: time and effort most, then
# resolution; integrity (stated as most important) not at all.
EFFECT = dict(zip(FACTORS, [0.1, 0.0, 0.2, 1.0, 1.4, 0.1], strict=True))


@pytest.fixture
def study() -> StudyDefinition:
    s = default_study("acme", organisation="Acme")
    return s.model_copy(update={"waves": [Wave(key="w1", label="W1"), Wave(key="w2", label="W2")]})


def _ratings(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    return np.clip(np.round(rng.normal(mean, 0.9, n)), 1, 5)


def customers(n: int, seed: int = 0, wave: str = "w1") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: dict[str, object] = {
        "respondent_id": [f"c{seed}-{i}" for i in range(n)],
        "audience": "customer",
        "segment": "other",
        "team": None,
        "wave": wave,
        "source": "individual",
    }
    ltr = np.full(n, 1.0)
    for f in FACTORS:
        perf = _ratings(rng, PERF[f], n)
        rows[f"perf.{f}"] = perf
        rows[f"imp.{f}"] = _ratings(rng, IMP[f], n)
        ltr = ltr + EFFECT[f] * (perf - 3)
    rows["ltr"] = np.clip(np.round(ltr + 5 + rng.normal(0, 1.2, n)), 0, 10)
    return pd.DataFrame(rows)


def test_quadrants_follow_martilla_james_at_the_factor_means(study: StudyDefinition) -> None:
    frame = customers(400)
    res = analyze_priorities(study, frame, bootstrap=0)
    # Independent computation with pandas: means, then the four quadrants.
    perf = {f: frame[f"perf.{f}"].mean() for f in FACTORS}
    imp = {f: frame[f"imp.{f}"].mean() for f in FACTORS}
    i_cut, p_cut = np.mean(list(imp.values())), np.mean(list(perf.values()))
    assert res.importance_cut == pytest.approx(i_cut)
    assert res.performance_cut == pytest.approx(p_cut)
    names = {
        (True, False): "Concentrate here",
        (True, True): "Keep up the good work",
        (False, False): "Low priority",
        (False, True): "Possible overkill",
    }
    for row in res.factors:
        f = row.factor
        assert row.performance.mean == pytest.approx(perf[f])
        assert row.performance.n == 400
        assert row.importance == pytest.approx(imp[f])
        assert row.quadrant == names[(imp[f] >= i_cut, perf[f] >= p_cut)]
    by = {r.factor: r for r in res.factors}
    assert by["resolution"].quadrant == "Concentrate here"
    assert by["integrity"].quadrant == "Keep up the good work"
    assert by["time_effort"].quadrant == "Low priority"
    assert by["empathy"].quadrant == "Possible overkill"


def test_quadrants_at_scale_midpoints_cut_at_three(study: StudyDefinition) -> None:
    res = analyze_priorities(study, customers(300), bootstrap=0, quadrant_at="midpoints")
    assert (res.importance_cut, res.performance_cut) == (3.0, 3.0)
    by = {r.factor: r for r in res.factors}
    # Personalisation: importance ~3.2 >= 3, performance ~3.8 >= 3.
    assert by["personalisation"].quadrant == "Keep up the good work"
    assert by["resolution"].quadrant == "Concentrate here"


def test_stated_gap_is_the_paired_mean_difference_with_its_bounded_interval(
    study: StudyDefinition,
) -> None:
    from statsmodels.stats.proportion import proportion_confint

    frame = customers(250, seed=3)
    frame.loc[frame.index[:20], "imp.resolution"] = np.nan
    res = analyze_priorities(study, frame, bootstrap=0)
    row = next(r for r in res.factors if r.factor == "resolution")
    both = frame[["imp.resolution", "perf.resolution"]].dropna()
    d = (both["imp.resolution"] - both["perf.resolution"]).to_numpy()
    # Reference: Wilson (statsmodels) at the Korn-Graubard effective n of the
    # gap rescaled from its range -4..4 (1-5 importance minus 1-5 performance).
    y = (d + 4) / 8
    n, p, s2 = len(y), y.mean(), y.var(ddof=1)
    z = stats.norm.ppf(0.975)
    n_eff = n * p * (1 - p) / s2 * (z / stats.t.ppf(0.975, n - 1)) ** 2
    lo, hi = proportion_confint(p * n_eff, n_eff, method="wilson")
    assert row.gap_n == 230
    assert row.gap == pytest.approx(d.mean())
    assert row.gap_ci_low == pytest.approx(8 * lo - 4)
    assert row.gap_ci_high == pytest.approx(8 * hi - 4)
    # at n = 230 it is close to SciPy's paired t interval
    ci = stats.ttest_rel(both["imp.resolution"], both["perf.resolution"]).confidence_interval()
    assert row.gap_ci_low == pytest.approx(ci.low, abs=0.02)
    assert row.gap_ci_high == pytest.approx(ci.high, abs=0.02)
    assert [r.gap_rank for r in res.factors] == list(range(1, 7))
    gaps = [r.gap for r in res.factors]
    assert gaps == sorted(gaps, reverse=True)  # type: ignore[type-var]
    assert res.factors[0].factor == "resolution"


def test_hidden_drivers_and_overrated_factors_are_named(study: StudyDefinition) -> None:
    frame = customers(600, seed=1)
    res = analyze_priorities(study, frame, bootstrap=200)
    assert res.stated_vs_derived is not None
    verdicts = {s.factor: s.verdict for s in res.stated_vs_derived}
    # Time and effort drives recommendation but customers rate it least important.
    assert verdicts["time_effort"] == "hidden driver"
    # Integrity is stated most important and drives nothing.
    assert verdicts["integrity"] == "overrated"
    assert verdicts["resolution"] == "consistent"
    top = next(s for s in res.stated_vs_derived if s.derived_rank == 1)
    assert top.factor == "time_effort"
    assert top.derived_ci_low is not None
    assert top.derived_ci_low > 0


def test_derived_importance_is_the_lmg_of_ltr_on_customer_performance(
    study: StudyDefinition,
) -> None:
    frame = customers(300, seed=2)
    staff = customers(40, seed=9).assign(audience="staff", team="support", ltr=np.nan)
    res = analyze_priorities(study, pd.concat([frame, staff]), importance="derived", bootstrap=0)
    cols = [f"perf.{f}" for f in FACTORS]
    ref = key_drivers(frame[[*cols, "ltr"]], "ltr", cols, bootstrap=0)
    assert res.derived is not None
    assert res.derived.n == 300
    for row in res.factors:
        d = next(d for d in ref.drivers if d.factor == f"perf.{row.factor}")
        assert row.importance == pytest.approx(d.importance / ref.r2)
        assert row.importance_n == 300
    assert sum(r.importance or 0 for r in res.factors) == pytest.approx(1.0)
    assert res.importance_cut == pytest.approx(1 / 6)
    # Standardised importance minus standardised performance: they sum to zero.
    assert sum(r.gap or 0 for r in res.factors) == pytest.approx(0.0, abs=1e-9)


def test_latest_wave_is_the_default_and_other_audiences_are_ignored(
    study: StudyDefinition,
) -> None:
    w1 = customers(100, seed=4, wave="w1")
    w2 = customers(120, seed=5, wave="w2")
    leaders = customers(30, seed=6, wave="w2").assign(audience="leadership", ltr=np.nan)
    workshop = customers(5, seed=7, wave="w2").assign(source="workshop")
    frame = pd.concat([w1, w2, leaders, workshop], ignore_index=True)
    res = analyze_priorities(study, frame, bootstrap=0)
    assert (res.wave, res.n_customers) == ("w2", 120)
    first = analyze_priorities(study, frame, wave="w1", bootstrap=0)
    assert (first.wave, first.n_customers) == ("w1", 100)
    with pytest.raises(AnalysisError, match="wave 'w9' is not in study 'acme'"):
        analyze_priorities(study, frame, wave="w9")


def test_too_few_customers_for_derived_importance(study: StudyDefinition) -> None:
    frame = customers(6, seed=8)
    res = analyze_priorities(study, frame, bootstrap=0)
    assert res.stated_vs_derived is None
    assert res.derived_note is not None
    assert "too few complete rows" in res.derived_note
    with pytest.raises(AnalysisError, match="derived importance is not available: too few"):
        analyze_priorities(study, frame, importance="derived")


def test_missing_importance_answers_and_missing_customers_are_errors(
    study: StudyDefinition,
) -> None:
    frame = customers(50).drop(columns=[f"imp.{f}" for f in FACTORS])
    with pytest.raises(AnalysisError, match=r"no customer importance ratings \(imp\.\*\)"):
        analyze_priorities(study, frame, bootstrap=0)
    staff_only = customers(50).assign(audience="staff")
    with pytest.raises(AnalysisError, match="no customer answers in wave 'w1'"):
        analyze_priorities(study, staff_only)
    with pytest.raises(AnalysisError, match="importance must be"):
        analyze_priorities(study, customers(50), importance="felt")  # type: ignore[arg-type]


def test_quadrant_boundaries_count_as_high() -> None:
    assert quadrant(4.0, 3.0, 4.0, 3.0) == "Keep up the good work"
    assert quadrant(3.9, 2.9, 4.0, 3.0) == "Low priority"


def test_study_drivers_of_staying_use_segment_as_a_zero_one_outcome(
    study: StudyDefinition,
) -> None:
    frame = customers(300, seed=12)
    # Customers who rate resolution low are the ones who left.
    frame["segment"] = np.where(frame["perf.resolution"] <= 2, "defected", "top")
    res = analyze_drivers(study, frame, outcome="stay", bootstrap=0)
    cols = [f"perf.{f}" for f in FACTORS]
    stay = (frame["segment"] != "defected").astype(float)
    # Reference: the same decomposition on an explicit 0/1 column.
    ref = key_drivers(frame[cols].assign(stay=stay), "stay", cols, bootstrap=0)
    assert res == ref
    assert res.drivers[0].factor == "perf.resolution"
    frame["excellent"] = np.clip(frame["perf.empathy"] + frame["perf.integrity"] - 3, 1, 5)
    rw = analyze_drivers(study, frame, outcome="excellent", method="relative-weights", bootstrap=0)
    assert {rw.drivers[0].factor, rw.drivers[1].factor} == {"perf.empathy", "perf.integrity"}
    assert rw.method == "relative-weights"
    assert rw.outcome == "excellent"
    with pytest.raises(AnalysisError, match="outcome must be ltr, excellent or stay"):
        analyze_drivers(study, frame, outcome="nps")  # type: ignore[arg-type]
