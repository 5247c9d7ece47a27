"""The dashboard's import page: a survey export uploaded, its plan (the one
``cxgap init --from`` infers) shown with a role select per column, and the
import ``cxgap import responses`` does, with the plan's mapping (ignored
columns left out) stored with the study."""

from __future__ import annotations

import csv
import html
import io
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
from cxgap.store.mappings import load_mapping_text, save_mapping_text
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.test_dashboard import PASSWORD, SECRET, csrf_of, sign_in

EXPORT = Path(__file__).parent / "data" / "real-exports" / "infer-google-forms-sp24.csv"
PAGE = "/dashboard/studies/hotdog/import"
RATIONALE = "What is the rationale behind your opinion?"


@pytest.fixture
def hotdog(fresh_db: Database, db_url: str) -> tuple[Database, str]:
    """A study created from the export as ``cxgap init hotdog --from`` does."""
    inferred = infer_study(read_export(EXPORT), "hotdog", organisation="Acme")
    save_study(fresh_db, inferred.study, create_only=True)
    save_mapping_text(fresh_db, "hotdog", inferred.mapping_yaml(), source=EXPORT.name)
    save_study(fresh_db, default_study("beta", organisation="Beta", name="Beta study"))
    for email, org, role in (
        ("ann", "Acme", "owner"),
        ("val", "Acme", "viewer"),
        ("bea", "Beta", "owner"),
    ):
        add_user(fresh_db, f"{email}@example.com", organisation=org, role=role, password=PASSWORD)
    return fresh_db, db_url


def _client(db: Database, db_url: str, email: str, **settings: Any) -> TestClient:
    base = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET, **settings})
    client = TestClient(create_app(base, database=db))
    client.__enter__()
    sign_in(client, email)
    return client


@pytest.fixture
def owner(hotdog: tuple[Database, str]) -> Iterator[TestClient]:
    client = _client(*hotdog, "ann@example.com")
    yield client
    client.__exit__(None, None, None)


def _post(
    client: TestClient,
    body: bytes,
    name: str = EXPORT.name,
    **fields: str | list[str],
) -> Any:
    data = {"csrf_token": csrf_of(client.get(PAGE).text), "audience": "customer", "wave": "w1"}
    return client.post(PAGE, data={**data, **fields}, files={"export": (name, body, "text/csv")})


def _plan_rows(page: str) -> list[tuple[str, ...]]:
    """Each plan row of the page: column, chosen role, target, scale, n valid, reason."""
    rows = []
    for row in re.findall(r'<tr class="plan-row">(.*?)</tr>', page, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        column = html.unescape(re.sub(r"<[^>]+>", "", cells[0]))
        role = re.search(r"<option value=\"keep\"[^>]*>([^<]+)</option>", cells[1])
        assert role
        plain = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells[2:]]
        rows.append((column, role.group(1), plain[0], plain[1], plain[2], plain[4]))
    return rows


def _responses(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.response)).scalar_one())


def test_the_page_shows_the_plan_of_cxgap_init_from(owner: TestClient) -> None:
    r = _post(owner, EXPORT.read_bytes())
    assert r.status_code == 200, r.text[:500]
    expected = infer_study(read_export(EXPORT), "hotdog", organisation="Acme").plan
    assert _plan_rows(r.text) == [
        (p.column, p.role, p.target or "–", p.scale, str(p.n_valid), p.reason) for p in expected
    ]
    assert len(expected) == 7  # the file's 7 columns, each with a row


