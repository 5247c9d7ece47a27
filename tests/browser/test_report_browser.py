"""The HTML report in a real browser (Debian's headless Chromium through
Playwright), at desktop and phone sizes, with every request to another host
blocked: no console error, no failed request, every chart drawn; full-page
screenshots are kept under test-artifacts/ to look at."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cxgap.demo.install import install_demo
from cxgap.report import load_report_data, write_report
from cxgap.settings import Settings
from cxgap.store.db import Database

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright", reason="playwright is not installed")
    folder = tmp_path_factory.mktemp("browser")
    with Database.open(Settings.load(database_url=f"sqlite:///{folder / 'demo.db'}")) as db:
        install_demo(db, seed=7)
        data = load_report_data(db, "demo", bootstrap=50)
    return write_report(data, folder / "report.html")


@pytest.mark.parametrize("size", list(SIZES))
def test_report_renders_offline_without_errors(report_file: Path, size: str, browser: Any) -> None:
    from playwright.sync_api import Request, Route

    errors: list[str] = []
    failed: list[str] = []
    blocked: list[str] = []

    def guard(route: Route, request: Request) -> None:
        if request.url.startswith(("file://", "data:")):
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    width, height = SIZES[size]
    # One Playwright instance per session (tests/browser/conftest.py): a second
    # sync_playwright() while another runs fails inside its event loop.
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.route("**/*", guard)
        page.goto(report_file.as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "figure.chart img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])"
        )
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{size}.png"), full_page=True)
    finally:
        page.close()
    assert errors == []
    assert failed == []
    assert blocked == []
    assert len(images) >= 9
    assert all(done and w > 100 for done, w in images)
    assert overflow <= 0, "the page scrolls sideways: something is wider than the screen"
