"""Anonymous personal links: one token per person, e-mailed and reminded like
a personal link, each answering once, the answers stored without the person
and counted toward the anonymity threshold; an open team link's answers never
unlock a team. On SQLite and PostgreSQL (what the rows hold, read back after
answering through the pages, is in tests/test_anonymous_rows.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from cxgap.analysis.perception.assembly import analyze_perception
from cxgap.cli import app
from cxgap.contracts.disclosure import OPEN_LINK
from cxgap.errors import InputError
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.invitations import (
    Contact,
    IssuedLink,
    create_anonymous_link,
    create_invitations,
    reissue_unanswered,
    response_status,
)
from cxgap.store.migrate import upgrade
from cxgap.store.studies import load_study, save_study
from cxgap.store.survey import AlreadyAnsweredError, open_survey, save_answers, submit
from cxgap.study.defaults import default_study
from tests.postgres import reset_postgres

runner = CliRunner()


@pytest.fixture
def anon_db(db_url: str) -> Iterator[Database]:
    """The default study ``acme`` (one wave, w1), nobody invited yet."""
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    yield db
    db.close()


def _invite(db: Database, n: int, team: str = "billing", start: int = 0) -> list[IssuedLink]:
    contacts = [
        Contact(email=f"p{i}@acme.test", name=f"Person {i}", team=team)
        for i in range(start, start + n)
    ]
    batch = create_invitations(
        db, "acme", audience="staff", wave="w1", contacts=contacts, anonymous=True
    )
    return batch.links


def _answers(db: Database, token: str, draft: str | None = None) -> dict[str, Any]:
    state = open_survey(db, token, draft=draft)
    return {q.key: q.scale_max for q in state.missing_required()}


def _answer(db: Database, token: str, draft: str | None = None) -> bool:
    """Submit every required answer; whether the survey was already answered."""
    return submit(db, token, _answers(db, token, draft), draft=draft).already_answered


def _team_cells(db: Database, team: str) -> list[Any]:
    result = analyze_perception(load_study(db, "acme"), load_frame(db, "acme"), wave="w1")
    assert result.teams is not None
    # A cell no one answered (n = 0) has nothing to withhold.
    return [c for c in result.teams.cells if c.group == team and getattr(c, "n", 1)]


def _responses(db: Database) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(t.response)).all())


def test_each_person_gets_their_own_link_whose_answers_are_stored_without_them(
    anon_db: Database,
) -> None:
    links = _invite(anon_db, 2)
    assert len({link.token for link in links}) == 2
    assert all(link.kind == "anonymous" and link.email for link in links)
    assert not _answer(anon_db, links[0].token)
    [resp] = _responses(anon_db)
    with anon_db.connect() as conn:
        person = conn.execute(
            select(t.respondent).where(t.respondent.c.id == resp.respondent_id)
        ).one()
        invitation = conn.execute(
            select(t.invitation).where(t.invitation.c.id == links[0].invitation_id)
        ).one()
    assert resp.invitation_id is None and resp.source == "individual"
    assert resp.respondent_id != invitation.respondent_id
    assert person.external_id.startswith("anon-") and person.team == "billing"
    assert (person.name, person.email, person.account_id) == (None, None, None)
    # The invitation knows that its contact answered, not when.
    assert invitation.state == "answered" and invitation.answered_at is None


def test_a_token_answers_once(anon_db: Database) -> None:
    [link] = _invite(anon_db, 1)
    save_answers(anon_db, link.token, {"excellent": 2})
    assert open_survey(anon_db, link.token).answers == {"excellent": 2.0}  # resumed
    assert _answer(anon_db, link.token) is False
    again = submit(anon_db, link.token, {"excellent": 1})
    assert again.already_answered and again.state.answered
    with pytest.raises(AlreadyAnsweredError):
        save_answers(anon_db, link.token, {"excellent": 1})
    [resp] = _responses(anon_db)
    assert resp.status == "complete"


def test_a_reminder_and_the_first_link_answer_once_between_them(anon_db: Database) -> None:
    [first] = _invite(anon_db, 1)
    [reminder] = reissue_unanswered(anon_db, "acme", wave="w1")
    assert reminder.kind == "anonymous" and reminder.token != first.token
    assert _answer(anon_db, reminder.token) is False
    assert open_survey(anon_db, first.token).answered
    assert _answer(anon_db, first.token) is True
    assert len(_responses(anon_db)) == 1


def test_two_links_of_one_person_submitted_at_once_store_one_response(
    anon_db: Database,
) -> None:
    [first] = _invite(anon_db, 1)
    [reminder] = reissue_unanswered(anon_db, "acme", wave="w1")
    raw = _answers(anon_db, first.token)
    outcomes: list[bool] = []
    barrier = threading.Barrier(4)

    def go(token: str) -> None:
        barrier.wait()
        outcomes.append(submit(anon_db, token, raw).already_answered)

    tokens = [first.token, reminder.token] * 2
    threads = [threading.Thread(target=go, args=(tok,)) for tok in tokens]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == [False, True, True, True]
    assert len(_responses(anon_db)) == 1


def test_a_team_answering_at_once_stores_every_answer(anon_db: Database) -> None:
    """Each submission rewrites the team's links (on PostgreSQL): they queue
    on the team's rows instead of deadlocking."""
    links = _invite(anon_db, 8)
    raw = _answers(anon_db, links[0].token)
    outcomes: list[bool] = []
    barrier = threading.Barrier(len(links))

    def go(token: str) -> None:
        barrier.wait()
        outcomes.append(submit(anon_db, token, raw).already_answered)

    threads = [threading.Thread(target=go, args=(link.token,)) for link in links]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert outcomes == [False] * len(links)
    assert len(_responses(anon_db)) == len(links)


