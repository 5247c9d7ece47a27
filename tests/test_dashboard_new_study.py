"""A new study from a survey export on the dashboard: the plan ``cxgap init
--from`` infers, a role select per column offering the roles its answers
fit, and the study made with the chosen roles and the export imported into
it, or nothing at all when anything fails."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxgap.ingest.formats import read_export
from cxgap.ingest.infer import infer_study
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.mappings import load_mapping_text
from cxgap.store.studies import load_study, save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.test_dashboard import PASSWORD, SECRET, csrf_of, sign_in

EXPORT = Path(__file__).parent / "data" / "real-exports" / "infer-google-forms-sp24.csv"
PAGE = "/dashboard/import"
HOTDOG = "Do you believe that a hotdog falls under the category of a sandwich?"
BORN = "What state or country were you born in?"
YEAR = "If you are an undergraduate, what is your current academic year?"
FIELD = "What is your field of study or major?"


@pytest.fixture
def orgs(fresh_db: Database, db_url: str) -> tuple[Database, str]:
    save_study(fresh_db, default_study("acme-old", organisation="Acme", name="Acme 2025"))
    save_study(fresh_db, default_study("beta", organisation="Beta", name="Beta study"))
    for email, org, role in (
        ("ann", "Acme", "owner"),
        ("val", "Acme", "viewer"),
        ("bea", "Beta", "analyst"),
    ):
        add_user(fresh_db, f"{email}@example.com", organisation=org, role=role, password=PASSWORD)
    return fresh_db, db_url


def _client(db: Database, db_url: str, email: str) -> TestClient:
    base = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET})
    client = TestClient(create_app(base, database=db))
    client.__enter__()
    sign_in(client, email)
    return client


@pytest.fixture
def owner(orgs: tuple[Database, str]) -> Iterator[TestClient]:
    client = _client(*orgs, "ann@example.com")
    yield client
    client.__exit__(None, None, None)


def _org_id(db: Database, name: str) -> str:
    with db.connect() as conn:
        return str(
            conn.execute(
                select(t.organisation.c.id).where(t.organisation.c.name == name)
            ).scalar_one()
        )


def _post(client: TestClient, db: Database, body: bytes, **fields: Any) -> Any:
    data = {
        "csrf_token": csrf_of(client.get(PAGE).text),
        "organisation": _org_id(db, "Acme"),
        "slug": "hotdog",
        "name": "Hot dog survey",
        "audience": "customer",
    }
    return client.post(
        PAGE, data={**data, **fields}, files={"export": (EXPORT.name, body, "text/csv")}
    )


def _selects(page: str) -> dict[str, tuple[str, list[str]]]:
    """Each plan row's column: (selected role, the roles offered)."""
    out = {}
    for row in re.findall(r'<tr class="plan-row">(.*?)</tr>', page, re.S):
        column = html.unescape(re.search(r'name="column" value="([^"]*)"', row).group(1))  # type: ignore[union-attr]
        offered = re.findall(r'<option value="([^"]+)"', row)
        selected = re.search(r'<option value="([^"]+)" selected>', row)
        assert selected, row
        out[column] = (selected.group(1), offered)
    return out


def _studies(db: Database) -> list[str]:
    with db.connect() as conn:
        return list(conn.execute(select(t.study.c.slug).order_by(t.study.c.slug)).scalars())


def _responses(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.response)).scalar_one())


def test_the_plan_offers_each_column_the_roles_its_answers_fit(
    orgs: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = orgs
    r = _post(owner, db, EXPORT.read_bytes())
    assert r.status_code == 200, r.text[:500]
    expected = infer_study(read_export(EXPORT), "hotdog", organisation="Acme").plan
    assert _selects(r.text) == {p.column: (p.role, list(p.choices)) for p in expected}
    # Read off the file: the yes/no item may be the outcome, the 4-level year an
    # attribute or text; the long free-text answers are never a rating or attribute.
    offered = _selects(r.text)
    assert offered[HOTDOG] == ("yes_no", ["yes_no", "outcome", "attribute", "text", "ignored"])
    assert offered[FIELD][1] == ["text", "ignored"]
    assert _studies(db) == ["acme-old", "beta"]  # the plan step writes nothing


def test_chosen_roles_make_the_study_and_the_export_is_imported_whole(
    orgs: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = orgs
    plan = infer_study(read_export(EXPORT), "hotdog", organisation="Acme").plan
    roles = {p.column: p.role for p in plan}
    roles.update({HOTDOG: "outcome", BORN: "text", YEAR: "ignored"})
    r = _post(
        owner, db, EXPORT.read_bytes(), step="import", column=list(roles), role=list(roles.values())
    )
    assert r.status_code == 200, r.text[:2000]
    assert "Created study Hot dog survey" in r.text, r.text[-3000:]
    with EXPORT.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))  # counted apart from cxgap
    assert len(rows) == 91
    assert f"<dt>New responses stored</dt><dd>{len(rows)}</dd>" in r.text
    assert _responses(db) == 91
    study = load_study(db, "hotdog")
    assert study.organisation == "Acme" and study.name == "Hot dog survey"
    by_key = {q.key: q for q in study.questions}
    outcome = by_key["outcome.do_you_believe_that_a_hotdog_falls_under"]
    assert outcome.section == "outcome" and "(1 = Yes, 0 = No)" in outcome.text
    assert "open.what_state_or_country_were_you_born_in" in by_key
    assert [a.key for a in study.attributes] == ["are_you_currently_enrolled_as_an"]
    frame = load_frame(db, "hotdog")
    born = sum(1 for row in rows if row[BORN].strip())
    assert frame["open.what_state_or_country_were_you_born_in"].notna().sum() == born == 86
    yes = sum(1 for row in rows if row[HOTDOG] == "Yes")
    assert frame["outcome.do_you_believe_that_a_hotdog_falls_under"].sum() == yes
    stored = load_mapping_text(db, "hotdog")
    assert stored is not None and stored.source == EXPORT.name
    columns = yaml.safe_load(stored.yaml)["columns"]
    assert columns[YEAR] is None and columns[BORN] == "open.what_state_or_country_were_you_born_in"
    # The same as the CLI's plan with the same roles.
    cli = infer_study(
        read_export(EXPORT),
        "hotdog",
        organisation="Acme",
        name="Hot dog survey",
        roles={HOTDOG: "outcome", BORN: "text", YEAR: "ignored"},
    )
    assert cli.mapping_yaml().replace(str(EXPORT), EXPORT.name) == stored.yaml
    # The slug is now taken: a second try names it and makes nothing.
    again = _post(owner, db, EXPORT.read_bytes(), step="plan")
    assert "Nothing was created" in again.text and "a short name no study has yet" in again.text
    assert _responses(db) == 91


