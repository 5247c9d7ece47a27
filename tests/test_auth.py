"""Dashboard sign-in: sessions, cookies, CSRF, wrong passwords, the secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from cxgap.cli import app as cli
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.actions import list_actions
from cxgap.store.db import Database
from cxgap.store.studies import save_study
from cxgap.store.users import add_user, remove_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from cxgap.web.auth import SESSION_COOKIE, secret_problem

PASSWORD = "correct horse battery"
SECRET = "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD, next_url: str = "/dashboard"):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )


@pytest.fixture
def site(fresh_db: Database, db_url: str) -> Iterator[TestClient]:
    save_study(fresh_db, default_study("acme", organisation="Acme", name="Acme study"))
    add_user(fresh_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    settings = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET})
    with TestClient(create_app(settings, database=fresh_db)) as client:
        yield client


def test_login_sets_an_httponly_samesite_cookie_and_opens_the_dashboard(site: TestClient) -> None:
    r = login(site, "ann@example.com")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here
    page = site.get("/dashboard")
    assert page.status_code == 200
    assert "Acme study" in page.text and "ann@example.com" in page.text


def test_cookie_is_secure_over_https(fresh_db: Database, db_url: str) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    add_user(fresh_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    settings = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET})
    with TestClient(create_app(settings, database=fresh_db), base_url="https://testserver") as c:
        r = login(c, "ann@example.com")
    assert r.status_code == 303
    assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(site: TestClient) -> None:
    wrong = login(site, "ann@example.com", "not the password")
    unknown = login(site, "nobody@example.com")
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert "Wrong e-mail address or password." in r.text
    assert site.get("/dashboard", follow_redirects=False).status_code == 303


def test_login_without_or_with_a_foreign_csrf_token_is_refused(site: TestClient) -> None:
    data = {"email": "ann@example.com", "password": PASSWORD}
    site.get("/login")
    assert site.post("/login", data=data, follow_redirects=False).status_code == 403
    other = TestClient(site.app)
    foreign = csrf_of(other.get("/login").text)
    r = site.post("/login", data={**data, "csrf_token": foreign}, follow_redirects=False)
    assert r.status_code == 403
    assert site.get("/dashboard", follow_redirects=False).status_code == 303


def test_logout_needs_csrf_and_ends_the_session(site: TestClient) -> None:
    login(site, "ann@example.com")
    page = site.get("/dashboard")
    assert site.post("/logout", follow_redirects=False).status_code == 403
    assert site.get("/dashboard").status_code == 200  # still signed in
    r = site.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert site.get("/dashboard", follow_redirects=False).status_code == 303


def test_login_rotates_the_csrf_token(site: TestClient) -> None:
    before = csrf_of(site.get("/login").text)
    login(site, "ann@example.com")
    assert csrf_of(site.get("/dashboard").text) != before


def test_a_tampered_cookie_is_not_a_session(site: TestClient) -> None:
    login(site, "ann@example.com")
    value = site.cookies[SESSION_COOKIE]
    body, sig = value.split(".")
    site.cookies.clear()
    site.cookies.set(SESSION_COOKIE, body + "." + sig[::-1])
    assert site.get("/dashboard", follow_redirects=False).status_code == 303


def test_next_never_leads_to_another_site(site: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = login(site, "ann@example.com", next_url=target)
        assert r.headers["location"] == "/dashboard", target
    r = login(site, "ann@example.com", next_url="/dashboard/studies/acme/setup")
    assert r.headers["location"] == "/dashboard/studies/acme/setup"


def test_repeated_wrong_passwords_are_rate_limited(site: TestClient) -> None:
    for _ in range(Settings().login_failure_limit):
        assert login(site, "ann@example.com", "wrong password!").status_code == 401
    blocked = login(site, "ann@example.com")  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many wrong passwords" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= Settings().login_failure_window


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "not set"),
        ("", "not set"),
        ("changeme", "well-known default"),
        ("short-but-random-7", "shorter than 32"),
        ("a" * 64, "too few characters"),
    ],
)
def test_insecure_secrets_are_named(secret: str | None, reason: str) -> None:
    problem = secret_problem(secret)
    assert problem is not None and reason in problem
    assert secret_problem(SECRET) is None


def test_settings_read_the_secret_from_the_environment() -> None:
    settings = Settings.load(database_url="sqlite:///x.db", environ={"CXGAP_SECRET_KEY": SECRET})
    assert settings.secret_key == SECRET
    assert SECRET not in repr(settings)


def test_serve_refuses_an_insecure_secret_outside_dev_mode(
    fresh_db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CXGAP_SECRET_KEY", raising=False)
    r = CliRunner().invoke(cli, ["serve", "--db", db_url])
    assert r.exit_code == 2
    assert "Error: CXGAP_SECRET_KEY is not set" in r.output and "--dev" in r.output
    monkeypatch.setenv("CXGAP_SECRET_KEY", "changeme")
    r = CliRunner().invoke(cli, ["serve", "--db", db_url])
    assert r.exit_code == 2 and "well-known default" in r.output


# --- sessions end on the server: a copied cookie is worth nothing after ---------------

NEW_ACTION = "/dashboard/studies/acme/actions/new"


def _copy(client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie (a
    stolen cookie, or the same user's other device)."""
    other = TestClient(client.app)
    other.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return other


