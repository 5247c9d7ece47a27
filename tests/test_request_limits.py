"""Bounded requests: every body (form, JSON, upload) has a size limit answered
413 with a clear message, and answers, events, items and strings are counted
and bounded before anything is stored."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.accounts import load_events, write_accounts
from cxgap.store.api_tokens import create_token
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.studies import save_study
from cxgap.store.survey import open_survey
from cxgap.store.users import add_user
from cxgap.study.answers import MAX_TEXT
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from cxgap.web.body_limit import human_bytes
from cxgap.web.events_api import MAX_EVENTS
from cxgap.web.survey_api import MAX_ANSWERS, MAX_ITEMS
from cxgap.web.survey_pages import MAX_FORM_FIELDS

PASSWORD = "correct horse battery"
SECRET = "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"
BODY = 8192
BATCH = 65536


@pytest.fixture
def site(fresh_db: Database, db_url: str) -> Iterator[tuple[TestClient, Database, str, str]]:
    """An app with small limits (8 KiB, 64 KiB for event batches), a customer
    link and an API token of an Acme analyst."""
    save_study(fresh_db, default_study("acme", organisation="Acme", name="Acme study"))
    token = (
        create_invitations(
            fresh_db,
            "acme",
            audience="customer",
            wave="w1",
            contacts=[Contact(email="ann@example.com", segment="top")],
        )
        .links[0]
        .token
    )
    add_user(fresh_db, "ann@acme.test", organisation="Acme", role="owner", password=PASSWORD)
    api_token = create_token(fresh_db, "ann@acme.test", "feed")[1]
    settings = Settings.load(database_url=db_url).model_copy(
        update={"secret_key": SECRET, "max_body_bytes": BODY, "max_batch_bytes": BATCH}
    )
    with TestClient(create_app(settings, database=fresh_db)) as client:
        yield client, fresh_db, token, api_token


def _answers(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.answer)).scalar_one())


def _event(i: int, note: str | None = None) -> dict[str, Any]:
    return {
        "account_id": "A1",
        "timestamp": "2026-01-01T10:00:00",
        "touchpoint": "support",
        "moment": "problem_resolution",
        "outcome": "failed",
        "severity": 2,
        "source_id": f"T-{i}",
        "note": note,
    }


def test_a_json_body_over_the_limit_is_413_and_reaches_no_route(
    site: tuple[TestClient, Database, str, str],
) -> None:
    client, db, token, _ = site
    body = {"answers": {"open.well": "x" * BODY}}
    r = client.put(f"/api/v1/surveys/{token}/answers", json=body)
    assert r.status_code == 413
    error = r.json()["error"]
    assert error["type"] == "BodyTooLarge" and error["limit"] == BODY
    assert "larger than 8 KiB (8,192 bytes)" in error["message"]
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert _answers(db) == 0
    assert open_survey(db, token).status == "new"


def test_a_body_without_a_length_is_counted_as_it_arrives(
    site: tuple[TestClient, Database, str, str],
) -> None:
    client, db, token, _ = site

    def chunks() -> Iterator[bytes]:
        yield b'{"answers": {"open.well": "'
        for _ in range(20):
            yield b"y" * 1024
        yield b'"}}'

    r = client.put(
        f"/api/v1/surveys/{token}/answers",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in r.request.headers  # sent chunked
    assert r.status_code == 413
    assert _answers(db) == 0
    # A small chunked body passes.
    small = client.put(
        f"/api/v1/surveys/{token}/answers",
        content=iter([b'{"answers": ', b'{"open.well": "fine"}}']),
        headers={"Content-Type": "application/json"},
    )
    assert small.status_code == 200 and _answers(db) == 1


def test_a_form_over_the_limit_is_a_413_page(site: tuple[TestClient, Database, str, str]) -> None:
    client, db, token, _ = site
    r = client.post(f"/s/{token}", data={"section": "4", "open.well": "z" * BODY})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "Too much at once" in r.text and "8 KiB" in r.text
    assert _answers(db) == 0
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    big = client.post(
        "/login", data={"email": "a" * BODY, "password": "x", "csrf_token": csrf.group(1)}
    )
    assert big.status_code == 413


def test_uploads_are_bounded_and_survey_forms_take_no_files(
    site: tuple[TestClient, Database, str, str],
) -> None:
    client, db, token, _ = site
    big = client.post(f"/s/{token}", files={"upload": ("a.csv", b"x" * (2 * BODY), "text/csv")})
    assert big.status_code == 413
    small = client.post(
        f"/s/{token}",
        data={"section": "0", "action": "back"},
        files={"upload": ("a.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert small.status_code == 400
    assert _answers(db) == 0


def test_event_batches_have_their_own_larger_limit(
    site: tuple[TestClient, Database, str, str],
) -> None:
    client, db, _, api_token = site
    headers = {"Authorization": f"Bearer {api_token}"}
    write_accounts(
        db,
        "acme",
        pd.DataFrame(
            {
                "account_id": ["A1"],
                "name": ["Alpha"],
                "segment": ["top"],
                "annual_revenue": [1.0],
                "owner": [None],
                "acquired_at": pd.to_datetime([None]),
                "defected_at": pd.to_datetime([None]),
            }
        ),
    )
    events = [_event(i, note="n" * 400) for i in range(60)]  # about 30 KiB: over 8 KiB
    batch = {"study": "acme", "events": events}
    assert BODY < len(json.dumps(batch)) < BATCH
    ok = client.post("/api/v1/events", json=batch, headers=headers)
    assert ok.status_code == 201 and ok.json()["inserted"] == 60
    huge = {"study": "acme", "events": [_event(i, note="n" * 4000) for i in range(100, 120)]}
    r = client.post("/api/v1/events", json=huge, headers=headers)
    assert r.status_code == 413 and "64 KiB" in r.json()["error"]["message"]
    assert len(load_events(db, "acme")) == 60


def _roomy(client: TestClient, db: Database) -> TestClient:
    """A client of an app on the same database with the default size limits."""
    settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"max_body_bytes": Settings().max_body_bytes, "max_batch_bytes": 1 << 24}
    )
    return TestClient(create_app(settings, database=db))


def test_event_counts_and_values_are_bounded(site: tuple[TestClient, Database, str, str]) -> None:
    small, db, _, api_token = site
    headers = {"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"}
    too_many = {"study": "acme", "events": [_event(0)] * (MAX_EVENTS + 1)}
    with _roomy(small, db) as client:
        r = client.post("/api/v1/events", content=json.dumps(too_many), headers=headers)
        assert r.status_code == 422
        assert r.json()["detail"][0]["type"] == "too_long"
    client = small
    for bad in ({"severity": 10**30}, {"cost": float("inf")}, {"source_id": "s" * 201}):
        body = {"study": "acme", "events": [{**_event(1), **bad}]}
        r = client.post(
            "/api/v1/events",
            content=json.dumps(body),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 422, bad


def test_answer_counts_keys_items_and_texts_are_bounded(
    site: tuple[TestClient, Database, str, str],
) -> None:
    client, db, token, _ = site
    url = f"/api/v1/surveys/{token}/answers"
    with _roomy(client, db) as roomy:
        many = {"answers": {str(i): 1 for i in range(MAX_ANSWERS + 1)}}
        r = roomy.put(url, json=many)
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "too_long"
        long_text = roomy.put(url, json={"answers": {"open.well": "w" * (4 * MAX_TEXT + 1)}})
        assert long_text.status_code == 422
    assert client.put(url, json={"answers": {"k" * 201: 1}}).status_code == 422
    assert client.put(url, json={"answers": {"x": ["a"] * (MAX_ITEMS + 1)}}).status_code == 422
    assert client.put(url, json={"answers": {}, "draft": "d" * 101}).status_code == 422
    assert client.put(url, json={"answers": {}, "section": -1}).status_code == 422
    # Infinity and NaN (which Python's JSON reads) are refused with a JSON 422, not a 500.
    for raw in ('{"answers": {"ltr": Infinity}}', '{"answers": {"ltr": NaN}}'):
        r = client.put(url, content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, raw
    # A text a little over the answer limit is named by question, not cut.
    r = client.put(url, json={"answers": {"open.well": "w" * (MAX_TEXT + 1)}})
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["column"] == "open.well"
    assert _answers(db) == 0


def test_too_many_form_fields_are_refused(site: tuple[TestClient, Database, str, str]) -> None:
    client, db, token, _ = site
    fields = "&".join(f"f{i}=" for i in range(MAX_FORM_FIELDS + 1))
    assert len(fields) < BODY
    r = client.post(
        f"/s/{token}",
        content=fields,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    assert _answers(db) == 0


@pytest.mark.parametrize("section", ["²", "9" * 5000, "-3", "1e9", "", "99999999"])
def test_odd_section_numbers_show_a_section(
    site: tuple[TestClient, Database, str, str], section: str
) -> None:
    client, _, token, _ = site
    r = client.get(f"/s/{token}", params={"section": section})
    assert r.status_code == 200 and "Section " in r.text


def test_human_bytes() -> None:
    assert human_bytes(BODY) == "8 KiB" and human_bytes(512) == "512 bytes"
