"""The dashboard's leadership workshop form: one group sheet stored through the
same library code as ``cxgap import workshop``, behind sign-in, CSRF and roles,
scoped to the user's organisations."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.test_dashboard import PASSWORD, SECRET, csrf_of, sign_in

URL = "/dashboard/studies/acme/workshops"
SHEET = {
    "group": "Board A",
    "wave": "w1",
    "well": "Deep product knowledge",
    "improve": "Slow escalations",
    "competitors": "Faster, less expert",
    "continue_start": "Start a customer council",
}


@pytest.fixture
def two_orgs(fresh_db: Database, db_url: str) -> tuple[FastAPI, Database, None]:
    """Acme (ann: owner, val: viewer) and Beta (bob: owner), each with a study."""
    save_study(fresh_db, default_study("acme", organisation="Acme", name="Acme study"))
    save_study(fresh_db, default_study("beta", organisation="Beta", name="Beta secret study"))
    add_user(fresh_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    add_user(fresh_db, "val@example.com", organisation="Acme", role="viewer", password=PASSWORD)
    add_user(fresh_db, "bob@example.com", organisation="Beta", role="owner", password=PASSWORD)
    settings = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET})
    return create_app(settings, database=fresh_db), fresh_db, None


def _workshop_rows(db: Database, slug: str) -> Any:
    frame = load_frame(db, slug)
    if "source" not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame["source"] == "workshop"]


def test_a_sheet_from_the_form_is_a_leadership_group_answer(two_orgs: Any) -> None:
    app, db, _ = two_orgs
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        page = client.get(URL)
        assert page.status_code == 200
        # The four questions are labelled with the study's texts, for screen readers too.
        assert '<label for="ws-well">What do we do well?</label>' in page.text
        assert 'id="ws-continue_start"' in page.text
        assert 'href="/dashboard/studies/acme/workshops" aria-current="page"' in page.text
        r = client.post(
            URL, data={**SHEET, "csrf_token": csrf_of(page.text)}, follow_redirects=False
        )
        assert r.status_code == 303
        shown = client.get(r.headers["location"])
        assert "Sheet of group Board A saved." in shown.text
        assert "Slow escalations" in shown.text
    rows = _workshop_rows(db, "acme")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["audience"], row["source"], row["wave"]) == ("leadership", "workshop", "w1")
    assert row["respondent_id"] == "workshop:Board A"
    assert row["open.continue_start"] == "Start a customer council"


def test_the_same_group_twice_stores_one_and_says_it_exists(two_orgs: Any) -> None:
    app, db, _ = two_orgs
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        token = csrf_of(client.get(URL).text)
        client.post(URL, data={**SHEET, "csrf_token": token})
        again = client.post(URL, data={**SHEET, "well": "Changed", "csrf_token": token})
        assert again.status_code == 200
        assert "already exists: nothing was changed" in again.text
    rows = _workshop_rows(db, "acme")
    assert len(rows) == 1 and rows.iloc[0]["open.well"] == "Deep product knowledge"


def test_script_answers_are_shown_escaped(two_orgs: Any) -> None:
    app, _, _ = two_orgs
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        token = csrf_of(client.get(URL).text)
        evil = "<script>alert(1)</script>"
        client.post(URL, data={**SHEET, "group": "<b>G</b>", "well": evil, "csrf_token": token})
        page = client.get(URL).text
    assert "<script>alert(1)</script>" not in page and "<b>G</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_sheets_are_refused_with_the_reason(two_orgs: Any) -> None:
    app, db, _ = two_orgs
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        token = csrf_of(client.get(URL).text)
        no_group = client.post(URL, data={**SHEET, "group": "  ", "csrf_token": token})
        assert no_group.status_code == 200 and "Group name: expected a group name" in no_group.text
        empty = {"group": "Board B", "wave": "w1", "csrf_token": token}
        r = client.post(URL, data=empty)
        assert r.status_code == 200 and "at least one" in r.text
        assert 'value="Board B"' in r.text  # the form keeps what was typed
        long = client.post(URL, data={**SHEET, "improve": "x" * 6000, "csrf_token": token})
        assert long.status_code == 200 and "at most 5000 characters" in long.text
        assert (
            client.post(URL, data={**SHEET, "wave": "w9", "csrf_token": token}).status_code == 422
        )
    assert _workshop_rows(db, "acme").empty


def test_missing_csrf_is_refused(two_orgs: Any) -> None:
    app, db, _ = two_orgs
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        assert client.post(URL, data=SHEET).status_code == 403
        assert client.post(URL, data={**SHEET, "csrf_token": "x" * 43}).status_code == 403
    assert _workshop_rows(db, "acme").empty


def test_viewers_read_the_sheets_but_cannot_add_one(two_orgs: Any) -> None:
    app, db, _ = two_orgs
    with TestClient(app) as client:
        sign_in(client, "val@example.com")
        page = client.get(URL)
        assert page.status_code == 200 and "Your role is viewer" in page.text
        assert 'name="group"' not in page.text
        r = client.post(URL, data={**SHEET, "csrf_token": csrf_of(page.text)})
        assert r.status_code == 403
    assert _workshop_rows(db, "acme").empty


def test_another_organisations_study_is_404(two_orgs: Any) -> None:
    app, db, _ = two_orgs
    with TestClient(app) as client:
        sign_in(client, "bob@example.com")
        token = csrf_of(client.get("/dashboard").text)
        assert client.get(URL).status_code == 404
        r = client.post(URL, data={**SHEET, "csrf_token": token})
        assert r.status_code == 404 and "Acme study" not in r.text
    assert _workshop_rows(db, "acme").empty