def test_ignoring_a_column_leaves_it_out_of_the_import_and_the_stored_mapping(
    hotdog: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = hotdog
    plan = infer_study(read_export(EXPORT), "hotdog", organisation="Acme").plan
    fields: dict[str, str | list[str]] = {
        "step": "import",
        "column": [p.column for p in plan],
        "role": ["ignore" if p.column == RATIONALE else "keep" for p in plan],
    }
    r = _post(owner, EXPORT.read_bytes(), **fields)
    assert r.status_code == 200, r.text[:2000]
    with EXPORT.open(encoding="utf-8", newline="") as fh:
        rows = len(list(csv.reader(fh))) - 1  # counted apart from cxgap
    assert rows == 91
    assert f"<dt>New responses stored</dt><dd>{rows}</dd>" in r.text
    assert _responses(db) == rows
    frame = load_frame(db, "hotdog")
    target = next(p.target for p in plan if p.column == RATIONALE)
    assert target == "open.what_is_the_rationale_behind_your"
    # The other open question was kept; the ignored one holds no answer at all.
    assert frame["open.what_is_your_field_of_study_or_major"].notna().sum() == 86
    assert target not in frame.columns or frame[target].isna().all()
    stored = load_mapping_text(db, "hotdog")
    assert stored is not None and stored.source == EXPORT.name
    columns = yaml.safe_load(stored.yaml)["columns"]
    assert columns[RATIONALE] is None
    assert columns["What is your field of study or major?"] == (
        "open.what_is_your_field_of_study_or_major"
    )
    # The same file again: everything already stored, nothing new.
    again = _post(owner, EXPORT.read_bytes(), **fields)
    assert f"<dt>Already stored</dt><dd>{rows}</dd>" in again.text
    assert _responses(db) == rows


@pytest.mark.parametrize(
    ("body", "name", "expected"),
    [
        (b"", "empty.csv", "empty.csv: Expected a file with a header row and answers."),
        (b"%PDF-1.4 not a table", "report.pdf", "report.pdf: Expected a CSV or XLSX export"),
        (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "photo.xlsx", "photo.xlsx"),
    ],
)
def test_bad_files_are_refused_naming_the_file_and_nothing_is_stored(
    hotdog: tuple[Database, str], owner: TestClient, body: bytes, name: str, expected: str
) -> None:
    db, _ = hotdog
    r = _post(owner, body, name, step="import")
    assert r.status_code == 200  # the form again, as the other dashboard forms
    assert "Nothing was imported" in r.text
    assert html.escape(expected, quote=False) in r.text
    assert _responses(db) == 0


def test_a_viewer_gets_403_and_another_organisation_404(hotdog: tuple[Database, str]) -> None:
    db, url = hotdog
    viewer = _client(db, url, "val@example.com")
    assert viewer.get(PAGE).status_code == 403
    viewer.__exit__(None, None, None)
    beta = _client(db, url, "bea@example.com")
    assert beta.get(PAGE).status_code == 404
    beta.__exit__(None, None, None)
    assert _responses(db) == 0


def test_a_real_export_over_the_form_limit_is_taken_and_too_large_a_file_refused(
    hotdog: tuple[Database, str],
) -> None:
    """The import page's body bound is max_batch_bytes (16 MiB), not the 1 MiB
    of a form: a 2 MB export is read; over the page's own 10 MB, the file is
    named and nothing stored; over the body bound, 413."""
    db, url = hotdog
    client = _client(db, url, "ann@example.com")
    assert "at most 10 MiB" in client.get(PAGE).text
    header, *rows = EXPORT.read_text(encoding="utf-8").splitlines(keepends=True)
    copies = 2 * 2**20 // len("".join(rows).encode("utf-8")) + 1
    two_mb = (header + "".join(rows) * copies).encode("utf-8")  # 2 MB, one header
    assert len(two_mb) > 2 * 2**20
    r = _post(client, two_mb, "two-mb.csv")
    assert r.status_code == 200 and "Too much at once" not in r.text
    assert len(_plan_rows(r.text)) == 7  # its plan is shown, as for the small file
    body = EXPORT.read_bytes() * (10 * 2**20 // EXPORT.stat().st_size + 1)  # just over 10 MB
    r = _post(client, body, "big.csv")
    assert r.status_code == 200 and "Nothing was imported" in r.text
    assert "big.csv: Expected at most 10 MB." in r.text
    r = _post(client, EXPORT.read_bytes() * (17 * 2**20 // EXPORT.stat().st_size + 1), "huge.csv")
    assert r.status_code == 413 and "Too much at once" in r.text
    client.__exit__(None, None, None)
    assert _responses(db) == 0


def test_invalid_rows_are_skipped_when_asked_and_their_problems_listed_by_kind(
    hotdog: tuple[Database, str], owner: TestClient
) -> None:
    db, _ = hotdog
    # Two answers the study does not know: a third level of its enrolment attribute.
    with EXPORT.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for i in (2, 5):  # the 2nd and 5th responses, rows 3 and 6 of the file
        assert rows[i][3] in ("Undergraduate", "Graduate")
        rows[i][3] = "Postdoc"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    body = out.getvalue().encode("utf-8")
    plan = infer_study(read_export(EXPORT), "hotdog", organisation="Acme").plan
    fields: dict[str, str | list[str]] = {
        "step": "import",
        "column": [p.column for p in plan],
        "role": ["keep"] * len(plan),
    }
    refused = _post(owner, body, "later.csv", **fields)
    assert "Nothing was imported" in refused.text and _responses(db) == 0
    r = _post(owner, body, "later.csv", skip="1", **fields)
    assert "<dt>Skipped (invalid)</dt><dd>2</dd>" in r.text
    assert "<dt>New responses stored</dt><dd>89</dd>" in r.text
    assert _responses(db) == 89
    assert "<strong>2 × expected" in r.text
    column = "Are you currently enrolled as an undergraduate or graduate student"
    assert r.text.count(f"later.csv, row 3, column &#39;{column}") == 1, r.text[-3000:]
    assert "later.csv, row 6, column" in r.text
