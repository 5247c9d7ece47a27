"""The attacks a hostile viewer plays on the staff anonymity threshold, played
against every view of the overview's staff figures; none may recover a
withheld team.

Differencing: every staff aggregate the overview publishes (the staff
audience's cell of each item and every shown team cell, in every wave, with
and without a team filter) is a linear equation over the respondents'
answers. A withheld team is recovered exactly when the indicator of its
respondents lies in the span of the published indicators; the test solves
for it by least squares. Padding: answers through an open link never lift a
team over the threshold. The demo and a study made to be hard (teams of 4, 5
and 6, one person changing team between waves, staff in no team) are both
attacked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cxgap.analysis.perception.assembly import analyze_perception
from cxgap.contracts.disclosure import OPEN_LINK, counted_rows
from cxgap.errors import CxgapError
from cxgap.service.overview import Filters, check_team_filter, filter_inputs
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.invitations import create_anonymous_link
from cxgap.store.studies import load_study, save_study
from cxgap.study.defaults import default_study
from cxgap.study.model import StudyDefinition, Wave
from cxgap.web import create_app


def _published(
    study: StudyDefinition, frame: pd.DataFrame
) -> Iterator[tuple[str, str, str, np.ndarray]]:
    """(view, wave, item, indicator over ``frame``'s rows) of every staff
    aggregate the overview shows, over every wave and team filter it accepts."""
    teams = [None, *(t.key for t in study.touchpoints)]
    empty = pd.DataFrame({"account_id": [], "segment": [], "touchpoint": []})
    for wave in study.wave_keys():
        for team in teams:
            filters = Filters(wave=wave, team=team)
            if team is not None:
                try:
                    check_team_filter(frame, team, study.anonymity_threshold)
                except CxgapError:
                    continue  # refused: nothing shown
            narrowed, _, _ = filter_inputs(frame, empty, empty, filters)
            result = analyze_perception(study, narrowed, wave=wave)
            staff = (narrowed["audience"] == "staff") & (narrowed["wave"] == wave)
            view = f"wave={wave} team={team}"
            for cell in result.gaps.cells:
                if cell.group == "staff" and not cell.suppressed:
                    answered = staff & narrowed[cell.item].notna()
                    yield view, wave, cell.item, _indicator(frame, answered)
            for cell in result.teams.cells if result.teams else []:
                if not cell.suppressed:
                    answered = staff & (narrowed["team"] == cell.group)
                    answered &= narrowed[cell.item].notna()
                    yield view, wave, cell.item, _indicator(frame, answered)


def _indicator(frame: pd.DataFrame, rows: pd.Series) -> np.ndarray:
    return frame.index.isin(rows[rows].index).astype(float)


def _recovered(study: StudyDefinition, frame: pd.DataFrame) -> list[str]:
    """The withheld teams whose answers the published aggregates give back."""
    k = study.anonymity_threshold
    equations: dict[tuple[str, str], list[np.ndarray]] = {}
    for _, wave, item, vector in _published(study, frame):
        equations.setdefault((wave, item), []).append(vector)
    counted = counted_rows(frame)
    found = []
    for (wave, item), vectors in equations.items():
        rows = np.array(vectors)
        staff = (frame["audience"] == "staff") & (frame["wave"] == wave) & frame[item].notna()
        for team, members in frame[staff].groupby("team").groups.items():
            if counted[frame.index.isin(members)].sum() >= k:
                continue  # not a withheld team
            target = frame.index.isin(members).astype(float)
            x, *_ = np.linalg.lstsq(rows.T, target, rcond=None)
            if np.allclose(rows.T @ x, target, atol=1e-9):
                found.append(f"{team} in {wave} on {item}")
    return found


def test_no_view_of_the_demo_gives_back_a_withheld_team(demo_db_url: str) -> None:
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        study, frame = load_study(db, "demo"), load_frame(db, "demo")
    billing = frame[(frame["audience"] == "staff") & (frame["team"] == "billing")]
    assert 0 < billing.groupby("wave").size().max() < study.anonymity_threshold
    assert _recovered(study, frame) == []


def _hard_study() -> tuple[StudyDefinition, pd.DataFrame]:
    """Teams of 4, 5 and 6 and two staff in no team in w1; in w2 one person
    has moved from billing to sales, so billing has 3 and sales 6, and no
    staff member is without a team."""
    base = default_study("hard", organisation="Hard Ltd")
    study = base.model_copy(update={"waves": [*base.waves, Wave(key="w2", label="Wave 2")]})
    rng = np.random.default_rng(11)
    scales = {
        q.key: (q.scale_min, q.scale_max)
        for q in study.questions
        if q.kind in ("rating", "nps", "share")
    }
    rows: list[dict[str, Any]] = []

    def add(rid: str, audience: str, wave: str, team: str | None) -> None:
        row: dict[str, Any] = {"respondent_id": rid, "audience": audience, "wave": wave}
        row.update(team=team, segment="top" if audience == "customer" else None)
        row.update(source="individual", account_id=None)
        row.update({k: float(rng.integers(lo, hi + 1)) for k, (lo, hi) in scales.items()})
        rows.append(row)

    for wave, sizes in (("w1", (4, 5, 6)), ("w2", (3, 6, 6))):
        for team, size in zip(("billing", "sales", "support"), sizes, strict=True):
            for i in range(size):
                # the mover: billing's b3 in w1 answers for sales in w2
                rid = "bi3" if (wave, team, i) == ("w2", "sales", 5) else f"{team[:2]}{i}"
                add(rid, "staff", wave, team)
        if wave == "w1":  # two staff in no team, who hide billing among them in w1 only
            add("x1", "staff", wave, None)
            add("x2", "staff", wave, None)
        for i in range(8):
            add(f"l{i}", "leadership", wave, None)
        for i in range(30):
            add(f"c{i}", "customer", wave, None)
    return study, pd.DataFrame(rows)


def test_no_view_of_a_study_made_to_be_hard_gives_back_a_withheld_team() -> None:
    study, frame = _hard_study()
    assert _recovered(study, frame) == []


def test_the_attack_recovers_the_teams_when_only_primary_suppression_is_applied(
    monkeypatch: pytest.MonkeyPatch, demo_db_url: str
) -> None:
    """The attack is real: without complements it gives back the demo's
    billing team (3 people) on all 12 items of both waves, as a hostile viewer
    did, and billing (3) in w2 of the hard study."""
    import cxgap.analysis.perception.gaps as gaps

    real = gaps.gap_matrix

    def primary_only(*args: Any, **kwargs: Any) -> Any:
        kwargs.update(complementary=False, withheld=())
        return real(*args, **kwargs)

    monkeypatch.setattr("cxgap.analysis.perception.assembly.gap_matrix", primary_only)
    monkeypatch.setattr("cxgap.service.overview.team_withholding", lambda *a: {})
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        study, frame = load_study(db, "demo"), load_frame(db, "demo")
    found = _recovered(study, frame)
    assert len(found) == 24
    assert all(f.startswith("billing in w") for f in found)
    study, frame = _hard_study()
    assert any(f.startswith("billing in w2") for f in _recovered(study, frame))


def test_a_team_withheld_as_a_complement_cannot_be_filtered_to() -> None:
    study, frame = _hard_study()
    # w1: the staff total minus sales and support leaves billing (4) and the
    # two staff in no team: 6 hidden together, so sales and support show.
    # w2: it would leave billing's 3 alone, so sales (6, first of the two
    # smallest) is withheld with it, and cannot be asked for on its own.
    with pytest.raises(CxgapError, match="fewer than 5"):
        check_team_filter(frame, "billing", study.anonymity_threshold)
    with pytest.raises(CxgapError, match="in wave w2 so that a smaller team cannot be worked out"):
        check_team_filter(frame, "sales", study.anonymity_threshold)
    check_team_filter(frame, "support", study.anonymity_threshold)


def test_padding_a_team_through_its_open_link_does_not_unlock_it(tmp_path: Path) -> None:
    """Two dummy answers through billing's open link lift it to n = 5; it stays
    withheld, in the analysis and as a filter."""
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'pad.db'}")
    with Database.open(settings) as db:
        from cxgap.store.migrate import upgrade

        upgrade(db)
        save_study(db, default_study("pad", organisation="Pad Ltd"))
        study = load_study(db, "pad")
        link = create_anonymous_link(db, "pad", wave="w1", team="billing")
        with TestClient(create_app(settings, database=db)) as client:
            survey = client.get(f"/api/v1/surveys/{link.token}").json()
            answers = {
                q["key"]: q["scale_max"]
                for s in survey["sections"]
                for q in s["questions"]
                if q["kind"] == "rating"
            }
            # three people of the team and two dummies: five answers through the link
            for _ in range(5):
                draft = client.post(f"/api/v1/surveys/{link.token}/drafts").json()["draft"]
                r = client.post(
                    f"/api/v1/surveys/{link.token}/submit",
                    json={"answers": answers, "draft": draft},
                )
                assert r.status_code == 200, r.text
        frame = load_frame(db, "pad")
    assert set(frame["source"]) == {OPEN_LINK}
    assert len(frame) == 5
    result = analyze_perception(study, frame, wave="w1")
    assert result.teams is not None
    assert all(c.suppressed for c in result.teams.cells if c.group == "billing")
    with pytest.raises(CxgapError, match="fewer than 5"):
        check_team_filter(frame, "billing", study.anonymity_threshold)
