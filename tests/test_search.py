"""Keyword in context over all open answers, with filters."""

from __future__ import annotations

import pandas as pd
import pytest

from cxgap.analysis.voice.search import search_answers, small_team_mask
from cxgap.errors import AnalysisError


@pytest.fixture
def answers() -> pd.DataFrame:
    rows = [
        ("c1", "customer", "top", None, "w1", "Tickets take weeks to resolve. Call Sarah Jones."),
        ("c2", "customer", "defected", None, "w1", "Nobody resolved our billing issue"),
        ("c3", "customer", "top", None, "w2", "Resolution was quick this time"),
        ("l1", "leadership", None, None, "w1", "We resolve things fast"),
    ]
    rows += [(f"s{i}", "staff", None, "support", "w1", "We resolve tickets late") for i in range(5)]
    rows += [
        (f"b{i}", "staff", None, "billing", "w1", "Billing cannot resolve credits")
        for i in range(2)
    ]
    frame = pd.DataFrame(
        rows, columns=["respondent_id", "audience", "segment", "team", "wave", "open.improve"]
    )
    frame["source"] = "individual"
    frame["open.well"] = None
    return frame


def test_stem_query_finds_every_form_and_shows_context(answers: pd.DataFrame) -> None:
    r = search_answers(answers, "resolv", window=12)
    # resolve, resolved (not "Resolution": "resolv" is not its prefix); 2 billing
    # answers are from a team below the threshold
    assert r.n_answers_matched == 8
    first = r.hits[0]
    assert (first.left, first.match, first.right) == ("ke weeks to ", "resolv", "e. Call [nam")
    assert first.question == "improve" and first.respondent_id == "c1"


def test_small_staff_teams_are_never_shown(answers: pd.DataFrame) -> None:
    r = search_answers(answers, "resolve", anonymity_threshold=5)
    assert all(h.team != "billing" for h in r.hits)
    assert r.n_suppressed == 2
    assert "fewer than 5" in (r.suppressed_reason or "")
    assert small_team_mask(answers, 5).sum() == 2


def test_filters_on_audience_segment_and_wave(answers: pd.DataFrame) -> None:
    assert search_answers(answers, "resol", audience="customer").n_answers_matched == 3
    assert search_answers(answers, "resol", segment="defected").n_answers_matched == 1
    assert search_answers(answers, "resol", wave="w2").n_answers_matched == 1
    assert search_answers(answers, "resolv", team="support").n_answers_matched == 5


def test_all_terms_must_match_and_phrases_are_quoted(answers: pd.DataFrame) -> None:
    assert search_answers(answers, "resolve tickets").n_answers_matched == 6
    assert search_answers(answers, '"billing issue"').n_answers_matched == 1


def test_names_are_masked_in_the_context(answers: pd.DataFrame) -> None:
    r = search_answers(answers, "call", window=30)
    assert r.hits[0].right == " [name]."
    assert search_answers(answers, "Sarah").n_hits == 0


def test_limit_truncates_and_says_so(answers: pd.DataFrame) -> None:
    r = search_answers(answers, "resolv", limit=2)
    assert len(r.hits) == 2 and r.truncated and r.n_hits == 8


def test_bad_searches_are_clear_errors(answers: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="at least one word"):
        search_answers(answers, "  ")
    with pytest.raises(AnalysisError, match=r"no open question open\.nope"):
        search_answers(answers, "x", questions=["nope"])
    with pytest.raises(AnalysisError, match="no open-answer columns"):
        search_answers(answers[["respondent_id", "audience"]], "x")


def test_only_customers_are_named_and_small_teams_are_not_counted(answers: pd.DataFrame) -> None:
    r = search_answers(answers, "resolv")
    named = {h.audience: h.respondent_id for h in r.hits}
    assert named["customer"] in {"c1", "c2"}
    assert named["staff"] is None and named["leadership"] is None
    # 4 customer/leadership answers and 5 support answers; billing's 2 are not counted
    assert (r.n_answers_searched, r.n_suppressed) == (9, 2)
