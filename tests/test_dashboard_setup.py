"""The dashboard's set-up forms: owners and analysts change the study through
the same library code as ``cxgap study apply`` (all or nothing; waves and
questions that hold answers stay), refusals are shown beside the field with
the values kept, viewers read only, every form needs its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.studies import answer_counts, load_study, save_study, study_revision
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.test_dashboard import PASSWORD, SECRET, csrf_of, sign_in

SETUP = "/dashboard/studies/acme/setup"


@pytest.fixture
def acme(fresh_db: Database, db_url: str) -> tuple[Any, Database]:
    """Study acme of Acme: ann (owner), ada (analyst), val (viewer)."""
    save_study(fresh_db, default_study("acme", organisation="Acme", name="Acme study"))
    for email, role in (("ann", "owner"), ("ada", "analyst"), ("val", "viewer")):
        add_user(
            fresh_db, f"{email}@example.com", organisation="Acme", role=role, password=PASSWORD
        )
    settings = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET})
    return create_app(settings, database=fresh_db), fresh_db


@pytest.fixture
def owner(acme: tuple[Any, Database]) -> Iterator[TestClient]:
    with TestClient(acme[0]) as client:
        sign_in(client, "ann@example.com")
        yield client


def _form(client: TestClient, path: str = SETUP) -> dict[str, str]:
    page = client.get(path).text
    revision = re.search(r'name="revision" value="(\d+)"', page)
    return {"csrf_token": csrf_of(page), "revision": revision.group(1) if revision else ""}


def _rows(study: Any, section: str) -> dict[str, list[str]]:
    items = getattr(study, section)
    return {
        "key": [x.key for x in items],
        "label": [x.label for x in items],
        "description": [x.description for x in items],
    }


def test_the_set_up_page_is_a_form_for_editors(owner: TestClient) -> None:
    page = owner.get(SETUP).text
    for section in ("general", "anonymity", "promise", "factors", "touchpoints", "moments"):
        assert f'action="{SETUP}/{section}"' in page, section
    for action in ("segments", "waves", "waves/add", "new-question"):
        assert f"{SETUP}/{action}" in page
    # Labelled fields, also in the tables (for screen readers and phones).
    assert '<label class="dash-cell-label" for="factors-1-label">' in page
    assert 'id="factors-1-label" name="label" value="Personalisation"' in page
    # The next wave is suggested, not added until asked.
    assert 'name="key" value="w2"' in page
    assert page.count("Remove<span") >= 10


def test_a_new_segment_and_new_labels_are_saved(acme: Any, owner: TestClient) -> None:
    _, db = acme
    before = load_study(db, "acme")
    rows = _rows(before, "segments")
    rows["label"][0] = "Top 20 accounts"
    rows["key"].append("partners")
    rows["label"].append("Partner-led")
    rows["description"].append("Bought through a partner")
    r = owner.post(f"{SETUP}/segments", data={**_form(owner), **rows}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{SETUP}?saved=segments#segments"
    assert "Customer segments saved." in owner.get(r.headers["location"]).text
    after = load_study(db, "acme")
    assert after.segments[0].label == "Top 20 accounts"
    assert (after.segments[-1].key, after.segments[-1].description) == (
        "partners",
        "Bought through a partner",
    )
    assert after.questions == before.questions


def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_saved(
    acme: Any, owner: TestClient
) -> None:
    _, db = acme
    before = load_study(db, "acme")
    rows = _rows(before, "moments")
    rows["weight"] = [str(m.weight) for m in before.moments]
    rows["weight"][1] = "heavy"
    rows["label"][0] = "Changed but refused"
    rows["key"].append("Renewal Call")
    rows["label"].append("Renewal call")
    rows["description"].append("")
    rows["weight"].append("2")
    r = owner.post(f"{SETUP}/moments", data={**_form(owner), **rows})
    assert r.status_code == 200
    n = len(before.moments) + 1
    assert '<p class="dash-field-error" id="moments-2-weight-error">' in r.text
    assert f'<p class="dash-field-error" id="moments-{n}-key-error">' in r.text
    assert 'aria-invalid="true" aria-describedby="moments-2-weight-error"' in r.text
    # The summary links to each field; what was typed is still there.
    assert 'href="#moments-2-weight"' in r.text and 'value="heavy"' in r.text
    assert 'value="Changed but refused"' in r.text and 'value="Renewal Call"' in r.text
    assert load_study(db, "acme") == before


def test_a_factor_with_its_questions_is_added(acme: Any, owner: TestClient) -> None:
    _, db = acme
    rows = _rows(load_study(db, "acme"), "factors")
    rows["lexicon"] = ["" for _ in rows["key"]]
    for name, value in (("key", "value"), ("label", "Adding value"), ("description", "")):
        rows[name].append(value)
    rows["lexicon"].append("value, ROI")
    form = {**_form(owner), **rows, "add_questions": "1"}
    assert owner.post(f"{SETUP}/factors", data=form, follow_redirects=False).status_code == 303
    study = load_study(db, "acme")
    assert study.factors[-1].lexicon == ["value", "ROI"]
    assert {"perf.value", "imp.value"} <= {q.key for q in study.questions}
    assert "value" in study.question("rank").items


def test_waves_are_added_and_renamed(acme: Any, owner: TestClient) -> None:
    _, db = acme
    new = {"key": "w2", "label": "Spring 2027", "opens": "2027-03-01", "closes": "2027-03-31"}
    r = owner.post(f"{SETUP}/waves/add", data={**_form(owner), **new}, follow_redirects=False)
    assert r.status_code == 303
    bad = {"key": "w3", "label": "", "opens": "2027-05-01", "closes": "2027-04-01"}
    r = owner.post(f"{SETUP}/waves/add", data={**_form(owner), **bad})
    assert r.status_code == 200
    assert 'id="new_wave-3-label-error"' in r.text and 'id="new_wave-3-closes-error"' in r.text
    assert 'value="2027-04-01"' in r.text
    rows = {"key": ["w1", "w2"], "label": ["Autumn", "Spring"], "opens": ["", ""]}
    rows["closes"] = ["2026-11-30", "2027-03-31"]
    r = owner.post(f"{SETUP}/waves", data={**_form(owner), **rows}, follow_redirects=False)
    assert r.status_code == 303
    waves = load_study(db, "acme").waves
    assert [(w.key, w.label, str(w.closes)) for w in waves] == [
        ("w1", "Autumn", "2026-11-30"),
        ("w2", "Spring", "2027-03-31"),
    ]
    # An empty wave can be removed.
    remove = {**rows, "remove": ["w2"]}
    assert owner.post(f"{SETUP}/waves", data={**_form(owner), **remove}).status_code == 200
    assert [w.key for w in load_study(db, "acme").waves] == ["w1"]


def test_promise_title_and_threshold(acme: Any) -> None:
    app, db = acme
    with TestClient(app) as client:
        sign_in(client, "ada@example.com")  # an analyst
        form = _form(client)
        promise = {**form, "text": "We answer within a day\nWe keep our word"}
        assert client.post(f"{SETUP}/promise", data=promise).status_code == 200
        general = {**_form(client), "name": "Acme 2027", "description": "Second year"}
        assert client.post(f"{SETUP}/general", data=general).status_code == 200
        assert 'action="/dashboard/studies/acme/setup/anonymity"' not in client.get(SETUP).text
        r = client.post(f"{SETUP}/anonymity", data={**_form(client), "anonymity_threshold": "2"})
        assert r.status_code == 403 and "Only owners can change the anonymity threshold" in r.text
    study = load_study(db, "acme")
    assert study.promise == ["We answer within a day", "We keep our word"]
    assert (study.name, study.description, study.anonymity_threshold) == (
        "Acme 2027",
        "Second year",
        5,
    )
    with TestClient(app) as client:
        sign_in(client, "ann@example.com")
        r = client.post(f"{SETUP}/anonymity", data={**_form(client), "anonymity_threshold": "0"})
        assert r.status_code == 200 and 'id="anonymity-anonymity_threshold-error"' in r.text
        r = client.post(f"{SETUP}/anonymity", data={**_form(client), "anonymity_threshold": "7"})
        assert r.status_code == 200
    assert load_study(db, "acme").anonymity_threshold == 7


def test_a_question_is_added_edited_moved_and_removed(acme: Any, owner: TestClient) -> None:
    _, db = acme
    url = f"{SETUP}/new-question"
    blank = owner.get(url).text
    assert '<textarea id="q-items" name="items"' in blank and "built-in method" not in blank
    question = {
        "question_key": "choice.onboarding",
        "text": "How was your first month?",
        "kind": "choice",
        "audiences": ["customer"],
        "items": "smooth\nbumpy",
        "section": "open",
    }
    r = owner.post(url, data={**_form(owner, url), **question}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#q-choice-onboarding")
    q = load_study(db, "acme").questions[-1]
    assert (q.key, q.kind, q.items, q.audiences, q.required) == (
        "choice.onboarding",
        "choice",
        ["smooth", "bumpy"],
        ["customer"],
        False,
    )
    edit_url = f"{SETUP}/questions/choice.onboarding"
    page = owner.get(edit_url).text
    assert 'value="choice.onboarding"' in page and "smooth\nbumpy</textarea>" in page
    changed = {**question, "text": "How were your first weeks?", "required": "1"}
    changed["audiences"] = ["customer", "staff"]
    r = owner.post(edit_url, data={**_form(owner, edit_url), **changed}, follow_redirects=False)
    assert r.status_code == 303
    q = load_study(db, "acme").questions[-1]
    assert (q.text, q.required, q.audiences) == (
        "How were your first weeks?",
        True,
        ["staff", "customer"],  # in the order of the audiences
    )
    move = {**_form(owner), "offset": "-1"}
    assert owner.post(f"{edit_url}/move", data=move).status_code == 200
    keys = [x.key for x in load_study(db, "acme").questions]
    assert keys[-2:] == ["choice.onboarding", "open.future_needs"]
    assert owner.post(f"{edit_url}/remove", data=_form(owner)).status_code == 200
    assert "choice.onboarding" not in [x.key for x in load_study(db, "acme").questions]


def test_the_question_form_shows_and_saves_how_staff_read_it(acme: Any, owner: TestClient) -> None:
    _, db = acme
    url = f"{SETUP}/questions/excellent"
    page = owner.get(url).text
    inside = "Would our customers describe the service as excellent?"
    assert 'name="internal_text"' in page and f">{inside}" in page
    q = load_study(db, "acme").question("excellent")
    form = {
        "question_key": q.key,
        "text": q.text,
        "kind": q.kind,
        "audiences": list(q.audiences),
        "scale_min": "1",
        "scale_max": "5",
        "section": q.section,
        "required": "1",
        "internal_text": "Would our clients call the service excellent? (1-5)",
    }
    r = owner.post(url, data={**_form(owner, url), **form}, follow_redirects=False)
    assert r.status_code == 303
    assert load_study(db, "acme").question("excellent").internal_text == (
        "Would our clients call the service excellent? (1-5)"
    )
    assert "Would our clients call the service excellent? (1-5)</textarea>" in owner.get(url).text
    r = owner.post(
        url, data={**_form(owner, url), **form, "internal_text": ""}, follow_redirects=False
    )
    assert r.status_code == 303
    assert load_study(db, "acme").question("excellent").internal_text is None


def test_a_refused_question_keeps_what_was_typed(acme: Any, owner: TestClient) -> None:
    _, db = acme
    before = load_study(db, "acme")
    url = f"{SETUP}/questions/excellent"
    bad = {
        "question_key": "excellent",
        "text": "Would you call us excellent?",
        "kind": "rating",
        "audiences": ["staff"],
        "scale_min": "5",
        "scale_max": "one",
        "factor": "speed",
    }
    r = owner.post(url, data={**_form(owner, url), **bad})
    assert r.status_code == 200
    for field in ("scale_max", "factor"):
        assert f'<p class="dash-field-error" id="q-{field}-error">' in r.text, field
    assert "Would you call us excellent?</textarea>" in r.text and 'value="one"' in r.text
    taken = {**bad, "question_key": "ltr", "scale_max": "10", "factor": ""}
    r = owner.post(url, data={**_form(owner, url), **taken})
    assert r.status_code == 200 and "a key no other question uses" in r.text
    assert load_study(db, "acme") == before


def test_a_stale_page_does_not_overwrite_a_newer_save(acme: Any) -> None:
    app, db = acme
    with TestClient(app) as ann, TestClient(app) as ada:
        sign_in(ann, "ann@example.com")
        sign_in(ada, "ada@example.com")
        old = _form(ada)  # ada opened the page first
        assert ann.post(f"{SETUP}/promise", data={**_form(ann), "text": "Ann's"}).status_code == 200
        r = ada.post(f"{SETUP}/promise", data={**old, "text": "Ada's"})
        assert r.status_code == 200
        assert "changed by someone else" in r.text and "Ada&#39;s</textarea>" in r.text
        # Sent again from the page she now sees (the new revision), it is saved.
        again = re.search(r'name="revision" value="(\d+)"', r.text)
        assert again and int(again.group(1)) == study_revision(db, "acme")
    assert load_study(db, "acme").promise == ["Ann's"]


def test_viewers_read_the_set_up_and_every_form_is_refused(acme: Any) -> None:
    app, db = acme
    before = load_study(db, "acme")
    with TestClient(app) as client:
        sign_in(client, "val@example.com")
        page = client.get(SETUP).text
        assert "Your role is viewer" in page and 'name="revision"' not in page
        assert "Personalisation" in page and "perf.empathy" in page
        token = csrf_of(page)
        for action in ("general", "promise", "factors", "waves", "waves/add", "new-question"):
            r = client.post(f"{SETUP}/{action}", data={"csrf_token": token, "text": "x"})
            assert r.status_code == 403, action
            assert "viewers cannot change the study&#39;s set-up" in r.text
        for path in ("questions/ltr", "questions/ltr/move", "questions/ltr/remove"):
            assert client.post(f"{SETUP}/{path}", data={"csrf_token": token}).status_code == 403
        assert client.get(f"{SETUP}/new-question").status_code == 403
        assert client.get(f"{SETUP}/questions/ltr").status_code == 403
    assert load_study(db, "acme") == before


def test_forms_without_their_token_change_nothing(acme: Any, owner: TestClient) -> None:
    _, db = acme
    before = load_study(db, "acme")
    for action in ("promise", "questions/ltr/remove"):
        r = owner.post(f"{SETUP}/{action}", data={"text": "x"})
        assert r.status_code == 403 and "The form expired" in r.text
    assert load_study(db, "acme") == before


# --- a study that holds answers (the demo company) ----------------------------------


@pytest.fixture
def demo(demo_copy_url: str) -> Iterator[tuple[TestClient, Database]]:
    settings = Settings.load(database_url=demo_copy_url).model_copy(update={"secret_key": SECRET})
    with Database.open(settings) as db:
        add_user(
            db,
            "ann@example.com",
            organisation="Brightwell Systems",
            role="owner",
            password=PASSWORD,
        )
        with TestClient(create_app(settings, database=db)) as client:
            sign_in(client, "ann@example.com")
            yield client, db


def test_answered_waves_and_questions_cannot_be_removed(
    demo: tuple[TestClient, Database],
) -> None:
    client, db = demo
    url = "/dashboard/studies/demo/setup"
    counts = answer_counts(db, "demo")
    page = client.get(url).text
    # The page says what holds answers instead of offering to remove it.
    assert f"{counts.responses_per_wave['w1']} responses: kept" in page
    assert 'action="/dashboard/studies/demo/setup/questions/ltr/remove"' not in page
    study = load_study(db, "demo")
    rows = {
        "key": [w.key for w in study.waves],
        "label": [w.label for w in study.waves],
        "opens": [str(w.opens) for w in study.waves],
        "closes": [str(w.closes) for w in study.waves],
        "remove": ["w1"],
    }
    r = client.post(f"{url}/waves", data={**_form(client, url), **rows})
    assert r.status_code == 200
    assert '<p class="dash-field-error" id="waves-1-remove-error">' in r.text
    n = counts.responses_per_wave["w1"]
    assert f"Wave w1 holds {n} response(s): it cannot be removed." in r.text
    r = client.post(f"{url}/questions/ltr/remove", data=_form(client, url))
    assert r.status_code == 200
    assert f"Question ltr holds {counts.answers_per_question['ltr']} answer(s)" in r.text
    # Renaming an answered question is removing its key: refused beside the key.
    edit = f"{url}/questions/open.well"
    form = {
        **_form(client, edit),
        "question_key": "open.good",
        "text": "What do we do well?",
        "kind": "text",
        "audiences": ["customer", "staff", "leadership"],
    }
    r = client.post(edit, data=form)
    assert (
        r.status_code == 200 and 'id="q-key-error"' in r.text and "its key cannot change" in r.text
    )
    assert load_study(db, "demo") == study


def _case_rows(study: Any) -> dict[str, list[str]]:
    from cxgap.study.edits import case_rule_rows

    rows = case_rule_rows(study)
    return {
        "key": [r.key for r in rows],
        "enabled": [r.key for r in rows if r.enabled],
        "priority": [r.priority for r in rows],
        "sla_days": [r.sla_days for r in rows],
        "limit": [r.limit for r in rows],
        "within_days": [r.within_days for r in rows],
    }


def test_case_rules_are_switched_and_tuned_on_the_set_up_page(acme: Any, owner: TestClient) -> None:
    _, db = acme
    page = owner.get(SETUP).text
    assert f'action="{SETUP}/cases"' in page and "Case rules" in page
    rows = _case_rows(load_study(db, "acme"))
    rows["enabled"].remove("negative_text")
    i = rows["key"].index("detractor")
    rows["sla_days"][i], rows["limit"][i], rows["priority"][i] = "1", "4", "urgent"
    r = owner.post(
        f"{SETUP}/cases",
        data={**_form(owner), **rows, "lookback_days": "14"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"{SETUP}?saved=cases#cases"
    cases = load_study(db, "acme").cases
    assert not cases.rule("negative_text").enabled and cases.rule("below_threshold").enabled
    assert (cases.rule("detractor").sla_days, cases.rule("detractor").max_ltr) == (1.0, 4.0)
    assert cases.rule("detractor").priority == "urgent" and cases.lookback_days == 14


def test_a_bad_case_rule_value_is_shown_beside_its_field_and_nothing_is_saved(
    acme: Any, owner: TestClient
) -> None:
    _, db = acme
    before = load_study(db, "acme")
    rows = _case_rows(before)
    i = rows["key"].index("detractor") + 1
    j = rows["key"].index("failure_burst") + 1
    rows["limit"][i - 1] = "11"
    rows["within_days"][j - 1] = "soon"
    r = owner.post(f"{SETUP}/cases", data={**_form(owner), **rows, "lookback_days": "30"})
    assert r.status_code == 200
    assert f'id="cases-{i}-limit-error"' in r.text and "from 0 to 10" in r.text
    assert f'id="cases-{j}-within_days-error"' in r.text and 'value="soon"' in r.text
    assert load_study(db, "acme") == before


def test_a_viewer_reads_the_case_rules_but_cannot_change_them(acme: Any) -> None:
    app, db = acme
    with TestClient(app) as client:
        sign_in(client, "val@example.com")
        page = client.get(SETUP).text
        assert f'action="{SETUP}/cases"' not in page and "Case rules" in page
        rows = _case_rows(load_study(db, "acme"))
        r = client.post(f"{SETUP}/cases", data={**_form(client), **rows, "lookback_days": "9"})
        assert r.status_code == 403
    assert load_study(db, "acme").cases.lookback_days == 30
