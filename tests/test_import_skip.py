"""``--skip-invalid --report`` for workshop sheets and interaction events: the
valid rows are imported in one transaction, each bad row is reported with
file, row, column, value and what was expected; without the flag nothing is
written."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import InputError
from cxgap.ingest.events_import import import_events
from cxgap.ingest.workshop import import_workshop
from cxgap.settings import Settings
from cxgap.store.accounts import load_events
from cxgap.store.db import Database
from cxgap.store.frames import load_frame

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()

WORKSHOP = (
    "Group,Wave,What do we do well?,What could we improve?\n"
    "Board A,w1,Deep product knowledge,Slow escalations\n"
    ",w1,Relationships,Hand-over from sales\n"  # row 3: no group name
    "Board C,=1+1,Pricing,Billing errors\n"  # row 4: not a wave (and a formula)
    f"Board D,w1,{'x' * 5001},Too long\n"  # row 5: answer over 5000 characters
    "Board E,w1,Listening,Follow-up\n"
)
EVENTS = (
    "Ticket,Customer,Closed at,Team,Moment,Status,Cost\n"
    "T-1,ACC-001,05/01/2026 10:00,support,problem_resolution,SLA met,0\n"
    "T-2,ACC-404,07/01/2026 16:30,support,problem_resolution,SLA met,0\n"  # row 3: account
    "T-3,ACC-003,31/13/2026 11:00,support,problem_resolution,Escalated,300\n"  # row 4: date
    "T-4,ACC-003,09/01/2026 11:00,support,problem_resolution,=SUM(A1),\n"  # row 5: outcome
    "T-5,ACC-004,12/01/2026 09:15,implementation,implementation,Exceeded,-5\n"  # row 6: cost
    "T-6,ACC-004,13/01/2026 09:15,kitchen,implementation,Exceeded,\n"  # row 7: touchpoint
    "T-7,ACC-002,14/01/2026 09:15,support,routine,SLA breached,\n"
)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def acme(db_url: str, tmp_path: Path) -> str:
    """Study 'acme' with the five CRM fixture accounts."""
    assert _run("init", "acme", "--org", "Acme", "--db", db_url)[0] == 0
    segments = _file(tmp_path, "segments.yaml", "segments: {Key account: top, Churned: defected}")
    code, _, err = _run(
        "import", "accounts", str(EXPORTS / "crm_accounts.csv"), "--study", "acme",
        "--mapping", str(segments), "--db", db_url,
    )  # fmt: skip
    assert code == 0, err
    return db_url


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _db(url: str) -> Database:
    return Database.open(Settings.load(database_url=url))


def test_workshop_sheets_without_the_flag_write_nothing(acme: str, tmp_path: Path) -> None:
    sheet = _file(tmp_path, "sheets.csv", WORKSHOP)
    code, _, err = _run("import", "workshop", str(sheet), "--study", "acme", "--db", acme)
    assert code == 2 and err.startswith("Error: ") and "row 3" in err
    with _db(acme) as db:
        assert len(load_frame(db, "acme")) == 0


def test_workshop_sheets_skip_the_bad_rows_and_report_them(acme: str, tmp_path: Path) -> None:
    sheet, report = _file(tmp_path, "sheets.csv", WORKSHOP), tmp_path / "skipped.csv"
    args = ["import", "workshop", str(sheet), "--study", "acme", "--db", acme, "--skip-invalid"]
    code, out, err = _run(*args, "--report", str(report))
    assert code == 0, err
    assert "Imported 2 workshop group answer(s) into acme (0 already stored, 3 skipped)." in out
    assert "Wrote 3 problem(s) to" in out
    rows = _report(report)
    assert [(r["row"], r["column"], r["expected"]) for r in rows] == [
        ("3", "Group", "a group name"),
        ("4", "Wave", "one of w1"),
        ("5", "open.well", "at most 5000 characters"),
    ]
    assert all(r["file"] == str(sheet) for r in rows)
    assert rows[1]["value"] == "'=1+1"  # never a formula when the report is opened
    with _db(acme) as db:
        frame = load_frame(db, "acme")
    assert sorted(frame["respondent_id"]) == ["workshop:Board A", "workshop:Board E"]
    code, out, _ = _run(*args)  # again: the good rows are stored once
    assert "Imported 0 workshop group answer(s) into acme (2 already stored, 3 skipped)." in out


def test_events_without_the_flag_write_nothing(acme: str, tmp_path: Path) -> None:
    events = _file(tmp_path, "events.csv", EVENTS)
    code, _, err = _run(
        "import", "events", str(events), "--study", "acme", "--db", acme,
        "--mapping", str(EXPORTS / "events_mapping.yaml"),
    )  # fmt: skip
    assert code == 2 and err.startswith("Error: ")
    assert "row 3, column 'Customer': got 'ACC-404'" in err and "row 7, column 'Team'" in err
    with _db(acme) as db:
        assert len(load_events(db, "acme")) == 0


def test_events_skip_the_bad_rows_and_report_them(acme: str, tmp_path: Path) -> None:
    events, report = _file(tmp_path, "events.csv", EVENTS), tmp_path / "skipped.csv"
    args = ["import", "events", str(events), "--study", "acme", "--db", acme, "--skip-invalid"]
    args += ["--mapping", str(EXPORTS / "events_mapping.yaml")]
    code, out, err = _run(*args, "--report", str(report))
    assert code == 0, err
    assert "Events: 2 new in acme (5 skipped)." in out
    rows = _report(report)
    got = [(r["row"], r["column"], r["value"]) for r in rows]
    assert got == [
        ("3", "Customer", "ACC-404"),
        ("4", "Closed at", "31/13/2026 11:00"),
        ("5", "Status", "'=SUM(A1)"),
        ("6", "Cost", "'-5"),
        ("7", "Team", "kitchen"),
    ]
    assert rows[0]["expected"] == "an account listed in the accounts file"
    assert rows[3]["expected"] == "a cost of 0 or more"
    with _db(acme) as db:
        stored = load_events(db, "acme").set_index("source_id")
    assert sorted(stored.index) == ["T-1", "T-7"]
    assert stored.loc["T-7", "severity"] == 2  # "SLA breached" implies it
    code, out, _ = _run(*args)
    assert "Events: 0 new in acme (5 skipped)." in out


def test_an_events_dry_run_lists_the_problems_and_exits_1(acme: str, tmp_path: Path) -> None:
    events = _file(tmp_path, "events.csv", EVENTS)
    code, out, _ = _run(
        "import", "events", str(events), "--study", "acme", "--db", acme, "--dry-run", "--json",
        "--mapping", str(EXPORTS / "events_mapping.yaml"),
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    assert (data["rows"], data["valid"], data["skipped"], data["inserted"]) == (7, 2, 5, None)
    assert [p["row"] for p in data["problems"]] == [3, 4, 5, 6, 7]
    with _db(acme) as db:
        assert len(load_events(db, "acme")) == 0


def test_the_library_keeps_its_all_or_nothing_default(acme: str, tmp_path: Path) -> None:
    events = _file(tmp_path, "events.csv", EVENTS)
    sheet = _file(tmp_path, "sheets.csv", WORKSHOP)
    mapping = EXPORTS / "events_mapping.yaml"
    with _db(acme) as db:
        with pytest.raises(InputError) as err:
            import_events(db, "acme", events, mapping=mapping)
        assert {p.row for p in err.value.problems} == {3, 4, 5, 6, 7}
        with pytest.raises(InputError):
            import_workshop(db, "acme", sheet)
        result: Any = import_events(db, "acme", events, mapping=mapping, skip_invalid=True)
        assert (result.inserted, result.skipped, len(result.problems)) == (2, 5, 5)
        result = import_workshop(db, "acme", sheet, skip_invalid=True)
        assert (result.written, result.skipped, len(result.problems)) == (2, 3, 3)


def test_a_file_problem_is_never_skipped(acme: str, tmp_path: Path) -> None:
    events = _file(tmp_path, "events.csv", "Ticket,Customer\nT-1,ACC-001\n")
    code, _, err = _run(
        "import", "events", str(events), "--study", "acme", "--db", acme, "--skip-invalid",
    )  # fmt: skip
    assert code == 2 and "a column named 'timestamp'" in err


def test_events_without_a_ticket_id_are_stored_once_each(acme: str, tmp_path: Path) -> None:
    # Two different events of one account without an id, and one written twice.
    events = _file(
        tmp_path,
        "events.csv",
        "Ticket,Customer,Closed at,Team,Moment,Status,Cost\n"
        ",ACC-001,05/01/2026 10:00,support,problem_resolution,SLA met,0\n"
        ",ACC-001,06/01/2026 10:00,support,problem_resolution,Escalated,0\n"
        ",ACC-001,06/01/2026 10:00,support,problem_resolution,Escalated,0\n"
        "T-9,ACC-002,07/01/2026 10:00,support,routine,SLA met,0\n",
    )
    args = ["import", "events", str(events), "--study", "acme", "--db", acme]
    args += ["--mapping", str(EXPORTS / "events_mapping.yaml")]
    code, out, err = _run(*args)
    assert code == 0, err
    assert "Events: 3 new in acme" in out
    with _db(acme) as db:
        ids = sorted(load_events(db, "acme")["source_id"])
    assert ids[0] == "T-9" and all(i.startswith("row-") for i in ids[1:]) and len(set(ids)) == 3
    code, out, _ = _run(*args)  # a retry adds nothing
    assert code == 0 and "Events: 0 new in acme" in out
    with _db(acme) as db:
        assert sorted(load_events(db, "acme")["source_id"]) == ids
