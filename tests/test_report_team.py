"""Team briefings: what customers expect of a touchpoint, its scores, quotes
and actions; a team below the anonymity threshold keeps its customers' view
but never shows its own answers."""

from __future__ import annotations

import html5lib
import pytest

from cxgap.demo.install import install_demo
from cxgap.errors import NotFoundError
from cxgap.report import load_report_data
from cxgap.report.data import ReportData
from cxgap.report.team import render_team_html, team_briefing
from cxgap.settings import Settings
from cxgap.store.db import Database


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    url = f"sqlite:///{tmp_path_factory.mktemp('team') / 'demo.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        install_demo(db, seed=7)
        return load_report_data(db, "demo", bootstrap=0, max_timelines=0)


def test_briefing_shows_the_touchpoint_as_the_analysis_rates_it(data: ReportData) -> None:
    b = team_briefing(data, "support")
    cells = {c.group: c for c in data.analysis.gaps.cells if c.item == "tp.support"}
    assert {c.group: c.mean for c in b.ratings} == {g: c.mean for g, c in cells.items()}
    assert not b.team_suppressed
    assert {c.item for c in b.team_view} == set(data.analysis.gaps.items)
    assert all(x.touchpoint == "support" for x in b.candidates)
    assert [p.title for p in b.plan] == [
        p.title
        for p in data.analysis.actions.plan
        if p.touchpoint == "support"  # type: ignore[union-attr]
    ]
    assert b.hot_spots and all(h.touchpoint == "support" for h in b.hot_spots)
    page = render_team_html(data, "support")
    html5lib.HTMLParser(strict=True).parse(page)
    customer = cells["customer"]
    assert f'data-key="team.rating.customer" data-value="{round(customer.mean, 2)!r}"' in page


def test_small_team_briefing_withholds_the_teams_own_answers(data: ReportData) -> None:
    b = team_briefing(data, "billing")
    assert b.team_suppressed
    assert b.team_suppressed_reason and "anonymity" in b.team_suppressed_reason
    assert b.team_view == []
    assert all(q.team != "billing" for q in b.staff_quotes)
    page = render_team_html(data, "billing")
    assert "The team's own answers are withheld" in page
    assert "I work in billing" not in page
    # customers' view of billing is still there
    assert 'data-key="team.rating.customer"' in page


def test_unknown_team_is_refused_with_the_list_of_teams(data: ReportData) -> None:
    with pytest.raises(NotFoundError, match="teams: sales, implementation"):
        team_briefing(data, "marketing")
