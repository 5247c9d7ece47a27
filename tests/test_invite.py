"""Private invitation links: unguessable tokens stored only as hashes, one
link per contact, reminders with a fresh link, anonymous team links, the
mail-merge CSV. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import contextlib
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import InputError
from cxgap.invite.contacts import read_contacts
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import (
    Contact,
    create_anonymous_link,
    create_invitations,
    new_token,
    reissue_unanswered,
)
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.survey import open_survey, save_answers, submit, token_hash
from cxgap.study.defaults import default_study

runner = CliRunner()


@pytest.fixture
def invite_db(db_url: str) -> Iterator[Database]:
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    yield db
    db.close()


def _contacts_file(tmp_path: Path, body: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_token_carries_at_least_128_bits() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for tok in list(tokens)[:20]:
        raw = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4))
        assert len(raw) * 8 >= 128


def test_only_the_hash_of_a_token_is_stored(invite_db: Database) -> None:
    batch = create_invitations(
        invite_db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[Contact(email="ann@example.com", name="Ann", segment="top")],
    )
    [link] = batch.links
    with invite_db.connect() as conn:
        rows = conn.execute(select(t.invitation)).all()
    assert [r.token_hash for r in rows] == [token_hash(link.token)]
    assert all(link.token not in str(tuple(r)) for r in rows)
    assert open_survey(invite_db, link.token).link.respondent_id == link.respondent_id


def test_contact_already_invited_to_the_wave_is_skipped(invite_db: Database) -> None:
    ann = Contact(email="ann@example.com", segment="top")
    create_invitations(invite_db, "acme", audience="customer", wave="w1", contacts=[ann])
    again = create_invitations(
        invite_db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[ann, Contact(email="bob@example.com", segment="new")],
    )
    assert [c.email for c in again.skipped] == ["ann@example.com"]
    assert [link.email for link in again.links] == ["bob@example.com"]


def test_every_contact_problem_is_reported_and_nothing_written(invite_db: Database) -> None:
    bad = [
        Contact(email="a@example.com", segment="vip", row=2),
        Contact(email="b@example.com", account_id="ACC-404", row=3),
    ]
    with pytest.raises(InputError) as err:
        create_invitations(
            invite_db, "acme", audience="customer", wave="w1", contacts=bad, file="c.csv"
        )
    got = {(p.row, p.column, p.value) for p in err.value.problems}
    assert got == {(2, "segment", "vip"), (3, "account_id", "ACC-404")}
    with invite_db.connect() as conn:
        assert conn.execute(select(t.respondent)).all() == []


def _submit_all(db: Database, token: str) -> None:
    """Submit a valid answer to every question of the link's audience."""
    state = open_survey(db, token)
    raw: dict[str, object] = {}
    for section in state.sections:
        for q in section.questions:
            if q.kind in ("rating", "nps", "share"):
                raw[q.key] = q.scale_min
            elif q.kind == "rank":
                raw.update({f"{q.key}.{i}": n + 1 for n, i in enumerate(q.items)})
    assert submit(db, token, raw).already_answered is False


def test_reminder_goes_only_to_those_who_have_not_submitted(invite_db: Database) -> None:
    batch = create_invitations(
        invite_db,
        "acme",
        audience="staff",
        wave="w1",
        contacts=[
            Contact(email="sam@acme.test", team="support"),
            Contact(email="kim@acme.test", team="billing"),
        ],
    )
    sam, kim = batch.links
    save_answers(invite_db, sam.token, {"excellent": 4})  # started, not submitted
    _submit_all(invite_db, kim.token)
    [reminder] = reissue_unanswered(invite_db, "acme", wave="w1")
    assert reminder.email == "sam@acme.test" and reminder.token != sam.token
    # Both links open the same response: the saved answer is there.
    assert open_survey(invite_db, reminder.token).answers["excellent"] == 4.0
    assert open_survey(invite_db, sam.token).answers["excellent"] == 4.0
    _submit_all(invite_db, reminder.token)
    assert submit(invite_db, sam.token).already_answered is True
    assert reissue_unanswered(invite_db, "acme", wave="w1") == []


