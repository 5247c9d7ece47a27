"""Fuzzing every importer and ``cxgap study apply``: a hostile file gets a result or one clear error
naming the file (and the row and column of a bad cell), never a traceback,
and a failed import leaves every table as it was.

Each test starts from a valid fixture export (tests/fixtures/exports) and
breaks it with the strategies of ``tests/hostile.py``; each example runs the
library call and then the same command through the CLI. Profiles:
``CXGAP_FUZZ_PROFILE=ci`` (default) or ``deep`` (docs/DEVELOPMENT.md).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.ingest.accounts import import_accounts
from cxgap.ingest.contacts import import_contacts
from cxgap.ingest.events_import import import_events
from cxgap.ingest.formats import FORMATS
from cxgap.ingest.interviews import import_interviews
from cxgap.ingest.responses import import_responses
from cxgap.ingest.workshop import import_workshop
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study import default_study
from cxgap.study.yamlio import read_yaml, to_yaml
from tests.hostile import (
    FUZZ,
    HostileFile,
    assert_clear_cli,
    call_or_clear_error,
    cells,
    hostile_files,
    hostile_yaml,
    read_rows,
    row_counts,
)

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()

#: (file, header rows, audience, mapping) of each survey tool's fixture export.
SURVEY_EXPORTS = [
    ("qualtrics_customers.csv", 3, "customer", "qualtrics_mapping.yaml"),
    ("qualtrics_customers_numeric.csv", 3, "customer", "qualtrics_mapping.yaml"),
    ("surveymonkey_staff.csv", 2, "staff", "surveymonkey_mapping.yaml"),
    ("google_forms_customers.csv", 1, "customer", "google_forms_mapping.yaml"),
    ("typeform_leadership.csv", 1, "leadership", None),
    ("cxgap_mixed.csv", 1, None, None),
]


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A SQLite database with study 'acme' and the five CRM fixture accounts,
    shared by the examples of this module (what they add stays)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'acme.db'}"
    db = Database.open(Settings.load(database_url=url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    segments = tmp_path_factory.mktemp("map") / "segments.yaml"
    segments.write_text("segments: {Key account: top, Churned: defected, New: new}\n")
    import_accounts(db, "acme", EXPORTS / "crm_accounts.csv", mapping=segments)
    yield db
    db.close()


def _cli(db: Database, args: list[str], files: list[Path], codes: tuple[int, ...]) -> None:
    """Run ``cxgap ARGS --db URL`` and check its exit, its error line, and that a
    failure wrote nothing; a JSON result must parse."""
    before = row_counts(db)
    result = runner.invoke(app, [*args, "--db", db.url])
    assert_clear_cli(result, files, codes)
    if result.exit_code != 0:
        assert row_counts(db) == before, "a failed command changed the database"
    elif "--json" in args:
        json.loads(result.stdout)


def _mapping(name: str | None, folder: Path) -> Path | None:
    return None if name is None else Path(folder) / name


@FUZZ
@given(
    export=st.sampled_from(SURVEY_EXPORTS).flatmap(
        lambda e: st.tuples(st.just(e), hostile_files(read_rows(EXPORTS / e[0]), e[1]))
    ),
    force=st.none() | st.sampled_from(FORMATS),
    skip_invalid=st.booleans(),
    dry_run=st.booleans(),
    as_json=st.booleans(),
)
def test_hostile_survey_exports_import_or_fail_clearly(
    acme: Database,
    export: tuple[tuple[str, int, str | None, str | None], HostileFile],
    force: str | None,
    skip_invalid: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    (_, _, audience, mapping_name), file = export
    mapping = None if mapping_name is None else EXPORTS / mapping_name
    with tempfile.TemporaryDirectory() as tmp:
        path = file.write(Path(tmp))
        before = row_counts(acme)
        result = call_or_clear_error(
            acme,
            lambda: import_responses(
                acme, "acme", path, audience=audience, wave="w1", mapping=mapping,
                format=force, dry_run=dry_run, skip_invalid=skip_invalid,  # type: ignore[arg-type]
            ),
            [path, *([mapping] if mapping else [])],
        )  # fmt: skip
        if result is not None:
            added = row_counts(acme)["response"] - before["response"]
            assert added == (0 if dry_run else result.written)
            assert result.valid + result.skipped == result.rows or result.valid == 0
        args = ["import", "responses", str(path), "--study", "acme", "--wave", "w1"]
        args += ["--audience", audience] if audience else []
        args += ["--mapping", str(mapping)] if mapping else []
        args += ["--format", force] if force else []
        args += ["--skip-invalid"] * skip_invalid + ["--dry-run"] * dry_run + ["--json"] * as_json
        _cli(acme, args, [path, *([mapping] if mapping else [])], (0, 1, 2) if dry_run else (0, 2))


@FUZZ
@given(
    export=st.sampled_from(SURVEY_EXPORTS[:4]),
    mapping=st.sampled_from(
        ["qualtrics_mapping.yaml", "surveymonkey_mapping.yaml", "google_forms_mapping.yaml"]
    ).flatmap(lambda m: hostile_yaml(yaml.safe_load((EXPORTS / m).read_text()))),
)
def test_hostile_mapping_files_are_refused_clearly(
    acme: Database, export: tuple[str, int, str, str], mapping: HostileFile
) -> None:
    name, _, audience, _ = export
    path = EXPORTS / name
    with tempfile.TemporaryDirectory() as tmp:
        m = mapping.write(Path(tmp), "mapping")
        call_or_clear_error(
            acme,
            lambda: import_responses(
                acme, "acme", path, audience=audience, wave="w1", mapping=m, dry_run=True
            ),  # type: ignore[arg-type]
            [path, m],
        )
        args = ["import", "responses", str(path), "--study", "acme", "--wave", "w1"]
        _cli(acme, [*args, "--audience", audience, "--mapping", str(m), "--dry-run"], [path, m],
             (0, 1, 2))  # fmt: skip


_TABLE_MAPPING = {
    "columns": {"account_id": "Account ID", "segment": "Type"},
    "segments": {"Key account": "top", "Churned": "defected", "New": "new"},
    "teams": {"Customer Support": "support"},
    "date_format": "%Y-%m-%d",
}


@FUZZ
@given(
    file=hostile_files(read_rows(EXPORTS / "crm_accounts.csv")),
    mapping=st.none() | hostile_yaml(_TABLE_MAPPING),
    skip_invalid=st.booleans(),
    dry_run=st.booleans(),
)
def test_hostile_account_exports_import_or_fail_clearly(
    acme: Database,
    file: HostileFile,
    mapping: HostileFile | None,
    skip_invalid: bool,
    dry_run: bool,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = file.write(Path(tmp), "accounts")
        m = None if mapping is None else mapping.write(Path(tmp), "mapping")
        files = [path, *([m] if m else [])]
        call_or_clear_error(
            acme,
            lambda: import_accounts(
                acme, "acme", path, mapping=m, dry_run=dry_run, skip_invalid=skip_invalid
            ),
            files,
        )
        args = ["import", "accounts", str(path), "--study", "acme", "--json"]
        args += ["--mapping", str(m)] if m else []
        args += ["--skip-invalid"] * skip_invalid + ["--dry-run"] * dry_run
        _cli(acme, args, files, (0, 1, 2) if dry_run else (0, 2))


@FUZZ
@given(
    file=hostile_files(read_rows(EXPORTS / "contacts.csv")),
    audience=st.none() | st.sampled_from(["customer", "staff", "leadership"]),
    mapping=st.none() | hostile_yaml(_TABLE_MAPPING),
    skip_invalid=st.booleans(),
)
def test_hostile_contact_lists_import_or_fail_clearly(
    acme: Database,
    file: HostileFile,
    audience: str | None,
    mapping: HostileFile | None,
    skip_invalid: bool,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = file.write(Path(tmp), "contacts")
        m = None if mapping is None else mapping.write(Path(tmp), "mapping")
        files = [path, *([m] if m else [])]
        call_or_clear_error(
            acme,
            lambda: import_contacts(
                acme, "acme", path, audience=audience, mapping=m,  # type: ignore[arg-type]
                skip_invalid=skip_invalid,
            ),
            files,
        )  # fmt: skip
        args = ["import", "contacts", str(path), "--study", "acme"]
        args += ["--audience", audience] if audience else []
        args += ["--mapping", str(m)] if m else []
        _cli(acme, args + ["--skip-invalid"] * skip_invalid, files, (0, 2))


_DATE_FORMATS = st.none() | st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%Q", "%", "%Y-%m", "date"])


@FUZZ
@given(
    file=hostile_files(read_rows(EXPORTS / "interviews.csv")),
    date_format=_DATE_FORMATS,
    skip_invalid=st.booleans(),
)
def test_hostile_interview_tables_import_or_fail_clearly(
    acme: Database, file: HostileFile, date_format: str | None, skip_invalid: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = file.write(Path(tmp), "interviews")
        call_or_clear_error(
            acme,
            lambda: import_interviews(
                acme, "acme", path, date_format=date_format, skip_invalid=skip_invalid
            ),
            [path],
        )
        args = ["import", "interviews", str(path), "--study", "acme"]
        args += ["--date-format", date_format] if date_format else []
        _cli(acme, args + ["--skip-invalid"] * skip_invalid, [path], (0, 2))


def _front_matter() -> dict[str, object]:
    return {
        "account": "ACC-004",
        "segment": "new",
        "date": "2026-02-12",
        "interviewer": "Bo Diaz",
        "tags": ["implementation", "expectations"],
    }


@st.composite
def markdown_notes(draw: st.DrawFn) -> list[bytes]:
    """A folder's worth of Markdown notes, some with hostile front matter."""
    notes = []
    for _ in range(draw(st.integers(1, 3))):
        meta = draw(hostile_yaml(_front_matter()))
        body = draw(cells | st.sampled_from(["Go-live was late.", "", "---", "# Notes\n---\n"]))
        kind = draw(st.sampled_from(["front matter", "front matter", "none", "raw"]))
        if kind == "front matter":
            sep = draw(st.sampled_from(["\n", "\r\n"]))
            head = meta.data.decode("utf-8", errors="replace")
            text = f"---{sep}{head}---{sep}{body}{sep}"
            encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
            notes.append(text.encode(encoding, errors="replace"))
        elif kind == "none":
            notes.append(body.encode("utf-8"))
        else:
            notes.append(meta.data)
    return notes


