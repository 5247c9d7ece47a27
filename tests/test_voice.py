"""The study-level voice analysis: themes, sentiment, tags, disparities and
competitors per audience, with anonymity and masking."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxgap.analysis.voice.assembly import WORKSHOP_NOTE, VoiceAnalysis, analyze_voice
from cxgap.analysis.voice.text import analysis_text, cut, looks_english, mask_pii, quote_text
from cxgap.demo.texts import COMPETITORS, interview_note, open_answer, workshop_sheet
from cxgap.errors import AnalysisError, NotFoundError
from cxgap.study import default_study
from cxgap.study.model import StudyDefinition, Wave

QUESTIONS = [
    "well",
    "improve",
    "competitors",
    "continue_start",
    "barriers",
    "levers",
    "future_needs",
]
SECRET = "zebracrossing"


@pytest.fixture(scope="module")
def study() -> StudyDefinition:
    s = default_study("demo", organisation="Acme")
    return s.model_copy(
        update={
            "competitors": COMPETITORS,
            "waves": [Wave(key="w1", label="W1"), Wave(key="w2", label="W2")],
        }
    )


def _row(rng: np.random.Generator, rid: str, audience: str, segment, team, wave: str) -> dict:
    row = {
        "respondent_id": rid,
        "audience": audience,
        "segment": segment,
        "team": team,
        "account_id": None,
        "wave": wave,
        "source": "individual",
    }
    for q in QUESTIONS:
        row[f"open.{q}"] = open_answer(
            rng, question=q, audience=audience, segment=segment, team=team, wave=wave
        )[0]
    return row


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for i in range(160):
        rows.append(
            _row(rng, f"c{i}", "customer", ["top", "new", "defected", "other"][i % 4], None, "w1")
        )
    for i in range(60):
        rows.append(_row(rng, f"l{i}", "leadership", None, None, "w1"))
    for i in range(60):
        rows.append(_row(rng, f"s{i}", "staff", None, ["support", "sales"][i % 2], "w1"))
    for i in range(3):  # a team below the anonymity threshold of 5
        row = _row(rng, f"p{i}", "staff", None, "product", "w1")
        row["open.improve"] = f"The {SECRET} handoff between sales and implementation is slow"
        rows.append(row)
    for i in range(2):
        rows.append(
            {
                "respondent_id": f"ws{i}",
                "audience": "leadership",
                "segment": None,
                "team": None,
                "account_id": None,
                "wave": "w1",
                "source": "workshop",
                **{f"open.{q}": workshop_sheet(rng, question=q) for q in QUESTIONS[:4]},
            }
        )
    for i in range(20):
        rows.append(_row(rng, f"c2_{i}", "customer", "top", None, "w2"))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def interviews() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    notes = []
    for i, segment in enumerate(["top", "defected", "new", "defected", "top", "other"]):
        text, _ = interview_note(rng, account_name=f"Account {i}", segment=segment)
        notes.append(
            {
                "account_id": f"a{i}",
                "segment": segment,
                "date": "2026-01-10",
                "interviewer": "cx lead",
                "text": text,
            }
        )
    return pd.DataFrame(notes)


@pytest.fixture(scope="module")
def voice(study: StudyDefinition, frame: pd.DataFrame, interviews: pd.DataFrame) -> VoiceAnalysis:
    return analyze_voice(study, frame, wave="w1", interviews=interviews, permutations=99)


def test_every_open_question_is_analysed_per_audience(voice: VoiceAnalysis) -> None:
    assert [q.question for q in voice.questions] == QUESTIONS
    improve = next(q for q in voice.questions if q.question == "improve")
    assert set(improve.n_by_audience) == {"customer", "leadership", "staff"}
    assert improve.themes is not None and improve.themes.divergence is not None
    assert set(improve.sentiment_by_audience) == {"customer", "leadership", "staff"}
    assert set(improve.sentiment_by_segment) == {"top", "new", "defected", "other"}
    barriers = next(q for q in voice.questions if q.question == "barriers")
    assert (
        set(barriers.n_by_audience) == {"staff"} or barriers.n_by_audience.get("customer", 0) == 0
    )


def test_customers_raise_slow_resolution_more_than_leadership(voice: VoiceAnalysis) -> None:
    improve = next(q for q in voice.questions if q.question == "improve")
    assert improve.themes is not None and improve.themes.divergence is not None
    # the slow-resolution themes: those whose keywords are about tickets. With
    # the demo's rough answers (praise before a complaint, typos) the topic
    # splits into several themes by phrasing and by the sentiment split
    # (measured: five of fifteen; docs/VOICE.md, known limits), so the planted
    # effect is checked on their combined shares
    ticket = [t for t in improve.themes.themes if any("ticket" in k for k in t.keywords)]
    assert ticket, [t.label for t in improve.themes.themes]
    ids = {t.id for t in ticket}
    shares = {"customer": 0.0, "leadership": 0.0}
    for theme in ticket:
        for audience in shares:
            shares[audience] += theme.share_by_group[audience].share or 0.0
    assert shares["customer"] > 2 * shares["leadership"]
    # the divergence compares customers with leadership on each of them
    rows = [
        r
        for r in improve.themes.divergence.log_odds
        if {r.a, r.b} == {"customer", "leadership"} and r.theme in ids
    ]
    assert {r.theme for r in rows} == ids
    assert any(s.startswith("Customers raise") for s in improve.themes.divergence.disparities)


def test_small_staff_teams_are_never_quoted_but_are_reported(voice: VoiceAnalysis) -> None:
    quotes = [
        quote.text
        for q in voice.questions
        if q.themes
        for t in q.themes.themes
        for quote in t.quotes
    ]
    assert quotes and not any(SECRET in quote for quote in quotes)
    assert [(s.team, s.n) for s in voice.suppressed] == [("product", 3)]


def test_quotes_are_masked(voice: VoiceAnalysis) -> None:
    quotes = [
        quote.text
        for q in voice.questions
        if q.themes
        for t in q.themes.themes
        for quote in t.quotes
    ]
    assert not any("@" in q or "Sarah" in q or "7946" in q for q in quotes)


def test_workshop_answers_are_labelled_as_group_answers(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    workshop_only = frame[frame["source"].eq("workshop") | frame["audience"].eq("customer")]
    v = analyze_voice(study, workshop_only, wave="w1", permutations=0)
    notes = {
        quote.note
        for q in v.questions
        if q.themes
        for t in q.themes.themes
        for quote in t.quotes
        if quote.group == "leadership"
    }
    assert notes == {WORKSHOP_NOTE}


def test_competitors_question_reports_the_study_competitors(voice: VoiceAnalysis) -> None:
    comp = next(q for q in voice.questions if q.question == "competitors").competitors
    assert comp is not None
    views = {v.name: v for v in comp.competitors}
    assert views["Globex Software"].worse > 0 and views["Globex Software"].better == 0
    assert views["Northwind Systems"].better > 0


def test_tags_feed_the_factor_views(voice: VoiceAnalysis) -> None:
    improve = next(q for q in voice.questions if q.question == "improve")
    resolution = {
        c.group: c for c in improve.tags.counts if c.kind == "factor" and c.key == "resolution"
    }
    assert resolution["customer"].share > resolution["leadership"].share


def test_interviews_are_split_tagged_and_themed(voice: VoiceAnalysis) -> None:
    iv = voice.interviews
    assert iv is not None and iv.n == 6 and iv.n_passages >= 18
    defected = [n for n in iv.notes if n.segment == "defected"]
    assert all(
        "resolution" in n.tags["factor"] or "personalisation" in n.tags["factor"] for n in defected
    )
    assert iv.themes is not None


def test_the_whole_result_is_valid_json_without_nan(voice: VoiceAnalysis) -> None:
    text = json.dumps(voice.to_json_dict(), allow_nan=False)
    assert '"questions"' in text


def test_unknown_wave_and_missing_columns_are_clear_errors(
    study: StudyDefinition, frame: pd.DataFrame
) -> None:
    with pytest.raises(NotFoundError, match="wave 'w9'"):
        analyze_voice(study, frame, wave="w9")
    with pytest.raises(AnalysisError, match="'audience'"):
        analyze_voice(study, frame.drop(columns=["audience"]))
    v = analyze_voice(study, frame[["respondent_id", "audience", "open.well"]], permutations=0)
    assert [q.question for q in v.questions] == ["well"]
    assert any("open.improve" in n for n in v.notes)


def test_too_few_answers_give_a_note_instead_of_themes(study: StudyDefinition) -> None:
    small = pd.DataFrame(
        {"respondent_id": ["a", "b"], "audience": ["customer"] * 2, "open.well": ["good", "great"]}
    )
    v = analyze_voice(study, small, permutations=0)
    assert v.questions[0].themes is None
    assert "at least 10" in (v.questions[0].themes_note or "")


# --- the text helpers that quoting relies on --------------------------------


def test_names_emails_and_phones_are_masked() -> None:
    assert (
        mask_pii("Mail jane.doe@acme.co.uk or call 020 7946 0958") == "Mail [email] or call [phone]"
    )
    assert mask_pii("I spoke to Priya Patel yesterday") == "I spoke to [name] yesterday"
    assert mask_pii("Our manager Emma Clarke was great") == "Our manager [name] was great"
    assert mask_pii("Version 3.2 released in 2024 with 15 fixes") == (
        "Version 3.2 released in 2024 with 15 fixes"
    )
    assert mask_pii("Northwind Systems is faster") == "Northwind Systems is faster"


def test_html_is_removed_for_analysis_and_kept_as_text_in_quotes() -> None:
    raw = "<script>alert('x')</script> slow &amp; painful"
    assert analysis_text(raw) == "alert('x') slow & painful"
    assert quote_text(raw) == "<script>alert('x')</script> slow & painful"


def test_very_long_answers_are_cut_at_a_word_with_a_note() -> None:
    text, was_cut = cut("alpha beta gamma delta", 12)
    assert (text, was_cut) == ("alpha beta", True)
    quoted = quote_text("word " * 1000, max_chars=50)
    assert quoted.endswith("[cut: 4999 characters in all]")


@given(
    st.from_regex(r"[a-z][a-z0-9._]{0,10}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|co\.uk|de)", fullmatch=True),
)
def test_any_email_address_is_masked(local: str, domain: str) -> None:
    masked = mask_pii(f"Write to {local}@{domain} please")
    assert "@" not in masked and "[email]" in masked


def test_other_languages_are_flagged() -> None:
    assert looks_english("We would like faster answers from the support team")
    assert not looks_english("Wir hätten gerne schnellere Antworten vom Support Team")
    assert looks_english("ok")
    assert not looks_english("Служба поддержки отвечает слишком медленно")
