"""Team briefings: one page per touchpoint team to share with that team.

What customers expect (the factors' importance and how customers rate the
team), the team's scores (customers', leadership's and staff's ratings of the
touchpoint; the team's own view of each factor), its hot spots, its quotes and
its actions. The numbers are those of the study analysis; nothing is
recomputed. A team with fewer respondents than the anonymity threshold keeps
its briefing (customers' view of the touchpoint is not about the team's
members) but its own answers and its staff quotes are withheld, saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxgap.analysis._base import Result
from cxgap.errors import NotFoundError
from cxgap.report.data import ReportData

__all__ = ["TeamBriefing", "render_team_html", "team_briefing", "write_team"]


class TeamBriefing(Result):
    """What one team needs to know (references into the analysis)."""

    team: str
    label: str
    wave: str
    anonymity_threshold: int
    team_suppressed: bool
    team_suppressed_reason: str | None
    ratings: list[Any]
    team_view: list[Any]
    expectations: list[Any]
    defection: Any | None
    hot_spots: list[Any]
    touchpoint: Any | None
    candidates: list[Any]
    plan: list[Any]
    customer_quotes: list[Any]
    staff_quotes: list[Any]


def team_briefing(data: ReportData, team: str) -> TeamBriefing:
    """Gather one team's briefing from a report's data.

    Parameters
    ----------
    data : ReportData
        The report's data.
    team : str
        A touchpoint key of the study.

    Returns
    -------
    TeamBriefing

    Raises
    ------
    NotFoundError
        When ``team`` is not a touchpoint of the study.
    """
    a, study = data.analysis, data.study
    keys = [t.key for t in study.touchpoints]
    if team not in keys:
        raise NotFoundError(f"no team {team!r} in study {study.slug!r} (teams: {', '.join(keys)})")
    label = data.labels.get(team, team)
    item = f"tp.{team}"
    ratings = [c for c in a.gaps.cells if c.item == item]
    team_cells = [c for c in a.teams.cells if c.group == team] if a.teams else []
    suppressed = any(c.suppressed for c in team_cells) or not team_cells
    reason = next((c.reason for c in team_cells if c.suppressed), None)
    if not team_cells:
        reason = "no staff answers from this team"
    expectations = list(a.priorities.factors) if a.priorities else []
    defection = None
    if a.defection_risks is not None:
        defection = next((x for x in a.defection_risks.defected.touchpoints if x.key == team), None)
    hot = [h for h in a.hot_spots or [] if h.touchpoint == team]
    tp = None
    if a.consistency is not None:
        tp = next((t for t in a.consistency.touchpoints if t.touchpoint == team), None)
    candidates = (
        [x for x in a.actions.candidates.actions if x.touchpoint == team] if a.actions else []
    )
    plan = [p for p in a.actions.plan if p.touchpoint == team] if a.actions else []
    seen: set[str] = set()
    customer_quotes, staff_quotes = [], []
    for x in candidates:
        for q in x.evidence.customer_quotes:
            if q.text not in seen:
                seen.add(q.text)
                customer_quotes.append(q)
        for q in x.evidence.staff_quotes:
            if q.text not in seen and not (suppressed and q.team == team):
                seen.add(q.text)
                staff_quotes.append(q)
    return TeamBriefing(
        team=team,
        label=label,
        wave=a.wave,
        anonymity_threshold=a.study.anonymity_threshold,
        team_suppressed=suppressed,
        team_suppressed_reason=reason,
        ratings=ratings,
        team_view=[] if suppressed else team_cells,
        expectations=expectations,
        defection=defection,
        hot_spots=hot,
        touchpoint=tp,
        candidates=candidates[:5],
        plan=plan,
        customer_quotes=customer_quotes[:6],
        staff_quotes=staff_quotes[:6],
    )


def render_team_html(data: ReportData, team: str) -> str:
    """One team's briefing as a self-contained HTML page."""
    from cxgap.report.html import render_template

    b = team_briefing(data, team)
    labels = data.labels

    def label(key: str | None) -> str:
        return "–" if key is None else labels.get(key, key)

    return render_template(
        "team.html.j2",
        {
            "b": b,
            "a": data.analysis,
            "label": label,
            "generated": data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        },
    )


def write_team(data: ReportData, team: str, path: Path) -> Path:
    """Write one team's briefing as ``.html`` or ``.pdf``."""
    html = render_team_html(data, team)
    if path.suffix.lower() == ".pdf":
        from cxgap.report.pdf import write_pdf

        return write_pdf(html, path)
    path.write_text(html, encoding="utf-8")
    return path
