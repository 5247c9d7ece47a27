"""The dashboard's forms in Debian's headless Chromium, on the demo company,
at laptop (1280) and phone (390) widths: editing the set-up, adding and
adopting actions, creating invitations and downloading their links, and a
refused form. No console errors, no request leaves 127.0.0.1, no request
fails except the refusals the test provokes; the page never scrolls
sideways. Screenshots: ``test-artifacts/browser/forms-*.png``."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cxgap.store.actions import list_actions
from cxgap.store.studies import load_study
from cxgap.store.survey import open_survey

from .live import Server, sign_in
from .test_dashboard_browser import SIZES, _no_sideways_scroll, demo_server  # noqa: F401

pytestmark = pytest.mark.browser


class Failures:
    """HTTP answers of 400 or more, and requests that failed outright."""

    def __init__(self, page: Any) -> None:
        self.seen: list[str] = []
        page.on("requestfailed", lambda r: self.seen.append(f"failed {r.url}"))
        page.on(
            "response",
            lambda r: self.seen.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def take(self) -> list[str]:
        out, self.seen = self.seen, []
        return out


def _open(open_page: Any, size: str, base: str) -> tuple[Any, Any, Failures]:
    width, height, mobile = SIZES[size]
    w = open_page(width, height, mobile=mobile)
    failures = Failures(w.page)
    sign_in(w.page, base)
    return w, w.page, failures


def _check(page: Any) -> None:
    """No sideways scroll, and no Python object leaked into the page."""
    _no_sideways_scroll(page)
    text = page.inner_text("body")
    for leak in ("built-in method", "bound method", "object at 0x", "Undefined"):
        assert leak not in text, leak


def _statuses(failures: Failures) -> list[str]:
    return [x.split(" ", 1)[0] for x in failures.take()]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_set_up_is_edited_in_the_browser(
    demo_server: Server,  # noqa: F811
    open_page: Any,
    size: str,
) -> None:
    base, db = demo_server.base_url, demo_server.db
    w, page, failures = _open(open_page, size, base)
    page.goto(f"{base}/dashboard/studies/demo/setup")
    _check(page)
    w.shot(f"forms-{size}-setup")

    # A segment renamed and one added, in the same table form.
    segments = page.locator("#segments")
    segments.get_by_label("Label of top", exact=True).fill("Top 20 accounts")
    segments.get_by_label("Key of a new segment").fill("partners")
    segments.get_by_label("Label of the new segment", exact=True).fill("Partner-led")
    segments.get_by_role("button", name="Save customer segments").click()
    page.wait_for_selector("#segments .dash-ok")
    assert "Customer segments saved." in page.inner_text("#segments")
    study = load_study(db, "demo")
    assert study.segments[0].label == "Top 20 accounts"
    assert study.segments[-1].key == "partners"

    # The moments saved as shown (the empty "add" row adds nothing).
    page.locator("#moments").get_by_role("button", name="Save moments that matter").click()
    page.wait_for_selector("#moments .dash-ok")
    assert len(load_study(db, "demo").moments) == len(study.moments)

    # A bad weight: shown beside the field, the rest kept, focus on the summary.
    moments = page.locator("#moments")
    moments.get_by_label("Ledger weight of implementation").fill("heavy")
    moments.get_by_role("button", name="Save moments that matter").click()
    page.wait_for_selector("#moments .dash-field-error")
    assert "Expected a number above 0 (got “heavy”)." in page.inner_text("#moments")
    # The summary names the row and the field.
    assert "implementation, weight: Expected a number above 0" in page.inner_text("#error-summary")
    # Playwright's retrying assertion, not a polled string: the page's CSP
    # (script-src 'self') refuses a string evaluated as JavaScript.
    expect(page.locator("#error-summary")).to_be_focused(timeout=5000)
    assert (
        page.locator("#moments").get_by_label("Ledger weight of implementation").input_value()
        == "heavy"
    )
    page.locator("#moments .dash-field-error").first.scroll_into_view_if_needed()
    _check(page)
    w.shot(f"forms-{size}-setup-refused")
    # A form shown again with its problems is an ordinary page, not a failed load.
    assert failures.take() == []

    # A question added, moved up, then removed (after confirming), by keyboard too.
    page.goto(f"{base}/dashboard/studies/demo/setup/new-question")
    page.get_by_label("Key", exact=True).fill(f"open.onboarding_{size}")
    page.get_by_label("Question text").fill("How did your first month with us go?")
    page.get_by_label("Kind").select_option("text")
    page.get_by_label("Lowest value").fill("")
    page.get_by_label("Highest value").fill("")
    for audience in ("leadership", "staff"):
        page.get_by_label(audience, exact=True).uncheck()
    _check(page)
    w.shot(f"forms-{size}-question")
    # By keyboard: Tab from the last field reaches the button, with a visible focus ring.
    page.get_by_label("Touchpoint").focus()
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Add the question")
    expect(focused).to_have_css("outline-style", "solid")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/setup?saved=questions#q-open-onboarding_{size}")
    key = f"open.onboarding_{size}"
    assert load_study(db, "demo").questions[-1].key == key
    row = page.locator(f"#q-open-onboarding_{size}")
    row.get_by_role("button", name=f"Move {key} up").click()
    page.wait_for_url("**saved=questions**")
    assert [q.key for q in load_study(db, "demo").questions][-2] == key
    page.once("dialog", lambda d: d.accept())
    page.locator(f"#q-open-onboarding_{size}").get_by_role(
        "button", name=f"Remove question {key}"
    ).click()
    page.wait_for_selector("#questions .dash-ok")
    assert key not in [q.key for q in load_study(db, "demo").questions]
    assert failures.take() == []


@pytest.mark.parametrize("size", list(SIZES))
def test_actions_are_added_and_adopted_in_the_browser(
    demo_server: Server,  # noqa: F811
    open_page: Any,
    size: str,
) -> None:
    base, db = demo_server.base_url, demo_server.db
    w, page, failures = _open(open_page, size, base)
    page.goto(f"{base}/dashboard/studies/demo/actions")
    page.get_by_role("link", name="Add an action").click()
    page.get_by_label("Title").fill(f"Weekly call with every new account ({size})")
    page.get_by_label("Factor").select_option("empathy")
    page.get_by_label("Due date").fill("2027-04-30")
    page.get_by_label("Owner").fill("Dana Ortiz")
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Add to the plan").click()
    page.wait_for_selector(".dash-error-summary")
    assert "Expected a title of 1 to 300 characters." in page.inner_text("#content")
    assert page.get_by_label("Owner").input_value() == "Dana Ortiz"
    _check(page)
    w.shot(f"forms-{size}-action-refused")
    # A form shown again with its problems is an ordinary page, not a failed load.
    assert failures.take() == []
    page.get_by_label("Title").fill(f"Weekly call with every new account ({size})")
    page.get_by_role("button", name="Add to the plan").click()
    page.wait_for_selector(".dash-ok")
    [added] = [a for a in list_actions(db, "demo") if a.title.endswith(f"({size})")]
    assert (added.factor, added.owner, str(added.due_on)) == ("empathy", "Dana Ortiz", "2027-04-30")

    page.get_by_role("link", name="Adopt a ranked candidate").click()
    page.wait_for_selector("ol.dash-actions")
    _check(page)
    w.shot(f"forms-{size}-candidates")
    first = page.locator("ol.dash-actions > li").first
    title = first.locator("h2").inner_text().split(". ", 1)[1]
    first.get_by_role("link", name=f"Adopt {title}").click()
    assert "Evidence" in page.inner_text("#content")
    page.get_by_label("Owner").fill("Sam Lee")
    _check(page)
    w.shot(f"forms-{size}-adopt")
    page.get_by_role("button", name="Add to the plan").click()
    page.wait_for_selector(".dash-ok")
    [adopted] = [a for a in list_actions(db, "demo") if a.title == title and a.owner == "Sam Lee"]
    assert adopted.evidence and adopted.priority is not None
    _check(page)
    w.shot(f"forms-{size}-plan")
    assert failures.take() == []


@pytest.mark.parametrize("size", list(SIZES))
def test_invitations_are_created_and_downloaded_in_the_browser(
    demo_server: Server,  # noqa: F811
    open_page: Any,
    size: str,
    tmp_path: Path,
) -> None:
    base, db = demo_server.base_url, demo_server.db
    w, page, failures = _open(open_page, size, base)
    page.goto(f"{base}/dashboard/studies/demo/responses")
    _check(page)
    w.shot(f"forms-{size}-responses")
    bad = tmp_path / "bad.csv"
    bad.write_text("email,segment\nnew@example.com,vip\n", encoding="utf-8")
    invite = page.locator("#invite")
    invite.get_by_label("Contacts file").set_input_files(str(bad))
    invite.get_by_role("button", name="Create the links").click()
    page.wait_for_selector("#invite .dash-error-summary")
    assert "bad.csv, row 2, column 'segment'" in page.inner_text("#invite")
    page.locator("#invite").scroll_into_view_if_needed()
    _check(page)
    w.shot(f"forms-{size}-invite-refused")
    # A form shown again with its problems is an ordinary page, not a failed load.
    assert failures.take() == []

    good = tmp_path / "contacts.csv"
    good.write_text(
        f"email,name,segment\nzoe.{size}@example.com,Zoë Quist,top\n"
        f"yan.{size}@example.com,=1+2,new\n",
        encoding="utf-8",
    )
    invite = page.locator("#invite")
    invite.get_by_label("Audience").select_option("customer")
    invite.get_by_label("Contacts file").set_input_files(str(good))
    invite.get_by_role("button", name="Create the links").click()
    page.wait_for_selector("h1:has-text('2 new customer links')")
    _check(page)
    w.shot(f"forms-{size}-links")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the links").click()
    saved = tmp_path / "links.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith("-customer-links.csv")
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [r["name"] for r in rows] == ["Zoë Quist", "'=1+2"]
    for r in rows:
        state = open_survey(db, r["link"].rsplit("/", 1)[1])
        assert state.link.segment == r["segment"]

    page.goto(f"{base}/dashboard/studies/demo/responses#anonymous")
    anon = page.locator("#anonymous")
    anon.get_by_label("Team").select_option("support")
    anon.get_by_role("button", name="Create the team link").click()
    page.wait_for_selector("#link-0")
    # Our script shows the copy button once the page has loaded.
    page.get_by_role("button", name="Copy the link").wait_for(state="visible", timeout=10_000)
    _check(page)
    w.shot(f"forms-{size}-team-link")
    assert failures.take() == []


def test_a_form_sent_after_signing_out_elsewhere_says_so(
    demo_server: Server,  # noqa: F811
    open_page: Any,
) -> None:
    base = demo_server.base_url
    for size in SIZES:
        w, page, failures = _open(open_page, size, base)
        page.goto(f"{base}/dashboard/studies/demo/setup")
        page.context.clear_cookies()  # the session ends (signed out in another tab)
        page.locator("#promise").get_by_label("Promise statements, one per line").fill(
            "We call back"
        )
        page.get_by_role("button", name="Save the promise").click()
        page.wait_for_selector("h1:has-text('Your session has ended')")
        _check(page)
        w.shot(f"forms-{size}-session-ended")
        # The refusal keeps its status (403), which the browser reports once.
        assert _statuses(failures) == ["403"]
        assert w.console_errors == [
            "Failed to load resource: the server responded with a status of 403 (Forbidden)"
        ]
        w.console_errors.clear()
        page.get_by_role("link", name="Sign in again").click()
        page.get_by_label("E-mail address").fill("ann@example.com")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/dashboard/studies/demo/setup")
        assert failures.take() == []
