"""Schemathesis against the app's own OpenAPI schema (``/api/v1/openapi.json``):
every operation, with generated requests, answers without a server error and
as its schema says (status codes, content types, bodies, headers).

The app runs on a temporary SQLite database holding a study, a personal and
an anonymous survey link, accounts, and an analyst's API token; those tokens
and the study's name are mixed into the generated requests, so the checks
reach the code behind a valid link and a valid token, not only the 404s and
401s of random ones. Bounded and repeatable: the fuzz profile of
``tests/hostile.py`` (derandomized, a fixed number of examples per operation).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pandas as pd
import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from cxgap.settings import Settings
from cxgap.store.accounts import write_accounts
from cxgap.store.api_tokens import create_token
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_anonymous_link, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.hostile import FUZZ

pytestmark = pytest.mark.slow


class Known:
    """The valid values a request can carry: links, the API token, the study."""

    tokens: ClassVar[list[str]] = []
    bearer: str = ""


@pytest.fixture(scope="module")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database with study 'acme', links of both kinds, accounts and a token."""
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.db'}"
    db = Database.open(Settings.load(database_url=url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    write_accounts(
        db,
        "acme",
        pd.DataFrame(
            {
                "account_id": ["A1", "A2"],
                "name": ["Alpha", "Beta"],
                "segment": ["top", "other"],
                "annual_revenue": [1.0, 2.0],
                "owner": [None, None],
                "acquired_at": pd.to_datetime([None, None]),
                "defected_at": pd.to_datetime([None, None]),
            }
        ),
    )
    personal = create_invitations(
        db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[Contact(email=f"c{i}@example.com", segment="new") for i in range(3)],
    )
    anonymous = create_anonymous_link(db, "acme", wave="w1", team="support")
    add_user(db, "ann@acme.test", organisation="Acme", role="analyst", password="x" * 16)
    Known.tokens = [link.token for link in personal.links] + [anonymous.token]
    Known.bearer = create_token(db, "ann@acme.test", "feed")[1]
    yield db
    db.close()


#: An event every check of ``POST /api/v1/events`` accepts (its strings are generated).
VALID_EVENT = {
    "account_id": "A1",
    "timestamp": "2026-01-05T10:00:00",
    "touchpoint": "support",
    "moment": "problem_resolution",
    "outcome": "met",
}
#: Text that JSON can carry and a database may not store.
# (Unpaired surrogates, which JSON can carry too, cannot be sent through Schemathesis:
# tests/test_web_api.py and tests/test_events_api.py send them as raw bytes.)
HOSTILE_TEXT = ("nul\x00byte", "x" * 5001, "<script>alert(1)</script>", "=1+1")
#: What the checks are: no server error, and every response as the schema says.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def _strings(node: Any) -> list[str]:
    """Every string inside a generated body (to reuse as answer text)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation the app publishes (read without a database)."""
    spec = create_app(Settings.load(database_url="sqlite://")).openapi()
    return [(m.upper(), path) for path, item in spec["paths"].items() for m in item]


@pytest.fixture(scope="module")
def api_schema(app_db: Database) -> Any:
    """The app's schema as Schemathesis loads it from the running app, with
    hooks that mix the known links, token and study into generated requests."""
    app = create_app(Settings.load(database_url=app_db.url), database=app_db)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        if not path_parameters or "token" not in path_parameters:
            return st.just(path_parameters)
        return st.sampled_from([path_parameters["token"], *Known.tokens]).map(
            lambda token: {**path_parameters, "token": token}
        )

    @schema.hook
    def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> Any:
        valid = {**(headers or {}), "Authorization": f"Bearer {Known.bearer}"}
        return st.sampled_from([headers, valid])

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        if not isinstance(body, dict):
            return st.just(body)
        texts = [v for v in _strings(body) if v] + list(HOSTILE_TEXT)
        text = st.sampled_from(texts)
        if "events" in body:
            valid = st.builds(
                lambda source_id, note: {"study": "acme", "events": [
                    {**VALID_EVENT, "source_id": source_id[:200] or "s", "note": note[:5000]}
                ]},
                text,
                text,
            )  # fmt: skip
            return st.one_of(st.just(body), st.just({**body, "study": "acme"}), valid)
        answers = st.builds(
            lambda well, draft: {
                **body, "answers": {"ltr": 9, "open.well": well}, "draft": draft
            },
            text,
            st.sampled_from([body.get("draft"), *HOSTILE_TEXT]),
        )  # fmt: skip
        return st.one_of(st.just(body), answers)

    return schema


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_api_operation_answers_as_its_schema_says(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @settings(FUZZ, max_examples=min(FUZZ.max_examples * 2, 400))
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    call()
