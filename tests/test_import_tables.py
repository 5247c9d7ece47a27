"""Importing accounts, contacts, interview notes, workshop sheets and events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxgap.errors import InputError
from cxgap.ingest.accounts import import_accounts
from cxgap.ingest.contacts import import_contacts
from cxgap.ingest.events_import import import_events
from cxgap.ingest.interviews import import_interviews
from cxgap.ingest.workshop import import_workshop
from cxgap.store.accounts import load_accounts, load_events, load_interviews
from cxgap.store.contacts import load_contacts
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.studies import save_study
from cxgap.study import default_study

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.fixture
def segments_map(tmp_path: Path) -> Path:
    m = tmp_path / "segments.yaml"
    m.write_text("segments: {Key account: top, Churned: defected}\n")
    return m


@pytest.fixture
def acme(fresh_db: Database) -> Database:
    """An empty default study 'acme'."""
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    return fresh_db


@pytest.fixture
def with_accounts(acme: Database, segments_map: Path) -> Database:
    """'acme' with the five CRM fixture accounts."""
    import_accounts(acme, "acme", EXPORTS / "crm_accounts.csv", mapping=segments_map)
    return acme


def test_crm_accounts_are_read_by_their_usual_headers(acme: Database, segments_map: Path) -> None:
    result = import_accounts(acme, "acme", EXPORTS / "crm_accounts.csv", mapping=segments_map)
    assert (result.inserted, result.updated) == (5, 0)
    acc = load_accounts(acme, "acme").set_index("account_id")
    assert acc.loc["ACC-002", "name"] == "Contoso Ltd"
    assert acc.loc["ACC-002", "annual_revenue"] == 180000.50
    assert acc.loc["ACC-003", "segment"] == "defected"
    assert acc.loc["ACC-003", "defected_at"] == pd.Timestamp("2026-01-31")
    assert acc.loc["ACC-004", "acquired_at"] == pd.Timestamp("2025-11-01")
    assert pd.isna(acc.loc["ACC-001", "defected_at"])
    again = import_accounts(acme, "acme", EXPORTS / "crm_accounts.csv", mapping=segments_map)
    assert (again.inserted, again.updated) == (0, 5)


def test_account_problems_name_row_and_column_and_write_nothing(
    acme: Database, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    f.write_text(
        "Account ID,Account Name,Type,Annual Revenue,Churn Date\n"
        'A1,One,top,"$1,200",\n'
        "A1,Dup,top,5,\n"
        "A3,Three,gold,-4,31/01/2026\n"
    )
    with pytest.raises(InputError) as err:
        import_accounts(acme, "acme", f)
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(3, "Account ID"), (4, "Type"), (4, "Annual Revenue"), (4, "Churn Date")}
    assert len(load_accounts(acme, "acme")) == 0
    result = import_accounts(acme, "acme", f, skip_invalid=True)
    assert (result.inserted, result.skipped) == (1, 2)
    assert load_accounts(acme, "acme")["annual_revenue"].tolist() == [1200.0]


def test_contacts_become_respondents(with_accounts: Database) -> None:
    result = import_contacts(with_accounts, "acme", EXPORTS / "contacts.csv")
    assert result.inserted == 5
    c = load_contacts(with_accounts, "acme").set_index("respondent_id")
    assert c.loc["s-001", "team"] == "support"  # "Support" label -> key
    assert c.loc["c-002", "account_id"] == "ACC-002"
    assert c.loc["c-001", "email"] == "dana@northwind.example"
    assert c.loc["l-001", "audience"] == "leadership"


def test_bad_contacts_are_listed(with_accounts: Database, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        "Email,Audience,Team,Account ID\n"
        "a@x.example,customer,,ACC-404\n"
        "not-an-email,staff,Support,\n"
        "c@x.example,board,,\n"
    )
    with pytest.raises(InputError) as err:
        import_contacts(with_accounts, "acme", f)
    assert {(p.row, p.column) for p in err.value.problems} == {
        (2, "Account ID"),
        (3, "Email"),
        (4, "Audience"),
    }
    assert len(load_contacts(with_accounts, "acme")) == 0


def test_interview_notes_from_markdown_and_csv(with_accounts: Database) -> None:
    md = import_interviews(with_accounts, "acme", EXPORTS / "interviews")
    csv = import_interviews(with_accounts, "acme", EXPORTS / "interviews.csv")
    again = import_interviews(with_accounts, "acme", EXPORTS / "interviews")
    assert (md.inserted, csv.inserted, again.inserted) == (2, 2, 0)
    notes = load_interviews(with_accounts, "acme").set_index("account_id")
    assert notes.loc["ACC-004", "tags"] == ["expectations", "implementation"]
    assert notes.loc["ACC-004", "text"].startswith("Go-live took two weeks longer")
    assert notes.loc["ACC-003", "segment"] == "defected"
    assert notes.loc["ACC-001", "tags"] == ["account_management", "personalisation"]


def test_a_markdown_note_without_front_matter_is_named(acme: Database, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\naccount: X\ndate: 2026-01-01\n---\nFine.\n")
    (tmp_path / "b.md").write_text("Just text, no front matter.\n")
    with pytest.raises(InputError, match=r"b\.md, row 1: a front matter"):
        import_interviews(acme, "acme", tmp_path)


def test_unknown_interview_tags_and_accounts_are_problems(
    with_accounts: Database, tmp_path: Path
) -> None:
    f = tmp_path / "n.csv"
    f.write_text("account,date,notes,tags\nACC-001,2026-01-05,ok,resolution; weather\n")
    with pytest.raises(InputError, match="got 'resolution; weather'"):
        import_interviews(with_accounts, "acme", f)


def test_workshop_sheets_are_group_answers_kept_apart(acme: Database) -> None:
    result = import_workshop(acme, "acme", EXPORTS / "workshop.csv")
    again = import_workshop(acme, "acme", EXPORTS / "workshop.csv")
    assert (result.written, again.written) == (2, 0)
    frame = load_frame(acme, "acme")
    assert frame["source"].tolist() == ["workshop", "workshop"]
    assert frame["audience"].tolist() == ["leadership", "leadership"]
    assert frame["respondent_id"].tolist() == ["workshop:Board A", "workshop:Board B"]
    assert frame["open.continue_start"].iloc[1] == "Start a customer council"


def test_a_workshop_sheet_with_rating_columns_is_refused(acme: Database, tmp_path: Path) -> None:
    f = tmp_path / "w.csv"
    f.write_text("Group,Wave,What do we do well?,excellent\nA,w1,Things,5\n")
    with pytest.raises(InputError, match=r"one of the columns open\.well"):
        import_workshop(acme, "acme", f)


def test_events_import_once_with_the_mapping(with_accounts: Database) -> None:
    mapping = EXPORTS / "events_mapping.yaml"
    first = import_events(with_accounts, "acme", EXPORTS / "helpdesk_events.csv", mapping=mapping)
    again = import_events(with_accounts, "acme", EXPORTS / "helpdesk_events.csv", mapping=mapping)
    assert (first.inserted, again.inserted) == (4, 0)
    ev = load_events(with_accounts, "acme").set_index("source_id")
    assert ev.loc["T-1002", "outcome"] == "failed" and ev.loc["T-1002", "severity"] == 2
    assert ev.loc["T-1003", "severity"] == 3
    assert ev.loc["T-1004", "outcome"] == "exceeded"
    assert ev.loc["T-1001", "timestamp"] == pd.Timestamp("2026-01-05 10:00")


def test_events_for_unknown_accounts_write_nothing(acme: Database) -> None:
    with pytest.raises(InputError, match="ACC-001"):
        import_events(
            acme, "acme", EXPORTS / "helpdesk_events.csv", mapping=EXPORTS / "events_mapping.yaml"
        )
    assert len(load_events(acme, "acme")) == 0


def test_a_contact_without_a_name_is_stored_without_one(acme: Database, tmp_path: Path) -> None:
    f = tmp_path / "contacts.csv"
    f.write_text("Contact ID,Full Name,Email,Audience\nc-1,,ann@acme.example,staff\n")
    assert import_contacts(acme, "acme", f).inserted == 1
    assert load_contacts(acme, "acme")["name"].isna().all()


def test_an_unusable_date_format_is_a_clear_error(acme: Database, tmp_path: Path) -> None:
    f = tmp_path / "notes.csv"
    f.write_text("date,notes\n12/02/2026,Fine.\n")
    for fmt in ("%Q", "%"):
        with pytest.raises(
            InputError, match=r"notes\.csv, column 'date': got '%.?', expected a date format"
        ):
            import_interviews(acme, "acme", f, date_format=fmt)


def test_a_markdown_note_that_is_not_utf8_is_named(acme: Database, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ndate: 2026-01-01\n---\nFine.\n")
    (tmp_path / "b.md").write_bytes("---\ndate: 2026-01-02\n---\nCafé\n".encode("utf-16"))
    with pytest.raises(InputError, match=r"b\.md: a UTF-8 text file"):
        import_interviews(acme, "acme", tmp_path)


def test_an_impossible_date_in_a_front_matter_is_named(acme: Database, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ndate: 2026-02-30\n---\nFine.\n")
    with pytest.raises(InputError, match=r"a\.md, row 1: valid YAML values \(day is out of range"):
        import_interviews(acme, "acme", tmp_path)