def test_anonymous_link_needs_a_known_team_and_an_inside_audience(invite_db: Database) -> None:
    link = create_anonymous_link(invite_db, "acme", wave="w1", team="support")
    assert link.anonymous and link.email is None and link.team == "support"
    with pytest.raises(InputError, match="--team"):
        create_anonymous_link(invite_db, "acme", wave="w1", team="canteen")
    with pytest.raises(InputError, match="staff or leadership"):
        create_anonymous_link(invite_db, "acme", wave="w1", team="support", audience="customer")


def test_contacts_file_problems_name_row_and_column(tmp_path: Path) -> None:
    path = _contacts_file(
        tmp_path, "E-mail,Name\nann@example.com,Ann\nnot-an-address,Bob\nANN@example.com,A2\n"
    )
    with pytest.raises(InputError) as err:
        read_contacts(path)
    got = [(p.row, p.column, p.value) for p in err.value.problems]
    assert got == [(3, "email", "not-an-address"), (4, "email", "ANN@example.com")]


def test_contacts_file_in_excel_encodings(tmp_path: Path) -> None:
    body = "email,name,team\nzoe@acme.test,Zoë Müller,support\n"
    for enc in ("utf-8-sig", "utf-16", "cp1252"):
        path = tmp_path / f"c-{enc}.csv"
        path.write_bytes(body.encode(enc))
        [c] = read_contacts(path)
        assert (c.email, c.name, c.team, c.row) == ("zoe@acme.test", "Zoë Müller", "support", 2)


