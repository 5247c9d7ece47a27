"""Mapping and validating events exports (the pure part of ``import events``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxgap.errors import InputError
from cxgap.ingest.events import EventMapping, OutcomeRule, load_mapping, parse_events
from cxgap.ingest.tables import read_table


def table(tmp_path: Path, text: str) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    return read_table(path)


HEADER = "account_id,timestamp,touchpoint,moment,outcome,severity,source_id,cost\n"


def test_a_clean_file_becomes_the_event_contract(tmp_path: Path) -> None:
    ev = parse_events(
        table(
            tmp_path,
            HEADER + "a,2025-01-01T10:00:00+02:00,Support,routine,Failed,2,T1,120.5\n"
            "a,2025-01-02,support,routine,met,,T2,\n",
        ),
        as_of="2025-06-01",
    )
    assert ev["timestamp"].tolist() == [
        pd.Timestamp("2025-01-01 08:00"),
        pd.Timestamp("2025-01-02"),
    ]
    assert ev["touchpoint"].tolist() == ["support", "support"]
    assert ev["outcome"].tolist() == ["failed", "met"]
    assert ev["severity"].iloc[0] == 2.0
    assert pd.isna(ev["severity"].iloc[1])
    assert ev["cost"].iloc[0] == 120.5


def test_rows_repeating_a_source_id_are_dropped(tmp_path: Path) -> None:
    ev = parse_events(
        table(
            tmp_path,
            HEADER + "a,2025-01-01,support,routine,met,,T1,\n"
            "a,2025-01-01,support,routine,met,,T1,\n"
            "a,2025-01-02,support,routine,met,,,\n",
        ),
        as_of="2025-06-01",
    )
    assert len(ev) == 2
    assert ev.attrs["duplicates_dropped"] == 1


def test_an_outcome_rule_can_imply_the_severity(tmp_path: Path) -> None:
    mapping = EventMapping(outcomes={"SLA breached": OutcomeRule(outcome="failed", severity=2)})
    ev = parse_events(
        table(tmp_path, HEADER + "a,2025-01-01,support,routine,sla BREACHED,,T1,\n"),
        mapping=mapping,
        as_of="2025-06-01",
    )
    assert (ev["outcome"].iloc[0], ev["severity"].iloc[0]) == ("failed", 2.0)


def test_unknown_touchpoints_and_negative_costs_are_reported(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_events(
            table(tmp_path, HEADER + "a,2025-01-01,canteen,routine,failed,1,T1,-5\n"),
            as_of="2025-06-01",
            touchpoints=["support"],
        )
    text = str(info.value)
    assert "row 2, column 'touchpoint': got 'canteen'" in text
    assert "row 2, column 'cost': got '-5'" in text


def test_a_mapping_file_with_a_bad_outcome_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("outcomes:\n  Late: awful\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"outcomes\.Late"):
        load_mapping(path)
