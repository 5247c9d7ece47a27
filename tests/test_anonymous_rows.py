"""Open team links and anonymous personal links store no IP address, no user
agent and no time finer than the day, and an anonymous personal link's
answers join to no contact: every row an anonymous response writes or
changes is read back, on SQLite and PostgreSQL, after answering through the
pages and the JSON API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import DateTime, select

from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_anonymous_link, create_invitations
from cxgap.store.studies import save_study
from cxgap.store.survey import token_hash
from cxgap.study.defaults import default_study
from cxgap.web import create_app

ADDRESS = "203.0.113.77"
FORWARDED = "198.51.100.201"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AnonymityProbe/9.87"


def _snapshot(db: Database) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of every table, by primary key (or the whole row)."""
    out: dict[str, dict[Any, dict[str, Any]]] = {}
    with db.connect() as conn:
        for table in t.metadata.sorted_tables:
            rows = {}
            for row in conn.execute(select(table)).mappings():
                key = tuple(row[c.name] for c in table.primary_key) or tuple(row.values())
                rows[key] = dict(row)
            out[table.name] = rows
    return out


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [row for key, row in rows.items() if before[name].get(key) != row]
        for name, rows in after.items()
        if any(before[name].get(key) != row for key, row in rows.items())
    }


def _answer_everything(client: TestClient, token: str, headers: dict[str, str]) -> None:
    # Through the pages: the first section, then submit from the API with the same draft.
    page = client.get(f"/s/{token}", headers=headers)
    assert page.status_code == 200
    draft = client.cookies.get("cxgap_draft")
    assert draft
    survey = client.get(f"/api/v1/surveys/{token}", params={"draft": draft}).json()
    answers: dict[str, Any] = {}
    for section in survey["sections"]:
        for q in section["questions"]:
            if q["kind"] in ("rating", "nps", "share"):
                answers[q["key"]] = q["scale_max"]
            elif q["kind"] == "rank":
                answers.update({f"{q['key']}.{i}": n + 1 for n, i in enumerate(q["items"])})
            elif q["kind"] == "multi":
                answers[q["key"]] = [q["items"][0]]
            elif q["kind"] == "choice":
                answers[q["key"]] = q["items"][0]
            else:
                answers[q["key"]] = "Slow replies."
    first = survey["sections"][0]["questions"][0]["key"]
    form = {"section": "0", "action": "back", first: str(answers[first])}
    assert client.post(f"/s/{token}", data=form, headers=headers).status_code in (200, 303)
    r = client.post(
        f"/api/v1/surveys/{token}/submit",
        json={"answers": answers, "draft": draft},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["already_answered"] is False
    # A second respondent through the API alone.
    other = client.post(f"/api/v1/surveys/{token}/drafts", headers=headers).json()["draft"]
    r = client.post(
        f"/api/v1/surveys/{token}/submit",
        json={"answers": answers, "draft": other},
        headers=headers,
    )
    assert r.status_code == 200


def test_anonymous_answers_keep_no_address_agent_or_time_of_day(
    fresh_db: Database, db_url: str
) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    link = create_anonymous_link(fresh_db, "acme", wave="w1", team="support", audience="staff")
    before = _snapshot(fresh_db)
    app = create_app(Settings.load(database_url=db_url), database=fresh_db)
    headers = {"User-Agent": AGENT, "X-Forwarded-For": FORWARDED, "X-Real-IP": FORWARDED}
    with TestClient(app, client=(ADDRESS, 51234)) as client:
        _answer_everything(client, link.token, headers)
    after = _snapshot(fresh_db)
    changed = _changed(before, after)
    # What an anonymous answer writes (so the checks below are not vacuous) ...
    assert {"respondent", "response", "answer"} <= set(changed), set(changed)
    assert len(changed["response"]) == 2
    assert all(r["status"] == "complete" for r in changed["response"])
    # ... and nothing else: not the link, not a user, no log table.
    assert set(changed) == {"respondent", "response", "answer"}, set(changed)
    for table, rows in changed.items():
        columns = {c.name: c for c in t.metadata.tables[table].columns}
        for row in rows:
            for name, value in row.items():
                if isinstance(value, dt.datetime):
                    assert value.time() == dt.time(0), (table, name, value)
                if isinstance(columns[name].type, DateTime) and value is not None:
                    assert value.time() == dt.time(0), (table, name, value)
                text = str(value)
                for secret in (ADDRESS, FORWARDED, AGENT, "AnonymityProbe", link.token):
                    assert secret not in text, (table, name)
    for r in changed["respondent"]:
        assert r["name"] is None and r["email"] is None and r["account_id"] is None
        assert r["team"] == "support" and str(r["external_id"]).startswith("anon-")
    for r in changed["response"]:
        assert isinstance(r["submitted_on"], dt.date)
        assert not isinstance(r["submitted_on"], dt.datetime)
    # Nowhere in the whole database either (every table, every column).
    dump = repr(after)
    for secret in (ADDRESS, FORWARDED, "AnonymityProbe", link.token):
        assert secret not in dump
    if db_url.startswith("sqlite:///"):
        # Not even in the file's bytes (a dropped row or an index could hold them).
        path = Path(db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert b"AnonymityProbe" not in raw and ADDRESS.encode() not in raw


def _answer_personally(client: TestClient, token: str, headers: dict[str, str]) -> None:
    """One section through the pages, then the rest submitted through the API."""
    page = client.get(f"/s/{token}", headers=headers)
    assert page.status_code == 200 and "answers are stored without it" in page.text
    assert client.cookies.get("cxgap_draft") is None  # the token is the person's
    survey = client.get(f"/api/v1/surveys/{token}").json()
    assert (survey["link"], survey["anonymous"]) == ("anonymous", True)
    answers: dict[str, Any] = {}
    for section in survey["sections"]:
        for q in section["questions"]:
            if q["kind"] in ("rating", "nps", "share"):
                answers[q["key"]] = q["scale_max"]
            elif q["kind"] == "text":
                answers[q["key"]] = "Slow replies."
    first = survey["sections"][0]["questions"][0]["key"]
    form = {"section": "0", "action": "back", first: str(answers[first])}
    assert client.post(f"/s/{token}", data=form, headers=headers).status_code in (200, 303)
    r = client.post(f"/api/v1/surveys/{token}/submit", json={"answers": answers}, headers=headers)
    assert r.status_code == 200 and r.json()["already_answered"] is False
    again = client.post(f"/api/v1/surveys/{token}/submit", json={"answers": answers})
    assert again.status_code == 200 and again.json()["already_answered"] is True
    assert "Already answered" in client.get(f"/s/{token}").text


def test_anonymous_personal_answers_join_to_no_contact(fresh_db: Database, db_url: str) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    contacts = [
        Contact(
            email=f"{n.lower()}@acme.test",
            name=f"{n} Probe",
            respondent_id=f"emp-{n}",
            team="support",
        )
        for n in ("Ann", "Bob", "Cid")
    ]
    batch = create_invitations(
        fresh_db, "acme", audience="staff", wave="w1", contacts=contacts, anonymous=True
    )
    ann = batch.links[0]
    before = _snapshot(fresh_db)
    app = create_app(Settings.load(database_url=db_url), database=fresh_db)
    headers = {"User-Agent": AGENT, "X-Forwarded-For": FORWARDED, "X-Real-IP": FORWARDED}
    with TestClient(app, client=(ADDRESS, 51234)) as client:
        _answer_personally(client, ann.token, headers)
    after = _snapshot(fresh_db)
    changed = _changed(before, after)
    assert set(changed) == {"respondent", "response", "answer", "invitation"}, set(changed)
    # The invitation says that Ann answered, and nothing else: not when, not which response.
    [(key, row)] = [(k, r) for k, r in after["invitation"].items() if before["invitation"][k] != r]
    assert key == (ann.invitation_id,)
    diff = {c for c, v in row.items() if before["invitation"][key][c] != v}
    assert diff == {"state"} and row["state"] == "answered" and row["answered_at"] is None
    contact_pk = row["respondent_id"]
    # The response belongs to a new pseudonym, and names neither the link nor Ann.
    [resp] = changed["response"]
    [person] = changed["respondent"]
    assert resp["invitation_id"] is None and resp["respondent_id"] == person["id"]
    assert person["id"] != contact_pk and (person["id"],) not in before["respondent"]
    assert (person["name"], person["email"], person["account_id"]) == (None, None, None)
    assert person["team"] == "support" and str(person["external_id"]).startswith("anon-")
    assert resp["source"] == "individual" and resp["status"] == "complete"
    assert not isinstance(resp["submitted_on"], dt.datetime)
    assert all(a["response_id"] == resp["id"] for a in changed["answer"])
    secrets_ = [
        ADDRESS,
        FORWARDED,
        "AnonymityProbe",
        ann.token,
        token_hash(ann.token),
        "emp-Ann",
        "ann@acme.test",
        "Ann Probe",
    ]
    new_rows = repr([changed["response"], changed["respondent"], changed["answer"]])
    for secret in secrets_:
        assert secret not in new_rows, secret
    for secret in secrets_[:4]:
        assert secret not in repr(after), secret
    # The response key is not the stored hash of any link, nor a part of one.
    for link_row in after["invitation"].values():
        assert link_row["token_hash"][:16] not in resp["source_key"]
    # No row of any table refers to both the new response (or its respondent)
    # and Ann's invitation or respondent row.
    for table in t.metadata.sorted_tables:
        refs = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        for row in after[table.name].values():
            points = {(refs[c], v) for c, v in row.items() if c in refs and v is not None}
            to_answer = points & {("response", resp["id"]), ("respondent", person["id"])}
            to_ann = points & {("invitation", ann.invitation_id), ("respondent", contact_pk)}
            assert not (to_answer and to_ann), (table.name, row)