@FUZZ
@given(notes=markdown_notes(), skip_invalid=st.booleans())
def test_hostile_markdown_notes_import_or_fail_clearly(
    acme: Database, notes: list[bytes], skip_invalid: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        folder.mkdir()
        for i, data in enumerate(notes):
            (folder / f"2026-02-1{i}-note.md").write_bytes(data)
        call_or_clear_error(
            acme, lambda: import_interviews(acme, "acme", folder, skip_invalid=skip_invalid),
            [folder],
        )  # fmt: skip
        args = ["import", "interviews", str(folder), "--study", "acme"]
        _cli(acme, args + ["--skip-invalid"] * skip_invalid, [folder], (0, 2))


@FUZZ
@given(
    file=hostile_files(read_rows(EXPORTS / "workshop.csv")),
    wave=st.none() | st.sampled_from(["w1", "w9"]),
    dry_run=st.booleans(),
)
def test_hostile_workshop_sheets_import_or_fail_clearly(
    acme: Database, file: HostileFile, wave: str | None, dry_run: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = file.write(Path(tmp), "workshop")
        call_or_clear_error(
            acme, lambda: import_workshop(acme, "acme", path, wave=wave, dry_run=dry_run), [path]
        )
        args = ["import", "workshop", str(path), "--study", "acme", "--json"]
        args += ["--wave", wave] if wave else []
        _cli(acme, args + ["--dry-run"] * dry_run, [path], (0, 1, 2) if dry_run else (0, 2))


@FUZZ
@given(
    file=hostile_files(read_rows(EXPORTS / "helpdesk_events.csv")),
    mapping=st.one_of(
        st.just(None),
        hostile_yaml(yaml.safe_load((EXPORTS / "events_mapping.yaml").read_text())),
    ),
    dry_run=st.booleans(),
)
def test_hostile_event_exports_import_or_fail_clearly(
    acme: Database, file: HostileFile, mapping: HostileFile | None, dry_run: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = file.write(Path(tmp), "events")
        m = EXPORTS / "events_mapping.yaml" if mapping is None else mapping.write(Path(tmp), "map")
        call_or_clear_error(
            acme, lambda: import_events(acme, "acme", path, mapping=m, dry_run=dry_run), [path, m]
        )
        args = ["import", "events", str(path), "--study", "acme", "--mapping", str(m)]
        # A dry run lists its problems and exits 1, as every importer does.
        _cli(acme, args + ["--dry-run"] * dry_run, [path, m], (0, 1, 2) if dry_run else (0, 2))


@pytest.fixture(scope="module")
def study_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database holding study 'acme' with answers (so edits that would drop
    answered questions are tried too), apart from the other tests' database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('study') / 'study.db'}"
    db = Database.open(Settings.load(database_url=url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    import_responses(db, "acme", EXPORTS / "typeform_leadership.csv", audience="leadership",
                     wave="w1")  # fmt: skip
    yield db
    db.close()


_STUDY_DOC = yaml.safe_load(to_yaml(default_study("acme", organisation="Acme")))


@FUZZ
@given(file=hostile_yaml(_STUDY_DOC))
def test_hostile_study_files_apply_or_fail_clearly(study_db: Database, file: HostileFile) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = file.write(Path(tmp), "study")
        call_or_clear_error(
            study_db, lambda: save_study(study_db, read_yaml(path), file=str(path)), [path]
        )
        _cli(study_db, ["study", "apply", str(path)], [path], (0, 2))
