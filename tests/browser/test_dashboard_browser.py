"""The dashboard in Debian's headless Chromium, against a real uvicorn server
holding the demo company: sign in, open every page at laptop and phone size,
edit an action. No console errors, no request leaves 127.0.0.1; screenshots
go to ``test-artifacts/browser/dashboard-*.png``."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxgap.settings import Settings
from cxgap.store.actions import list_actions
from cxgap.store.db import Database
from cxgap.store.users import add_user

from .live import PASSWORD, Server, free_port, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 900, False), "phone": (390, 844, True)}


@pytest.fixture
def demo_server(demo_db_url: str, tmp_path: Path) -> Iterator[Server]:
    """``cxgap serve`` on a private copy of the demo database, with one owner."""
    import uvicorn

    from cxgap.web import create_app

    source = Path(demo_db_url.removeprefix("sqlite:///"))
    with Database.open(Settings.load(database_url=demo_db_url)) as db, db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source, tmp_path / "dash.db")
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'dash.db'}").model_copy(
        update={"secret_key": "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"}
    )
    db = Database.open(settings)
    add_user(
        db, "ann@example.com", organisation="Brightwell Systems", role="owner", password=PASSWORD
    )
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database=db), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:  # pragma: no cover - reported as a failure
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", db)
    finally:
        srv.should_exit = True
        thread.join(timeout=60)
        db.close()


def _no_sideways_scroll(page: Any) -> None:
    """The page itself never scrolls sideways (wide tables and charts scroll in their frame)."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport + 1, f"page is {width}px wide in a {viewport}px window"


def test_every_dashboard_page_works_on_laptop_and_phone(
    demo_server: Server, open_page: Any
) -> None:
    base = demo_server.base_url
    for size, (width, height, mobile) in SIZES.items():
        w = open_page(width, height, mobile=mobile)
        page = w.page
        failed: list[str] = []
        page.on("requestfailed", lambda r, failed=failed: failed.append(r.url))
        page.on(
            "response",
            lambda r, failed=failed: (
                failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
            ),
        )
        sign_in(page, base)
        assert page.get_by_role("link", name="Brightwell customer experience study").is_visible()
        w.shot(f"dashboard-{size}-studies")

        page.goto(f"{base}/dashboard/studies/demo")
        # The analysis runs in the background; the page shows that and refreshes itself.
        page.wait_for_selector("section#headline", timeout=240_000)
        assert page.locator("section#gaps table").count() >= 1
        assert page.locator("figure.chart img").count() >= 3
        _no_sideways_scroll(page)
        w.shot(f"dashboard-{size}-overview")

        page.goto(f"{base}/dashboard/studies/demo/accounts")
        _no_sideways_scroll(page)
        w.shot(f"dashboard-{size}-accounts")
        page.locator("tbody a").first.click()  # the head's links sort
        page.wait_for_selector("figure.dash-chart img")
        assert "Balance" in page.inner_text("#content")
        _no_sideways_scroll(page)
        w.shot(f"dashboard-{size}-account")

        for name in ("actions", "responses", "setup"):
            page.goto(f"{base}/dashboard/studies/demo/{name}")
            assert page.locator("h1").count() == 1
            _no_sideways_scroll(page)
            w.shot(f"dashboard-{size}-{name}")
        assert failed == [], failed


def test_an_action_is_edited_in_the_browser(demo_server: Server, open_page: Any) -> None:
    base = demo_server.base_url
    w = open_page(1280, 900)
    page = w.page
    sign_in(page, base)
    page.goto(f"{base}/dashboard/studies/demo/actions")
    first = page.locator("li.dash-card").first
    action_id = int((first.get_attribute("id") or "").removeprefix("action-"))
    first.get_by_label("Status").select_option("in_progress")
    first.get_by_label("Owner").fill("Dana Ortiz")
    first.get_by_label("Due").fill("2027-03-31")
    first.get_by_role("button", name="Save").click()
    page.wait_for_selector(".dash-ok")
    assert f"Action {action_id} saved." in page.inner_text(".dash-ok")
    w.shot("dashboard-desktop-action-saved")
    [item] = [a for a in list_actions(demo_server.db, "demo") if a.id == action_id]
    assert (item.status, item.owner, str(item.due_on)) == (
        "in_progress",
        "Dana Ortiz",
        "2027-03-31",
    )
    # Signing out really ends the session.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/dashboard/studies/demo/actions")
    assert "/login" in page.url
