"""The whole perception analysis on the demo company: the planted effects
(cxgap.demo.effects) are recovered, small groups are withheld, the JSON
schema in docs/ is the one the code produces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cxgap.analysis.perception.assembly import PerceptionAnalysis, analyze_perception
from cxgap.analysis.perception.excellent import AudienceDifference, AudienceShare
from cxgap.analysis.perception.gaps import GapComparison, SuppressedCell
from cxgap.analysis.perception.importance import AudienceImportance, GroupShare
from cxgap.analysis.perception.nps import NpsPrediction
from cxgap.analysis.perception.waves import GapChange
from cxgap.demo import DemoData, effects, generate_demo
from cxgap.demo.truth import planted_truth
from cxgap.errors import AnalysisError
from cxgap.study import StudyDefinition, default_study

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "analysis.schema.json"


@pytest.fixture(scope="module")
def demo_data() -> DemoData:
    return generate_demo(seed=7)


@pytest.fixture(scope="module")
def demo(demo_data: DemoData) -> tuple[StudyDefinition, pd.DataFrame]:
    """The demo study and its wide frame (both waves, workshop sheets included)."""
    return demo_data.study, demo_data.frame


@pytest.fixture(scope="module")
def truth(demo_data: DemoData) -> dict[str, Any]:
    return planted_truth(demo_data)


@pytest.fixture(scope="module")
def result(demo: tuple[StudyDefinition, pd.DataFrame]) -> PerceptionAnalysis:
    study, frame = demo
    return analyze_perception(study, frame)


def test_latest_wave_is_the_default(
    demo: tuple[StudyDefinition, pd.DataFrame], result: PerceptionAnalysis
) -> None:
    assert result.wave == "w2"
    assert result.study == demo[0].slug
    assert result.respondents["leadership"] > 0


def test_beliefs_are_blind_accurate_or_critical_item_by_item(
    result: PerceptionAnalysis, truth: dict[str, Any]
) -> None:
    # not one uplift for every item (cxgap.demo.effects.BELIEF_BIAS)
    planted = truth["gaps"][result.wave]
    for audience in ("leadership", "staff"):
        for factor in effects.CUSTOMER_FACTOR_MEANS:
            item = f"perf.{factor}"
            c = result.gaps.comparison(item, audience, "customer")
            t = planted[f"{audience}-customer"][item]
            assert isinstance(c, GapComparison)
            assert c.ci_low is not None and c.ci_high is not None
            assert c.p_welch_holm is not None
            if t["kind"] == "blind":
                assert c.ci_low > 0 and c.p_welch_holm < 0.05, (audience, item)
            elif t["kind"] == "accurate":
                assert c.p_welch_holm > 0.05, (audience, item)
            elif t["kind"] == "more critical":
                assert c.difference is not None and c.difference < 0, (audience, item)
    staff = result.gaps.comparison("perf.integrity", "staff", "customer")
    assert isinstance(staff, GapComparison)
    assert staff.ci_high is not None and staff.ci_high < 0  # staff see the backstage


def test_excellent_headline_recovers_the_planted_shares(
    result: PerceptionAnalysis, truth: dict[str, Any]
) -> None:
    lead, _staff, cust = result.excellent.shares
    assert isinstance(lead, AudienceShare)
    assert isinstance(cust, AudienceShare)
    assert lead.estimate.ci_low is not None
    assert lead.estimate.ci_high is not None
    planted = truth["excellent_top_box"][result.wave]
    assert lead.estimate.ci_low <= planted["leadership"] <= lead.estimate.ci_high
    assert cust.estimate.share is not None
    assert cust.estimate.share < 0.2
    diff = result.excellent.differences[0]
    assert isinstance(diff, AudienceDifference)
    assert diff.difference.ci_low is not None
    assert diff.difference.ci_low > 0.3
    assert result.excellent.headline.endswith("of customers do.")


def test_leadership_and_staff_expect_a_far_higher_nps(result: PerceptionAnalysis) -> None:
    assert result.nps.customers.method == "wilson-effective-n"
    for p in result.nps.predicted:
        assert isinstance(p, NpsPrediction)
        assert p.ci_low is not None
        assert p.ci_low > 0
    lead, staff = result.nps.predicted
    assert isinstance(lead, NpsPrediction)
    assert isinstance(staff, NpsPrediction)
    assert lead.expected.nps is not None
    assert staff.expected.nps is not None
    assert lead.expected.nps > staff.expected.nps


def test_defected_customers_rate_resolution_and_effort_lowest(
    result: PerceptionAnalysis, truth: dict[str, Any]
) -> None:
    # Wave 2 holds only the defected accounts' contacts who answered before
    # leaving (they answer less): a handful, so the interval is wide; it
    # covers the planted difference and the point estimate is negative.
    assert result.segments is not None
    planted = truth["segments"][result.wave]["differences"]["defected-top"]
    for factor in ("resolution", "time_effort"):
        c = result.segments.gaps.comparison(f"perf.{factor}", "defected", "top")
        assert isinstance(c, GapComparison)
        assert c.ci_low is not None and c.ci_high is not None
        assert c.ci_low <= planted[f"perf.{factor}"] <= c.ci_high
        assert planted[f"perf.{factor}"] < -0.5
        assert c.difference is not None and c.difference < 0
        assert c.cliffs_delta is not None
        assert c.cliffs_delta < 0


def test_wave_two_closes_the_resolution_gap(result: PerceptionAnalysis) -> None:
    pair = result.waves.pairs[0]
    assert (pair.before, pair.after) == ("w1", "w2")
    gap = next(g for g in pair.gaps if g.item == "perf.resolution" and g.audience == "leadership")
    assert isinstance(gap, GapChange)
    assert gap.closing is True
    assert gap.change is not None
    assert gap.change < 0
    cust = next(c for c in pair.changes if c.item == "perf.resolution" and c.audience == "customer")
    assert cust.ci_low is not None
    assert cust.ci_low > 0


def test_customers_rank_resolution_first_and_empathy_last(result: PerceptionAnalysis) -> None:
    cust = result.importance.audiences[2]
    assert isinstance(cust, AudienceImportance)
    pos = {f.factor: f.borda_position for f in cust.factors}
    assert pos["resolution"] == 1
    assert pos[effects.HIDDEN_DRIVER] == len(pos)


def test_leadership_blames_price_while_defected_customers_name_problems(
    result: PerceptionAnalysis,
) -> None:
    by_reason = {r.reason: r for r in result.defection_factors.reasons}
    price = {s.group: s for s in by_reason["price"].shares}
    unresolved = {s.group: s for s in by_reason["unresolved_problems"].shares}
    lead_price, cust_price = price["leadership"], price["customers"]
    assert isinstance(lead_price, GroupShare)
    assert isinstance(cust_price, GroupShare)
    assert lead_price.estimate.ci_low is not None
    assert cust_price.estimate.ci_high is not None
    assert lead_price.estimate.ci_low > cust_price.estimate.ci_high
    d = next(x for x in by_reason["unresolved_problems"].differences if x.a == "defected")
    assert d.ci_low is not None
    assert d.ci_low > 0
    assert isinstance(unresolved["defected"], GroupShare)


def test_small_team_is_withheld(result: PerceptionAnalysis) -> None:
    assert result.teams is not None
    cell = result.teams.cell("tp.billing", effects.SMALL_TEAM)
    assert isinstance(cell, SuppressedCell)
    assert "anonymity" in cell.reason


def test_small_leadership_group_is_withheld_everywhere(
    demo: tuple[StudyDefinition, pd.DataFrame],
) -> None:
    study, frame = demo
    leaders = frame.index[(frame["audience"] == "leadership") & (frame["wave"] == "w2")]
    small = frame.drop(leaders[3:])
    res = analyze_perception(study, small)
    assert res.gaps.cell("perf.empathy", "leadership").suppressed
    assert res.gaps.comparison("perf.empathy", "leadership", "customer").suppressed
    assert res.excellent.shares[0].suppressed
    assert res.nps.predicted[0].suppressed
    assert res.importance.audiences[0].suppressed
    price = next(r for r in res.defection_factors.reasons if r.reason == "price")
    assert price.shares[0].suppressed


def test_wave_can_be_chosen_and_unknown_waves_are_refused(
    demo: tuple[StudyDefinition, pd.DataFrame],
) -> None:
    study, frame = demo
    assert analyze_perception(study, frame, wave="w1").wave == "w1"
    with pytest.raises(AnalysisError, match="no wave 'w9'"):
        analyze_perception(study, frame, wave="w9")


def test_empty_study_is_a_clear_error() -> None:
    study = default_study("empty", organisation="X")
    frame = pd.DataFrame(columns=["respondent_id", "audience", "wave", "source", "perf.empathy"])
    with pytest.raises(AnalysisError, match="no responses"):
        analyze_perception(study, frame)


def test_json_is_valid_and_has_the_documented_keys(result: PerceptionAnalysis) -> None:
    data = result.to_json_dict()
    text = json.dumps(data, allow_nan=False)
    assert "NaN" not in text
    for key in ("study", "wave", "gaps", "excellent", "nps", "segments", "waves"):
        assert key in data
    assert "importance" in data
    assert "defection_factors" in data
    assert PerceptionAnalysis.model_validate(data) == result


def test_committed_schema_is_the_generated_one() -> None:
    generated = PerceptionAnalysis.model_json_schema()  # scripts/gen_docs.py writes it
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == generated
