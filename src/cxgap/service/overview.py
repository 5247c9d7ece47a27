"""The dashboard overview's filters: what a filtered view narrows, and which
filters are refused to protect anonymity.

Filters narrow the *input* and then run the same analysis, which suppresses
small staff groups itself: a filter can never reveal a suppressed group.

- ``segment``: customers of that segment only (leadership and staff kept);
  accounts and interaction events of that segment only.
- ``team``: leadership and staff of that team only (customers kept).
- ``touchpoint``: interaction events at that touchpoint only (ledger, hot spots).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from cxgap.analysis.study import StudyAnalysis, analyze_study
from cxgap.contracts.disclosure import counted_rows, team_withholding
from cxgap.errors import CxgapError
from cxgap.service.studies import StudyInputs, load_inputs
from cxgap.store.db import Database

__all__ = ["Filters", "check_team_filter", "filter_inputs", "filtered_analysis"]


@dataclass(frozen=True)
class Filters:
    """What the overview is narrowed to (``None``: everything)."""

    wave: str | None = None
    segment: str | None = None
    team: str | None = None
    touchpoint: str | None = None

    def query(self) -> str:
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v]
        return "&".join(parts)


def filter_inputs(
    frame: pd.DataFrame,
    accounts: pd.DataFrame,
    events: pd.DataFrame,
    filters: Filters,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Narrow the answers, accounts and events to ``filters``.

    Examples
    --------
    >>> frame = pd.DataFrame({"audience": ["customer", "customer", "staff", "staff"],
    ...                       "segment": ["top", "new", None, None],
    ...                       "team": [None, None, "support", "sales"]})
    >>> empty = pd.DataFrame({"account_id": [], "segment": [], "touchpoint": []})
    >>> out, _, _ = filter_inputs(frame, empty, empty, Filters(segment="top", team="sales"))
    >>> list(zip(out["audience"], out["segment"].fillna("-"), out["team"].fillna("-")))
    [('customer', 'top', '-'), ('staff', '-', 'sales')]
    """
    if filters.segment:
        customer = frame["audience"] == "customer"
        frame = frame[~customer | (frame["segment"] == filters.segment)]
        if "segment" in accounts.columns:
            accounts = accounts[accounts["segment"] == filters.segment]
            events = events[events["account_id"].isin(set(accounts["account_id"]))]
    if filters.team:
        customer = frame["audience"] == "customer"
        frame = frame[customer | (frame["team"] == filters.team)]
    if filters.touchpoint and "touchpoint" in events.columns:
        events = events[events["touchpoint"] == filters.touchpoint]
    return frame, accounts, events


def check_team_filter(frame: pd.DataFrame, team: str, threshold: int) -> None:
    """Refuse a team filter that would show a small group's size.

    Suppressed cells hide a small team's answers, but a filtered page would
    still print the number of staff respondents; so a team with fewer than
    ``threshold`` counted staff or leadership answers in any wave is not shown
    at all, nor a team withheld as a complement (its own figures, set against
    the totals, would give the smaller team back). Answers through an open
    link do not count (:func:`~cxgap.contracts.disclosure.counted_rows`).
    """
    internal = frame[frame["audience"] != "customer"]
    mine = internal[internal["team"] == team]
    counted = mine[counted_rows(mine)]
    for wave in pd.unique(mine["wave"]):
        n = int((counted["wave"] == wave).sum())
        if n < threshold:
            raise CxgapError(
                f"team {team!r} has fewer than {threshold} staff and leadership answers in "
                f"wave {wave}: not shown on its own, to protect their anonymity"
            )
        staff = internal[(internal["wave"] == wave) & (internal["audience"] == "staff")]
        if team_withholding(staff, threshold).get(team) == "secondary":
            raise CxgapError(
                f"team {team!r} is withheld in wave {wave} so that a smaller team cannot be "
                "worked out from the totals: not shown on its own, to protect their anonymity"
            )


def filtered_analysis(
    db: Database, slug: str, filters: Filters, *, bootstrap: int
) -> tuple[StudyInputs, StudyAnalysis]:
    """The inputs of study ``slug`` narrowed to ``filters``, and their whole
    analysis (a refused team filter raises before anything is analysed)."""
    inputs = load_inputs(db, slug)
    if filters.team:
        check_team_filter(inputs.frame, filters.team, inputs.study.anonymity_threshold)
    frame, accounts, events = filter_inputs(inputs.frame, inputs.accounts, inputs.events, filters)
    narrowed = replace(inputs, frame=frame, accounts=accounts, events=events)
    analysis = analyze_study(
        inputs.study,
        frame,
        wave=filters.wave,
        accounts=accounts,
        events=events if len(events) else None,
        interviews=inputs.interviews,
        actions=inputs.actions,
        bootstrap=bootstrap,
    )
    return narrowed, analysis