def test_a_role_the_answers_do_not_fit_is_refused_naming_the_column(
    orgs: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = orgs
    plan = infer_study(read_export(EXPORT), "hotdog", organisation="Acme").plan
    roles = {p.column: p.role for p in plan} | {FIELD: "rating"}
    r = _post(
        owner, db, EXPORT.read_bytes(), step="import", column=list(roles), role=list(roles.values())
    )
    assert "Nothing was created" in r.text
    said = (
        f"{EXPORT.name}, column '{FIELD}': Expected a role the column's answers fit: "
        "text, ignored (got “rating”)."
    )
    assert said.replace("'", "&#39;") in r.text
    assert _studies(db) == ["acme-old", "beta"] and _responses(db) == 0
    assert _selects(r.text)[FIELD] == ("text", ["text", "ignored"])  # the plan shown again
    assert f"Plan: {EXPORT.name} (google_forms export" in r.text  # named as uploaded


def test_a_failed_import_leaves_no_study_behind(
    orgs: tuple[Database, str], owner: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = orgs
    plan = infer_study(read_export(EXPORT), "hotdog", organisation="Acme").plan

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("cxgap.web.dashboard.new_study.import_responses", crash)
    with pytest.raises(OSError, match="disk full"):
        _post(
            owner,
            db,
            EXPORT.read_bytes(),
            step="import",
            column=[p.column for p in plan],
            role=[p.role for p in plan],
        )
    assert _studies(db) == ["acme-old", "beta"]
    assert load_mapping_text(db, "acme-old") is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"slug": "Hot Dog!"}, "Short name: Expected lower-case letters, digits and hyphens"),
        ({"slug": "beta"}, "a short name no study has yet"),
        ({"organisation": "999"}, "an organisation where you are an owner or analyst"),
        ({"audience": "board"}, "Who answered: Expected one of customer, staff, leadership"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_made(
    orgs: tuple[Database, str], owner: TestClient, fields: dict[str, str], expected: str
) -> None:
    db, _ = orgs
    r = _post(owner, db, EXPORT.read_bytes(), **fields)
    assert r.status_code == 200 and "Nothing was created" in r.text
    assert expected in r.text, r.text[-2000:]
    assert _studies(db) == ["acme-old", "beta"]


def test_only_owners_and_analysts_make_studies_and_only_in_their_organisation(
    orgs: tuple[Database, str],
) -> None:
    db, url = orgs
    viewer = _client(db, url, "val@example.com")
    page = viewer.get(PAGE)
    assert page.status_code == 200 and "your role is viewer everywhere" in page.text
    assert 'href="/dashboard/import"' not in viewer.get("/dashboard").text
    r = _post(viewer, db, EXPORT.read_bytes())
    assert "your role is viewer everywhere" in r.text and "plan-row" not in r.text
    viewer.__exit__(None, None, None)
    analyst = _client(db, url, "bea@example.com")
    assert 'href="/dashboard/import"' in analyst.get("/dashboard").text
    # Beta's analyst cannot make a study in Acme by posting Acme's id.
    r = _post(analyst, db, EXPORT.read_bytes())
    assert "Nothing was created" in r.text and "Acme" not in r.text
    r = _post(analyst, db, EXPORT.read_bytes(), organisation=_org_id(db, "Beta"), step="plan")
    assert len(_selects(r.text)) == 7
    analyst.__exit__(None, None, None)
    assert _studies(db) == ["acme-old", "beta"]
