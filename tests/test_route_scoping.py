"""Every route of the app is scoped to its organisation, or public for a
stated reason. The list of routes comes from the app itself: a new route
that is neither walked here nor listed as public fails this test.

- Routes behind sign-in (they depend on ``current_user`` or ``form_user``): a user of Acme
  asks for each object of Beta, and for Acme's study with an object of
  Beta in it, and gets 404 naming nothing of Beta; the same request for
  Acme's own objects succeeds (so the 404 is not just a broken route).
- Routes behind an API token: an Acme token on Beta's study gets 404 and
  writes nothing; on Acme's study it succeeds.
- Public routes: listed in PUBLIC, each with the reason it needs no scoping.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxgap.ingest.events import parse_events
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.accounts import write_accounts, write_events
from cxgap.store.actions import ActionItem, add_action
from cxgap.store.api_tokens import create_token
from cxgap.store.cases import insert_cases
from cxgap.store.db import Database
from cxgap.store.notifications import add_rule
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import RouteInfo, create_app, iter_routes
from cxgap.web.auth import current_user, form_user

PASSWORD = "correct horse battery"
SECRET = "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"
TOKEN_ROUTE = "a survey link: the unguessable token is the capability (rate-limited misses)"

#: Routes that need no organisation, and why. Key: (method, path); "*" for a mount.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/openapi.json"): "the API's schema: describes routes, holds no data",
    ("GET", "/api/docs"): "the API's documentation page: holds no data",
    ("*", "/static"): "the app's own style sheets and scripts",
    ("GET", "/api/v1/health"): "says the app and its database answer; names no object",
    ("GET", "/"): "redirects to /dashboard",
    ("GET", "/login"): "the sign-in form",
    ("POST", "/login"): "checks a password (rate-limited); shows no object",
    ("POST", "/logout"): "ends the session",
    ("GET", "/s/{token}"): TOKEN_ROUTE,
    ("POST", "/s/{token}"): TOKEN_ROUTE,
    ("GET", "/s/{token}/thanks"): TOKEN_ROUTE,
    ("GET", "/api/v1/surveys/{token}"): TOKEN_ROUTE,
    ("POST", "/api/v1/surveys/{token}/drafts"): TOKEN_ROUTE,
    ("PUT", "/api/v1/surveys/{token}/answers"): TOKEN_ROUTE,
    ("POST", "/api/v1/surveys/{token}/submit"): TOKEN_ROUTE,
}


def _events_body(org: dict[str, Any]) -> dict[str, Any]:
    return {
        "study": org["slug"],
        "events": [
            {
                "account_id": org["account"],
                "timestamp": "2026-03-01T10:00:00",
                "touchpoint": "support",
                "moment": "problem_resolution",
                "outcome": "failed",
                "severity": 2,
                "source_id": f"scoping-{org['slug']}",
            }
        ],
    }


def _case_change(org: dict[str, Any]) -> dict[str, Any]:
    return {"note": f"scoping {org['slug']}"}


def _no_body(org: dict[str, Any]) -> None:
    return None


#: Routes behind an API token: the JSON body naming one organisation's objects
#: (routes naming them in the path are filled as the signed-in walk fills them).
TOKEN_API: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any] | None]] = {
    ("POST", "/api/v1/events"): _events_body,
    ("GET", "/api/v1/studies/{slug}/cases"): _no_body,
    ("GET", "/api/v1/studies/{slug}/cases/{number}"): _no_body,
    ("PATCH", "/api/v1/studies/{slug}/cases/{number}"): _case_change,
}

#: Path and query parameters that name an object, and the object of each
#: organisation they are filled with.
OBJECT_PARAMS = ("slug", "account", "action_id", "rule_id")
#: Path parameters that name a part of the study in the path (so the study's
#: slug decides whose it is), filled with the same value for both organisations
#: (each study has its case #1).
LOCAL_PARAMS = {"key": "ltr", "number": "1"}


def _accounts(prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [f"{prefix}1"],
            "name": [f"{prefix} Holdings"],
            "segment": ["top"],
            "annual_revenue": [1000.0],
            "owner": ["Sam"],
            "acquired_at": [pd.Timestamp("2024-01-01")],
            "defected_at": [pd.NaT],
        }
    )


def _events(prefix: str) -> pd.DataFrame:
    raw = pd.DataFrame(
        {
            "account_id": [f"{prefix}1", f"{prefix}1"],
            "timestamp": ["2026-01-05T10:00:00", "2026-02-05T10:00:00"],
            "touchpoint": ["support", "billing"],
            "moment": ["problem_resolution", "routine"],
            "outcome": ["failed", "met"],
            "severity": ["2", None],
            "source_id": [f"{prefix}-e1", f"{prefix}-e2"],
        }
    )
    raw.attrs["source"] = "events"
    return parse_events(raw, accounts={f"{prefix}1"})


def _open_case(db: Database, slug: str, account: str) -> None:
    """Case #1 of the study, about ``account``."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    case = {
        "rule_key": "detractor",
        "trigger": "detractor",
        "priority": "high",
        "dedupe_key": f"scoping-{slug}",
        "title": f"{account} would not recommend us",
        "opened_at": now,
        "due_at": now + timedelta(days=2),
        "account": account,
        "respondent": None,
        "response_key": None,
        "evidence": {},
        "root_factor": None,
        "root_touchpoint": None,
        "root_moment": None,
    }
    with db.begin() as conn:
        insert_cases(conn, slug, [case], now=now)


