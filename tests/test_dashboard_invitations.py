"""Invitations from the dashboard: personal links from an uploaded contacts
file (the code and checks of ``cxgap invite --contacts``), anonymous ones
(one per person, the answers stored without them), an open team link and
reminders, each shown once with its mail-merge CSV; only hashes are stored.
Viewers read the response rates only."""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from collections.abc import Iterator
from email.utils import parseaddr
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.studies import save_study
from cxgap.store.survey import open_survey, submit, token_hash
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.test_dashboard import PASSWORD, SECRET, csrf_of, sign_in
from tests.test_invite_mail import _Inbox, smtp  # noqa: F401

PAGE = "/dashboard/studies/acme/responses"
CONTACTS = (
    "E-mail,Name,Segment\n"
    "ann@example.com,Ann Archer,top\n"
    'bob@example.com,"=HYPERLINK(""http://evil.example"")",new\n'
)


def _app(db: Database, db_url: str, **settings: Any) -> Any:
    base = Settings.load(database_url=db_url).model_copy(
        update={"secret_key": SECRET, "base_url": "https://survey.acme.test", **settings}
    )
    return create_app(base, database=db)


@pytest.fixture
def acme(fresh_db: Database, db_url: str) -> tuple[Database, str]:
    save_study(fresh_db, default_study("acme", organisation="Acme", name="Acme study"))
    for email, role in (("ann", "owner"), ("val", "viewer")):
        add_user(
            fresh_db, f"{email}@example.com", organisation="Acme", role=role, password=PASSWORD
        )
    return fresh_db, db_url


@pytest.fixture
def owner(acme: tuple[Database, str]) -> Iterator[TestClient]:
    with TestClient(_app(*acme)) as client:
        sign_in(client, "ann@example.com")
        yield client


def _invitations(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.invitation)).scalar_one())


