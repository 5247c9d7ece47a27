"""Cases in Debian's headless Chromium against a real uvicorn server holding
the demo company: a demo owner (Mei Lin) opens My cases, a case, acknowledges
it, closes it with its outcome and root cause and reads the history, at
laptop and phone size with no sideways scroll. Screenshots go to
``/tmp/shots-cases/`` for a person to look at."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxgap.settings import Settings
from cxgap.store.cases import get_case, list_cases
from cxgap.store.db import Database
from cxgap.store.users import add_user

from .live import PASSWORD, Server, serving, sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-cases")
#: The ports this test's server may use.
PORTS = range(18700, 18750)
SIZES = {"laptop": (1400, 900, False), "phone": (390, 844, True)}


def _port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture
def cases_server(demo_db_url: str, tmp_path: Path) -> Iterator[Server]:
    """``cxgap serve`` on a private copy of the demo, with Mei Lin as a user."""
    from cxgap.web import create_app

    source = Path(demo_db_url.removeprefix("sqlite:///"))
    with Database.open(Settings.load(database_url=demo_db_url)) as db, db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source, tmp_path / "cases.db")
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'cases.db'}").model_copy(
        update={"secret_key": "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"}
    )
    db = Database.open(settings)
    add_user(
        db,
        "mei.lin@brightwell.example",
        organisation="Brightwell Systems",
        role="viewer",
        password=PASSWORD,
        name="Mei Lin",
    )
    try:
        with serving(create_app(settings, database=db), _port()) as base:
            yield Server(base, db)
    finally:
        db.close()


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport + 1, f"page is {width}px wide in a {viewport}px window"


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_an_owner_works_a_case_to_its_close(
    cases_server: Server, open_page: Any, size: str
) -> None:
    base, db = cases_server.base_url, cases_server.db
    width, height, mobile = SIZES[size]
    page = open_page(width, height, mobile=mobile).page
    sign_in(page, base, "mei.lin@brightwell.example")
    page.goto(f"{base}/dashboard/studies/demo/cases")
    page.get_by_role("heading", name="Cases", exact=True).wait_for()
    assert page.get_by_role("link", name="My cases").get_attribute("aria-current") == "page"
    mine = list_cases(db, "demo", open_only=True, owner="Mei Lin")
    assert page.locator("table.dash-cases tbody tr").count() == len(mine)
    if any(c.overdue for c in mine):
        assert page.locator("tr.dash-overdue").first.inner_text().lower().count("overdue") == 1
    _no_sideways_scroll(page)
    _shot(page, f"my-cases-{size}")

    case = next(c for c in mine if c.status == "new" and c.account)
    page.get_by_role("link", name=f"#{case.number}", exact=True).click()
    page.get_by_role("heading", name=f"Case #{case.number}: {case.title}").wait_for()
    _no_sideways_scroll(page)
    _shot(page, f"case-{size}")

    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_role("status").filter(has_text="Saved: the status").wait_for()
    assert get_case(db, "demo", case.number).status == "acknowledged"

    close = page.locator("form#close")
    close.get_by_label("met").check()
    close.get_by_label("Touchpoint").select_option("support")
    close.get_by_label("Moment").select_option("problem_resolution")
    close.get_by_label("What was done").fill("Called them and fixed the invoice.")
    close.get_by_role("button", name="Close the case").click()
    page.get_by_role("status").filter(has_text="the case is closed").wait_for()
    after = get_case(db, "demo", case.number)
    assert (after.status, after.resolution) == ("closed", "met")
    history = page.locator("#history")
    for text in (
        "Status: new -> acknowledged.",
        "Closed: met for the customer.",
        "Called them and fixed the invoice.",
    ):
        assert text in history.inner_text()
    assert page.get_by_role("button", name="Reopen").is_visible()
    _no_sideways_scroll(page)
    _shot(page, f"case-closed-{size}")

    page.get_by_role("link", name="The study's notifications and subscriptions").click()
    page.get_by_role("heading", name="Delivery log").wait_for()
    _no_sideways_scroll(page)
    _shot(page, f"notifications-{size}")
