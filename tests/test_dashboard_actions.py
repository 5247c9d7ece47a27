"""The dashboard's action plan: add an item (free, or a ranked candidate
with its evidence as computed now), edit every field, problems beside the
fields with the values kept; viewers read only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.service.studies import open_candidates
from cxgap.settings import Settings
from cxgap.store.actions import list_actions
from cxgap.store.db import Database
from cxgap.store.users import add_user
from cxgap.web import create_app
from tests.test_dashboard import PASSWORD, SECRET, csrf_of, sign_in

PLAN = "/dashboard/studies/demo/actions"


@pytest.fixture
def demo(demo_copy_url: str) -> Iterator[tuple[Any, Database]]:
    """The demo company (it has answers, so candidates): ann owner, val viewer."""
    settings = Settings.load(database_url=demo_copy_url).model_copy(update={"secret_key": SECRET})
    with Database.open(settings) as db:
        org = "Brightwell Systems"
        add_user(db, "ann@example.com", organisation=org, role="owner", password=PASSWORD)
        add_user(db, "val@example.com", organisation=org, role="viewer", password=PASSWORD)
        yield create_app(settings, database=db), db


@pytest.fixture
def owner(demo: tuple[Any, Database]) -> Iterator[TestClient]:
    with TestClient(demo[0]) as client:
        sign_in(client, "ann@example.com")
        yield client


def test_a_free_action_is_added_with_every_field(demo: Any, owner: TestClient) -> None:
    _, db = demo
    before = {a.id for a in list_actions(db, "demo")}
    form = {
        "csrf_token": csrf_of(owner.get(f"{PLAN}/new").text),
        "title": "  Call every detractor within a week ",
        "description": "Start with the top accounts.",
        "factor": "empathy",
        "touchpoint": "account_management",
        "baseline_wave": "w2",
        "owner": "Dana Ortiz",
        "due_on": "2027-03-31",
        "status": "in_progress",
    }
    r = owner.post(f"{PLAN}/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    [item] = [a for a in list_actions(db, "demo") if a.id not in before]
    assert r.headers["location"] == f"{PLAN}?saved={item.id}#action-{item.id}"
    assert (item.title, item.factor, item.touchpoint, item.baseline_wave) == (
        "Call every detractor within a week",
        "empathy",
        "account_management",
        "w2",
    )
    assert (item.owner, str(item.due_on), item.status, item.evidence) == (
        "Dana Ortiz",
        "2027-03-31",
        "in_progress",
        {},
    )
    assert f"Action {item.id} saved." in owner.get(r.headers["location"]).text


def test_problems_are_shown_beside_the_fields(demo: Any, owner: TestClient) -> None:
    _, db = demo
    before = list_actions(db, "demo")
    form = {
        "csrf_token": csrf_of(owner.get(f"{PLAN}/new").text),
        "title": "",
        "factor": "speed",
        "owner": "Dana",
        "due_on": "next week",
        "status": "accepted",
    }
    r = owner.post(f"{PLAN}/new", data=form)
    assert r.status_code == 200
    for field, id_ in (("title", "a-title"), ("due", "a-due")):
        assert f'<p class="dash-field-error" id="{id_}-error">' in r.text, field
    assert 'href="#a-due"' in r.text  # the summary links to the field
    assert 'value="next week"' in r.text and 'value="Dana"' in r.text
    # The factor is checked against the study once the fields themselves are fine.
    form |= {"title": "Faster", "due_on": "2027-01-01"}
    r = owner.post(f"{PLAN}/new", data=form)
    assert r.status_code == 200 and 'id="a-factor-error"' in r.text
    assert "Expected one of personalisation" in r.text
    assert list_actions(db, "demo") == before


def test_a_ranked_candidate_is_adopted_with_its_evidence(demo: Any, owner: TestClient) -> None:
    _, db = demo
    plan, fresh = open_candidates(db, "demo")
    top = fresh[0]
    page = owner.get(f"{PLAN}/candidates")
    assert page.status_code == 200
    assert f"{top.rank}. {top.title}" in page.text
    assert f'href="{PLAN}/new?candidate={top.key}"' in page.text
    assert f"n = {top.evidence.customer_factor.n}" in page.text
    form_page = owner.get(f"{PLAN}/new?candidate={top.key}").text
    assert f"Adopt: {top.title}" in form_page and f'value="{top.title}"' in form_page
    assert f'name="candidate" value="{top.key}"' in form_page
    assert f"(wave {plan.wave})" in form_page
    form = {
        "csrf_token": csrf_of(form_page),
        "candidate": top.key,
        "title": "Fix it",
        "owner": "Sam",
        "due_on": "2027-06-30",
        "status": "accepted",
        # A form cannot choose the evidence, priority or target: they are computed.
        "factor": "integrity",
        "evidence": '{"forged": true}',
    }
    r = owner.post(f"{PLAN}/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    [item] = [a for a in list_actions(db, "demo") if a.title == "Fix it"]
    assert (item.factor, item.touchpoint, item.baseline_wave) == (
        top.factor,
        top.touchpoint,
        plan.wave,
    )
    assert item.priority == pytest.approx(top.priority)
    assert item.evidence == top.evidence.model_dump(mode="json")
    assert (item.owner, str(item.due_on)) == ("Sam", "2027-06-30")
    # Adopted once: no longer a candidate, and not adoptable again.
    assert f"candidate={top.key}" not in owner.get(f"{PLAN}/candidates").text
    again = owner.post(f"{PLAN}/new", data=form)
    assert again.status_code == 409 and "the plan already holds an action for" in again.text


def test_every_field_of_an_item_is_edited(demo: Any, owner: TestClient) -> None:
    _, db = demo
    item = list_actions(db, "demo")[0]
    url = f"{PLAN}/{item.id}/edit"
    page = owner.get(url).text
    assert f'value="{item.title}"' in page
    form = {
        "csrf_token": csrf_of(page),
        "title": "Renamed",
        "description": "Why and how",
        "factor": "resolution",
        "touchpoint": "support",
        "baseline_wave": "w1",
        "owner": "Lee",
        "due_on": "2027-02-01",
        "status": "done",
    }
    bad = {**form, "status": "finished", "touchpoint": "desk"}
    r = owner.post(url, data=bad)
    assert r.status_code == 200 and 'id="a-status-error"' in r.text
    assert list_actions(db, "demo")[0] == item
    r = owner.post(url, data=form, follow_redirects=False)
    assert r.status_code == 303
    [after] = [a for a in list_actions(db, "demo") if a.id == item.id]
    assert (after.title, after.description, after.factor, after.touchpoint) == (
        "Renamed",
        "Why and how",
        "resolution",
        "support",
    )
    assert (after.baseline_wave, after.owner, str(after.due_on), after.status) == (
        "w1",
        "Lee",
        "2027-02-01",
        "done",
    )
    assert after.evidence == item.evidence and after.priority == item.priority
    # Emptied optional fields are no value.
    r = owner.post(url, data={**form, "owner": "", "due_on": "", "factor": ""})
    [after] = [a for a in list_actions(db, "demo") if a.id == item.id]
    assert (after.owner, after.due_on, after.factor) == (None, None, None)


def test_viewers_read_the_plan_and_candidates_but_change_nothing(demo: Any) -> None:
    app, db = demo
    before = list_actions(db, "demo")
    item = before[0]
    with TestClient(app) as client:
        sign_in(client, "val@example.com")
        plan = client.get(PLAN).text
        assert "Your role is viewer" in plan and f"{PLAN}/new" not in plan
        candidates = client.get(f"{PLAN}/candidates").text
        assert "Candidate actions" in candidates and "candidate=" not in candidates
        for path in (f"{PLAN}/new", f"{PLAN}/{item.id}/edit"):
            assert client.get(path).status_code == 403, path
            r = client.post(path, data={"csrf_token": csrf_of(plan), "title": "x"})
            assert r.status_code == 403, path
    assert list_actions(db, "demo") == before
