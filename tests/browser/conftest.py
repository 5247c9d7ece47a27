"""A real uvicorn server on 127.0.0.1 (free port, temporary SQLite) and
Debian's headless Chromium driven by Playwright. Screenshots go to
``test-artifacts/browser/`` (git-ignored) for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study.defaults import default_study
from cxgap.web import create_app

from .live import Server, serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``cxgap serve`` in a thread: the default study ``acme`` on a temp SQLite file."""
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'web.db'}")
    db = Database.open(settings)
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme", name="Acme service study"))
    try:
        with serving(create_app(settings, database=db)) as base:
            yield Server(base, db)
    finally:
        db.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watched:
    """A page whose console errors and off-host requests are recorded."""

    page: Any
    console_errors: list[str]
    blocked: list[str]

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(width, height, mobile=False, javascript=True)``: a fresh
    browser context and page that may only reach 127.0.0.1."""
    contexts: list[Any] = []
    watched: list[Watched] = []

    def make(width: int, height: int, *, mobile: bool = False, javascript: bool = True) -> Watched:
        ctx = browser.new_context(
            viewport={"width": width, "height": height},
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=1,
            java_script_enabled=javascript,
        )
        contexts.append(ctx)
        w = Watched(ctx.new_page(), [], [])

        def guard(route: Any) -> None:
            host = urlparse(route.request.url).hostname
            if host == "127.0.0.1":
                route.continue_()
            else:
                w.blocked.append(route.request.url)
                route.abort()

        ctx.route("**/*", guard)
        w.page.on(
            "console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None
        )
        w.page.on("pageerror", lambda e: w.console_errors.append(str(e)))
        watched.append(w)
        return w

    yield make
    for ctx in contexts:
        ctx.close()
    for w in watched:
        assert w.console_errors == [], w.console_errors
        assert w.blocked == [], f"requests to other hosts: {w.blocked}"