def test_cli_writes_the_mail_merge_csv_and_links_open_the_survey(
    invite_db: Database, db_url: str, tmp_path: Path
) -> None:
    contacts = _contacts_file(
        tmp_path, "email,name,segment\nann@example.com,Ann,top\nbob@example.com,Bob,new\n"
    )
    out = tmp_path / "links.csv"
    result = runner.invoke(
        app,
        [
            "invite",
            "acme",
            "--audience",
            "customer",
            "--wave",
            "w1",
            "--contacts",
            str(contacts),
            "--out",
            str(out),
            "--base-url",
            "https://survey.acme.test/",
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Created 2 customer link(s)" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["email"] for r in rows] == ["ann@example.com", "bob@example.com"]
    assert [r["segment"] for r in rows] == ["top", "new"]
    for r in rows:
        assert r["link"].startswith("https://survey.acme.test/s/")
        token = r["link"].rsplit("/", 1)[1]
        assert open_survey(invite_db, token).link.audience == "customer"


def test_cli_prints_links_when_no_out_file(
    invite_db: Database, db_url: str, tmp_path: Path
) -> None:
    contacts = _contacts_file(tmp_path, "email,team\nsam@acme.test,support\n")
    result = runner.invoke(
        app,
        [
            "invite",
            "acme",
            "--audience",
            "staff",
            "--wave",
            "w1",
            "--contacts",
            str(contacts),
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 0
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["team"] == "support" and row["link"].startswith("http://127.0.0.1:8000/s/")


def test_cli_bad_input_is_one_line_and_exit_2(
    invite_db: Database, db_url: str, tmp_path: Path
) -> None:
    contacts = _contacts_file(tmp_path, "email,segment\nann@example.com,vip\n")
    base = ["invite", "acme", "--wave", "w1", "--contacts", str(contacts), "--db", db_url]
    result = runner.invoke(app, [*base, "--audience", "customer"])
    assert result.exit_code == 2
    assert "row 2, column 'segment': got 'vip'" in result.stderr
    assert "Traceback" not in result.output
    wrong = runner.invoke(app, [*base, "--audience", "board"])
    assert wrong.exit_code == 2 and "one of leadership, staff, customer" in wrong.stderr
    no_wave = runner.invoke(
        app,
        [
            "invite",
            "acme",
            "--audience",
            "customer",
            "--wave",
            "w9",
            "--contacts",
            str(contacts),
            "--db",
            db_url,
        ],
    )
    assert no_wave.exit_code == 2 and "no wave 'w9'" in no_wave.stderr


def test_cli_anonymous_link(invite_db: Database, db_url: str) -> None:
    result = runner.invoke(
        app, ["invite", "anonymous", "acme", "--wave", "w1", "--team", "billing", "--db", db_url]
    )
    assert result.exit_code == 0
    url = result.stdout.strip()
    state = open_survey(invite_db, url.rsplit("/", 1)[1])
    assert state.link.anonymous and state.link.team == "billing"


def test_cli_remind_without_smtp_says_what_to_set(invite_db: Database, db_url: str) -> None:
    result = runner.invoke(
        app, ["invite", "remind", "acme", "--wave", "w1", "--db", db_url], env={}
    )
    assert result.exit_code == 2 and "CXGAP_SMTP_HOST" in result.stderr


FORMULAS = ['=HYPERLINK("http://evil")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def test_mail_merge_csv_neutralises_formulas_in_names_emails_and_ids(
    invite_db: Database, db_url: str, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    with contacts.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["email", "name", "respondent_id", "segment"])
        w.writerow(["=cmd@evil.test", FORMULAS[0], "=id1", "top"])
        w.writerow(["+ann@example.com", FORMULAS[1], "+id2", "top"])
        w.writerow(["-bob@example.com", FORMULAS[2], "-id3", "new"])
        w.writerow(["cy@example.com", FORMULAS[3], "@id4", "new"])
        # Leading tab and carriage return: trimmed on reading, and what is left
        # (a formula) is neutralised.
        w.writerow(["dee@example.com", "\t=1+1", "\rid5", "top"])
    out = tmp_path / "links.csv"
    args = ["invite", "acme", "--audience", "customer", "--wave", "w1"]
    result = runner.invoke(
        app, [*args, "--contacts", str(contacts), "--out", str(out), "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'" + f for f in FORMULAS] + ["'=1+1"]
    assert [r["email"] for r in rows][:3] == [
        "'=cmd@evil.test",
        "'+ann@example.com",
        "'-bob@example.com",
    ]
    assert [r["respondent_id"] for r in rows] == ["'=id1", "'+id2", "'-id3", "'@id4", "id5"]
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
        assert r["link"].startswith("http://127.0.0.1:8000/s/")
    # The reminder file is written by the same code: neutralised too.
    remind = ["invite", "remind", "acme", "--wave", "w1", "--no-send"]
    again = runner.invoke(app, [*remind, "--out", str(out), "--db", db_url])
    assert again.exit_code == 0, again.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert sorted(r["name"] for r in rows) == sorted(["'" + f for f in FORMULAS] + ["'=1+1"])


def test_links_csv_neutralises_tabs_and_carriage_returns_from_the_database() -> None:
    from cxgap.cli.invite_cmd import _write_links
    from cxgap.store.invitations import IssuedLink

    link = IssuedLink(
        invitation_id=1,
        token="tok",
        audience="staff",
        wave="w1",
        respondent_id="\t=cmd",
        name="\r=HYPERLINK(1)",
        email="eve@example.com",
        segment=None,
        team="@team",
    )
    buffer = io.StringIO(newline="")
    with contextlib.redirect_stdout(buffer):
        _write_links([link], "https://x.test", None)
    [row] = list(csv.DictReader(io.StringIO(buffer.getvalue(), newline="")))
    assert row["respondent_id"] == "'\t=cmd"
    # The leading CR is quoted, and so is the formula a reader ending rows at CR would meet.
    assert row["name"] == "'\r'=HYPERLINK(1)"
    assert row["team"] == "'@team" and row["segment"] == ""
    assert row["link"] == "https://x.test/s/tok"
