"""Cases end to end on real databases and real servers: a detractor's
answer submitted through the API opens a case for the account's owner, who
is e-mailed by a real SMTP server on loopback; the case is worked and
closed, the ledger records the outcome once; notifications that cannot be
delivered are logged with their reason and retried; the customer hears back.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from hashlib import sha256

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from cxgap.cli import app as cli
from cxgap.errors import ConfigError, InputError
from cxgap.notify.loop import close_the_loop
from cxgap.notify.outbox import deliver_outbox
from cxgap.service.cases import case_followup, scan_cases
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.accounts import write_accounts
from cxgap.store.cases import get_case, list_cases, update_case
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.notifications import add_rule, list_notifications
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.smtpserver import Inbox, free_port, receive_mail
from tests.webhooks import Webhook

runner = CliRunner()


@pytest.fixture
def acme(db_url: str) -> Iterator[Database]:
    """A study with two accounts (one owned by a dashboard user) and no answers."""
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    write_accounts(
        db,
        "acme",
        pd.DataFrame(
            {
                "account_id": ["A1", "A2"],
                "name": ["Northwind Ltd", "Contoso plc"],
                "segment": ["top", "other"],
                "annual_revenue": [120_000.0, 40_000.0],
                "owner": ["Priya Shah", "Nobody Known"],
                "acquired_at": [None, None],
                "defected_at": [None, None],
            }
        ),
    )
    add_user(
        db,
        "priya@acme.example",
        organisation="Acme",
        role="viewer",
        password="pw-12345678",
        name="Priya Shah",
    )
    yield db
    db.close()


def _invite(db: Database, email: str, account: str, name: str) -> str:
    batch = create_invitations(
        db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[Contact(email=email, name=name, account_id=account, segment="top")],
    )
    return batch.links[0].token


def _answers(client: TestClient, token: str, **override: object) -> dict[str, object]:
    survey = client.get(f"/api/v1/surveys/{token}").json()
    answers: dict[str, object] = {}
    for section in survey["sections"]:
        for q in section["questions"]:
            if q["kind"] in ("rating", "nps", "share"):
                answers[q["key"]] = q["scale_max"]
            elif q["kind"] == "rank":
                answers.update({f"{q['key']}.{i}": n + 1 for n, i in enumerate(q["items"])})
    answers.update(override)
    return answers


def _settings(inbox: Inbox) -> Settings:
    return Settings.load(
        database_url="sqlite://",
        environ={
            "CXGAP_SMTP_HOST": "127.0.0.1",
            "CXGAP_SMTP_PORT": str(inbox.port),
            "CXGAP_SMTP_FROM": "cx@acme.example",
            "CXGAP_BASE_URL": "https://cx.acme.example",
        },
    )


def test_a_detractor_answer_opens_a_case_and_the_owner_is_emailed(acme: Database) -> None:
    with receive_mail() as inbox:
        settings = _settings(inbox)
        with TestClient(create_app(settings, database=acme)) as client:
            happy = _invite(acme, "bo@northwind.example", "A1", "Bo Berg")
            r = client.post(
                f"/api/v1/surveys/{happy}/submit", json={"answers": _answers(client, happy)}
            )
            assert r.status_code == 200
            assert list_cases(acme, "acme") == []  # a promoter opens nothing
            token = _invite(acme, "dana@northwind.example", "A1", "Dana Fox")
            body = _answers(client, token, ltr=2, excellent=2)
            body["open.improve"] = "Support is slow, we wait two days for every ticket"
            r = client.post(f"/api/v1/surveys/{token}/submit", json={"answers": body})
            assert r.status_code == 200 and r.json()["already_answered"] is False
            # The retry of the same request opens nothing new.
            again = client.post(f"/api/v1/surveys/{token}/submit", json={"answers": body})
            assert again.json()["already_answered"] is True
    cases = list_cases(acme, "acme")
    assert len(cases) == 1
    case = get_case(acme, "acme", cases[0].number)
    assert case.rule_key == "detractor" and case.owner == "Priya Shah"
    assert case.account == "A1" and case.contact == "Dana Fox"
    assert case.contact_email == "dana@northwind.example"
    assert case.evidence["ltr"] == 2
    assert case.status == "new" and case.due_at - case.opened_at == timedelta(days=2)
    # The owner is a user with no subscription of their own: e-mailed at once.
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == "priya@acme.example"
    assert msg["Subject"].startswith(
        f"Case #{case.number} opened: Northwind Ltd would not recommend us"
    )
    text = msg.get_payload()[0].get_payload(decode=True).decode()
    assert f"https://cx.acme.example/dashboard/studies/acme/cases/{case.number}" in text
    assert [n.status for n in case.notifications] == ["delivered"]


def test_staff_answers_never_open_a_case(acme: Database) -> None:
    batch = create_invitations(
        acme,
        "acme",
        audience="staff",
        wave="w1",
        contacts=[Contact(email="sam@acme.example", team="support")],
    )
    token = batch.links[0].token
    with TestClient(
        create_app(Settings.load(database_url="sqlite://", environ={}), database=acme)
    ) as client:
        survey = client.get(f"/api/v1/surveys/{token}").json()
        answers: dict[str, object] = {}
        for section in survey["sections"]:
            for q in section["questions"]:
                if q["kind"] in ("rating", "nps", "share"):
                    answers[q["key"]] = q["scale_min"]
                elif q["kind"] == "rank":
                    answers.update({f"{q['key']}.{i}": n + 1 for n, i in enumerate(q["items"])})
                elif q["kind"] == "text":
                    answers[q["key"]] = "Support is terribly slow and nobody cares"
                elif q["kind"] == "multi":
                    answers[q["key"]] = q["items"][:3]
        assert (
            client.post(f"/api/v1/surveys/{token}/submit", json={"answers": answers}).status_code
            == 200
        )
    assert list_cases(acme, "acme") == []
    # Nor does a scan of them.
    assert scan_cases(acme, "acme", base_url="http://x").opened == []


def _detractor_case(db: Database) -> int:
    token = _invite(db, "dana@northwind.example", "A1", "Dana Fox")
    with TestClient(
        create_app(Settings.load(database_url="sqlite://", environ={}), database=db)
    ) as client:
        body = _answers(client, token, ltr=1, excellent=1)
        assert (
            client.post(f"/api/v1/surveys/{token}/submit", json={"answers": body}).status_code
            == 200
        )
    (case,) = list_cases(db, "acme")
    return case.number


def _events(db: Database, source: str) -> list[tuple[str, float | None]]:
    with db.connect() as conn:
        return [
            (r.outcome, r.severity)
            for r in conn.execute(
                select(t.interaction_event).where(t.interaction_event.c.source_id == source)
            )
        ]


def test_a_case_is_worked_and_closed_and_the_ledger_records_its_outcome_once(
    acme: Database,
) -> None:
    n = _detractor_case(acme)
    day = datetime.now(UTC) + timedelta(hours=1)
    update_case(acme, "acme", n, author="Priya Shah", status="acknowledged", now=day)
    assert get_case(acme, "acme", n).acknowledged_at == day
    with pytest.raises(InputError, match="closing needs the outcome"):
        update_case(acme, "acme", n, author="p", status="closed")
    with pytest.raises(InputError, match="touchpoint and moment"):
        update_case(acme, "acme", n, author="p", resolution="met")
    entries = len(get_case(acme, "acme", n).entries)
    with pytest.raises(InputError, match=r"unknown touchpoint 'helpdesk'.*support"):
        update_case(
            acme,
            "acme",
            n,
            author="p",
            resolution="met",
            root_touchpoint="helpdesk",
            root_moment="routine",
        )
    case = get_case(acme, "acme", n)
    assert case.status == "acknowledged" and len(case.entries) == entries  # nothing written
    update_case(
        acme,
        "acme",
        n,
        author="Priya Shah",
        resolution="met",
        root_factor="resolution",
        root_touchpoint="support",
        root_moment="problem_resolution",
        note="Fixed the queue.",
        now=day + timedelta(days=1),
    )
    case = get_case(acme, "acme", n)
    assert (case.status, case.resolution) == ("closed", "met")
    assert (case.root_factor, case.root_touchpoint, case.root_moment) == (
        "resolution",
        "support",
        "problem_resolution",
    )
    source = f"case:acme:{n}"
    assert _events(acme, source) == [("met", None)]
    assert [e.kind for e in case.entries][-3:] == ["root_cause", "closed", "note"]
    # Reopened and closed again as failed: the same event, changed.
    update_case(acme, "acme", n, author="p", status="in_progress", note="The customer called back.")
    assert get_case(acme, "acme", n).closed_at is None
    update_case(acme, "acme", n, author="p", resolution="failed", severity=3)
    assert _events(acme, source) == [("failed", 3.0)]
    with pytest.raises(InputError, match="already closed"):
        update_case(acme, "acme", n, author="p", resolution="met")


def test_undeliverable_notifications_are_logged_with_the_reason_and_retried(
    acme: Database, webhook: Webhook
) -> None:
    secret = "s3cret-key-of-enough-length"
    add_rule(
        acme, "acme", channel="webhook", target=f"http://127.0.0.1:{free_port()}/gone", scope="all"
    )
    add_rule(acme, "acme", channel="webhook", target=webhook.url, scope="all", secret=secret)
    add_rule(acme, "acme", channel="email", target="team@acme.example", scope="all", mode="digest")
    webhook.statuses = [503]  # the receiver is busy once, then takes it
    n = _detractor_case(acme)  # the TestClient ran the background delivery
    log = {x.target: x for x in list_notifications(acme, "acme")}
    good = log[webhook.url]
    assert good.status == "delivered" and good.case_number == n
    post = webhook.requests[-1]
    expected = "sha256=" + hmac.new(secret.encode(), post.body, sha256).hexdigest()
    assert post.headers["X-Cxgap-Signature"] == expected
    assert json.loads(post.body)["subject"].startswith(f"Case #{n} opened")
    bad = next(x for x in log.values() if x.target.endswith("/gone"))
    assert bad.status == "pending" and bad.attempts == 1  # waits, then tries again
    assert "refused" in (bad.error or "")
    assert bad.next_attempt_at is not None and bad.next_attempt_at > bad.created_at
    # The digest waits for its day; then, with no SMTP server, fails with the reason.
    digest = log["team@acme.example"]
    assert digest.status == "pending" and digest.attempts == 0
    later = datetime.now(UTC) + timedelta(days=2)
    run = deliver_outbox(
        acme, Settings.load(database_url="sqlite://", environ={}), now=later, sleep=lambda s: None
    )
    assert run.digests == 1
    log = {x.target: x for x in list_notifications(acme, "acme")}
    assert log["team@acme.example"].status == "failed"
    assert "no SMTP server" in (log["team@acme.example"].error or "")
    assert log[bad.target].attempts == 2


def test_the_customer_hears_back_by_email_and_it_is_recorded(acme: Database) -> None:
    n = _detractor_case(acme)
    with pytest.raises(ConfigError, match="SMTP"):
        close_the_loop(
            acme,
            Settings.load(database_url="sqlite://", environ={}),
            "acme",
            n,
            author="Priya Shah",
        )
    assert get_case(acme, "acme", n).loop_closed_at is None
    with receive_mail() as inbox:
        case = close_the_loop(
            acme,
            _settings(inbox),
            "acme",
            n,
            author="Priya Shah",
            message="We added two people to the support desk.",
        )
    (msg,) = inbox.messages
    assert msg["To"] == "dana@northwind.example"
    body = msg.get_payload()[0].get_payload(decode=True).decode()
    assert body.startswith("Dear Dana,") and "two people to the support desk" in body
    assert "Priya Shah" in body and "Acme" in body
    assert case.loop_closed_at is not None and case.entries[-1].kind == "loop_closed"


def test_the_demo_closes_the_loop(demo_db_url: str) -> None:
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        cases = list_cases(db, "demo")
        assert {c.status for c in cases} == {"new", "acknowledged", "in_progress", "closed"}
        assert {c.trigger for c in cases} >= {
            "detractor",
            "reason_to_leave",
            "below_threshold",
            "failure_burst",
        }
        closed = [c for c in cases if c.status == "closed"]
        assert all(c.resolution in ("exceeded", "met", "failed") for c in closed)
        with db.connect() as conn:
            audiences = set(
                conn.execute(
                    select(t.response.c.audience).join(
                        t.cx_case, t.cx_case.c.response_id == t.response.c.id
                    )
                ).scalars()
            )
            events = conn.execute(
                select(func.count())
                .select_from(t.interaction_event)
                .where(t.interaction_event.c.source_system == "cxgap-cases")
            ).scalar_one()
        assert audiences == {"customer"}
        assert events == sum(c.account is not None for c in closed)
        # Every case of a wave-1 answer can be followed into wave 2.
        first = [c for c in closed if c.response and c.response.endswith(":w1")]
        followed = [case_followup(db, "demo", c.number) for c in first]
        assert sum(f is not None for f in followed) > len(first) / 2
        f = next(f for f in followed if f is not None)
        assert f["before"]["wave"] == "w1" and f["after"]["wave"] == "w2"


def test_a_scan_opens_each_case_once(demo_copy_url: str) -> None:
    with Database.open(Settings.load(database_url=demo_copy_url)) as db:
        end = datetime(2026, 11, 30, tzinfo=UTC)
        assert scan_cases(db, "demo", base_url="http://x", as_of=end, now=end).opened == []
        with db.begin() as conn:
            conn.execute(delete(t.notification))
            conn.execute(delete(t.cx_case))
        first = scan_cases(db, "demo", base_url="http://x", as_of=end, now=end, lookback_days=45)
        assert first.opened and first.considered > 0
        again = scan_cases(db, "demo", base_url="http://x", as_of=end, now=end, lookback_days=45)
        assert again.opened == []


def test_cli_lists_shows_updates_and_closes(demo_copy_url: str) -> None:
    db = ("--db", demo_copy_url)

    def ok(*args: str) -> str:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    listed = json.loads(ok("cases", "list", "demo", "--open", "--json", *db))
    assert listed and all(c["status"] != "closed" for c in listed)
    assert all("contact_email" not in c for c in listed)
    case = next(c for c in listed if c["account"] and c["status"] == "new")
    n = str(case["number"])
    assert f"Case #{n}" in ok("cases", "show", "demo", n, *db)
    ok("cases", "update", "demo", n, "--status", "in_progress", "--note", "On it", *db)
    bad = runner.invoke(cli, ["cases", "close", "demo", n, "--outcome", "solved", *db])
    assert bad.exit_code != 0 and "unknown outcome 'solved'" in bad.output
    ok(
        "cases",
        "close",
        "demo",
        n,
        "--outcome",
        "exceeded",
        "--touchpoint",
        "support",
        "--moment",
        "problem_resolution",
        *db,
    )
    shown = json.loads(ok("cases", "show", "demo", n, "--json", *db))
    assert shown["status"] == "closed" and shown["resolution"] == "exceeded"
    assert [e["kind"] for e in shown["entries"]][-2:] == ["root_cause", "closed"]


def test_two_senders_at_once_send_each_notification_once(acme: Database, webhook: Webhook) -> None:
    from cxgap.store.notifications import claim, due_notifications

    add_rule(acme, "acme", channel="webhook", target=webhook.url, scope="all")
    webhook.status = 500  # nothing gets through while the first sender works
    _detractor_case(acme)
    now = datetime.now(UTC) + timedelta(hours=2)  # past the retry wait
    due = [n.id for n in due_notifications(acme, now=now)]
    assert len(due) == 1
    assert claim(acme, due, now=now) == due
    assert claim(acme, due, now=now) == []  # the second sender gets nothing
    # The first sender stopped without recording anything: due again after the lease.
    later = now + timedelta(minutes=11)
    assert claim(acme, due, now=later) == due


def test_a_case_past_its_due_date_is_told_once(acme: Database) -> None:
    n = _detractor_case(acme)  # priya, the owner, was e-mailed at opening
    case = get_case(acme, "acme", n)
    early = scan_cases(acme, "acme", base_url="http://x", now=case.due_at - timedelta(hours=1))
    assert early.overdue == []
    late = case.due_at + timedelta(hours=1)
    first = scan_cases(acme, "acme", base_url="http://x", now=late)
    assert first.overdue == [n] and first.notifications == 1
    notes = [
        x for x in list_notifications(acme, "acme") if x.subject.startswith(f"Case #{n} overdue")
    ]
    assert [x.target for x in notes] == ["priya@acme.example"]
    assert get_case(acme, "acme", n, now=late).entries[-1].kind == "overdue"
    again = scan_cases(acme, "acme", base_url="http://x", now=late + timedelta(days=1))
    assert again.overdue == [] and again.notifications == 0
