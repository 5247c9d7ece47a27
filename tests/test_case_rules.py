"""The case rules, evaluated without a database (analysis/plan/cases.py):
each trigger at its boundary, the audiences that never open a case, one
case per response, bursts of failures counted by hand."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from pydantic import ValidationError

from cxgap.analysis.plan.cases import AnswerRecord, account_cases, answer_cases, failure_bursts
from cxgap.study import default_study
from cxgap.study.model import CaseRule, CaseSettings, StudyDefinition

WHEN = datetime(2026, 3, 2, 12)


def _study(**changes: object) -> StudyDefinition:
    study = default_study("s", organisation="Acme")
    return study.model_copy(update=changes) if changes else study


def _record(audience: str = "customer", key: str = "r1", **answers: object) -> AnswerRecord:
    return AnswerRecord(
        response_key=key,
        audience=audience,
        submitted_at=WHEN,
        answers=answers,
        account="A1",
        account_name="Acme Ltd",
        respondent="C1",
        contact_name="Dana Fox",
    )


@pytest.mark.parametrize(("ltr", "opens"), [(0, True), (6, True), (7, False), (10, False)])
def test_a_detractor_is_0_to_6(ltr: int, opens: bool) -> None:
    cases = answer_cases(_study(), [_record(ltr=ltr, excellent=4)])
    assert [c.rule_key for c in cases] == (["detractor"] if opens else [])
    if opens:
        c = cases[0]
        assert c.priority == "high" and c.account == "A1" and c.respondent == "C1"
        assert (c.due_at - c.opened_at).days == 2  # the default SLA
        assert c.evidence["ltr"] == ltr and "Acme Ltd" in c.title


@pytest.mark.parametrize("audience", ["staff", "leadership"])
def test_staff_and_leadership_never_open_a_case(audience: str) -> None:
    assert answer_cases(_study(), [_record(audience, ltr=0, excellent=1, leave=["price"])]) == []


def test_reason_to_leave_needs_a_low_rating_and_a_named_reason() -> None:
    study = _study()
    low = _record(ltr=8, excellent=3, leave=["price", "slow_response"])
    high = _record(key="r2", ltr=8, excellent=4, leave=["price"])
    none = _record(key="r3", ltr=8, excellent=2, leave=[])
    unknown = _record(key="r4", ltr=8, excellent=2, leave=["not_a_reason"])
    cases = answer_cases(study, [low, high, none, unknown])
    assert [(c.response_key, c.rule_key) for c in cases] == [("r1", "reason_to_leave")]
    assert cases[0].evidence["reasons"] == ["price", "slow_response"]
    # The first named reason with a factor suggests the root cause.
    factors = {r.key: r.factor for r in study.defection_reasons}
    assert cases[0].root_factor == (factors["price"] or factors["slow_response"])
    assert cases[0].root_factor is not None


def test_a_response_meeting_several_rules_opens_one_case_with_all_evidence() -> None:
    cases = answer_cases(_study(), [_record(ltr=2, excellent=1, leave=["price"])])
    assert len(cases) == 1
    assert cases[0].rule_key == "detractor"  # high, and first in the study's order
    assert [a["rule"] for a in cases[0].evidence["also"]] == ["reason_to_leave"]
    assert cases[0].dedupe_key == "response:r1"


def test_a_disabled_rule_opens_nothing_and_max_ltr_moves_the_boundary() -> None:
    study = _study()
    rules = [r.model_copy(update={"enabled": r.key != "detractor"}) for r in study.cases.rules]
    off = study.model_copy(update={"cases": CaseSettings(rules=rules)})
    assert answer_cases(off, [_record(ltr=3, excellent=5)]) == []
    strict = [
        r.model_copy(update={"max_ltr": 4}) if r.key == "detractor" else r
        for r in study.cases.rules
    ]
    four = study.model_copy(update={"cases": CaseSettings(rules=strict)})
    assert answer_cases(four, [_record(ltr=5, excellent=5)]) == []
    assert len(answer_cases(four, [_record(ltr=4, excellent=5)])) == 1


def test_negative_text_needs_a_touchpoint_and_a_score_at_or_below_the_cut() -> None:
    scores = {"Support is slow": -0.6, "Billing is fine": 0.4, "It is all awful": -0.9}

    def sentiment(texts: list[str]) -> list[float]:
        return [scores[t] for t in texts]

    def tags(text: str) -> dict[str, list[str]]:
        tp = ["support"] if "Support" in text else ["billing"] if "Billing" in text else []
        return {"touchpoint": tp, "factor": [], "moment": []}

    study = _study()
    slow = _record(ltr=9, excellent=5, **{"open.improve": "Support is slow"})
    fine = _record(key="r2", ltr=9, excellent=5, **{"open.improve": "Billing is fine"})
    vague = _record(key="r3", ltr=9, excellent=5, **{"open.improve": "It is all awful"})
    cases = answer_cases(study, [slow, fine, vague], sentiment=sentiment, tags=tags)
    assert [(c.response_key, c.root_touchpoint) for c in cases] == [("r1", "support")]
    assert cases[0].evidence["text"] == "Support is slow"
    # Without the text tools, the rule opens nothing (it cannot read).
    assert answer_cases(study, [slow]) == []


def _events(days: list[str], account: str = "a", outcome: str = "failed") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": account,
            "timestamp": pd.to_datetime(days),
            "outcome": outcome,
            "touchpoint": "support",
            "moment": "problem_resolution",
            "severity": 2.0,
            "source_id": [f"e{i}" for i in range(len(days))],
        }
    )


def test_a_burst_is_the_nth_failure_within_the_window() -> None:
    # Jan 1, Jan 20, Jan 31: the first is exactly 30 days before the third,
    # inside the window as in the ledger's compounding (0 <= t_i - t_j <= 30 days).
    ev = _events(["2026-01-01", "2026-01-20", "2026-01-31"])
    got = failure_bursts(ev, failures=3, within_days=30, since="2025-12-01", as_of="2026-02-28")
    assert [(b["account"], b["at"].day, b["count"]) for b in got] == [("a", 31, 3)]
    # 31 days apart: the first has left the window (t - 30 days, t].
    ev = _events(["2026-01-01", "2026-01-20", "2026-02-01"])
    assert (
        failure_bursts(ev, failures=3, within_days=30, since="2025-12-01", as_of="2026-03-01") == []
    )
    # Met interactions do not count.
    both = pd.concat(
        [_events(["2026-01-01", "2026-01-02"]), _events(["2026-01-03"], outcome="met")]
    )
    assert (
        failure_bursts(both, failures=3, within_days=30, since="2025-12-01", as_of="2026-02-01")
        == []
    )
    # A burst before the scan's window opens nothing now.
    ev = _events(["2026-01-01", "2026-01-02", "2026-01-03"])
    assert (
        failure_bursts(ev, failures=3, within_days=30, since="2026-01-10", as_of="2026-02-01") == []
    )


def test_account_cases_from_bursts_and_crossings() -> None:
    class _Alert:
        account = "b"
        balance_before = 1.0
        balance_now = -12.5
        distance = -2.5

    class _Alerts:
        since = datetime(2026, 1, 1)
        as_of = datetime(2026, 2, 1)
        threshold = -10.0
        crossed_below = (_Alert(),)

    ev = _events(["2026-01-05", "2026-01-06", "2026-01-07"])
    cases = account_cases(
        _study(),
        alerts=_Alerts(),
        events=ev,
        since="2026-01-01",
        as_of="2026-02-01",
        names={"a": "Alpha", "b": "Beta"},
    )
    got = {c.rule_key: c for c in cases}
    assert set(got) == {"below_threshold", "failure_burst"}
    assert got["below_threshold"].priority == "urgent" and "Beta" in got["below_threshold"].title
    assert got["below_threshold"].evidence["threshold"] == -10.0
    burst = got["failure_burst"]
    assert burst.account == "a" and burst.root_touchpoint == "support"
    assert burst.root_moment == "problem_resolution" and len(burst.evidence["failures"]) == 3


def test_a_rule_naming_an_unknown_factor_is_a_clear_error() -> None:
    study = _study()
    bad = CaseRule(key="odd", trigger="detractor", factor="speed_of_light")
    data = study.model_dump()
    data["cases"]["rules"].append(bad.model_dump())
    with pytest.raises(ValidationError) as err:
        StudyDefinition(**data)
    text = str(err.value)
    assert "cases.rules[5] (odd): unknown factor 'speed_of_light'" in text
    assert "empathy" in text  # lists the study's factors
    dup = study.model_dump()
    dup["cases"]["rules"].append(dup["cases"]["rules"][0])
    with pytest.raises(ValidationError, match="duplicate key"):
        StudyDefinition(**dup)
    with pytest.raises(ValidationError):
        CaseRule(key="x", trigger="whenever")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CaseRule(key="x", trigger="detractor", sla_days=0)