def _csv_of(page: str) -> list[dict[str, str]]:
    """The rows of the CSV the page offers for download (a data: link)."""
    found = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)" download="([^"]+)"', page)
    assert found, "no download link"
    text = base64.b64decode(found.group(1)).decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs then read the accents right
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def _upload(client: TestClient, body: str, name: str = "contacts.csv", **form: str) -> Any:
    data = {"csrf_token": csrf_of(client.get(PAGE).text), "audience": "customer", "wave": "w1"}
    return client.post(
        f"{PAGE}/invitations",
        data={**data, **form},
        files={"contacts": (name, body.encode("utf-8"), "text/csv")},
    )


def test_personal_links_are_shown_once_with_their_mail_merge_file(
    acme: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = acme
    r = _upload(owner, CONTACTS)
    assert r.status_code == 200
    assert "<h1>2 new customer links for wave w1</h1>" in r.text
    assert "Shown only now." in r.text
    assert 'download="acme-w1-customer-links.csv"' in r.text
    rows = _csv_of(r.text)
    assert [row["email"] for row in rows] == ["ann@example.com", "bob@example.com"]
    assert rows[0]["segment"] == "top" and rows[0]["name"] == "Ann Archer"
    # A name that is a formula is written as text.
    assert rows[1]["name"] == '\'=HYPERLINK("http://evil.example")'
    # Each link opens its survey; the database holds only the hash of its token.
    for row in rows:
        assert row["link"].startswith("https://survey.acme.test/s/")
        token = row["link"].rsplit("/", 1)[1]
        assert open_survey(db, token).link.segment == row["segment"]
        assert html.escape(row["link"]) in r.text  # and on the page, once
        with db.connect() as conn:
            stored = conn.execute(select(t.invitation.c.token_hash)).scalars().all()
        assert token_hash(token) in stored and token not in stored
    # The same file again: nobody gets a second link, and the page says why.
    again = _upload(owner, CONTACTS)
    assert "<h1>0 new customer links for wave w1</h1>" in again.text
    assert "2 contacts were skipped: already invited to wave w1" in again.text
    assert _invitations(db) == 2


def test_problems_of_the_file_name_row_and_column(
    acme: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = acme
    bad = "email,segment\nann@example.com,top\nnot-an-address,top\ncid@example.com,vip\n"
    r = _upload(owner, bad, name="C:\\Users\\cx\\list.csv")
    assert r.status_code == 200
    assert "No link was created" in r.text
    assert (
        "list.csv, row 3, column &#39;email&#39;: Expected an e-mail address "
        "(got “not-an-address”)." in r.text
    )
    assert "Users" not in r.text  # never a path of the user's machine
    assert 'aria-invalid="true"' in r.text
    r = _upload(owner, "email,segment\nann@example.com,vip\n")
    assert r.status_code == 200
    assert (
        "contacts.csv, row 2, column &#39;segment&#39;: Expected one of defected, new, other, top "
        "(got “vip”)." in r.text
    )
    r = _upload(owner, "email\nann@example.com\n", name="contacts.pdf")
    assert r.status_code == 200 and "a CSV or XLSX file" in r.text
    r = _upload(owner, CONTACTS, audience="board")
    assert r.status_code == 200 and "one of leadership, staff, customer" in r.text
    assert _invitations(db) == 0


STAFF = "email,name,team\nsam@acme.test,Sam Stone,support\ntia@acme.test,Tia Tan,billing\n"


def test_anonymous_personal_links_from_the_same_form(
    acme: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = acme
    assert "Anonymous: store the answers without the person" in owner.get(PAGE).text
    r = _upload(owner, STAFF, audience="staff", anonymous="1")
    assert r.status_code == 200 and "<h1>2 new staff links for wave w1</h1>" in r.text
    assert "Each link is personal and anonymous" in r.text
    rows = _csv_of(r.text)
    assert [row["email"] for row in rows] == ["sam@acme.test", "tia@acme.test"]
    for row in rows:
        link = open_survey(db, row["link"].rsplit("/", 1)[1]).link
        assert (link.kind, link.team) == ("anonymous", row["team"])
    # Customers are not anonymous to the company: refused, nothing written.
    r = _upload(owner, CONTACTS, anonymous="1")
    assert "No link was created" in r.text and "staff or leadership" in r.text
    assert _invitations(db) == 2
    # Unticked, the same form makes personal links.
    r = _upload(owner, "email,team\numa@acme.test,support\n", audience="staff")
    [row] = _csv_of(r.text)
    assert open_survey(db, row["link"].rsplit("/", 1)[1]).link.kind == "personal"
    assert "and anonymous" not in r.text


def test_an_open_team_link(acme: tuple[Database, str], owner: TestClient) -> None:
    db, _ = acme
    form = {"csrf_token": csrf_of(owner.get(PAGE).text), "audience": "staff", "wave": "w1"}
    r = owner.post(f"{PAGE}/anonymous", data={**form, "team": "support"})
    assert r.status_code == 200 and "<h1>Open link for Support</h1>" in r.text
    assert "never count toward the anonymity threshold" in r.text
    link = re.search(r'id="link-0">(https://survey\.acme\.test/s/[^<]+)</p>', r.text)
    assert link
    state = open_survey(db, link.group(1).rsplit("/", 1)[1])
    assert (state.link.kind, state.link.team, state.link.audience) == (
        "open",
        "support",
        "staff",
    )
    r = owner.post(f"{PAGE}/anonymous", data={**form, "team": "canteen"})
    assert r.status_code == 200 and "got “canteen”" in r.text
    r = owner.post(f"{PAGE}/anonymous", data={**form, "audience": "customer", "team": "support"})
    assert r.status_code == 200 and "staff or leadership" in r.text


def test_reminders_give_a_new_link_to_those_who_have_not_answered(
    acme: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = acme
    form = {"csrf_token": csrf_of(owner.get(PAGE).text), "wave": "w1"}
    r = owner.post(f"{PAGE}/reminders", data=form)
    assert r.status_code == 200 and "no reminder is needed" in r.text
    first = _csv_of(_upload(owner, CONTACTS).text)
    ann_token = first[0]["link"].rsplit("/", 1)[1]
    state = open_survey(db, ann_token)
    submit(db, ann_token, {q.key: q.scale_max for q in state.missing_required()})
    r = owner.post(f"{PAGE}/reminders", data=form)
    assert "<h1>1 reminder link for wave w1</h1>" in r.text
    [row] = _csv_of(r.text)
    assert row["email"] == "bob@example.com" and row["link"] != first[1]["link"]
    # The earlier link still works, for the same respondent.
    earlier = open_survey(db, first[1]["link"].rsplit("/", 1)[1]).link
    assert earlier.respondent_id == row["respondent_id"]
    r = owner.post(f"{PAGE}/reminders", data={**form, "wave": ""})
    assert r.status_code == 200 and "Expected the wave to remind about." in r.text


def test_links_are_e_mailed_when_an_smtp_server_is_set(
    acme: tuple[Database, str],
    smtp: tuple[_Inbox, int],  # noqa: F811
) -> None:
    db, db_url = acme
    inbox, port = smtp
    app = _app(db, db_url, smtp_host="127.0.0.1", smtp_port=port, smtp_from="cx@acme.test")
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        assert "E-mail each person their link now" in client.get(PAGE).text
        r = _upload(client, CONTACTS, send="1")
    assert "E-mailed 2 links." in r.text
    assert sorted(parseaddr(m["To"])[1] for m in inbox.messages) == [
        "ann@example.com",
        "bob@example.com",
    ]
    with db.connect() as conn:
        states = conn.execute(select(t.invitation.c.state)).scalars().all()
    assert states == ["sent", "sent"]


def test_viewers_see_the_rates_but_create_no_link(acme: tuple[Database, str]) -> None:
    db, db_url = acme
    with TestClient(_app(db, db_url)) as client:
        sign_in(client, "val@example.com")
        page = client.get(PAGE).text
        assert "Response rates" in page and f"{PAGE}/invitations" not in page
        token = csrf_of(page)
        r = client.post(
            f"{PAGE}/invitations",
            data={"csrf_token": token, "audience": "customer", "wave": "w1"},
            files={"contacts": ("c.csv", CONTACTS.encode(), "text/csv")},
        )
        assert r.status_code == 403
        for path in ("anonymous", "reminders"):
            r = client.post(f"{PAGE}/{path}", data={"csrf_token": token, "wave": "w1"})
            assert r.status_code == 403, path
        # Without its token a form creates nothing either.
        sign_in(client, "ann@example.com")
        r = client.post(f"{PAGE}/anonymous", data={"wave": "w1", "team": "support"})
        assert r.status_code == 403
    assert _invitations(db) == 0