@pytest.fixture
def orgs(fresh_db: Database, db_url: str) -> tuple[FastAPI, Database, dict[str, dict[str, Any]]]:
    """Acme and Beta, each with a study, an account, an action, an owner and
    an API token of that owner."""
    out: dict[str, dict[str, Any]] = {}
    for slug, org, prefix in (("acme", "Acme", "ACME"), ("beta", "Beta", "BETA")):
        save_study(fresh_db, default_study(slug, organisation=org, name=f"{org} secret study"))
        write_accounts(fresh_db, slug, _accounts(prefix))
        write_events(fresh_db, slug, _events(prefix), file="events")
        action = add_action(fresh_db, slug, ActionItem(title=f"{slug} action", factor="empathy"))
        email = f"owner@{slug}.test"
        add_user(fresh_db, email, organisation=org, role="owner", password=PASSWORD)
        _open_case(fresh_db, slug, f"{prefix}1")
        rule_id = add_rule(fresh_db, slug, channel="email", target=email, scope="all")
        out[slug] = {
            "slug": slug,
            "account": f"{prefix}1",
            "action_id": str(action.id),
            "rule_id": str(rule_id),
            "email": email,
            "api_token": create_token(fresh_db, email, "feed")[1],
            "names": [f"{org} secret study", f"{prefix} Holdings", f"{slug} action"],
        }
    settings = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET})
    return create_app(settings, database=fresh_db), fresh_db, out


def _calls(dependant: Dependant) -> set[Any]:
    found = {dependant.call}
    for d in dependant.dependencies:
        found |= _calls(d)
    return found


def classify(route: RouteInfo, method: str) -> str:
    """``public``, ``session`` or ``token``; fails for an unclassified route."""
    if (method, route.path) in PUBLIC:
        return "public"
    if (method, route.path) in TOKEN_API:
        return "token"
    api = route.api
    if api is not None and {current_user, form_user} & _calls(api.dependant):
        params = [p.name for p in api.dependant.path_params]
        unknown = [p for p in params if p not in OBJECT_PARAMS and p not in LOCAL_PARAMS]
        assert not unknown, (
            f"{method} {route.path}: the walk cannot fill {unknown}: add them to "
            "OBJECT_PARAMS with an object of each organisation (or LOCAL_PARAMS)"
        )
        return "session"
    raise AssertionError(
        f"{method} {route.path} is not classified: walk it (behind sign-in or in TOKEN_API) "
        "or list it in PUBLIC with the reason it needs no organisation"
    )


def all_routes(app: FastAPI) -> list[tuple[RouteInfo, str]]:
    out = []
    for route in iter_routes(app):
        methods = sorted(route.methods - {"HEAD"}) or ["*"]
        out.extend((route, m) for m in methods)
    assert len(out) >= 25, out  # the list really came from the app
    return out


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _sign_in(client: TestClient, email: str) -> str:
    r = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": _csrf(client.get("/login").text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    return _csrf(client.get("/dashboard").text)


def _fill(route: RouteInfo, values: dict[str, str]) -> tuple[str, dict[str, str]]:
    url = route.path
    for name in OBJECT_PARAMS:
        url = url.replace("{" + name + "}", values[name])
    for name, value in LOCAL_PARAMS.items():
        url = url.replace("{" + name + "}", value)
    api = route.api
    query = {
        p.name: values[p.name]
        for p in (api.dependant.query_params if api else [])
        if p.name in OBJECT_PARAMS
    }
    return url, query


def _form(csrf: str) -> dict[str, str]:
    """A form any dashboard POST accepts the fields of."""
    return {
        "csrf_token": csrf,
        "status": "in_progress",
        "owner": "Mallory",
        "group": "Board",
        "wave": "w1",
        "well": "They answer the phone.",
        "improve": "Invoices are late.",
        "competitors": "Faster onboarding.",
        "continue_start": "Quarterly reviews.",
    }


def _counts(db: Database) -> dict[str, int]:
    with db.connect() as conn:
        return {
            tb.name: int(conn.execute(select(func.count()).select_from(tb)).scalar_one())
            for tb in (t.response, t.interaction_event, t.action_item, t.answer)
        }


