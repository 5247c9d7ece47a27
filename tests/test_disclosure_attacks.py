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
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cxgap.analysis.perception.assembly import analyze_perception
from cxgap.contracts.disclosure import OPEN_LINK, counted_rows, group_withholding
from cxgap.errors import AnalysisError, CxgapError
from cxgap.service.overview import Filters, check_team_filter, narrowed_view
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.invitations import create_anonymous_link
from cxgap.store.studies import load_study, save_study
from cxgap.study.defaults import default_study
from cxgap.study.model import Attribute, StudyDefinition, Wave
from cxgap.web import create_app


def _attribute_filters(study: StudyDefinition) -> list[tuple[tuple[str, str], ...]]:
    """No attribute filter, then each value of each attribute."""
    return [(), *(((a.key, v),) for a in study.attributes for v in a.values)]


def _views(
    study: StudyDefinition, frame: pd.DataFrame, *, teams: bool = True, segments: bool = False
) -> Iterator[tuple[str, str, pd.DataFrame, Any]]:
    """(view, wave, narrowed frame, perception analysis) of every view of the
    overview the service accepts: every wave, crossed with every team filter
    (``teams``), every attribute filter and every segment filter
    (``segments``), alone and together; a refused view shows nothing."""
    team_keys = [None, *(t.key for t in study.touchpoints)] if teams else [None]
    segment_keys = [None, *(s.key for s in study.segments)] if segments else [None]
    empty = pd.DataFrame({"account_id": [], "segment": [], "touchpoint": []})
    for wave in study.wave_keys():
        for team in team_keys:
            for segment in segment_keys:
                for attributes in _attribute_filters(study):
                    filters = Filters(wave=wave, team=team, segment=segment, attributes=attributes)
                    try:
                        shown, narrowed, _, _ = narrowed_view(study, frame, empty, empty, filters)
                    except CxgapError:
                        continue  # refused: nothing shown
                    try:
                        result = analyze_perception(shown, narrowed, wave=wave)
                    except AnalysisError:
                        continue  # nobody in this view: the page says so, and shows nothing
                    yield filters.query() or "all", wave, narrowed, result


def _published(
    study: StudyDefinition, frame: pd.DataFrame
) -> Iterator[tuple[str, str, str, np.ndarray]]:
    """(view, wave, item, indicator over ``frame``'s rows) of every staff
    aggregate the overview shows, over every wave, team and attribute filter
    it accepts."""
    for view, wave, narrowed, result in _views(study, frame):
        staff = (narrowed["audience"] == "staff") & (narrowed["wave"] == wave)
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


def _published_customers(
    study: StudyDefinition, frame: pd.DataFrame
) -> Iterator[tuple[str, str, str, np.ndarray]]:
    """(view, wave, item, indicator) of every customer aggregate the overview
    shows (the customers' cell, each segment's, each shown level of each
    attribute), over every wave, segment and attribute filter it accepts."""
    for view, wave, narrowed, result in _views(study, frame, teams=False, segments=True):
        customers = (narrowed["audience"] == "customer") & (narrowed["wave"] == wave)
        for cell in result.gaps.cells:
            if cell.group == "customer" and not cell.suppressed:
                answered = customers & narrowed[cell.item].notna()
                yield view, wave, cell.item, _indicator(frame, answered)
        for cell in result.segments.gaps.cells if result.segments else []:
            answered = customers & (narrowed["segment"] == cell.group)
            yield view, wave, cell.item, _indicator(frame, answered & narrowed[cell.item].notna())
        for breakdown in result.attributes:
            for cell in breakdown.gaps.cells:
                if not cell.suppressed:
                    answered = customers & (narrowed[breakdown.column] == cell.group)
                    answered &= narrowed[cell.item].notna()
                    yield view, wave, cell.item, _indicator(frame, answered)


def _recovered_levels(study: StudyDefinition, frame: pd.DataFrame) -> list[str]:
    """The attribute levels withheld from a wave's breakdown (fewer than the
    threshold of customers, or complements) whose answers the published
    customer aggregates give back."""
    equations: dict[tuple[str, str], list[np.ndarray]] = {}
    for _, wave, item, vector in _published_customers(study, frame):
        equations.setdefault((wave, item), []).append(vector)
    found = []
    for (wave, item), vectors in equations.items():
        rows = np.array(vectors)
        customers = frame[(frame["audience"] == "customer") & (frame["wave"] == wave)]
        for a in study.attributes:
            column = f"attr.{a.key}"
            withheld = group_withholding(customers, column, study.anonymity_threshold)
            for level in withheld:
                members = customers.index[(customers[column] == level) & customers[item].notna()]
                target = frame.index.isin(members).astype(float)
                if not target.any():
                    continue
                x, *_ = np.linalg.lstsq(rows.T, target, rcond=None)
                if np.allclose(rows.T @ x, target, atol=1e-9):
                    found.append(f"{a.key}={level} in {wave} on {item}")
    return found


