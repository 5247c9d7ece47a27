"""``cxgap search``: keyword in context over a stored study's open answers and
interview notes, with the anonymity rules and one-line errors."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.analysis.voice.search import Hit
from cxgap.cli import app
from cxgap.cli.search_cmd import _context
from cxgap.errors import CxgapError, NotFoundError
from cxgap.service.search import search_study
from cxgap.store.accounts import write_accounts, write_interviews
from cxgap.store.db import Database
from cxgap.store.frames import write_frame
from cxgap.store.studies import save_study
from cxgap.study import default_study
from cxgap.study.model import Wave
from tests.records import accounts_frame

runner = CliRunner()


def _answer(rid: str, audience: str, team: str | None, wave: str, text: str, **kw: Any) -> dict:
    return {
        "respondent_id": rid,
        "audience": audience,
        "segment": kw.get("segment"),
        "team": team,
        "account_id": kw.get("account"),
        "wave": wave,
        "source": "individual",
        "open.improve": text,
        "open.well": kw.get("well"),
    }


@pytest.fixture
def voices(fresh_db: Database) -> Database:
    """Study 'acme' (threshold 5, waves w1 and w2): two customers, a leader,
    five support staff and two billing staff (a team below the threshold)
    who all mention tickets, and two interview notes."""
    study = default_study("acme", organisation="Acme")
    study = study.model_copy(
        update={"waves": [Wave(key="w1", label="One"), Wave(key="w2", label="Two")]}
    )
    save_study(fresh_db, study)
    write_accounts(fresh_db, "acme", accounts_frame(["A1", "A2"], segment=["top", "defected"]))
    rows = [
        _answer("c-1", "customer", None, "w1", "Tickets take weeks; call Sarah Jones.",
                segment="top", account="A1", well="Friendly people"),
        _answer("c-2", "customer", None, "w2", "Our [bold]billing[/bold] tickets vanish",
                segment="defected", account="A2"),
        _answer("boss@acme.example", "leadership", "sales", "w1", "Tickets are handled fast"),
    ]  # fmt: skip
    rows += [
        _answer(f"s{i}@acme.example", "staff", "support", "w1", "We close tickets late")
        for i in range(5)
    ]
    rows += [
        _answer(f"b{i}@acme.example", "staff", "billing", "w1", "Billing tickets pile up")
        for i in range(2)
    ]
    write_frame(fresh_db, "acme", pd.DataFrame(rows))
    write_interviews(
        fresh_db,
        "acme",
        pd.DataFrame(
            {
                "account_id": ["A2", "A1"],
                "segment": ["defected", "top"],
                "date": pd.to_datetime(["2026-03-10", "2026-03-12"]),
                "interviewer": ["Cy", "Cy"],
                "text": ["They left: support tickets took a month.", "Happy with the QBRs."],
                "tags": [[], []],
            }
        ),
    )
    return fresh_db


def test_answers_and_interview_notes_are_searched_together(voices: Database) -> None:
    r = search_study(voices, "acme", "ticket")
    where = sorted((h.question, h.audience, h.team or h.account_id or "") for h in r.hits)
    assert where == [
        ("improve", "customer", "A1"),
        ("improve", "customer", "A2"),
        ("improve", "leadership", "sales"),
        *[("improve", "staff", "support")] * 5,
        ("interview", "customer", "A2"),
    ]
    note = next(h for h in r.hits if h.question == "interview")
    assert (note.source, note.segment, note.wave, note.respondent_id) == (
        "interview", "defected", None, None
    )  # fmt: skip
    assert (r.n_suppressed, r.n_answers_searched) == (2, 1 + 2 + 1 + 5 + 2)


def test_staff_are_never_named_and_small_teams_never_quoted(voices: Database) -> None:
    r = search_study(voices, "acme", "ticket")
    assert all(h.team != "billing" for h in r.hits)
    assert "fewer than 5 respondents are not shown" in (r.suppressed_reason or "")
    ids = {h.audience: h.respondent_id for h in r.hits}
    assert ids["staff"] is None and ids["leadership"] is None  # their ids are e-mail addresses
    assert {h.respondent_id for h in r.hits if h.audience == "customer"} == {"c-1", "c-2", None}
    with pytest.raises(CxgapError, match="team 'billing' has fewer than 5 staff respondents"):
        search_study(voices, "acme", "ticket", team="billing")
    assert search_study(voices, "acme", "ticket", team="support").n_answers_matched == 5


def test_filters_on_wave_audience_segment_and_question(voices: Database) -> None:
    def n(**kw: Any) -> int:
        return search_study(voices, "acme", "ticket", **kw).n_answers_matched

    assert n(wave="w2") == 1  # interview notes have no wave
    assert n(audience="customer") == 3  # two answers and one note
    assert n(segment="defected") == 2
    assert n(questions=["interview"]) == 1
    assert n(questions=["open.improve"]) == 8
    assert n(interviews=False) == 8
    assert search_study(voices, "acme", "friendly", questions=["well"]).n_hits == 1


def test_unknown_names_and_impossible_filters_are_clear_errors(voices: Database) -> None:
    for kw, message in (
        ({"wave": "w9"}, "study 'acme' has no wave 'w9' (waves: w1, w2)"),
        ({"audience": "board"}, "no audience 'board' (audiences: leadership, staff, customer)"),
        ({"questions": ["nope"]}, "no open question 'nope' (open questions: well, improve"),
        ({"segment": "gold"}, "no segment 'gold'"),
        ({"team": "kitchen"}, "no team 'kitchen'"),
    ):
        with pytest.raises(NotFoundError, match=message.replace("(", r"\(").replace(")", r"\)")):
            search_study(voices, "acme", "x", **kw)
    with pytest.raises(CxgapError, match="cannot be searched within a wave"):
        search_study(voices, "acme", "x", questions=["interview"], wave="w1")
    with pytest.raises(CxgapError, match="within the staff audience"):
        search_study(voices, "acme", "x", questions=["interview"], audience="staff")
    with pytest.raises(CxgapError, match="is the interview notes, left out here"):
        search_study(voices, "acme", "x", questions=["interview"], interviews=False)
    with pytest.raises(CxgapError, match="at least one word"):
        search_study(voices, "acme", '""')


def _run(*args: str) -> Any:
    return runner.invoke(app, ["search", *args], env={"COLUMNS": "200"})


def test_the_command_prints_hits_in_context(voices: Database, db_url: str) -> None:
    result = _run("acme", "tickets", "--audience", "customer", "--db", db_url)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("tickets in acme: 3 hit(s) in 3 of 5 answer(s) searched.")
    assert "customer · top · A1" in out and "interview · defected · A2" in out
    assert "call [name]." in out and "Sarah" not in out  # masked
    assert "Our [bold]billing[/bold] tickets vanish" in out  # text, never markup
    staff = _run("acme", "tickets", "--db", db_url)
    assert "2 matching answer(s) from staff teams with fewer than 5 respondents" in staff.stdout
    assert "s0@acme" not in staff.stdout and "pile up" not in staff.stdout


def test_the_command_as_json_and_with_a_limit(voices: Database, db_url: str) -> None:
    result = _run("acme", "ticket", "--limit", "2", "--json", "--db", db_url)
    data = json.loads(result.stdout)
    assert data["n_hits"] == 9 and len(data["hits"]) == 2 and data["truncated"] is True
    assert set(data["hits"][0]) >= {"left", "match", "right", "question", "account_id"}
    table = _run("acme", "ticket", "--limit", "2", "--db", db_url)
    assert "Showing the first 2 hits" in table.stdout


def test_the_command_errors_are_one_line(voices: Database, db_url: str) -> None:
    for args, message in (
        (["zzz", "x"], "Error: no study 'zzz'"),
        (["acme", "x", "--wave", "w9"], "Error: study 'acme' has no wave 'w9'"),
        (["acme", "x", "-q", "nope"], "Error: study 'acme' has no open question 'nope'"),
        (["acme", "x", "--team", "billing"], "Error: team 'billing' has fewer than 5"),
    ):
        result = _run(*args, "--db", db_url)
        assert result.exit_code == 2
        assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1


def test_the_match_is_highlighted_in_its_context() -> None:
    hit = Hit(
        respondent_id=None, account_id=None, audience="staff", segment=None, team="support",
        wave="w1", source="individual", question="improve",
        left="x" * 10 + " slow to ", match="resolv", right="e tickets",
    )  # fmt: skip
    text = _context(hit, window=19)
    assert text.plain == "…xxxxxxxxxx slow to resolve tickets"
    (span,) = text.spans
    assert text.plain[span.start : span.end] == "resolv" and span.style == "bold reverse"
