"""The dashboard's cases: My cases of a demo owner, the case page with its
evidence, the forms that work a case (editors and the case's owner only),
a bad outcome shown beside the form with nothing written, telling the
customer over a real SMTP server, and the notifications page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.settings import Settings
from cxgap.store.cases import get_case, list_cases
from cxgap.store.db import Database
from cxgap.store.notifications import list_notifications, list_rules
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study import default_study
from cxgap.web import create_app
from tests.smtpserver import receive_mail
from tests.test_dashboard import PASSWORD, SECRET, csrf_of, sign_in

CASES = "/dashboard/studies/demo/cases"
ORG = "Brightwell Systems"


@pytest.fixture
def demo(demo_copy_url: str) -> Iterator[tuple[Any, Database]]:
    """The demo company: ann owner, mei (Mei Lin, who owns cases) and val, viewers."""
    settings = Settings.load(database_url=demo_copy_url).model_copy(update={"secret_key": SECRET})
    with Database.open(settings) as db:
        add_user(db, "ann@example.com", organisation=ORG, role="owner", password=PASSWORD)
        add_user(
            db,
            "mei@example.com",
            organisation=ORG,
            role="viewer",
            password=PASSWORD,
            name="Mei Lin",
        )
        add_user(db, "val@example.com", organisation=ORG, role="viewer", password=PASSWORD)
        save_study(db, default_study("elsewhere", organisation="Other Co"))
        yield create_app(settings, database=db), db


def _client(app: Any, email: str) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    sign_in(client, email)
    return client


@pytest.fixture
def mei(demo: tuple[Any, Database]) -> Iterator[TestClient]:
    client = _client(demo[0], "mei@example.com")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def val(demo: tuple[Any, Database]) -> Iterator[TestClient]:
    client = _client(demo[0], "val@example.com")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def ann(demo: tuple[Any, Database]) -> Iterator[TestClient]:
    client = _client(demo[0], "ann@example.com")
    yield client
    client.__exit__(None, None, None)


def _rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<th scope="row"><a href="[^"]+/cases/(\d+)">', html)]


def _open_case_of(db: Database, owner: str, **where: Any) -> Any:
    for c in list_cases(db, "demo", open_only=True, owner=owner):
        if all(getattr(c, k) == v for k, v in where.items()):
            return c
    raise AssertionError(f"no open case of {owner} with {where}")


def test_my_cases_is_the_default_for_an_owner_of_cases(demo: Any, mei: TestClient) -> None:
    _, db = demo
    r = mei.get(CASES)
    assert r.status_code == 200
    mine = [c.number for c in list_cases(db, "demo", open_only=True, owner="mei lin")]
    assert mine and _rows(r.text) == mine  # overdue first, then by due date: the store's order
    assert 'aria-current="page">My cases' in r.text
    assert f'My cases&nbsp;<span class="dash-count">({len(mine)})</span>' in r.text
    every = list_cases(db, "demo")
    closed = sum(c.status == "closed" for c in every)
    assert f'Closed&nbsp;<span class="dash-count">({closed})</span>' in r.text
    assert f'All&nbsp;<span class="dash-count">({len(every)})</span>' in r.text
    assert 'href="/dashboard/studies/demo/accounts?mine=1"' in r.text
    assert (
        ">Cases</a>" in r.text
        and 'href="/dashboard/studies/demo/cases" aria-current="page"' in r.text
    )


def test_overdue_rows_say_so_in_words(demo: Any, mei: TestClient) -> None:
    _, db = demo
    late = list_cases(db, "demo", overdue=True)
    assert late
    html = mei.get(f"{CASES}?view=overdue").text
    assert _rows(html) == [c.number for c in late]
    assert html.count('class="dash-overdue"') == len(late)
    assert html.count(">overdue</strong>") == len(late)


def test_someone_owning_nothing_sees_the_open_cases(demo: Any, val: TestClient) -> None:
    _, db = demo
    html = val.get(CASES).text
    assert 'aria-current="page">Open' in html
    assert _rows(html) == [c.number for c in list_cases(db, "demo", open_only=True)]


def test_search_matches_title_and_account(demo: Any, val: TestClient) -> None:
    _, db = demo
    case = list_cases(db, "demo")[0]
    name = case.account_name or case.title
    html = val.get(f"{CASES}?view=all&q={name.upper()}").text
    got = _rows(html)
    assert case.number in got
    assert all(
        name.lower() in (c.title + (c.account_name or "") + (c.account or "")).lower()
        for c in list_cases(db, "demo")
        if c.number in got
    )
    assert "No case of this view matches" in val.get(f"{CASES}?view=all&q=zzzqqq").text


def test_an_unknown_view_is_refused(val: TestClient) -> None:
    assert val.get(f"{CASES}?view=everything").status_code == 422


def test_the_case_page_shows_the_evidence(demo: Any, val: TestClient) -> None:
    _, db = demo
    case = next(
        c
        for c in list_cases(db, "demo")
        if c.evidence.get("ledger", {}).get("largest_debits") and c.evidence.get("text")
    )
    html = val.get(f"{CASES}/{case.number}").text
    assert f"Case #{case.number}" in html
    led = case.evidence["ledger"]
    first = led["largest_debits"][0]
    assert "Largest debits still weighing on the balance" in html
    assert (
        f"{first['contribution']:+.2f}".replace("-", "−") in html
        or f"{first['contribution']:.2f}" in html
    )
    assert "They wrote" in html
    assert f"/dashboard/studies/demo/accounts/{case.account}" in html
    assert "Only the case&#39;s owner" in html or "Only the case's owner" in html
    assert 'name="part"' not in html  # a viewer who does not own it gets no forms
    # a viewer does not see the contact's address
    assert case.contact_email is None or case.contact_email not in html


def test_a_viewer_who_is_not_the_owner_cannot_change_a_case(demo: Any, val: TestClient) -> None:
    _, db = demo
    case = _open_case_of(db, "Mei Lin", status="new")
    token = csrf_of(val.get(CASES).text)
    r = val.post(
        f"{CASES}/{case.number}",
        data={"csrf_token": token, "part": "status", "status": "acknowledged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert get_case(db, "demo", case.number).status == "new"


def test_a_case_of_another_organisation_is_404(demo: Any, val: TestClient) -> None:
    assert val.get("/dashboard/studies/elsewhere/cases").status_code == 404
    assert val.get("/dashboard/studies/elsewhere/cases/1").status_code == 404
    assert val.get(f"{CASES}/99999").status_code == 404


def test_the_owner_acknowledges_notes_and_closes(demo: Any, mei: TestClient) -> None:
    _, db = demo
    case = _open_case_of(db, "Mei Lin", status="new")
    page = f"{CASES}/{case.number}"
    html = mei.get(page).text
    token = csrf_of(html)
    assert "Acknowledge" in html
    r = mei.post(
        page,
        data={"csrf_token": token, "part": "status", "status": "acknowledged"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"{page}?saved=status")
    assert get_case(db, "demo", case.number).status == "acknowledged"
    mei.post(page, data={"csrf_token": token, "part": "note", "note": "Called them."})
    r = mei.post(
        page,
        data={
            "csrf_token": token,
            "part": "close",
            "resolution": "met",
            "root_factor": "empathy",
            "root_touchpoint": "support",
            "root_moment": "problem_resolution",
            "note": "Fixed the invoice.",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = get_case(db, "demo", case.number)
    assert (after.status, after.resolution, after.root_touchpoint) == ("closed", "met", "support")
    kinds = [e.kind for e in after.entries]
    assert kinds[-5:] == ["status", "note", "root_cause", "closed", "note"]
    assert all(e.author == "Mei Lin" for e in after.entries[-5:])
    shown = mei.get(r.headers["location"]).text
    assert "Saved: the case is closed" in shown and "Called them." in shown
    r = mei.post(page, data={"csrf_token": token, "part": "status", "status": "in_progress"})
    reopened = get_case(db, "demo", case.number)
    assert (reopened.status, reopened.resolution, reopened.entries[-1].kind) == (
        "in_progress",
        None,
        "reopened",
    )


def test_a_bad_outcome_shows_the_error_and_writes_nothing(demo: Any, mei: TestClient) -> None:
    _, db = demo
    case = _open_case_of(db, "Mei Lin")
    before = get_case(db, "demo", case.number)
    page = f"{CASES}/{case.number}"
    token = csrf_of(mei.get(page).text)
    r = mei.post(
        page,
        data={
            "csrf_token": token,
            "part": "close",
            "resolution": "delighted",
            "root_touchpoint": "support",
            "root_moment": "problem_resolution",
            "note": "keep me",
        },
    )
    assert r.status_code == 200
    assert (
        "unknown outcome &#39;delighted&#39;" in r.text or "unknown outcome 'delighted'" in r.text
    )
    assert "keep me</textarea>" in r.text
    assert get_case(db, "demo", case.number) == before
    # closing an account's case without where it happened: said, nothing written
    r = mei.post(page, data={"csrf_token": token, "part": "close", "resolution": "met"})
    assert r.status_code == 200 and "touchpoint and moment" in r.text
    r = mei.post(page, data={"csrf_token": token, "part": "close"})
    assert r.status_code == 200 and "Choose the outcome" in r.text
    assert get_case(db, "demo", case.number) == before


def test_an_editor_changes_the_owner(demo: Any, ann: TestClient) -> None:
    _, db = demo
    case = _open_case_of(db, "Mei Lin")
    page = f"{CASES}/{case.number}"
    token = csrf_of(ann.get(page).text)
    r = ann.post(page, data={"csrf_token": token, "part": "owner", "owner": "Tom Becker"})
    assert r.status_code == 200
    assert get_case(db, "demo", case.number).owner == "Tom Becker"
    assert get_case(db, "demo", case.number).entries[-1].author == "ann@example.com"


def test_telling_the_customer_without_smtp_records_nothing(demo: Any, mei: TestClient) -> None:
    _, db = demo
    case = next(
        c for c in list_cases(db, "demo", open_only=True, owner="Mei Lin") if c.contact_email
    )
    page = f"{CASES}/{case.number}"
    html = mei.get(page).text
    assert "Tell the customer" in html
    r = mei.post(f"{page}/tell", data={"csrf_token": csrf_of(html), "message": "We fixed it."})
    assert r.status_code == 200
    assert "cannot e-mail the customer" in r.text and "We fixed it.</textarea>" in r.text
    assert get_case(db, "demo", case.number).loop_closed_at is None


def test_telling_the_customer_sends_and_records(demo_copy_url: str) -> None:
    with receive_mail() as inbox:
        settings = Settings.load(database_url=demo_copy_url).model_copy(
            update={
                "secret_key": SECRET,
                "smtp_host": "127.0.0.1",
                "smtp_port": inbox.port,
                "smtp_from": "cx@brightwell.example",
            }
        )
        with Database.open(settings) as db:
            add_user(
                db,
                "mei@example.com",
                organisation=ORG,
                role="viewer",
                password=PASSWORD,
                name="Mei Lin",
            )
            case = next(
                c
                for c in list_cases(db, "demo", open_only=True, owner="Mei Lin")
                if c.contact_email
            )
            with TestClient(create_app(settings, database=db)) as client:
                sign_in(client, "mei@example.com")
                page = f"{CASES}/{case.number}"
                token = csrf_of(client.get(page).text)
                r = client.post(
                    f"{page}/tell",
                    data={"csrf_token": token, "message": "We refunded the invoice."},
                    follow_redirects=False,
                )
                assert r.status_code == 303
            after = get_case(db, "demo", case.number)
    [mail] = inbox.messages
    assert mail["To"] == case.contact_email
    [plain] = [p for p in mail.walk() if p.get_content_type() == "text/plain"]
    body = plain.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode()
    assert "We refunded the invoice." in text
    assert after.loop_closed_at is not None and after.entries[-1].kind == "loop_closed"


def test_the_notifications_page_hides_webhook_tokens(
    demo: Any, ann: TestClient, val: TestClient
) -> None:
    _, db = demo
    page = "/dashboard/studies/demo/notifications"
    html = ann.get(page).text
    assert "Delivery log" in html and "Retry the failed" in html
    token = csrf_of(html)
    hook = "https://hooks.slack.com/services/T000/B000/SECRETTOKENxyz"
    r = ann.post(
        f"{page}/subscriptions",
        data={
            "csrf_token": token,
            "channel": "slack",
            "target": hook,
            "scope": "all",
            "mode": "digest",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    [rule] = [x for x in list_rules(db, "demo") if x.target == hook]
    assert (rule.scope, rule.mode, rule.user) == ("all", "digest", None)
    shown = ann.get(page).text
    assert "SECRETTOKENxyz" not in shown and "slack webhook at" in shown
    # a viewer reads the log but cannot subscribe or retry
    assert "Add a subscription" not in val.get(page).text
    r = val.post(f"{page}/retry", data={"csrf_token": csrf_of(val.get(page).text)})
    assert r.status_code == 403
    r = ann.post(
        f"{page}/subscriptions/{rule.id}/remove", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303 and all(x.id != rule.id for x in list_rules(db, "demo"))


def test_a_bad_subscription_is_said_and_kept(demo: Any, ann: TestClient) -> None:
    _, db = demo
    page = "/dashboard/studies/demo/notifications"
    token = csrf_of(ann.get(page).text)
    before = list_rules(db, "demo")
    r = ann.post(
        f"{page}/subscriptions",
        data={"csrf_token": token, "channel": "email", "target": "not-an-address", "scope": "mine"},
    )
    assert r.status_code == 200 and "not an e-mail address" in r.text
    assert 'value="not-an-address"' in r.text
    r = ann.post(
        f"{page}/subscriptions",
        data={"csrf_token": token, "channel": "folder", "target": "/tmp/x", "scope": "all"},
    )
    assert r.status_code == 200 and "unknown channel" in r.text
    assert list_rules(db, "demo") == before
    r = ann.post(
        f"{page}/subscriptions",
        data={
            "csrf_token": token,
            "channel": "email",
            "target": "ann@example.com",
            "scope": "mine",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert [x.user for x in list_rules(db, "demo") if x not in before] == ["ann@example.com"]


def test_retry_puts_failed_notifications_back_and_delivers_after(
    demo: Any, ann: TestClient
) -> None:
    _, db = demo
    failed = list_notifications(db, "demo", status="failed")
    page = "/dashboard/studies/demo/notifications"
    r = ann.post(
        f"{page}/retry", data={"csrf_token": csrf_of(ann.get(page).text)}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"].endswith(f"saved=retry-{len(failed)}")
    # the background task ran after the answer: each was tried again (no SMTP here: failed again)
    for n in failed:
        again = next(x for x in list_notifications(db, "demo") if x.id == n.id)
        assert again.attempts >= 1
