"""Help-desk and CRM exports through ``--preset`` and the study's vocabulary.

The exports are public sample files in each tool's own layout
(tests/data/SOURCES.md, "Helpdesk and CRM exports"). Every expected count
below was counted by hand from the file, by its status, priority, type and
escalation columns, following the rules of cxgap.ingest.event_presets; the
counts are noted beside each test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.contracts.choices import EVENT_PRESETS
from cxgap.errors import InputError
from cxgap.ingest.event_presets import PRESETS, apply_preset
from cxgap.ingest.events import EventMapping, parse_events, vocabulary
from cxgap.ingest.tables import read_table
from cxgap.store.accounts import load_events
from cxgap.store.db import Database
from cxgap.store.studies import save_study
from cxgap.study.defaults import MOMENTS, TOUCHPOINTS, default_study

EXPORTS = Path(__file__).parent / "data" / "real-exports"
AS_OF = "2026-06-01"
MOMENT_WORDS = vocabulary((m.key, m.label) for m in MOMENTS)
TOUCHPOINT_WORDS = vocabulary((t.key, t.label) for t in TOUCHPOINTS)


def preset_events(name: str, file: str, **kw: str) -> pd.DataFrame:
    frame, mapping = apply_preset(read_table(EXPORTS / file), name, **kw)
    events = parse_events(
        frame,
        mapping=mapping,
        as_of=AS_OF,
        moments=MOMENT_WORDS,
        touchpoints=TOUCHPOINT_WORDS,
    )
    events.attrs["open"] = frame.attrs["open"]
    return events


def test_every_preset_choice_has_a_preset() -> None:
    assert tuple(PRESETS) == EVENT_PRESETS


def test_salesforce_cases_closed_are_met_and_escalated_are_failures() -> None:
    # 25 cases: 20 Closed (all of type Problem) -> met, problem resolution;
    # 3 Escalated (status) -> failed, severity 3; 2 New -> left open.
    ev = preset_events("salesforce", "events-salesforce-cases.csv")
    assert (len(ev), ev.attrs["open"]) == (23, 2)
    assert ev["outcome"].value_counts().to_dict() == {"met": 20, "failed": 3}
    assert set(ev.loc[ev["outcome"] == "failed", "severity"]) == {3.0}
    assert ev["moment"].value_counts().to_dict() == {"problem_resolution": 23}
    assert set(ev["touchpoint"]) == {"support"} and set(ev["source_system"]) == {"Salesforce"}
    # Cases per account: J1Mwn 16 closed + 1 escalated; J1Zlf 4 + 1; J1Mwf 1 escalated.
    assert ev["account_id"].value_counts().to_dict() == {
        "001Nq00000J1MwnIAF": 17,
        "001Nq00000J1ZlfIAF": 5,
        "001Nq00000J1MwfIAF": 1,
    }
    first = ev.set_index("source_id").loc["salesforce:00001047"]
    # Closed at ClosedDate 2024-07-11T21:22:08.000+0000.
    assert first["timestamp"] == pd.Timestamp("2024-07-11 21:22:08")


def test_zendesk_tickets_solved_or_closed_are_met() -> None:
    # 30 tickets: 7 Solved + 6 Closed -> met; 8 Pending, 7 Open, 2 New -> open.
    # Of the 13, tickets 4 and 8 (Normal, Question) are routine; the other 11
    # are problems, incidents or urgent/high -> problem resolution.
    ev = preset_events("zendesk", "events-zendesk-tickets.csv", account="ACME")
    assert (len(ev), ev.attrs["open"]) == (13, 17)
    assert set(ev["outcome"]) == {"met"} and set(ev["account_id"]) == {"ACME"}
    assert ev["moment"].value_counts().to_dict() == {"problem_resolution": 11, "routine": 2}
    routine = ev.loc[ev["moment"] == "routine", "source_id"]
    assert sorted(routine) == ["zendesk:4", "zendesk:8"]
    # No "Solved at" column in this export: the time is created_at.
    assert ev.set_index("source_id").loc["zendesk:2", "timestamp"] == pd.Timestamp(
        "2023-03-09 02:23:31"
    )


def test_hubspot_closed_onboarding_tickets_are_implementation() -> None:
    # 20 tickets: 3 Closed, all in the "Onboarding Pipeline" -> implementation
    # (moment and touchpoint), met; 8 New, 6 Waiting on us, 3 Waiting on
    # contact -> open. Accounts by company domain: ortiz.com 2, moore.net 1.
    ev = preset_events("hubspot", "events-hubspot-tickets.csv")
    assert (len(ev), ev.attrs["open"]) == (3, 17)
    assert set(ev["moment"]) == {"implementation"} == set(ev["touchpoint"])
    assert ev["account_id"].value_counts().to_dict() == {"ortiz.com": 2, "moore.net": 1}
    # Closed at its Close Date.
    ticket = "hubspot:TICK-ea798719-ae73-46c2-8d07-7b237509d8f0"
    assert ev.set_index("source_id").loc[ticket, "timestamp"] == pd.Timestamp("2024-04-29")


def test_freshdesk_tickets_all_open_are_left_out() -> None:
    # 12 tickets: 5 Open, 4 Waiting on Third Party, 2 Pending, 1 "OpenPending".
    frame, _ = apply_preset(read_table(EXPORTS / "events-freshdesk-tickets.csv"), "freshdesk")
    assert (len(frame), frame.attrs["open"]) == (0, 12)


def test_freshdesk_resolution_status_and_resolved_time(tmp_path: Path) -> None:
    # The real export with three tickets marked resolved, as Freshdesk writes
    # a resolved ticket: Status "Resolved", "Resolved time", "Resolution
    # Status" ("Within SLA" or "SLA Violated").
    with (EXPORTS / "events-freshdesk-tickets.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    changes = {
        "1": ("Resolved", "2025-12-05 09:00:00", "Within SLA"),
        "2": ("Closed", "2025-12-09 17:30:00", "SLA Violated"),
        "3": ("Resolved", "2025-12-04 10:00:00", "Within SLA"),
    }
    for row in rows:
        status, resolved, sla = changes.get(row["Ticket ID"], (row["Status"], "", ""))
        row.update({"Status": status, "Resolved time": resolved, "Resolution Status": sla})
    path = tmp_path / "freshdesk.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*rows[0]])
        writer.writeheader()
        writer.writerows(rows)
    frame, mapping = apply_preset(read_table(path), "freshdesk")
    ev = parse_events(frame, mapping=mapping, as_of=AS_OF, moments=MOMENT_WORDS)
    assert frame.attrs["open"] == 9
    by_id = ev.set_index("source_id")
    assert by_id.loc["freshdesk:1", "outcome"] == "met"
    assert (by_id.loc["freshdesk:2", "outcome"], by_id.loc["freshdesk:2", "severity"]) == (
        "failed",
        2.0,
    )
    # Ticket 1 is High priority -> problem resolution; ticket 2 Medium, no type -> routine.
    assert by_id.loc["freshdesk:1", "moment"] == "problem_resolution"
    assert by_id.loc["freshdesk:2", "moment"] == "routine"
    assert by_id.loc["freshdesk:2", "timestamp"] == pd.Timestamp("2025-12-09 17:30")
    assert set(ev["account_id"]) == {"Acme Inc", "Freshworks"}


def test_a_problem_names_the_row_of_the_export_not_of_the_filtered_table() -> None:
    # Cases 00001064 and 00001065 (file rows 20 and 21) are New, so left out;
    # file row 2 is the Escalated case of the one known account, row 3 the
    # first Closed case of J1Mwn: 22 events of unknown accounts, each named by
    # its row in the file.
    frame, mapping = apply_preset(read_table(EXPORTS / "events-salesforce-cases.csv"), "salesforce")
    with pytest.raises(InputError) as err:
        parse_events(frame, mapping=mapping, as_of=AS_OF, accounts={"001Nq00000J1MwfIAF"})
    rows = [p.row for p in err.value.problems]
    assert rows[0] == 3 and {20, 21}.isdisjoint(rows) and len(rows) == 22
    assert rows[-1] == 26
    assert {p.column for p in err.value.problems} == {"AccountId"}


def test_an_export_without_its_columns_names_what_the_preset_looks_for() -> None:
    with pytest.raises(InputError) as err:
        apply_preset(read_table(EXPORTS / "events-zendesk-tickets.csv"), "salesforce")
    text = str(err.value)
    assert "'CaseNumber'" in text and "Salesforce ticket id column" in text
    with pytest.raises(InputError, match=r"a Zendesk account column: .*; or give every row"):
        apply_preset(read_table(EXPORTS / "events-zendesk-tickets.csv"), "zendesk")


def test_moments_and_touchpoints_by_label_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "account,timestamp,touchpoint,moment,outcome\n"
        "A,2026-01-05,Support,problem resolution,solved\n"
        "A,2026-01-06,support,Problem Resolution,SLA breached\n"
        "A,2026-01-07,Account management,Problem resolution (storming),escalated\n"
        "A,2026-01-08,billing,Routine interaction,Missed\n"
    )
    ev = parse_events(
        read_table(path), as_of=AS_OF, moments=MOMENT_WORDS, touchpoints=TOUCHPOINT_WORDS
    )
    assert ev["moment"].tolist() == ["problem_resolution"] * 3 + ["routine"]
    assert ev["touchpoint"].tolist() == ["support", "support", "account_management", "billing"]
    assert ev["outcome"].tolist() == ["met", "failed", "failed", "failed"]
    assert ev["severity"].tolist()[1:] == [2.0, 3.0, 2.0]


def test_an_unknown_moment_lists_keys_and_says_labels_count(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("account,timestamp,touchpoint,moment,outcome\nA,2026-01-05,support,lunch,met\n")
    with pytest.raises(InputError) as err:
        parse_events(read_table(path), as_of=AS_OF, moments=MOMENT_WORDS)
    (problem,) = err.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        str(path),
        2,
        "moment",
        "lunch",
    )
    assert problem.expected.startswith("one of knowledge, implementation, problem_resolution")
    assert problem.expected.endswith("(keys or labels)")


def test_an_unknown_outcome_word_lists_the_words(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "account,timestamp,touchpoint,moment,outcome\nA,2026-01-05,support,routine,meh\n"
    )
    with pytest.raises(InputError) as err:
        parse_events(read_table(path), as_of=AS_OF)
    (problem,) = err.value.problems
    assert problem.column == "outcome" and problem.value == "meh"
    assert "exceeded, met, failed, or a word for one (" in problem.expected
    assert "sla breached" in problem.expected and "solved" in problem.expected


def test_a_mapping_word_overrides_a_built_in_one(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "account,timestamp,touchpoint,moment,outcome\nA,2026-01-05,support,routine,Closed\n"
    )
    mapping = EventMapping(outcomes={"closed": "exceeded"})
    assert parse_events(read_table(path), mapping=mapping, as_of=AS_OF)["outcome"][0] == "exceeded"


def test_cli_imports_a_salesforce_export_with_the_preset(
    fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account\n001Nq00000J1MwnIAF\n001Nq00000J1ZlfIAF\n001Nq00000J1MwfIAF\n")
    runner = CliRunner()
    url = db_url
    ok = runner.invoke(app, ["import", "accounts", str(accounts), "--study", "acme", "--db", url])
    assert ok.exit_code == 0, ok.output
    args = ["import", "events", str(EXPORTS / "events-salesforce-cases.csv"), "--study", "acme"]
    first = runner.invoke(app, [*args, "--preset", "salesforce", "--db", url])
    assert first.exit_code == 0, first.output
    assert "Events: 23 new in acme (2 skipped)" in first.output
    assert "2 ticket(s) still open were left out" in first.output
    again = runner.invoke(app, [*args, "--preset", "salesforce", "--db", url, "--json"])
    assert again.exit_code == 0 and '"inserted": 0' in again.output and '"open": 2' in again.output
    stored = load_events(fresh_db, "acme")
    assert len(stored) == 23 and (stored["outcome"] == "failed").sum() == 3
    wrong = runner.invoke(app, [*args, "--preset", "zendeks", "--db", url])
    assert wrong.exit_code == 2 and "one of zendesk, freshdesk, hubspot, salesforce" in wrong.output
