"""Answering a survey from its link: partial answers saved and resumed, one
response per link however often it is submitted, validation beside the field,
anonymous team links that store nothing personal. Store functions and the
HTML pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from cxgap.errors import InputError
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.invitations import Contact, create_anonymous_link, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.survey import (
    AlreadyAnsweredError,
    open_survey,
    parse_answers,
    save_answers,
    submit,
)
from cxgap.study.defaults import default_study
from cxgap.study.model import Question, StudyDefinition
from cxgap.web import create_app


@pytest.fixture
def survey_db(db_url: str) -> Iterator[Database]:
    """A database holding the default study ``acme`` (one wave, w1)."""
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    yield db
    db.close()


@pytest.fixture
def client(survey_db: Database) -> Iterator[TestClient]:
    app = create_app(Settings.load(database_url="sqlite://"), database=survey_db)
    with TestClient(app) as c:
        yield c


def _token(db: Database, audience: str = "customer", email: str = "ann@example.com") -> str:
    extra: dict[str, Any] = {"segment": "top"} if audience == "customer" else {"team": "support"}
    batch = create_invitations(
        db, "acme", audience=audience, wave="w1", contacts=[Contact(email=email, **extra)]
    )
    return batch.links[0].token


def full_answers(study: StudyDefinition, audience: str) -> dict[str, Any]:
    """A valid answer to every question the audience is asked."""
    out: dict[str, Any] = {}
    for q in study.questions_for(audience):  # type: ignore[arg-type]
        if q.kind in ("rating", "nps", "share"):
            out[q.key] = q.scale_max
        elif q.kind == "rank":
            out.update({f"{q.key}.{item}": i + 1 for i, item in enumerate(q.items)})
        elif q.kind == "multi":
            out[q.key] = [q.items[0]]
        else:
            out[q.key] = "They call back when they promise."
    return out


def _responses(db: Database) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(t.response)).all())


# --- store -------------------------------------------------------------------


def test_partial_answers_are_saved_and_resumed_from_the_same_link(survey_db: Database) -> None:
    token = _token(survey_db)
    state = open_survey(survey_db, token)
    assert state.status == "new" and state.resume_section() == 0
    first = state.sections[0]
    raw = {q.key: 4 for q in first.questions}
    save_answers(survey_db, token, raw, section=0, require=True)
    again = open_survey(survey_db, token)
    assert again.status == "partial"
    assert {q.key: again.answers[q.key] for q in first.questions} == {
        q.key: 4.0 for q in first.questions
    }
    assert again.resume_section() == 1
    assert [r.status for r in _responses(survey_db)] == ["partial"]


def test_partial_response_stays_out_of_the_analysis_until_submitted(survey_db: Database) -> None:
    token = _token(survey_db)
    answers = full_answers(open_survey(survey_db, token).study, "customer")
    save_answers(survey_db, token, answers)
    assert load_frame(survey_db, "acme").empty
    assert submit(survey_db, token).already_answered is False
    frame = load_frame(survey_db, "acme")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["audience"] == "customer" and row["segment"] == "top" and row["wave"] == "w1"
    assert row["ltr"] == 10.0 and row["rank.personalisation"] == 1.0
    assert row["leave.slow_response"] in (0.0, 1.0)
    assert row["open.well"] == "They call back when they promise."


def test_second_submission_changes_nothing_and_says_already_answered(survey_db: Database) -> None:
    token = _token(survey_db)
    answers = full_answers(open_survey(survey_db, token).study, "customer")
    assert submit(survey_db, token, answers).already_answered is False
    changed = {**answers, "ltr": 0}
    second = submit(survey_db, token, changed)
    assert second.already_answered is True
    assert len(_responses(survey_db)) == 1
    assert open_survey(survey_db, token).answers["ltr"] == 10.0
    with pytest.raises(AlreadyAnsweredError):
        save_answers(survey_db, token, {"ltr": 1})


def test_concurrent_submissions_of_one_link_create_one_response(survey_db: Database) -> None:
    token = _token(survey_db)
    answers = full_answers(open_survey(survey_db, token).study, "customer")
    save_answers(survey_db, token, answers)
    outcomes: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(submit(survey_db, token).already_answered)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sorted(outcomes) == [False, True, True, True, True, True]
    assert [r.status for r in _responses(survey_db)] == ["complete"]


def test_invalid_answers_name_each_question_and_save_nothing(survey_db: Database) -> None:
    token = _token(survey_db)
    with pytest.raises(InputError) as err:
        save_answers(
            survey_db,
            token,
            {
                "perf.integrity": "6",
                "ltr": "ten",
                "rank.personalisation": "1",
                "rank.integrity": "1",
                "leave": ["no_such_reason"],
            },
        )
    columns = {p.column for p in err.value.problems}
    assert columns == {"perf.integrity", "ltr", "rank", "leave"}
    assert _responses(survey_db) == []


def test_submit_lists_every_required_question_left_empty(survey_db: Database) -> None:
    token = _token(survey_db)
    save_answers(survey_db, token, {"perf.integrity": 3})
    with pytest.raises(InputError) as err:
        submit(survey_db, token)
    missing = {p.column for p in err.value.problems}
    assert "ltr" in missing and "excellent" in missing and "perf.integrity" not in missing
    assert [r.status for r in _responses(survey_db)] == ["partial"]


def test_staff_answer_the_staff_instrument_with_their_team(survey_db: Database) -> None:
    token = _token(survey_db, audience="staff", email="sam@acme.test")
    state = open_survey(survey_db, token)
    keys = {q.key for s in state.sections for q in s.questions}
    assert "open.barriers" in keys and "ltr" not in keys
    assert "as you believe our customers experience us" in state.to_json_dict()["framing"]
    submit(survey_db, token, full_answers(state.study, "staff"))
    frame = load_frame(survey_db, "acme")
    assert frame.loc[0, "team"] == "support" and frame.loc[0, "audience"] == "staff"


def test_anonymous_drafts_are_separate_responses_without_personal_data(
    survey_db: Database,
) -> None:
    link = create_anonymous_link(survey_db, "acme", wave="w1", team="billing")
    study = open_survey(survey_db, link.token).study
    drafts = ["a" * 32, "b" * 32]
    for d in drafts:
        submit(survey_db, link.token, full_answers(study, "staff"), draft=d)
    assert submit(survey_db, link.token, draft=drafts[0]).already_answered is True
    with pytest.raises(InputError):
        submit(survey_db, link.token, full_answers(study, "staff"))  # no draft key
    with survey_db.connect() as conn:
        people = conn.execute(select(t.respondent)).all()
    assert len(people) == 2
    assert all(p.name is None and p.email is None and p.team == "billing" for p in people)
    frame = load_frame(survey_db, "acme")
    assert list(frame["team"]) == ["billing", "billing"]


@given(st.integers(min_value=-20, max_value=20))
def test_a_rating_is_accepted_exactly_when_it_is_a_whole_number_on_the_scale(v: int) -> None:
    q = Question(
        key="perf.x", text="?", kind="rating", audiences=["customer"], scale_min=1, scale_max=5
    )
    if 1 <= v <= 5:
        assert parse_answers([q], {"perf.x": str(v)}) == {"perf.x": float(v)}
    else:
        with pytest.raises(InputError):
            parse_answers([q], {"perf.x": str(v)})


@given(st.permutations([1, 2, 3, 4]))
def test_any_permutation_is_a_valid_ranking_and_a_repeat_is_not(perm: list[int]) -> None:
    q = Question(
        key="rank", text="?", kind="rank", audiences=["customer"], items=["a", "b", "c", "d"]
    )
    raw = {f"rank.{i}": r for i, r in zip("abcd", perm, strict=True)}
    assert parse_answers([q], raw) == {k: float(v) for k, v in raw.items()}
    raw["rank.a"] = raw["rank.b"]
    with pytest.raises(InputError):
        parse_answers([q], raw)


# --- pages ---------------------------------------------------------------------


def test_page_shows_the_first_section_with_progress_and_labels(
    client: TestClient, survey_db: Database
) -> None:
    token = _token(survey_db)
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    assert "Section 1 of 5" in page.text and '<progress max="5" value="1"' in page.text
    assert "<legend>How well does the company perform on personalisation" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    staff = client.get(f"/s/{_token(survey_db, 'staff', 'sam@acme.test')}")
    assert "as you believe our customers experience us" in staff.text


def test_every_asset_of_the_page_is_served_by_the_app(
    client: TestClient, survey_db: Database
) -> None:
    page = client.get(f"/s/{_token(survey_db)}")
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert refs and all(r.startswith(("/", "#")) for r in refs), refs
    for ref in (r for r in refs if r.startswith("/static/")):
        assert client.get(ref).status_code == 200


def test_missing_required_answer_is_shown_beside_the_field(
    client: TestClient, survey_db: Database
) -> None:
    token = _token(survey_db)
    form = {"section": "0", "action": "next", "perf.personalisation": "4"}
    page = client.post(f"/s/{token}", data=form, follow_redirects=False)
    assert page.status_code == 200
    block = re.search(r'<fieldset id="q-perf-integrity".*?</fieldset>', page.text, re.S)
    assert block is not None
    assert 'aria-describedby="q-perf-integrity-error"' in block.group(0)
    assert "Please answer this question." in block.group(0)
    assert 'value="4" checked' in page.text  # what was entered is kept
    assert _responses(survey_db) == []


def test_form_flow_saves_each_section_and_resumes_where_it_stopped(
    client: TestClient, survey_db: Database
) -> None:
    token = _token(survey_db)
    state = open_survey(survey_db, token)
    answers = full_answers(state.study, "customer")
    form = {"section": "0", "action": "next"} | {
        q.key: str(answers[q.key]) for q in state.sections[0].questions
    }
    done = client.post(f"/s/{token}", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/s/{token}?section=1"
    resumed = client.get(f"/s/{token}")
    assert "Section 2 of 5" in resumed.text


def test_html_in_an_answer_is_stored_as_text_and_shown_escaped(
    client: TestClient, survey_db: Database
) -> None:
    token = _token(survey_db)
    state = open_survey(survey_db, token)
    last = len(state.sections) - 1
    evil = '<script>alert("x")</script>'
    client.post(f"/s/{token}", data={"section": str(last), "action": "back", "open.well": evil})
    assert open_survey(survey_db, token).answers["open.well"] == evil
    page = client.get(f"/s/{token}?section={last}")
    assert evil not in page.text and "&lt;script&gt;" in page.text


def test_posting_the_last_section_twice_shows_already_answered(
    client: TestClient, survey_db: Database
) -> None:
    token = _token(survey_db)
    state = open_survey(survey_db, token)
    save_answers(survey_db, token, full_answers(state.study, "customer"))
    last = str(len(state.sections) - 1)
    first = client.post(f"/s/{token}", data={"section": last, "action": "submit"})
    assert first.status_code == 200 and "Thank you" in first.text
    second = client.post(f"/s/{token}", data={"section": last, "action": "submit"})
    assert second.status_code == 200 and "Already answered" in second.text
    assert "Already answered" in client.get(f"/s/{token}").text
    assert len(_responses(survey_db)) == 1


def test_unknown_link_is_a_404_page_not_a_traceback(client: TestClient) -> None:
    page = client.get("/s/not-a-real-token")
    assert page.status_code == 404
    assert "<h1>Link not found</h1>" in page.text and "Traceback" not in page.text


def test_anonymous_link_keeps_no_ip_or_user_agent(client: TestClient, survey_db: Database) -> None:
    link = create_anonymous_link(survey_db, "acme", wave="w1", team="support")
    agent = "Mozilla/5.0 (UniqueAgent-7f3a)"
    page = client.get(f"/s/{link.token}", headers={"User-Agent": agent})
    assert "anonymous" in page.text
    draft = re.search(r'name="draft" value="([^"]+)"', page.text)
    assert draft is not None
    study = open_survey(survey_db, link.token).study
    save_answers(survey_db, link.token, full_answers(study, "staff"), draft=draft.group(1))
    last = str(len(open_survey(survey_db, link.token).sections) - 1)
    done = client.post(
        f"/s/{link.token}",
        data={"section": last, "action": "submit", "draft": draft.group(1)},
        headers={"User-Agent": agent},
    )
    assert "Thank you" in done.text
    with survey_db.connect() as conn:
        dump = " ".join(
            str(v)
            for table in t.metadata.sorted_tables
            for row in conn.execute(select(table)).all()
            for v in row
        )
        assert conn.execute(select(func.count()).select_from(t.response)).scalar() == 1
    for secret in ("UniqueAgent", "testclient", "127.0.0.1", draft.group(1)):
        assert secret not in dump


def test_a_section_that_is_not_a_number_shows_where_the_respondent_is(
    client: TestClient, survey_db: Database
) -> None:
    page = client.get(f"/s/{_token(survey_db)}?section=abc")
    assert page.status_code == 200 and "Section 1 of 5" in page.text


def test_audience_without_questions_is_a_clear_page(db_url: str) -> None:
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    study = default_study("acme", organisation="Acme")
    questions = [
        q.model_copy(
            update={"audiences": [a for a in q.audiences if a != "leadership"] or ["staff"]}
        )
        for q in study.questions
    ]
    save_study(db, study.model_copy(update={"questions": questions}))
    token = _token(db, "leadership", "lee@acme.test")
    with TestClient(create_app(Settings.load(database_url="sqlite://"), database=db)) as c:
        page = c.get(f"/s/{token}")
    db.close()
    assert page.status_code == 404
    assert "has no questions for the leadership audience" in page.text


def test_staff_read_importance_as_importance_to_customers(
    client: TestClient, survey_db: Database
) -> None:
    staff = client.get(f"/s/{_token(survey_db, 'staff', 'sam@acme.test')}?section=1")
    assert "How important is integrity to our customers?" in staff.text
    customer = client.get(f"/s/{_token(survey_db)}?section=1")
    assert "How important is integrity to you?" in customer.text


def test_staff_read_every_question_asked_of_customers_about_our_customers(
    client: TestClient, survey_db: Database
) -> None:
    token = _token(survey_db, "staff", "sam@acme.test")
    body = client.get(f"/api/v1/surveys/{token}").json()
    texts = {q["key"]: q["text"] for s in body["sections"] for q in s["questions"]}
    assert texts["excellent"].startswith("Would our customers describe the service as excellent?")
    asked_of_customers = {
        q.key for q in default_study("a", organisation="A").questions_for("customer")
    }
    speaking_to_staff = {k for k, text in texts.items() if re.search(r"\byou(r)?\b", text, re.I)}
    # Only the questions asked of staff alone speak to them as "you".
    assert speaking_to_staff == {"open.barriers", "open.levers"}
    assert not speaking_to_staff & asked_of_customers
