"""The overview's attribute filter in Debian's headless Chromium, on a copy
of the demo whose customers carry a plan (Gold, Basic, and a Trial plan too
small to show): the unfiltered page breaks the customers down by plan with
Trial suppressed, the Gold view narrows the customers, and asking for Trial
is refused. Screenshots: ``test-artifacts/browser/attributes-*.png``."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.studies import load_study, save_study
from cxgap.store.users import add_user
from cxgap.study.model import Attribute

from .conftest import ARTIFACTS
from .live import PASSWORD, Server, free_port, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
PLAN = Attribute(key="plan", label="Plan", values=["Gold", "Basic", "Trial"])


def _give_customers_a_plan(db: Database) -> dict[str, int]:
    """The customer responses of the demo get a plan: the first three of
    each wave Trial, the next two none, then Gold and Basic in turn. Returns
    the count of each ``wave:plan``."""
    study = load_study(db, "demo")
    save_study(db, study.model_copy(update={"attributes": [PLAN]}))
    counts: dict[str, int] = {}
    with db.begin() as conn:
        rows = conn.execute(
            select(t.response.c.id, t.wave.c.key)
            .join(t.wave, t.wave.c.id == t.response.c.wave_id)
            .where(t.response.c.audience == "customer")
            .order_by(t.response.c.id)
        ).all()
        seen: dict[str, int] = {}
        values = []
        for rid, wave in rows:
            i = seen.get(wave, 0)
            seen[wave] = i + 1
            if 3 <= i < 5:
                continue  # no plan: hidden with Trial, 5 together
            plan = "Trial" if i < 3 else ("Gold" if i % 2 else "Basic")
            counts[f"{wave}:{plan}"] = counts.get(f"{wave}:{plan}", 0) + 1
            values.append({"response_id": rid, "key": "plan", "value": plan})
        conn.execute(insert(t.response_attribute), values)
    return counts


@pytest.fixture
def planned_demo(demo_db_url: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, int]]]:
    """``cxgap serve`` on a private copy of the demo with plans, one owner."""
    import uvicorn

    from cxgap.web import create_app

    with Database.open(Settings.load(database_url=demo_db_url)) as db, db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(Path(demo_db_url.removeprefix("sqlite:///")), tmp_path / "plan.db")
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'plan.db'}").model_copy(
        update={"secret_key": "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"}
    )
    db = Database.open(settings)
    counts = _give_customers_a_plan(db)
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
        yield Server(f"http://127.0.0.1:{port}", db), counts
    finally:
        srv.should_exit = True
        thread.join(timeout=60)
        db.close()


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport + 1, f"page is {width}px wide in a {viewport}px window"


def test_the_plan_filter_on_laptop_and_phone(
    planned_demo: tuple[Server, dict[str, int]], open_page: Any
) -> None:
    from playwright.sync_api import expect

    server, counts = planned_demo
    base = server.base_url
    for size, (width, height, mobile) in SIZES.items():
        w = open_page(width, height, mobile=mobile)
        page = w.page
        sign_in(page, base)
        page.goto(f"{base}/dashboard/studies/demo")
        page.wait_for_selector("section#headline", timeout=300_000)
        section = page.locator("#attr-plan")
        expect(section).to_have_text("Customers by Plan")
        table = page.locator("#attr-plan + p + div table")
        # Trial (3 customers) is withheld on every item; with the 2 customers
        # of no plan, 5 are hidden together, so Gold and Basic show.
        rows = len(table.locator("tbody tr").all())
        assert rows >= 10 and table.locator("td.suppressed").count() == rows
        _no_sideways_scroll(page)
        section.scroll_into_view_if_needed()
        w.shot(f"attributes-{size}-breakdown")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        table.screenshot(path=str(ARTIFACTS / f"attributes-{size}-breakdown-table.png"))

        page.get_by_label("Plan").select_option("Gold")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_selector("section#headline", timeout=300_000)
        expect(page.locator("p.dash-filtered")).to_contain_text("attr.plan=Gold")
        cover = page.locator("header.cover").inner_text()
        assert f"Customers n = {counts['w2:Gold']}" in cover
        assert page.locator("#attr-plan").count() == 0
        _no_sideways_scroll(page)
        w.shot(f"attributes-{size}-gold")

        page.get_by_label("Plan").select_option("Trial")
        page.get_by_role("button", name="Apply").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Plan 'Trial' has fewer than 5 customers", timeout=60_000)
        assert page.locator("td.suppressed, section#headline").count() == 0
        _no_sideways_scroll(page)
        w.shot(f"attributes-{size}-trial-refused")
