"""Storage on SQLite and PostgreSQL: studies, responses, accounts, events,
interviews and the action plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from cxgap.errors import CxgapError, InputError, NotFoundError, StudyFileError
from cxgap.ingest.events import parse_events
from cxgap.ingest.tables import read_table
from cxgap.store import schema as t
from cxgap.store.accounts import (
    load_accounts,
    load_events,
    load_interviews,
    write_accounts,
    write_events,
    write_interviews,
)
from cxgap.store.actions import ActionItem, add_action, list_actions, update_action
from cxgap.store.db import Database
from cxgap.store.frames import load_frame, write_frame
from cxgap.store.studies import delete_study, list_studies, load_study, save_study
from cxgap.study import default_study
from cxgap.study.model import Wave


@pytest.fixture
def acme(fresh_db: Database) -> Database:
    """A database holding the default study 'acme' with two waves and two accounts."""
    study = default_study("acme", organisation="Acme")
    study = study.model_copy(
        update={"waves": [Wave(key="w1", label="One"), Wave(key="w2", label="Two")]}
    )
    save_study(fresh_db, study)
    write_accounts(
        fresh_db,
        "acme",
        pd.DataFrame(
            {
                "account_id": ["A1", "A2"],
                "name": ["Alpha Ltd", "Beta plc"],
                "segment": ["top", "defected"],
                "annual_revenue": [120000.0, 50000.0],
                "owner": ["Ann", None],
                "acquired_at": pd.to_datetime(["2020-01-01", "2021-05-01"]),
                "defected_at": pd.to_datetime([None, "2026-03-01"]),
            }
        ),
    )
    return fresh_db


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": ["c1", "c2", "s1", "c1"],
            "audience": ["customer", "customer", "staff", "customer"],
            "segment": ["top", "defected", None, "top"],
            "team": [None, None, "support", None],
            "account_id": ["A1", "A2", None, "A1"],
            "wave": ["w1", "w1", "w1", "w2"],
            "source": ["individual"] * 4,
            "perf.resolution": [4.0, 2.0, 5.0, 5.0],
            "ltr": [9.0, 3.0, np.nan, 10.0],
            "rank.empathy": [1.0, np.nan, 6.0, 2.0],
            "leave.price": [1.0, 0.0, 1.0, 0.0],
            "open.improve": ["Faster fixes", None, "Better tools <b>now</b>", ""],
        }
    )


def test_definition_round_trips_through_the_database(fresh_db: Database) -> None:
    study = default_study("acme", organisation="Acme")
    study = study.model_copy(update={"promise": ["We fix it fast."], "competitors": ["Zed"]})
    assert save_study(fresh_db, study) is True
    assert load_study(fresh_db, "acme") == study


def test_apply_updates_and_keeps_order(fresh_db: Database) -> None:
    study = default_study("acme", organisation="Acme")
    save_study(fresh_db, study)
    changed = study.model_copy(
        update={"factors": list(reversed(study.factors)), "anonymity_threshold": 7}
    )
    assert save_study(fresh_db, changed) is False
    loaded = load_study(fresh_db, "acme")
    assert [f.key for f in loaded.factors] == [f.key for f in reversed(study.factors)]
    assert loaded.anonymity_threshold == 7


def test_every_change_of_the_definition_bumps_its_revision(fresh_db: Database) -> None:
    def revision() -> int:
        with fresh_db.connect() as conn:
            return int(conn.execute(select(t.study.c.revision)).scalar_one())

    study = default_study("acme", organisation="Acme")
    save_study(fresh_db, study)
    assert revision() == 1
    save_study(fresh_db, study.model_copy(update={"anonymity_threshold": 7}))
    save_study(fresh_db, study)
    assert revision() == 3


def test_unknown_study_names_the_known_ones(fresh_db: Database) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    with pytest.raises(NotFoundError, match=r"no study 'nope' \(known: acme\)"):
        load_study(fresh_db, "nope")


def test_creating_an_existing_study_is_refused(fresh_db: Database) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    with pytest.raises(CxgapError, match="already exists"):
        save_study(fresh_db, default_study("acme", organisation="Acme"), create_only=True)


def test_wide_frame_round_trips(acme: Database) -> None:
    assert write_frame(acme, "acme", _frame()) == 4
    frame = load_frame(acme, "acme")
    assert len(frame) == 4
    by = frame.set_index(["respondent_id", "wave"])
    assert by.loc[("c1", "w1"), "perf.resolution"] == 4.0
    assert by.loc[("c2", "w1"), "account_id"] == "A2"
    assert by.loc[("s1", "w1"), "team"] == "support"
    assert np.isnan(by.loc[("s1", "w1"), "ltr"])
    assert by.loc[("c1", "w2"), "rank.empathy"] == 2.0
    assert by.loc[("c2", "w1"), "leave.price"] == 0.0
    # HTML is kept as text; empty text is no answer
    assert by.loc[("s1", "w1"), "open.improve"] == "Better tools <b>now</b>"
    assert by.loc[("c1", "w2"), "open.improve"] is None
    # every question has its column, answered or not
    assert "perf.empathy" in frame.columns and frame["perf.empathy"].isna().all()
    assert list(load_frame(acme, "acme", wave="w2")["respondent_id"]) == ["c1"]


def test_writing_the_same_responses_twice_adds_nothing(acme: Database) -> None:
    write_frame(acme, "acme", _frame())
    assert write_frame(acme, "acme", _frame()) == 0
    assert len(load_frame(acme, "acme")) == 4


def test_unknown_account_rejects_the_whole_frame(acme: Database) -> None:
    bad = _frame()
    bad.loc[2, "account_id"] = "ZZZ"
    with pytest.raises(InputError, match="row 4, column 'account_id'"):
        write_frame(acme, "acme", bad, file="export.csv")
    assert len(load_frame(acme, "acme")) == 0


def test_unknown_wave_is_refused(acme: Database) -> None:
    bad = _frame()
    bad.loc[0, "wave"] = "w9"
    with pytest.raises(InputError, match="w9"):
        write_frame(acme, "acme", bad)
    with pytest.raises(NotFoundError, match="no wave 'w9'"):
        load_frame(acme, "acme", wave="w9")


def test_removing_a_wave_or_question_with_answers_is_refused(acme: Database) -> None:
    write_frame(acme, "acme", _frame())
    study = load_study(acme, "acme")
    with pytest.raises(StudyFileError, match=r"wave 'w2' \(it holds 1 response"):
        save_study(acme, study.model_copy(update={"waves": study.waves[:1]}), file="s.yaml")
    without_ltr = [q for q in study.questions if q.key != "ltr"]
    with pytest.raises(StudyFileError, match="question 'ltr'"):
        save_study(acme, study.model_copy(update={"questions": without_ltr}), file="s.yaml")
    assert load_study(acme, "acme") == study


def test_accounts_update_by_id(acme: Database) -> None:
    accounts = load_accounts(acme, "acme")
    assert list(accounts["account_id"]) == ["A1", "A2"]
    assert accounts.loc[1, "defected_at"] == pd.Timestamp("2026-03-01")
    assert pd.isna(accounts.loc[0, "defected_at"])
    changed = accounts.copy()
    changed.loc[0, "annual_revenue"] = 1.0
    assert write_accounts(acme, "acme", changed) == (0, 2)
    assert load_accounts(acme, "acme").loc[0, "annual_revenue"] == 1.0


def test_events_are_idempotent_by_source_id_and_keep_tie_order(acme: Database) -> None:
    events = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2"],
            "timestamp": pd.to_datetime(
                ["2026-01-01 10:00", "2026-01-01 10:00", "2026-01-02 00:00"]
            ),
            "touchpoint": ["support", "support", "billing"],
            "moment": ["problem_resolution", "routine", "routine"],
            "outcome": ["failed", "met", "exceeded"],
            "severity": [2.0, np.nan, np.nan],
            "source_id": ["T-2", "T-1", "B-1"],
            "source_system": ["helpdesk", "helpdesk", "billing"],
            "cost": [150.0, np.nan, np.nan],
            "note": ["late fix", None, None],
        }
    )
    assert write_events(acme, "acme", events) == 3
    assert write_events(acme, "acme", events) == 0
    loaded = load_events(acme, "acme")
    assert list(loaded["source_id"]) == ["T-2", "T-1", "B-1"]
    assert loaded.loc[0, "severity"] == 2.0 and loaded.loc[0, "cost"] == 150.0


def test_event_for_unknown_account_is_reported_with_row(acme: Database) -> None:
    events = pd.DataFrame(
        {
            "account_id": ["A1", "NOPE"],
            "timestamp": pd.to_datetime(["2026-01-01"] * 2),
            "touchpoint": ["support"] * 2,
            "moment": ["routine"] * 2,
            "outcome": ["met"] * 2,
            "severity": [np.nan] * 2,
            "source_id": ["1", "2"],
            "source_system": [None] * 2,
            "cost": [np.nan] * 2,
            "note": [None] * 2,
        }
    )
    with pytest.raises(InputError, match=r"events\.csv, row 3, column 'account_id'"):
        write_events(acme, "acme", events, file="events.csv")
    assert load_events(acme, "acme").empty


def test_interviews_round_trip(acme: Database) -> None:
    notes = pd.DataFrame(
        {
            "account_id": ["A2"],
            "segment": ["defected"],
            "date": pd.to_datetime(["2026-02-01"]),
            "interviewer": ["Dana"],
            "text": ["They left because fixes took weeks."],
            "tags": [["resolution", "support"]],
        }
    )
    assert write_interviews(acme, "acme", notes) == 1
    assert write_interviews(acme, "acme", notes) == 0
    loaded = load_interviews(acme, "acme")
    assert loaded.loc[0, "tags"] == ["resolution", "support"]
    assert loaded.loc[0, "account_id"] == "A2"


def test_action_plan_add_list_update(acme: Database) -> None:
    a = add_action(
        acme,
        "acme",
        ActionItem(
            title="Escalation path", factor="resolution", touchpoint="support", priority=2.0
        ),
    )
    add_action(acme, "acme", ActionItem(title="QBRs", priority=5.0))
    assert [x.title for x in list_actions(acme, "acme")] == ["QBRs", "Escalation path"]
    assert a.id is not None
    updated = update_action(
        acme, "acme", a.id, owner="Head of Support", due_on=date(2026, 12, 1), status="in_progress"
    )
    assert updated.status == "in_progress"
    stored = {x.id: x for x in list_actions(acme, "acme")}[a.id]
    assert stored.owner == "Head of Support" and stored.due_on == date(2026, 12, 1)
    with pytest.raises(CxgapError, match="column 'factor': got 'nope', expected one of personal"):
        add_action(acme, "acme", ActionItem(title="x", factor="nope"))
    with pytest.raises(NotFoundError):
        update_action(acme, "acme", 9999, status="done")


def test_list_and_delete_studies(acme: Database) -> None:
    write_frame(acme, "acme", _frame())
    [summary] = list_studies(acme)
    assert (summary.slug, summary.responses, summary.accounts) == ("acme", 4, 2)
    delete_study(acme, "acme", with_organisation_data=True)
    assert list_studies(acme) == []


def test_events_without_a_source_id_are_each_kept_and_imported_once(
    acme: Database, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "account_id,timestamp,touchpoint,moment,outcome,severity\n"
        "A1,2026-01-05,support,routine,met,\n"
        "A1,2026-01-06,support,routine,met,\n"
        "A1,2026-01-07,support,problem_resolution,failed,2\n"
        "A2,2026-01-05,support,routine,met,\n",
        encoding="utf-8",
    )
    events = parse_events(read_table(path), as_of="2026-06-01")
    assert write_events(acme, "acme", events) == 4
    assert write_events(acme, "acme", parse_events(read_table(path), as_of="2026-06-01")) == 0
    stored = load_events(acme, "acme")
    assert len(stored) == 4 and stored["source_id"].str.match(r"^row-[0-9a-f]{16}$").all()