def test_reminders_go_only_to_those_who_have_not_answered(anon_db: Database) -> None:
    links = _invite(anon_db, 3)
    _answer(anon_db, links[1].token)
    save_answers(anon_db, links[2].token, {"excellent": 2})  # started, not submitted
    reminders = reissue_unanswered(anon_db, "acme", wave="w1")
    assert sorted(r.email or "" for r in reminders) == ["p0@acme.test", "p2@acme.test"]
    assert all(r.kind == "anonymous" and r.team == "billing" for r in reminders)
    assert open_survey(anon_db, reminders[0].token).link.kind == "anonymous"
    _answer(anon_db, reminders[0].token)
    assert [r.email for r in reissue_unanswered(anon_db, "acme", wave="w1")] == ["p2@acme.test"]


def test_status_counts_an_anonymous_team_as_invited_and_answered(anon_db: Database) -> None:
    links = _invite(anon_db, 6)
    for link in links[:5]:
        _answer(anon_db, link.token)
    billing = next(r for r in response_status(anon_db, "acme").rows if r.value == "billing")
    assert (billing.invited, billing.answered, billing.answered_invited) == (6, 5, 5)
    assert billing.rate == pytest.approx(5 / 6)


def test_three_invited_and_two_through_the_open_link_stay_withheld(anon_db: Database) -> None:
    for link in _invite(anon_db, 3):
        _answer(anon_db, link.token)
    open_link = create_anonymous_link(anon_db, "acme", wave="w1", team="billing")
    for draft in ("x" * 32, "y" * 32):
        _answer(anon_db, open_link.token, draft=draft)
    sources = sorted(load_frame(anon_db, "acme")["source"])
    assert sources == ["individual", "individual", "individual", OPEN_LINK, OPEN_LINK]
    cells = _team_cells(anon_db, "billing")
    assert cells and all(c.suppressed for c in cells)


def test_five_invited_anonymously_who_all_answer_are_shown(anon_db: Database) -> None:
    for link in _invite(anon_db, 5):
        _answer(anon_db, link.token)
    cells = _team_cells(anon_db, "billing")
    assert cells and not any(c.suppressed for c in cells)
    assert {c.n for c in cells} == {5}


def test_customers_cannot_be_invited_anonymously(anon_db: Database) -> None:
    with pytest.raises(InputError, match="staff or leadership"):
        create_invitations(
            anon_db,
            "acme",
            audience="customer",
            wave="w1",
            contacts=[Contact(email="ann@example.com", segment="top")],
            anonymous=True,
        )
    with anon_db.connect() as conn:
        assert conn.execute(select(t.invitation)).first() is None


def test_cli_invites_a_team_anonymously_and_marks_open_links(
    anon_db: Database, db_url: str, tmp_path: Path
) -> None:
    contacts = tmp_path / "staff.csv"
    contacts.write_text("email,team\nsam@acme.test,support\nkim@acme.test,support\n")
    out = tmp_path / "links.csv"
    args = ["--wave", "w1", "--contacts", str(contacts), "--out", str(out), "--db", db_url]
    result = runner.invoke(app, ["invite", "acme", "--audience", "staff", *args, "--anonymous"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "Created 2 anonymous staff link(s) for wave w1." in said
    assert "stored without the person" in said
    token = out.read_text(encoding="utf-8-sig").splitlines()[1].rsplit("/", 1)[1]
    assert open_survey(anon_db, token).link.kind == "anonymous"
    result = runner.invoke(
        app, ["invite", "anonymous", "acme", "--wave", "w1", "--team", "sales", "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "Open link for staff team sales" in said
    assert "never count toward the anonymity threshold" in said
    result = runner.invoke(app, ["invite", "acme", "--audience", "customer", *args, "--anonymous"])
    assert result.exit_code == 2 and "staff or leadership" in result.stderr


@pytest.mark.postgres
def test_postgres_row_versions_do_not_pair_a_response_with_its_contact(
    postgres_url: str,
) -> None:
    """PostgreSQL stores in each row version the transaction that wrote it
    (``xmin``): the answered invitation must not carry the transaction of
    its contact's response, nor an order of the team's answers."""
    reset_postgres(postgres_url)
    with Database.open(Settings.load(database_url=postgres_url)) as db:
        upgrade(db)
        save_study(db, default_study("acme", organisation="Acme"))
        billing = _invite(db, 4)
        support = _invite(db, 2, team="support", start=4)
        _answer(db, billing[2].token)
        _answer(db, billing[0].token)
        _answer(db, support[0].token)
        with db.connect() as conn:
            rows = conn.execute(text("SELECT id, xmin::text FROM invitation"))
            xmin = {row.id: row.xmin for row in rows}
            written = conn.execute(text("SELECT xmin::text FROM response ORDER BY id")).scalars()
            first, second, third = written.all()
    billing_xmins = {xmin[link.invitation_id] for link in billing}
    # Every billing link, answered or not, carries the latest billing answer's
    # transaction: the first answer's transaction is on no invitation at all.
    assert billing_xmins == {second}
    assert first not in xmin.values()
    assert {xmin[link.invitation_id] for link in support} == {third}
