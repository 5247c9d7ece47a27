"""The cases API: token-authenticated, scoped to the token's organisation,
contact e-mail addresses for editors only, PATCH for editors and the case's
owner through the same validation as the CLI (nothing written on an error)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.settings import Settings
from cxgap.store.api_tokens import create_token
from cxgap.store.cases import get_case, list_cases
from cxgap.store.db import Database
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study import default_study
from cxgap.web import create_app

PASSWORD = "correct horse battery staple"
API = "/api/v1/studies/demo/cases"
ORG = "Brightwell Systems"


@pytest.fixture
def api(demo_copy_url: str) -> Iterator[tuple[TestClient, Database, dict[str, dict[str, str]]]]:
    settings = Settings.load(database_url=demo_copy_url)
    with Database.open(settings) as db:
        save_study(db, default_study("elsewhere", organisation="Other Co"))
        add_user(db, "ann@example.com", organisation=ORG, role="analyst", password=PASSWORD)
        add_user(
            db,
            "mei@example.com",
            organisation=ORG,
            role="viewer",
            password=PASSWORD,
            name="Mei Lin",
        )
        add_user(db, "val@example.com", organisation=ORG, role="viewer", password=PASSWORD)
        add_user(db, "oz@other.test", organisation="Other Co", role="owner", password=PASSWORD)
        headers = {
            who: {"Authorization": f"Bearer {create_token(db, email, 'crm')[1]}"}
            for who, email in (
                ("ann", "ann@example.com"),
                ("mei", "mei@example.com"),
                ("val", "val@example.com"),
                ("oz", "oz@other.test"),
            )
        }
        with TestClient(create_app(settings, database=db)) as client:
            yield client, db, headers


def test_a_token_is_needed(api: Any) -> None:
    client, _, _ = api
    assert client.get(API).status_code == 401
    r = client.get(API, headers={"Authorization": "Bearer cxg_nonsense"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_the_list_filters_as_the_cli(api: Any) -> None:
    client, db, h = api
    got = client.get(API, headers=h["ann"]).json()
    assert [c["number"] for c in got] == [c.number for c in list_cases(db, "demo")]
    mine = client.get(API, params={"owner": "mei lin", "open": "true"}, headers=h["ann"]).json()
    assert mine and {c["owner"] for c in mine} == {"Mei Lin"}
    assert all(c["status"] != "closed" for c in mine)
    late = client.get(API, params={"overdue": "true"}, headers=h["ann"]).json()
    assert all(c["overdue"] for c in late) and len(late) == len(
        list_cases(db, "demo", overdue=True)
    )
    some = client.get(
        API, params=[("status", "new"), ("status", "closed")], headers=h["ann"]
    ).json()
    assert {c["status"] for c in some} == {"new", "closed"}
    assert client.get(API, params={"status": "done"}, headers=h["ann"]).status_code == 422


def test_contact_addresses_only_for_editors(api: Any) -> None:
    client, db, h = api
    case = next(c for c in list_cases(db, "demo") if c.contact_email)
    ann = client.get(f"{API}/{case.number}", headers=h["ann"]).json()
    val = client.get(f"{API}/{case.number}", headers=h["val"]).json()
    assert ann["contact_email"] == case.contact_email and val["contact_email"] is None
    assert all(c["contact_email"] is None for c in client.get(API, headers=h["val"]).json())
    assert ann["entries"] and ann["entries"][0]["kind"] == "opened"
    assert "notifications" in ann and "followup" in ann


def test_another_organisation_is_404(api: Any) -> None:
    client, _, h = api
    assert client.get(API, headers=h["oz"]).status_code == 404
    assert client.get(f"{API}/1", headers=h["oz"]).status_code == 404
    assert client.patch(f"{API}/1", json={"note": "x"}, headers=h["oz"]).status_code == 404
    assert client.get("/api/v1/studies/elsewhere/cases", headers=h["ann"]).status_code == 404
    assert client.get(f"{API}/99999", headers=h["ann"]).status_code == 404


def test_the_owner_patches_a_case_and_a_viewer_cannot(api: Any) -> None:
    client, db, h = api
    case = next(c for c in list_cases(db, "demo", open_only=True, owner="Mei Lin"))
    r = client.patch(f"{API}/{case.number}", json={"status": "in_progress"}, headers=h["val"])
    assert r.status_code == 403
    assert get_case(db, "demo", case.number).status == case.status
    r = client.patch(
        f"{API}/{case.number}",
        json={
            "resolution": "exceeded",
            "root_touchpoint": "support",
            "root_moment": "problem_resolution",
            "note": "Replaced the unit the same day.",
        },
        headers=h["mei"],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["resolution"]) == ("closed", "exceeded")
    assert body["entries"][-1]["author"] == "Mei Lin"


def test_a_bad_change_is_422_and_writes_nothing(api: Any) -> None:
    client, db, h = api
    case = next(c for c in list_cases(db, "demo", open_only=True) if c.account)
    before = get_case(db, "demo", case.number)
    r = client.patch(f"{API}/{case.number}", json={"resolution": "delighted"}, headers=h["ann"])
    assert r.status_code == 422
    r = client.patch(
        f"{API}/{case.number}",
        json={"root_factor": "no_such_factor", "note": "x"},
        headers=h["ann"],
    )
    assert r.status_code == 422
    assert "unknown factor 'no_such_factor'" in r.json()["error"]["message"]
    r = client.patch(f"{API}/{case.number}", json={"unknown": 1}, headers=h["ann"])
    assert r.status_code == 422
    r = client.patch(f"{API}/{case.number}", json={}, headers=h["ann"])
    assert r.status_code == 422 and "nothing to change" in r.json()["error"]["message"]
    assert get_case(db, "demo", case.number) == before


def test_the_cases_api_is_in_the_openapi_schema(api: Any) -> None:
    client, _, _ = api
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/studies/{slug}/cases/{number}"]) == {"get", "patch"}
    assert "get" in paths["/api/v1/studies/{slug}/cases"]