def _mixes(route: RouteInfo, own: dict[str, Any], other: dict[str, Any]) -> list[dict[str, str]]:
    """Every filling of the route's object parameters with at least one of
    ``other``'s objects (``other``'s slug alone, ``own`` slug with ``other``'s
    account, ...)."""
    names = [n for n in OBJECT_PARAMS if "{" + n + "}" in route.path]
    out = []
    for choice in itertools.product((own, other), repeat=len(names)):
        if any(c is other for c in choice):
            values = {n: str(own[n]) for n in OBJECT_PARAMS}
            values.update({n: str(c[n]) for n, c in zip(names, choice, strict=True)})
            out.append(values)
    return out


def test_every_route_is_classified(orgs: Any) -> None:
    app, _, _ = orgs
    kinds = {(m, r.path): classify(r, m) for r, m in all_routes(app)}
    assert "session" in kinds.values() and "token" in kinds.values()
    stale = (set(PUBLIC) | set(TOKEN_API)) - set(kinds)
    assert not stale, f"listed but no longer in the app: {stale}"


def test_signed_in_routes_answer_404_for_every_object_of_another_organisation(
    orgs: Any,
) -> None:
    app, db, data = orgs
    acme, beta = data["acme"], data["beta"]
    walked = 0
    with TestClient(app) as client:
        csrf = _sign_in(client, acme["email"])
        for route, method in all_routes(app):
            if classify(route, method) != "session":
                continue
            mixes = _mixes(route, acme, beta)
            if not mixes:  # a route that names no object: shows nothing of Beta
                url, query = _fill(route, {n: str(acme[n]) for n in OBJECT_PARAMS})
                r = client.request(
                    method,
                    url,
                    params=query,
                    data=_form(csrf) if method == "POST" else None,
                    follow_redirects=False,
                )
                assert r.status_code < 500, (method, url, r.status_code)
                for name in beta["names"]:
                    assert name not in r.text, (method, url, name)
                walked += 1
                continue
            for values in mixes:
                before = _counts(db)
                url, query = _fill(route, values)
                r = client.request(
                    method,
                    url,
                    params=query,
                    data=_form(csrf) if method == "POST" else None,
                    follow_redirects=False,
                )
                assert r.status_code == 404, (method, url, r.status_code, r.text[:300])
                for name in beta["names"]:
                    assert name not in r.text, (method, url, name)
                assert _counts(db) == before, (method, url)
                walked += 1
            # The same request on Acme's own objects is no 404: the route works.
            url, query = _fill(route, {n: str(acme[n]) for n in OBJECT_PARAMS})
            r = client.request(
                method,
                url,
                params=query,
                data=_form(csrf) if method == "POST" else None,
                follow_redirects=False,
            )
            assert r.status_code in (200, 303), (method, url, r.status_code, r.text[:300])
    assert walked >= 12


def test_api_tokens_reach_only_their_organisation(orgs: Any) -> None:
    app, db, data = orgs
    acme, beta = data["acme"], data["beta"]
    with TestClient(app) as client:
        for route, method in all_routes(app):
            kind = classify(route, method)
            if kind == "session":
                # An API token never stands in for a signed-in session.
                url, query = _fill(route, {n: str(acme[n]) for n in OBJECT_PARAMS})
                r = client.request(
                    method,
                    url,
                    params=query,
                    headers={"Authorization": f"Bearer {acme['api_token']}"},
                    follow_redirects=False,
                )
                assert r.status_code in (303, 403), (method, url, r.status_code)
                continue
            if kind != "token":
                continue
            body = TOKEN_API[(method, route.path)]
            headers = {"Authorization": f"Bearer {acme['api_token']}"}
            before = _counts(db)
            theirs = _fill(route, {n: str(beta[n]) for n in OBJECT_PARAMS})[0]
            r = client.request(method, theirs, json=body(beta), headers=headers)
            assert r.status_code == 404, (method, theirs, r.status_code, r.text)
            for name in beta["names"]:
                assert name not in r.text
            assert _counts(db) == before
            own = _fill(route, {n: str(acme[n]) for n in OBJECT_PARAMS})[0]
            if own == route.path:
                # A mixed body (Acme's study, Beta's account) writes nothing either.
                mixed = body({**acme, "account": beta["account"]})
                r = client.request(method, own, json=mixed, headers=headers)
                assert r.status_code in (404, 422), (method, own, r.status_code)
                assert _counts(db) == before
            ok = client.request(method, own, json=body(acme), headers=headers)
            assert ok.status_code in (200, 201), (method, own, ok.text)


def test_a_new_unclassified_route_fails_the_walk(orgs: Any) -> None:
    app, _, _ = orgs

    @app.get("/dashboard/export/{study}")
    def leak(study: str) -> dict[str, str]:  # pragma: no cover - never called
        return {"study": study}

    [new] = [r for r in iter_routes(app) if r.path == "/dashboard/export/{study}"]
    with pytest.raises(AssertionError, match="not classified"):
        classify(new, "GET")