def _with_attributes(
    study: StudyDefinition,
    frame: pd.DataFrame,
    seed: int,
    only: str | None = None,
    trial: tuple[str, ...] = (),
) -> tuple[StudyDefinition, pd.DataFrame]:
    """The study with a plan (three levels, one small) and a region (two
    levels) that every respondent carries, staff and leadership too, drawn
    at random per respondent (the ``trial`` respondents on the Trial plan):
    levels cut across teams and segments."""
    plan = Attribute(key="plan", label="Plan", values=["Gold", "Basic", "Trial"])
    region = Attribute(key="region", label="Region", values=["North", "South"])
    rng = np.random.default_rng(seed)
    people = pd.unique(frame["respondent_id"])
    plans = dict(
        zip(
            people,
            rng.choice(["Gold", "Basic", "Trial"], len(people), p=[0.58, 0.4, 0.02]).tolist(),
            strict=True,
        )
    )
    plans.update(dict.fromkeys(trial, "Trial"))
    regions = dict(zip(people, rng.choice(["North", "South"], len(people)).tolist(), strict=True))
    out = frame.assign(
        **{
            "attr.plan": frame["respondent_id"].map(plans).astype(object),
            "attr.region": frame["respondent_id"].map(regions).astype(object),
        }
    )
    attributes = [a for a in (plan, region) if only in (None, a.key)]
    return study.model_copy(update={"attributes": attributes}), out


def test_no_view_of_the_demo_gives_back_a_withheld_team(demo_db_url: str) -> None:
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        study, frame = load_study(db, "demo"), load_frame(db, "demo")
    billing = frame[(frame["audience"] == "staff") & (frame["team"] == "billing")]
    assert 0 < billing.groupby("wave").size().max() < study.anonymity_threshold
    assert _recovered(study, frame) == []


def test_attribute_filters_crossed_with_teams_give_back_no_withheld_team(
    demo_db_url: str,
) -> None:
    """Every staff member carries a plan and a region; every wave x team x
    attribute view of the demo (by region) and of the hard study (by plan and
    region) is played."""
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        demo, answers = load_study(db, "demo"), load_frame(db, "demo")
    study, frame = _with_attributes(demo, answers, seed=3, only="region")
    staff = frame[frame["audience"] == "staff"]
    assert staff["attr.plan"].notna().all() and staff["attr.region"].nunique() == 2
    assert _recovered(study, frame) == []
    study, frame = _with_attributes(*_hard_study(), seed=4)
    assert _recovered(study, frame) == []


def test_no_view_gives_back_a_withheld_level_of_an_attribute(demo_db_url: str) -> None:
    """The customers' Trial plan (a handful per wave) is withheld from the
    breakdown, with a complement; no wave x segment x attribute view of the
    demo or of the hard study gives it back."""
    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        study, frame = _with_attributes(load_study(db, "demo"), load_frame(db, "demo"), seed=3)
    customers = frame[frame["audience"] == "customer"]
    trial = customers[customers["attr.plan"] == "Trial"].groupby("wave").size()
    assert 0 < trial.max() < study.anonymity_threshold
    assert _recovered_levels(study, frame) == []
    study, frame = _with_attributes(*_hard_study(), seed=4, trial=("c0", "c1", "c2"))
    customers = frame[(frame["audience"] == "customer") & (frame["wave"] == "w1")]
    assert group_withholding(customers, "attr.plan", 5) == {
        "Trial": "primary",
        "Basic": "secondary",
    }
    assert _recovered_levels(study, frame) == []


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


def test_the_attacks_on_attributes_are_real_without_their_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were an attribute filter to narrow staff too, the view of the south
    would give back billing in the hard study (the south's staff minus
    support, whose southern cell is withheld there as a complement but is
    the whole of support, shown unfiltered); were a withheld level
    open to a filter, or broken down inside a filtered view, the Trial plan
    would come back."""
    import cxgap.service.overview as overview

    real_filter = overview.filter_inputs

    def narrowing_staff_too(
        frame: pd.DataFrame, accounts: pd.DataFrame, events: pd.DataFrame, filters: Filters
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        for key, value in filters.attributes:
            frame = frame[frame[f"attr.{key}"] == value]
        return real_filter(frame, accounts, events, replace(filters, attributes=()))

    study, frame = _with_attributes(*_hard_study(), seed=4, only="region")
    # billing and support in the south; sales and the two staff in no team in the north
    staff = frame["audience"] == "staff"
    south = frame["team"].isin(["billing", "support"])
    frame.loc[staff, "attr.region"] = np.where(south[staff], "South", "North")
    assert _recovered(study, frame) == []  # as it is: staff are not narrowed
    with monkeypatch.context() as patch:
        patch.setattr(overview, "filter_inputs", narrowing_staff_too)
        found = _recovered(study, frame)
    assert any(f.startswith("billing in w") for f in found), found

    study, frame = _with_attributes(*_hard_study(), seed=4, trial=("c0", "c1", "c2"))
    with monkeypatch.context() as patch:
        patch.setattr(overview, "check_attribute_filters", lambda *a: None)
        found = _recovered_levels(study, frame)
    assert any(f.startswith("plan=Trial in w1") for f in found), found
