"""``/api/docs``: the API reference, rendered from the app's own schema with
nothing loaded from outside the app."""

from __future__ import annotations

from pathlib import Path

import html5lib
from fastapi.testclient import TestClient

from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.migrate import upgrade
from cxgap.web import create_app


def _client(tmp_path: Path) -> TestClient:
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'docs.db'}")
    db = Database.open(settings)
    upgrade(db)
    return TestClient(create_app(settings, database=db))


def test_the_reference_lists_every_operation_of_the_schema(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        schema = client.get("/api/v1/openapi.json").json()
        page = client.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html5lib.HTMLParser(strict=True).parse(page.text)
    listed = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(listed) >= 6  # health, survey flow, events
    for op in listed:
        assert op in page.text, op
    for model in schema["components"]["schemas"]:
        assert f'id="model-{model}"' in page.text, model


def test_the_reference_loads_nothing_from_outside_the_app(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        page = client.get("/api/docs")
    tree = html5lib.parse(page.text, namespaceHTMLElements=False)
    urls = [
        el.get(attr) for el in tree.iter() for attr in ("src", "href") if el.get(attr) is not None
    ]
    assert urls and all(u.startswith(("/", "#")) for u in urls), urls
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_swagger_ui_is_not_served(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        assert client.get("/docs/oauth2-redirect").status_code == 404
        assert "swagger-ui" not in client.get("/api/docs").text
