"""Real browser tests of the survey pages: phone and desktop viewports,
resuming a half-filled survey, submitting twice, validation, keyboard use."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from cxgap.store import schema as t
from cxgap.store.frames import load_frame
from cxgap.store.invitations import Contact, create_anonymous_link, create_invitations

pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESKTOP = (1280, 900)


def _link(server: Any, audience: str = "customer", email: str = "ann@example.com") -> str:
    extra = {"segment": "top"} if audience == "customer" else {"team": "support"}
    [link] = create_invitations(
        server.db,
        "acme",
        audience=audience,
        wave="w1",
        contacts=[Contact(email=email, name="Ann", **extra)],
    ).links
    return link.url(server.base_url)


def _fill_section(page: Any) -> None:
    """Answer every question on the page as a person would."""
    for fieldset in page.locator("fieldset.question").all():
        picks = fieldset.locator("label.pick")
        if picks.count():
            picks.nth(picks.count() - 2).click()
            continue
        selects = fieldset.locator("select")
        if selects.count():
            for i in range(selects.count()):
                selects.nth(i).select_option(str(i + 1))
            continue
        boxes = fieldset.locator("input[type=checkbox]")
        if boxes.count():
            boxes.first.check()
            continue
        number = fieldset.locator("input[type=number]")
        if number.count():
            number.fill("40")
            continue
        text = fieldset.locator("textarea")
        if text.count():
            text.fill("Support calls back <b>when</b> they say they will.")


def _every_control_is_labelled(page: Any) -> None:
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => !el.labels || el.labels.length === 0).map(el => el.name)"""
    )
    assert unlabelled == []


def _walk_to_the_end(w: Any, prefix: str) -> None:
    page = w.page
    n = 1
    while True:
        _every_control_is_labelled(page)
        _fill_section(page)
        w.shot(f"{prefix}-section-{n}")
        submit = page.get_by_role("button", name="Submit my answers")
        if submit.count():
            submit.click()
            break
        page.get_by_role("button", name="Save and continue").click()
        n += 1
        page.wait_for_selector(f"text=Section {n} of")


def _responses(server: Any) -> int:
    with server.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.response)).scalar_one())


