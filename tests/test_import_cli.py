"""``cxgap import ...`` through the command line: output, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxgap.cli import app

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    """A database with study 'acme' and the CRM fixture accounts."""
    assert _run("init", "acme", "--org", "Acme", "--db", db_url)[0] == 0
    m = tmp_path / "seg.yaml"
    m.write_text("segments: {Key account: top, Churned: defected}\n")
    code, out, err = _run(
        "import", "accounts", str(EXPORTS / "crm_accounts.csv"), "--study", "acme",
        "--mapping", str(m), "--db", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert "Accounts: 5 new, 0 updated in acme" in out
    return db_url


def test_responses_import_shows_the_mapping_then_counts(db: str) -> None:
    args = ["import", "responses", str(EXPORTS / "surveymonkey_staff.csv"), "--study", "acme"]
    args += ["--audience", "staff", "--wave", "w1", "--db", db]
    args += ["--mapping", str(EXPORTS / "surveymonkey_mapping.yaml")]
    code, out, _ = _run(*args)
    assert code == 0
    assert "surveymonkey export" in out and "perf.resolution" in out
    assert "Imported 6 new response(s) into acme (0 already stored, 0 skipped)." in out
    code, out, _ = _run(*args)
    assert "Imported 0 new response(s) into acme (6 already stored" in out


def test_bad_file_is_one_error_with_exit_2_and_nothing_written(db: str) -> None:
    code, out, err = _run(
        "import", "responses", str(EXPORTS / "google_forms_bad.csv"), "--study", "acme",
        "--audience", "customer", "--wave", "w1", "--db", db,
        "--mapping", str(EXPORTS / "google_forms_mapping.yaml"),
    )  # fmt: skip
    assert code == 2
    assert err.startswith("Error: ") and "row 2" in err and "got '7'" in err
    assert "Traceback" not in err
    code, out, _ = _run("studies", "list", "--json", "--db", db)
    assert json.loads(out)[0]["responses"] == 0


def test_dry_run_lists_every_problem_as_json_and_exits_1(db: str, tmp_path: Path) -> None:
    report = tmp_path / "problems.csv"
    code, out, _ = _run(
        "import", "responses", str(EXPORTS / "google_forms_bad.csv"), "--study", "acme",
        "--audience", "customer", "--wave", "w1", "--db", db, "--dry-run", "--json",
        "--mapping", str(EXPORTS / "google_forms_mapping.yaml"), "--report", str(report),
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    assert data["dry_run"] is True and data["written"] is None
    assert [p["row"] for p in data["problems"]] == [2, 3, 4, 5]
    assert report.read_text(encoding="utf-8-sig").startswith("file,row,column,value,expected")


def test_skip_invalid_writes_a_report(db: str, tmp_path: Path) -> None:
    report = tmp_path / "skipped.csv"
    code, out, _ = _run(
        "import", "responses", str(EXPORTS / "google_forms_bad.csv"), "--study", "acme",
        "--audience", "customer", "--wave", "w1", "--db", db, "--skip-invalid",
        "--mapping", str(EXPORTS / "google_forms_mapping.yaml"), "--report", str(report),
    )  # fmt: skip
    assert code == 0
    assert "4 skipped" in out
    assert len(report.read_text(encoding="utf-8-sig").splitlines()) == 5


def test_other_import_commands(db: str) -> None:
    e = str(EXPORTS)
    for args, expected in (
        (["contacts", f"{e}/contacts.csv"], "Contacts: 5 new, 0 updated"),
        (["interviews", f"{e}/interviews"], "Interview notes: 2 new"),
        (["workshop", f"{e}/workshop.csv"], "Imported 2 workshop group answer(s)"),
        (
            ["events", f"{e}/helpdesk_events.csv", "--mapping", f"{e}/events_mapping.yaml"],
            "Events: 4 new",
        ),
    ):
        code, out, err = _run("import", *args, "--study", "acme", "--db", db)
        assert code == 0, err
        assert expected in out


def test_bad_options_are_one_line_errors(db: str) -> None:
    code, _, err = _run(
        "import", "responses", str(EXPORTS / "cxgap_mixed.csv"), "--study", "acme",
        "--audience", "board", "--db", db,
    )  # fmt: skip
    assert code == 2 and "--audience" in err and "customer, staff or leadership" in err
    code, _, err = _run("import", "responses", "nope.csv", "--study", "zzz", "--db", db)
    assert code == 2 and "no study 'zzz'" in err


def test_import_commands_are_documented() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "IMPORT.md").read_text()
    for command in ("responses", "accounts", "contacts", "interviews", "workshop", "events"):
        assert f"cxgap import {command}" in doc
