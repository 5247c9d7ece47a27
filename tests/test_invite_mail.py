"""Sending invitations and reminders by e-mail, against a real SMTP server
(aiosmtpd) listening on 127.0.0.1 for the test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import ConfigError
from cxgap.invite.mail import MailError, invitation_message, send_messages
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, IssuedLink, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.survey import open_survey, save_answers, submit
from cxgap.study.defaults import default_study
from tests.smtpserver import Inbox as _Inbox
from tests.smtpserver import free_port as _free_port
from tests.smtpserver import receive_mail

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
runner = CliRunner()


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    with receive_mail() as inbox:
        yield inbox, inbox.port


@pytest.fixture
def mail_db(db_url: str) -> Iterator[Database]:
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme", name="Acme service study"))
    yield db
    db.close()


def _env(port: int) -> dict[str, str]:
    return {
        "CXGAP_SMTP_HOST": "127.0.0.1",
        "CXGAP_SMTP_PORT": str(port),
        "CXGAP_SMTP_FROM": "cx@acme.test",
        "CXGAP_BASE_URL": "https://survey.acme.test",
    }


def _token_in(msg: Message) -> str:
    body = msg.get_payload(decode=True)
    assert isinstance(body, bytes)
    [line] = [x for x in body.decode().splitlines() if "/s/" in x]
    assert line.startswith("https://survey.acme.test/s/")
    return line.rsplit("/", 1)[1]


def test_invite_send_mails_each_personal_link(
    smtp: tuple[_Inbox, int], mail_db: Database, db_url: str, tmp_path: Path
) -> None:
    inbox, port = smtp
    contacts = tmp_path / "c.csv"
    contacts.write_text("email,name,segment\nann@example.com,Ann,top\nbob@example.com,,new\n")
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
            str(tmp_path / "links.csv"),
            "--send",
            "--db",
            db_url,
        ],
        env=_env(port),
    )
    assert result.exit_code == 0, result.output
    assert "Sent 2 e-mail(s)" in result.stderr
    assert sorted(m["To"] for m in inbox.messages) == ["Ann <ann@example.com>", "bob@example.com"]
    ann = next(m for m in inbox.messages if "ann@" in m["To"])
    assert ann["Subject"] == "Your view on Acme service study"
    assert ann["From"] == "cx@acme.test"
    state = open_survey(mail_db, _token_in(ann))
    assert state.link.audience == "customer" and state.link.segment == "top"
    with mail_db.connect() as conn:
        rows = conn.execute(select(t.invitation.c.state, t.invitation.c.sent_at)).all()
    assert all(r.state == "sent" and r.sent_at is not None for r in rows)


def test_remind_mails_only_those_who_have_not_submitted(
    smtp: tuple[_Inbox, int], mail_db: Database, db_url: str
) -> None:
    inbox, port = smtp
    batch = create_invitations(
        mail_db,
        "acme",
        audience="staff",
        wave="w1",
        contacts=[
            Contact(email="sam@acme.test", team="support"),
            Contact(email="kim@acme.test", team="billing"),
        ],
    )
    sam, kim = batch.links
    state = open_survey(mail_db, kim.token)
    raw: dict[str, object] = {}
    for q in state.missing_required():
        raw[q.key] = q.scale_max
    submit(mail_db, kim.token, raw)
    save_answers(mail_db, sam.token, {"excellent": 2})
    result = runner.invoke(
        app, ["invite", "remind", "acme", "--wave", "w1", "--db", db_url], env=_env(port)
    )
    assert result.exit_code == 0, result.output
    [msg] = inbox.messages
    assert msg["To"] == "sam@acme.test" and msg["Subject"].startswith("Reminder: ")
    fresh = _token_in(msg)
    assert fresh != sam.token
    assert open_survey(mail_db, fresh).answers == {"excellent": 2.0}


def test_anonymous_links_are_mailed_saying_how_answers_are_stored(
    smtp: tuple[_Inbox, int], mail_db: Database, db_url: str, tmp_path: Path
) -> None:
    inbox, port = smtp
    contacts = tmp_path / "staff.csv"
    contacts.write_text("email,name,team\nsam@acme.test,Sam,support\nkim@acme.test,Kim,support\n")
    invite = ["invite", "acme", "--audience", "staff", "--wave", "w1", "--contacts", str(contacts)]
    result = runner.invoke(
        app,
        [*invite, "--anonymous", "--send", "--out", str(tmp_path / "l.csv"), "--db", db_url],
        env=_env(port),
    )
    assert result.exit_code == 0, result.output
    assert sorted(m["To"] for m in inbox.messages) == ["Kim <kim@acme.test>", "Sam <sam@acme.test>"]
    for msg in inbox.messages:
        body = msg.get_payload(decode=True)
        assert isinstance(body, bytes)
        assert "stored without your name, e-mail address or this link" in body.decode()
    kim = next(m for m in inbox.messages if "kim@" in m["To"])
    token = _token_in(kim)
    assert open_survey(mail_db, token).link.kind == "anonymous"
    submit(
        mail_db, token, {q.key: q.scale_max for q in open_survey(mail_db, token).missing_required()}
    )
    inbox.messages.clear()
    result = runner.invoke(
        app, ["invite", "remind", "acme", "--wave", "w1", "--db", db_url], env=_env(port)
    )
    assert result.exit_code == 0, result.output
    [msg] = inbox.messages
    assert msg["To"] == "Sam <sam@acme.test>" and msg["Subject"].startswith("Reminder: ")
    assert open_survey(mail_db, _token_in(msg)).link.kind == "anonymous"


def test_refused_recipient_is_a_mail_error_naming_them(smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    inbox.refuse.add("gone@example.com")
    settings = Settings.load(database_url="sqlite://", environ=_env(port))
    links = [
        IssuedLink(1, "tok1", "customer", "w1", "r1", None, "ok@example.com", None, None),
        IssuedLink(2, "tok2", "customer", "w1", "r2", None, "gone@example.com", None, None),
    ]
    msgs = [
        invitation_message(lk, sender="cx@acme.test", base_url="http://x", study_name="S")
        for lk in links
    ]
    sent: list[int] = []
    with pytest.raises(MailError, match=re.escape("gone@example.com")):
        send_messages(settings, msgs, on_sent=sent.append)
    assert sent == [0] and len(inbox.messages) == 1


def test_unreachable_smtp_server_is_a_clear_error() -> None:
    port = _free_port()  # nothing listens there
    settings = Settings.load(database_url="sqlite://", environ=_env(port))
    msg = invitation_message(
        IssuedLink(1, "tok", "customer", "w1", "r", None, "a@example.com", None, None),
        sender="cx@acme.test",
        base_url="http://x",
        study_name="S",
    )
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        send_messages(settings, [msg])


def test_smtp_settings_come_from_cxgap_smtp_variables() -> None:
    s = Settings.load(
        database_url="sqlite://",
        environ={
            "CXGAP_SMTP_HOST": "mail.acme.test",
            "CXGAP_SMTP_PORT": "587",
            "CXGAP_SMTP_FROM": "cx@acme.test",
            "CXGAP_SMTP_USER": "cx",
            "CXGAP_SMTP_PASSWORD": "hunter2",
            "CXGAP_SMTP_STARTTLS": "yes",
            "CXGAP_BASE_URL": "https://survey.acme.test/",
        },
    )
    assert (s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_user) == (
        "mail.acme.test",
        587,
        "cx@acme.test",
        "cx",
    )
    assert s.smtp_password == "hunter2" and s.smtp_starttls is True
    assert s.base_url == "https://survey.acme.test"
    assert "hunter2" not in repr(s)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("CXGAP_SMTP_PORT", "smtp", "expected a port number"),
        ("CXGAP_SMTP_PORT", "70000", "smtp_port=70000"),
        ("CXGAP_SMTP_STARTTLS", "maybe", "expected true or false"),
    ],
)
def test_invalid_smtp_setting_is_a_config_error(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        Settings.load(database_url="sqlite://", environ={name: value})