@pytest.mark.parametrize(("name", "size"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_customer_fills_and_submits_the_survey(
    server: Any, open_page: Any, name: str, size: tuple[int, int]
) -> None:
    w = open_page(*size, mobile=name == "phone")
    w.page.goto(_link(server))
    assert w.page.locator("progress").get_attribute("max") == "5"
    _walk_to_the_end(w, f"customer-{name}")
    w.page.wait_for_selector("h1:text('Thank you')")
    w.shot(f"customer-{name}-thanks")
    frame = load_frame(server.db, "acme")
    assert len(frame) == 1 and frame.loc[0, "ltr"] == 9.0
    assert frame.loc[0, "open.well"] == "Support calls back <b>when</b> they say they will."
    if name == "phone":
        width = w.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE[0], "the page scrolls sideways on a phone"


def test_staff_desktop_sees_staff_wording_and_questions(server: Any, open_page: Any) -> None:
    w = open_page(*DESKTOP)
    w.page.goto(_link(server, "staff", "sam@acme.test"))
    assert w.page.get_by_text("as you believe our customers experience us").is_visible()
    _walk_to_the_end(w, "staff-desktop")
    w.page.wait_for_selector("h1:text('Thank you')")
    frame = load_frame(server.db, "acme")
    assert frame.loc[0, "team"] == "support" and frame.loc[0, "expected_promoters"] == 40.0


def test_half_filled_survey_resumes_from_the_same_link(server: Any, open_page: Any) -> None:
    url = _link(server)
    first = open_page(*PHONE, mobile=True)
    first.page.goto(url)
    _fill_section(first.page)
    first.page.get_by_role("button", name="Save and continue").click()
    first.page.wait_for_selector("text=Section 2 of 5")
    first.page.context.close()

    later = open_page(*PHONE, mobile=True)  # another day, a new browser session
    later.page.goto(url)
    later.page.wait_for_selector("text=Section 2 of 5")
    later.shot("resume-section-2")
    later.page.get_by_role("button", name="Back").click()
    later.page.wait_for_selector("text=Section 1 of 5")
    checked = later.page.locator("label.pick input:checked").count()
    assert checked == 6  # the six factor ratings given before
    later.shot("resume-back-to-section-1")


def test_submitting_twice_keeps_one_response(server: Any, open_page: Any) -> None:
    url = _link(server)
    w = open_page(*DESKTOP)
    w.page.goto(url)
    _walk_to_the_end(w, "twice")
    w.page.wait_for_selector("h1:text('Thank you')")
    w.page.go_back()  # the last section again, from the browser's history
    w.page.wait_for_load_state()
    if w.page.get_by_role("button", name="Submit my answers").count():
        w.page.get_by_role("button", name="Submit my answers").click()
    w.page.wait_for_selector("h1:text('Already answered')")
    w.shot("twice-already-answered")
    w.page.goto(url)
    assert w.page.locator("h1").inner_text() == "Already answered"
    assert _responses(server) == 1


def test_double_click_on_submit_sends_once(server: Any, open_page: Any) -> None:
    w = open_page(*DESKTOP)
    w.page.goto(_link(server))
    for _ in range(4):
        _fill_section(w.page)
        w.page.get_by_role("button", name="Save and continue").click()
        w.page.wait_for_load_state()
    _fill_section(w.page)
    w.page.get_by_role("button", name="Submit my answers").dblclick()
    w.page.wait_for_selector("h1:text('Thank you')")
    assert _responses(server) == 1


def test_missing_answers_are_shown_beside_the_fields(server: Any, open_page: Any) -> None:
    w = open_page(*PHONE, mobile=True)
    w.page.goto(_link(server))
    w.page.locator("label.pick").first.click()
    w.page.get_by_role("button", name="Save and continue").click()
    # Playwright's expect retries until the page settles, and names what differs.
    errors = w.page.locator("fieldset.invalid p.error")
    expect(errors).to_have_count(5)
    expect(errors.first).to_have_text(re.compile(r"Please answer this question\.$"))
    # Focus moves to the summary (autofocus, and survey.js where it runs).
    expect(w.page.locator("#error-summary")).to_be_focused()
    w.shot("validation-phone")


def test_survey_works_without_javascript(server: Any, open_page: Any) -> None:
    w = open_page(*DESKTOP, javascript=False)
    w.page.goto(_link(server))
    w.page.get_by_role("button", name="Save and continue").click()
    expect(w.page.locator("fieldset.invalid p.error")).to_have_count(6)
    # Without survey.js the summary still takes focus, so a screen reader starts there.
    expect(w.page.locator("#error-summary")).to_be_focused()
    _fill_section(w.page)
    w.page.get_by_role("button", name="Save and continue").click()
    expect(w.page.locator("#error-summary")).to_have_count(0)
    expect(w.page.locator("progress")).to_have_attribute("value", "2")
    w.shot("no-javascript")


def test_survey_can_be_answered_with_the_keyboard(server: Any, open_page: Any) -> None:
    w = open_page(*DESKTOP)
    w.page.goto(_link(server))
    w.page.keyboard.press("Tab")  # the skip link comes first
    expect(w.page.locator(":focus")).to_have_text("Skip to the questions")
    w.page.locator("input[name='perf.personalisation']").first.focus()
    w.page.keyboard.press("ArrowRight")
    w.page.keyboard.press("ArrowRight")
    assert (
        w.page.locator("input[name='perf.personalisation']:checked").get_attribute("value") == "3"
    )
    w.shot("keyboard-focus")


def test_anonymous_team_link_in_the_browser(server: Any, open_page: Any) -> None:
    link = create_anonymous_link(server.db, "acme", wave="w1", team="billing")
    w = open_page(*PHONE, mobile=True)
    w.page.goto(link.url(server.base_url))
    assert w.page.get_by_text("This survey is anonymous").is_visible()
    _walk_to_the_end(w, "anonymous")
    w.page.wait_for_selector("h1:text('Thank you')")
    frame = load_frame(server.db, "acme")
    assert list(frame["team"]) == ["billing"]


@pytest.mark.parametrize(("name", "size"), [("desktop", (1280, 900)), ("phone", PHONE)])
def test_api_reference_page_reads_on_desktop_and_phone(
    server: Any, open_page: Any, name: str, size: tuple[int, int]
) -> None:
    w = open_page(*size, mobile=name == "phone")
    w.page.goto(f"{server.base_url}/api/docs")
    assert w.page.locator("h2:has-text('POST /api/v1/surveys/{token}/submit')").count() == 1
    w.shot(f"api-docs-{name}")
    if name == "phone":
        width = w.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE[0], "the page scrolls sideways on a phone"