def _add_action(client: TestClient, token: str, title: str):  # type: ignore[no-untyped-def]
    return client.post(
        NEW_ACTION,
        data={"csrf_token": token, "back": NEW_ACTION, "title": title},
        follow_redirects=False,
    )


def _refused(client: TestClient, token: str, db: Database) -> None:
    """A dashboard page sends ``client`` to sign in and its form saves nothing."""
    page = client.get("/dashboard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    before = list_actions(db, "acme")
    r = _add_action(client, token, "Replayed")
    assert r.status_code == 403 and "Your session has ended" in r.text
    assert list_actions(db, "acme") == before


def _signed_in_copy(site: TestClient) -> tuple[TestClient, str]:
    """Sign ``site`` in; a copy of its cookie, which works, and the CSRF token."""
    login(site, "ann@example.com")
    copy = _copy(site)
    token = csrf_of(copy.get(NEW_ACTION).text)
    assert _add_action(copy, token, "While signed in").status_code == 303  # the copy works
    return copy, token


def test_a_cookie_copied_before_sign_out_opens_nothing_after(
    site: TestClient, fresh_db: Database
) -> None:
    copy, token = _signed_in_copy(site)
    site.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    _refused(copy, token, fresh_db)
    # Signing in again does not revive it.
    login(site, "ann@example.com")
    _refused(copy, token, fresh_db)


def test_a_new_password_ends_every_session_of_the_user(
    site: TestClient, fresh_db: Database
) -> None:
    copy, token = _signed_in_copy(site)
    other = TestClient(site.app)
    login(other, "ann@example.com")
    add_user(fresh_db, "ann@example.com", organisation="Acme", role="owner", password="a new one!")
    _refused(copy, token, fresh_db)  # site's own session too: it is the same one
    assert other.get("/dashboard", follow_redirects=False).status_code == 303
    assert login(site, "ann@example.com").status_code == 401  # the old password
    assert login(site, "ann@example.com", "a new one!").status_code == 303
    assert site.get("/dashboard").status_code == 200


def test_removing_the_user_ends_their_sessions(site: TestClient, fresh_db: Database) -> None:
    copy, token = _signed_in_copy(site)
    remove_user(fresh_db, "ann@example.com")
    # The next user may get the same id (SQLite): the session is not theirs.
    add_user(fresh_db, "cat@example.com", organisation="Acme", role="owner", password=PASSWORD)
    _refused(copy, token, fresh_db)


def test_a_session_past_its_stored_end_is_over_whatever_the_cookie_says(
    site: TestClient, fresh_db: Database
) -> None:
    copy, token = _signed_in_copy(site)
    with fresh_db.begin() as conn:
        conn.execute(update(t.session).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    _refused(copy, token, fresh_db)


def test_a_visitor_who_does_not_sign_in_stores_nothing(
    site: TestClient, fresh_db: Database
) -> None:
    for _ in range(3):
        site.get("/login")
        login(site, "ann@example.com", "not the password")
    with fresh_db.connect() as conn:
        assert conn.execute(select(t.session)).all() == []
    login(site, "ann@example.com")
    login(site, "ann@example.com")  # signing in again ends the session it replaces
    with fresh_db.connect() as conn:
        assert len(conn.execute(select(t.session)).all()) == 1
