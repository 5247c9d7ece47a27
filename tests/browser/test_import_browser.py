"""The dashboard's import page in Debian's headless Chromium, at laptop
(1280) and phone (390) widths: a real Google Forms export uploaded, its plan
shown, one column set to "ignore", the file chosen again and imported, the
result seen. No console errors, no request leaves 127.0.0.1, the page never
scrolls sideways. Screenshots: ``test-artifacts/browser/import-*.png``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxgap.ingest.formats import read_export
from cxgap.ingest.infer import infer_study
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.mappings import save_mapping_text
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.users import add_user

from .live import PASSWORD, Server, free_port, sign_in
from .test_dashboard_browser import SIZES, _no_sideways_scroll

pytestmark = pytest.mark.browser

EXPORT = (
    Path(__file__).resolve().parents[1] / "data" / "real-exports" / "infer-google-forms-sp24.csv"
)
RATIONALE = "What is the rationale behind your opinion?"


@pytest.fixture
def hotdog_server(tmp_path: Path) -> Iterator[Server]:
    """``cxgap serve`` with study ``hotdog`` made by ``cxgap init --from`` the export."""
    import uvicorn

    from cxgap.web import create_app

    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'web.db'}").model_copy(
        update={"secret_key": "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"}
    )
    db = Database.open(settings)
    upgrade(db)
    inferred = infer_study(read_export(EXPORT), "hotdog", organisation="Acme", name="Hot dogs")
    save_study(db, inferred.study, create_only=True)
    save_mapping_text(db, "hotdog", inferred.mapping_yaml(), source=EXPORT.name)
    add_user(db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
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


@pytest.mark.parametrize("size", list(SIZES))
def test_an_export_is_planned_and_imported_in_the_browser(
    hotdog_server: Server, open_page: Any, size: str
) -> None:
    base, db = hotdog_server.base_url, hotdog_server.db
    width, height, mobile = SIZES[size]
    w = open_page(width, height, mobile=mobile)
    page = w.page
    sign_in(page, base)
    page.goto(f"{base}/dashboard/studies/hotdog/responses")
    page.get_by_role("link", name="Import a survey export").click()
    page.wait_for_url(f"{base}/dashboard/studies/hotdog/import")
    page.get_by_label("Survey export").set_input_files(str(EXPORT))
    page.get_by_role("button", name="See the plan").click()
    page.wait_for_selector("tr.plan-row")
    assert page.locator("tr.plan-row").count() == 7
    _no_sideways_scroll(page)
    page.get_by_label(f"Role of {RATIONALE}").select_option("ignore")
    w.shot(f"import-{size}-plan")
    page.get_by_label("Choose the same file again").set_input_files(str(EXPORT))
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_selector("#result")
    result = page.inner_text("#result")
    assert "New responses stored\n91" in result or "New responses stored\t91" in result, result
    _no_sideways_scroll(page)
    w.shot(f"import-{size}-result")
    frame = load_frame(db, "hotdog")
    assert len(frame) == 91
    target = "open.what_is_the_rationale_behind_your"
    assert target not in frame.columns or frame[target].isna().all()


BORN = "What state or country were you born in?"


@pytest.mark.parametrize("size", list(SIZES))
def test_a_new_study_is_made_from_an_export_with_a_role_changed_in_the_browser(
    hotdog_server: Server, open_page: Any, size: str
) -> None:
    base, db = hotdog_server.base_url, hotdog_server.db
    width, height, mobile = SIZES[size]
    w = open_page(width, height, mobile=mobile)
    page = w.page
    sign_in(page, base)
    page.get_by_role("link", name="New study from a survey export").click()
    page.wait_for_url(f"{base}/dashboard/import")
    page.get_by_label("Short name").fill(f"hotdog-{size}")
    page.get_by_label("Title (optional)").fill("Hot dogs, again")
    page.get_by_label("Survey export").set_input_files(str(EXPORT))
    page.get_by_role("button", name="See the plan").click()
    page.wait_for_selector("tr.plan-row")
    assert page.locator("tr.plan-row").count() == 7
    _no_sideways_scroll(page)
    # Inferred "ignored" (short answers, many places); the user keeps it as open text.
    select = page.get_by_label(f"Role of {BORN}")
    assert select.input_value() == "ignored"
    select.select_option("text")
    w.shot(f"new-study-{size}-plan")
    page.get_by_label("Choose the same file again").set_input_files(str(EXPORT))
    page.get_by_role("button", name="Create the study and import", exact=True).click()
    page.wait_for_selector("#result")
    result = page.inner_text("#result")
    assert "Created study Hot dogs, again" in result, result
    assert "New responses stored\n91" in result or "New responses stored\t91" in result, result
    _no_sideways_scroll(page)
    w.shot(f"new-study-{size}-result")
    frame = load_frame(db, f"hotdog-{size}")
    assert len(frame) == 91
    assert frame["open.what_state_or_country_were_you_born_in"].notna().sum() == 86
