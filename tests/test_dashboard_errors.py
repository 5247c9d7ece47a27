"""Errors as pages: a refused form says what happened and offers the way
back (sign in again, reload the form); not found and not allowed are the
same page; API clients keep getting JSON. One handler does all of it
(``cxgap.web._errors``)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from cxgap.store.actions import list_actions
from cxgap.web.auth import SESSION_COOKIE, decode_session, encode_session
from tests.test_dashboard import SECRET, csrf_of, sign_in, two_orgs  # noqa: F401

ACTIONS = "/dashboard/studies/acme/actions"


def test_a_form_after_the_session_ended_asks_to_sign_in_again(two_orgs: Any) -> None:  # noqa: F811
    app, db, ids = two_orgs
    before = list_actions(db, "acme")
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        token = csrf_of(client.get(ACTIONS).text)
        client.cookies.clear()  # the session ended (expired, or signed out elsewhere)
        r = client.post(
            f"{ACTIONS}/{ids['acme']}",
            data={"csrf_token": token, "back": ACTIONS, "status": "done"},
            follow_redirects=False,
        )
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Your session has ended</h1>" in r.text
    assert "the form was not saved" in r.text
    assert 'href="/login?next=%2Fdashboard%2Fstudies%2Facme%2Factions"' in r.text
    assert list_actions(db, "acme") == before


def test_an_expired_session_cookie_is_a_session_that_ended(two_orgs: Any) -> None:  # noqa: F811
    app, _, ids = two_orgs
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        page = client.get(ACTIONS).text
        # The same signed session, still stored, but the cookie past its expiry.
        key = hashlib.sha256(b"cxgap-session\0" + SECRET.encode()).digest()
        live = decode_session(key, client.cookies[SESSION_COOKIE])
        assert live is not None and live.sid is not None
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, encode_session(key, replace(live, expires=1)))
        r = client.post(f"{ACTIONS}/{ids['acme']}", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 403 and "Your session has ended" in r.text


def test_a_form_with_a_stale_token_offers_to_reload_it(two_orgs: Any) -> None:  # noqa: F811
    app, db, ids = two_orgs
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        r = client.post(
            f"{ACTIONS}/{ids['acme']}",
            data={"csrf_token": "x" * 43, "back": ACTIONS, "status": "done"},
        )
        assert r.status_code == 403
        assert "<h1>The form expired</h1>" in r.text
        assert f'href="{ACTIONS}">Reload the form</a>' in r.text
        # Only ever a path of this site.
        r = client.post(
            f"{ACTIONS}/{ids['acme']}", data={"csrf_token": "", "back": "//evil.example/x"}
        )
        assert 'href="/dashboard">Reload the form</a>' in r.text and "evil" not in r.text
    assert list_actions(db, "acme")[0].status == "proposed"


def test_the_sign_in_form_expired_leads_back_to_it(two_orgs: Any) -> None:  # noqa: F811
    app, _, _ = two_orgs
    with TestClient(app) as client:
        r = client.post("/login", data={"email": "ann@example.com", "next": "/dashboard/x"})
    assert r.status_code == 403 and "The form expired" in r.text
    assert 'href="/login?next=%2Fdashboard%2Fx">Reload the form</a>' in r.text


def test_signing_out_without_a_session_just_shows_the_sign_in_page(two_orgs: Any) -> None:  # noqa: F811
    app, _, _ = two_orgs
    with TestClient(app) as client:
        r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_not_found_and_not_allowed_are_pages(two_orgs: Any) -> None:  # noqa: F811
    app, _, ids = two_orgs
    with TestClient(app) as client:
        sign_in(client, "val@example.com")
        r = client.get("/dashboard/studies/beta/actions")
        assert r.status_code == 404 and "<h1>Not found</h1>" in r.text
        assert "no study &#39;beta&#39; in your organisations" in r.text
        assert 'href="/dashboard">Your studies</a>' in r.text
        r = client.get("/dashboard/nowhere")
        assert r.status_code == 404 and "There is no page at this address." in r.text
        page = client.get(ACTIONS).text
        r = client.post(
            f"{ACTIONS}/{ids['acme']}",
            data={"csrf_token": csrf_of(page), "back": ACTIONS, "status": "done"},
        )
        assert r.status_code == 403 and "<h1>Not allowed</h1>" in r.text
        assert "viewers cannot change the action plan" in r.text
        assert f'href="{ACTIONS}">Back to the form</a>' in r.text
        assert 'href="/dashboard/studies/acme">Back to the study</a>' in r.text
        r = client.get(f"{ACTIONS}/new")
        assert r.status_code == 403 and "Back to the study" in r.text
        # A value the framework cannot read (too long) is a page too.
        r = client.post(
            f"{ACTIONS}/{ids['acme']}", data={"csrf_token": csrf_of(page), "owner": "x" * 300}
        )
        assert r.status_code == 422 and "<h1>Please check what was sent</h1>" in r.text
        assert "owner:" in r.text
        # A query value the study does not know.
        r = client.get("/dashboard/studies/acme?wave=w9")
        assert r.status_code == 422 and "expected one of w1" in r.text


def test_api_clients_keep_getting_json(two_orgs: Any) -> None:  # noqa: F811
    app, _, ids = two_orgs
    json_only = {"accept": "application/json"}
    with TestClient(app) as client:
        r = client.get("/api/v1/nothing-here")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        r = client.post(f"{ACTIONS}/{ids['acme']}", headers=json_only)
        assert r.status_code == 403
        assert r.json()["error"]["type"] == "FormRefusedError"
        sign_in(client, "ann@example.com")
        r = client.get("/dashboard/studies/beta", headers=json_only)
        assert r.status_code == 404
        assert r.json() == {
            "error": {"type": "NotFoundError", "message": "no study 'beta' in your organisations"}
        }
        # A browser asking for HTML still gets the page.
        r = client.get("/dashboard/studies/beta", headers={"accept": "text/html,*/*"})
        assert r.headers["content-type"].startswith("text/html")
