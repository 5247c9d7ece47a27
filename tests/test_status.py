"""Response rates per audience, segment and team, with small staff and
leadership teams suppressed in the library result, the JSON and the table.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.invitations import (
    Contact,
    StatusRow,
    create_anonymous_link,
    create_invitations,
    response_status,
)
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.survey import open_survey, save_answers, submit
from cxgap.study.defaults import default_study

runner = CliRunner()


def _answer(db: Database, token: str, draft: str | None = None) -> None:
    state = open_survey(db, token, draft=draft)
    raw = {q.key: q.scale_max for q in state.missing_required()}
    assert submit(db, token, raw, draft=draft).already_answered is False


@pytest.fixture
def status_db(db_url: str) -> Iterator[Database]:
    """acme: 4 customers (3 top, 1 new; 2 top answered, 1 new started);
    staff: 7 in support (6 answered), 3 in billing (3 answered), plus 2
    anonymous answers from the implementation team."""
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    customers = create_invitations(
        db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[
            Contact(email=f"c{i}@example.com", segment=s)
            for i, s in enumerate(["top", "top", "top", "new"])
        ],
    ).links
    _answer(db, customers[0].token)
    _answer(db, customers[1].token)
    save_answers(db, customers[3].token, {"ltr": 5})
    staff = create_invitations(
        db,
        "acme",
        audience="staff",
        wave="w1",
        contacts=[
            Contact(email=f"s{i}@acme.test", team="support" if i < 7 else "billing")
            for i in range(10)
        ],
    ).links
    for link in staff[:6] + staff[7:]:
        _answer(db, link.token)
    anon = create_anonymous_link(db, "acme", wave="w1", team="implementation")
    for d in ("x" * 32, "y" * 32):
        _answer(db, anon.token, draft=d)
    yield db
    db.close()


def _row(rows: list[StatusRow], audience: str, value: str | None) -> StatusRow:
    return next(r for r in rows if r.audience == audience and r.value == value)


def test_rates_per_audience_and_segment(status_db: Database) -> None:
    rows = response_status(status_db, "acme").rows
    total = _row(rows, "customer", None)
    assert (total.invited, total.started, total.answered, total.answered_invited) == (4, 1, 2, 2)
    assert total.rate == pytest.approx(0.5)
    top = _row(rows, "customer", "top")
    assert (top.invited, top.answered, top.rate) == (3, 2, pytest.approx(2 / 3))
    new = _row(rows, "customer", "new")
    assert (new.invited, new.started, new.answered, new.rate) == (1, 1, 0, 0.0)


def test_small_staff_teams_are_suppressed_without_counts(status_db: Database) -> None:
    result = response_status(status_db, "acme")
    staff_total = _row(result.rows, "staff", None)
    # 6 support + 3 billing + 2 anonymous implementation answers
    assert (staff_total.invited, staff_total.answered) == (10, 11)
    billing = _row(result.rows, "staff", "billing")
    implementation = _row(result.rows, "staff", "implementation")
    for small in (billing, implementation):
        assert small.suppressed and small.answered is None and small.invited is None
        assert "fewer than 5" in (small.reason or "")
    support = _row(result.rows, "staff", "support")
    assert not support.suppressed and (support.invited, support.answered) == (7, 6)


def test_answers_through_an_open_link_never_lift_a_team_over_the_threshold(
    status_db: Database,
) -> None:
    # Three more answers through implementation's open link make five; the
    # count stays withheld, since anyone with the link could have given them.
    anon = create_anonymous_link(status_db, "acme", wave="w1", team="implementation")
    for d in ("p" * 32, "q" * 32, "r" * 32):
        _answer(status_db, anon.token, draft=d)
    implementation = _row(response_status(status_db, "acme").rows, "staff", "implementation")
    assert implementation.suppressed and implementation.answered is None
    assert "fewer than 5" in (implementation.reason or "")


def test_lone_suppressed_team_gets_a_complementary_suppression(db_url: str) -> None:
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    links = create_invitations(
        db,
        "acme",
        audience="staff",
        wave="w1",
        contacts=[
            Contact(email=f"s{i}@acme.test", team=["support", "billing", "sales"][i % 3])
            for i in range(17)
        ],
    ).links
    by_team: dict[str, int] = {"support": 0, "billing": 0, "sales": 0}
    for link in links:
        if link.team == "sales" and by_team["sales"] >= 2:
            continue
        assert link.team is not None
        by_team[link.team] += 1
        _answer(db, link.token)
    rows = response_status(db, "acme").rows
    db.close()
    sales = _row(rows, "staff", "sales")
    assert sales.suppressed
    # Total (14) minus the two shown teams would reveal sales: one more is withheld.
    shown = [r for r in rows if r.audience == "staff" and r.value and not r.suppressed]
    assert len(shown) == 1
    assert "worked out" in (_row(rows, "staff", "billing").reason or "")


def test_status_json_never_holds_a_suppressed_count(status_db: Database, db_url: str) -> None:
    result = runner.invoke(app, ["status", "acme", "--wave", "w1", "--json", "--db", db_url])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["anonymity_threshold"] == 5 and data["wave"] == "w1"
    for r in data["rows"]:
        if r["suppressed"]:
            assert r["invited"] is r["answered"] is r["started"] is r["rate"] is None


def test_status_table_shows_suppressed_teams_as_such(status_db: Database, db_url: str) -> None:
    result = runner.invoke(app, ["status", "acme", "--db", db_url], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    billing = next(x for x in lines if "team billing" in x)
    assert "suppressed" in billing and "3" not in billing.replace("< 5", "")
    support = next(x for x in lines if "team support" in x)
    assert "86% (6/7)" in support


def test_status_of_unknown_study_or_wave_is_exit_2(status_db: Database, db_url: str) -> None:
    result = runner.invoke(app, ["status", "nope", "--db", db_url])
    assert result.exit_code == 2 and "no study 'nope'" in result.stderr
    result = runner.invoke(app, ["status", "acme", "--wave", "w7", "--db", db_url])
    assert result.exit_code == 2 and "no wave 'w7'" in result.stderr
