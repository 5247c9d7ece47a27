"""The whole closed loop in Debian's headless Chromium against a real uvicorn
server and a real SMTP server (aiosmtpd) on loopback: a customer answers
the survey on a phone as a detractor, a case opens for the account's owner,
who receives the e-mail, follows its link, acknowledges the case, closes it
with its outcome and root cause, and the ledger holds the outcome."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.accounts import write_accounts
from cxgap.store.cases import get_case, list_cases
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from tests.smtpserver import Inbox, receive_mail

from .live import PASSWORD, Server, free_port, serving, sign_in

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture
def loop_server(tmp_path: Path) -> Iterator[tuple[Server, Inbox]]:
    """Study acme with account A1 owned by Priya Shah (a dashboard user), a
    server whose SMTP settings point at a real SMTP server on loopback."""
    from cxgap.web import create_app

    port = free_port()
    with receive_mail() as inbox:
        settings = Settings.load(
            database_url=f"sqlite:///{tmp_path / 'loop.db'}",
            environ={
                "CXGAP_SMTP_HOST": "127.0.0.1",
                "CXGAP_SMTP_PORT": str(inbox.port),
                "CXGAP_SMTP_FROM": "cx@acme.example",
                "CXGAP_BASE_URL": f"http://127.0.0.1:{port}",
            },
        ).model_copy(update={"secret_key": "r7Tq2mX9vL4pZ8wK1nB6cJ3hF5gD0sYa"})
        db = Database.open(settings)
        upgrade(db)
        save_study(db, default_study("acme", organisation="Acme", name="Acme service study"))
        write_accounts(
            db,
            "acme",
            pd.DataFrame(
                {
                    "account_id": ["A1"],
                    "name": ["Northwind Ltd"],
                    "segment": ["top"],
                    "annual_revenue": [250_000.0],
                    "owner": ["Priya Shah"],
                    "acquired_at": [None],
                    "defected_at": [None],
                }
            ),
        )
        add_user(
            db,
            "priya@acme.example",
            organisation="Acme",
            role="viewer",
            password=PASSWORD,
            name="Priya Shah",
        )
        try:
            with serving(create_app(settings, database=db), port) as base:
                yield Server(base, db), inbox
        finally:
            db.close()


def _answer_as_a_detractor(page: Any) -> None:
    """Every section answered; likelihood to recommend 2, "excellent" 1."""
    while True:
        for fieldset in page.locator("fieldset.question").all():
            picks = fieldset.locator("label.pick")
            if picks.count():
                picks.nth(picks.count() - 2).click()
            selects = fieldset.locator("select")
            for i in range(selects.count()):
                selects.nth(i).select_option(str(i + 1))
            text = fieldset.locator("textarea")
            if text.count():
                text.fill("Support is slow: we wait two days for every ticket.")
        for name, value in (("ltr", "2"), ("excellent", "1")):
            radio = page.locator(f"input[name='{name}'][value='{value}']")
            if radio.count():
                page.locator(f"label.pick:has(input[name='{name}'][value='{value}'])").click()
        submit = page.get_by_role("button", name="Submit my answers")
        if submit.count():
            submit.click()
            return
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_load_state()


def _wait(what: str, found: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {seconds:g} s")


def test_a_detractor_on_a_phone_reaches_the_owner_who_closes_the_loop(
    loop_server: tuple[Server, Inbox], open_page: Any
) -> None:
    server, inbox = loop_server
    db = server.db
    [link] = create_invitations(
        db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[Contact(email="dana@northwind.example", name="Dana Fox", account_id="A1")],
    ).links
    phone = open_page(390, 844, mobile=True).page
    phone.goto(link.url(server.base_url))
    _answer_as_a_detractor(phone)
    phone.wait_for_selector("h1:text('Thank you')")

    (case,) = _wait("case", lambda: list_cases(db, "acme"))
    assert (case.owner, case.contact, case.account) == ("Priya Shah", "Dana Fox", "A1")
    assert case.rule_key == "detractor" and case.evidence["ltr"] == 2
    mail = _wait("e-mail", lambda: inbox.messages)[0]
    assert mail["To"] == "priya@acme.example"
    assert mail["Subject"].startswith(f"Case #{case.number} opened")
    body = mail.get_payload()[0].get_payload(decode=True).decode()
    url = re.search(r"http://127\.0\.0\.1:\d+/dashboard/studies/acme/cases/\d+", body)
    assert url is not None

    desk = open_page(1400, 900).page
    sign_in(desk, server.base_url, "priya@acme.example")
    desk.goto(url.group(0))
    desk.get_by_role("heading", name=f"Case #{case.number}: {case.title}").wait_for()
    assert "Dana Fox" in desk.content()
    desk.get_by_role("button", name="Acknowledge").click()
    desk.get_by_role("status").filter(has_text="Saved: the status").wait_for()
    assert get_case(db, "acme", case.number).status == "acknowledged"
    close = desk.locator("form#close")
    close.get_by_label("met").check()
    close.get_by_label("Touchpoint").select_option("support")
    close.get_by_label("Moment").select_option("problem_resolution")
    close.get_by_label("What was done").fill("Two more people on the support desk.")
    close.get_by_role("button", name="Close the case").click()
    desk.get_by_role("status").filter(has_text="the case is closed").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SHOTS / "closed-loop-case.png"), full_page=True)

    closed = get_case(db, "acme", case.number)
    assert (closed.status, closed.resolution, closed.root_touchpoint) == (
        "closed",
        "met",
        "support",
    )
    with db.connect() as conn:
        events = conn.execute(
            select(t.interaction_event.c.outcome, t.interaction_event.c.touchpoint).where(
                t.interaction_event.c.source_id == f"case:acme:{case.number}"
            )
        ).all()
    assert [tuple(e) for e in events] == [("met", "support")]
