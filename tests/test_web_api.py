"""The JSON API of the survey flow: same rules as the pages, JSON errors,
published in the OpenAPI schema. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_anonymous_link, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study.defaults import default_study
from cxgap.web import create_app


@pytest.fixture
def api_db(db_url: str) -> Iterator[Database]:
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    yield db
    db.close()


@pytest.fixture
def api(api_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(Settings.load(database_url="sqlite://"), database=api_db)) as c:
        yield c


def _token(db: Database) -> str:
    batch = create_invitations(
        db,
        "acme",
        audience="customer",
        wave="w1",
        contacts=[Contact(email="ann@example.com", segment="new")],
    )
    return batch.links[0].token


def _complete(survey: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for section in survey["sections"]:
        for q in section["questions"]:
            if q["kind"] in ("rating", "nps", "share"):
                answers[q["key"]] = q["scale_min"]
            elif q["kind"] == "rank":
                answers.update({f"{q['key']}.{i}": n + 1 for n, i in enumerate(q["items"])})
            elif q["kind"] == "multi":
                answers[q["key"]] = q["items"][:2]
    return answers


def _count(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.response)).scalar_one())


def test_survey_is_described_with_sections_questions_and_framing(
    api: TestClient, api_db: Database
) -> None:
    body = api.get(f"/api/v1/surveys/{_token(api_db)}").json()
    assert body["audience"] == "customer" and body["status"] == "new"
    assert [s["key"] for s in body["sections"]] == [
        "factors",
        "importance",
        "touchpoints",
        "overall",
        "open",
    ]
    ltr = next(q for s in body["sections"] for q in s["questions"] if q["key"] == "ltr")
    assert ltr == {
        "key": "ltr",
        "text": ltr["text"],
        "kind": "nps",
        "required": True,
        "scale_min": 0.0,
        "scale_max": 10.0,
        "items": [],
    }


def test_put_saves_partial_answers_and_get_returns_them(api: TestClient, api_db: Database) -> None:
    token = _token(api_db)
    saved = api.put(f"/api/v1/surveys/{token}/answers", json={"answers": {"ltr": 7}})
    assert saved.status_code == 200 and saved.json()["status"] == "partial"
    api.put(f"/api/v1/surveys/{token}/answers", json={"answers": {"open.well": "Quick"}})
    body = api.get(f"/api/v1/surveys/{token}").json()
    assert body["answers"] == {"ltr": 7.0, "open.well": "Quick"}
    cleared = api.put(f"/api/v1/surveys/{token}/answers", json={"answers": {"ltr": None}})
    assert cleared.json()["answers"] == {"open.well": "Quick"}


def test_invalid_answers_are_422_with_one_problem_per_question(
    api: TestClient, api_db: Database
) -> None:
    r = api.put(
        f"/api/v1/surveys/{_token(api_db)}/answers",
        json={"answers": {"ltr": 11, "perf.integrity": "good"}},
    )
    assert r.status_code == 422
    problems = r.json()["error"]["problems"]
    assert {(p["column"], p["expected"]) for p in problems} == {
        ("ltr", "a whole number from 0 to 10"),
        ("perf.integrity", "a whole number from 1 to 5"),
    }
    assert _count(api_db) == 0


@pytest.mark.parametrize("given", [3, 2.5])
def test_a_multi_choice_answer_that_is_not_a_list_of_items_is_a_422_naming_it(
    api: TestClient, api_db: Database, given: object
) -> None:
    # was a TypeError (500) for a number
    r = api.put(f"/api/v1/surveys/{_token(api_db)}/answers", json={"answers": {"leave": given}})
    assert r.status_code == 422, r.text
    [problem] = r.json()["error"]["problems"]
    assert problem["column"] == "leave"
    assert problem["expected"].startswith("a list of items among unresolved_problems")
    assert _count(api_db) == 0


def test_submit_is_idempotent(api: TestClient, api_db: Database) -> None:
    token = _token(api_db)
    answers = _complete(api.get(f"/api/v1/surveys/{token}").json())
    first = api.post(f"/api/v1/surveys/{token}/submit", json={"answers": answers})
    assert first.json() == {"status": "complete", "already_answered": False}
    retry = api.post(f"/api/v1/surveys/{token}/submit", json={"answers": answers})
    assert retry.status_code == 200
    assert retry.json() == {"status": "complete", "already_answered": True}
    assert _count(api_db) == 1
    late = api.put(f"/api/v1/surveys/{token}/answers", json={"answers": {"ltr": 3}})
    assert late.status_code == 409 and late.json()["error"]["type"] == "AlreadyAnsweredError"


def test_submit_without_required_answers_lists_them(api: TestClient, api_db: Database) -> None:
    r = api.post(f"/api/v1/surveys/{_token(api_db)}/submit", json={"answers": {"ltr": 9}})
    assert r.status_code == 422
    missing = {p["column"] for p in r.json()["error"]["problems"]}
    assert "excellent" in missing and "ltr" not in missing


def test_anonymous_link_answers_under_a_draft_key(api: TestClient, api_db: Database) -> None:
    link = create_anonymous_link(api_db, "acme", wave="w1", team="support")
    drafts = [api.post(f"/api/v1/surveys/{link.token}/drafts").json()["draft"] for _ in range(2)]
    assert len(set(drafts)) == 2 and all(len(d) >= 32 for d in drafts)
    survey = api.get(f"/api/v1/surveys/{link.token}").json()
    assert survey["anonymous"] is True and survey["team"] == "support"
    for d in drafts:
        r = api.post(
            f"/api/v1/surveys/{link.token}/submit", json={"answers": _complete(survey), "draft": d}
        )
        assert r.json()["already_answered"] is False
    no_draft = api.post(f"/api/v1/surveys/{link.token}/submit", json={"answers": {}})
    assert no_draft.status_code == 422
    assert _count(api_db) == 2


def test_unknown_token_is_a_json_404(api: TestClient) -> None:
    r = api.get("/api/v1/surveys/nope")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "NotFoundError"


def test_openapi_schema_publishes_the_survey_flow(api: TestClient) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/surveys/{token}",
        "/api/v1/surveys/{token}/answers",
        "/api/v1/surveys/{token}/submit",
        "/api/v1/surveys/{token}/drafts",
        "/api/v1/health",
    }
    assert "put" in paths["/api/v1/surveys/{token}/answers"]
    assert "SurveyOut" in schema["components"]["schemas"]
    assert not any(p.startswith("/s/") for p in paths)  # pages are not API


def test_health_reports_the_database(api: TestClient, api_db: Database) -> None:
    assert api.get("/api/v1/health").json() == {"status": "ok", "database": api_db.dialect}


@pytest.mark.parametrize("text", ["nul\\u0000byte", "lone \\udab3 surrogate"])
def test_answer_text_no_database_can_store_is_refused(
    api: TestClient, api_db: Database, text: str
) -> None:
    body = '{"answers": {"ltr": 7, "open.well": "' + text + '"}}'  # raw JSON, as a client may send
    r = api.put(
        f"/api/v1/surveys/{_token(api_db)}/answers",
        content=body.encode("ascii"),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    answer = r.json()
    if "detail" in answer:
        # A string that is not Unicode is refused by the request schema itself.
        assert all(d["loc"][:3] == ["body", "answers", "open.well"] for d in answer["detail"])
        assert "unicode" in answer["detail"][0]["msg"]
        return
    [problem] = answer["error"]["problems"]
    assert (problem["column"], problem["expected"]) == (
        "open.well",
        "text without NUL characters or unpaired surrogates",
    )


def test_the_schema_documents_the_error_statuses_of_each_survey_call(api: TestClient) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    put = paths["/api/v1/surveys/{token}/answers"]["put"]["responses"]
    assert set(put) == {"200", "400", "404", "409", "413", "422", "429", "503"}
    error = put["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorOut"}
