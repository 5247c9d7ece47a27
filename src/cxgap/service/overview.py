"""The dashboard overview's filters: what a filtered view narrows, and which
filters are refused to protect anonymity.

Filters narrow the *input* and then run the same analysis, which suppresses
small staff groups itself: a filter can never reveal a suppressed group.

- ``segment``: customers of that segment only (leadership and staff kept);
  accounts and interaction events of that segment only.
- ``team``: leadership and staff of that team only (customers kept).
- ``touchpoint``: interaction events at that touchpoint only (ledger, hot spots).
- ``attributes``: customers with that value of each attribute named
  (``attr.<key>=<value>``), leadership and staff kept whole; accounts and
  events are kept (an attribute belongs to a response, not to an account).

An attribute filter narrows customers only, as a segment filter does. Were
it to narrow staff too, each filtered view would publish the staff of every
team with that value, a new table linked to the unfiltered one by its
margins: the unfiltered team minus the filtered team gives back the team's
members without the value, and views of two levels, or of two attributes
crossed, would give back ever smaller groups, which suppression within each
view cannot see (the problem of linked tables, Hundepool, A. et al. (2012).
*Statistical Disclosure Control*. Wiley, section 4.4). Keeping staff and
leadership whole under every attribute filter publishes no new staff
aggregate at all, so no combination of attribute, team and wave views can
difference a withheld team out (``tests/test_disclosure_attacks.py``).

Customers broken down by an attribute are published under the same
threshold (:mod:`cxgap.analysis.perception.attributes`), so the filters keep
that breakdown's suppressed levels suppressed: a level withheld in any wave
cannot be filtered to (:func:`check_attribute_filters`); one customer filter
at a time (a segment or one attribute), so no view crosses a segment with a
level, or two attributes, whose difference from the published margins
would give a withheld level back; and a view narrowed to customers of a
segment or a level shows no attribute breakdown of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from cxgap.analysis.study import StudyAnalysis, analyze_study
from cxgap.contracts.disclosure import counted_rows, group_withholding, team_withholding
from cxgap.errors import CxgapError
from cxgap.service.studies import StudyInputs, load_inputs
from cxgap.store.db import Database
from cxgap.study.model import StudyDefinition

__all__ = [
    "Filters",
    "check_attribute_filters",
    "check_team_filter",
    "filter_inputs",
    "filtered_analysis",
    "narrowed_view",
    "narrows_customers",
]


@dataclass(frozen=True)
class Filters:
    """What the overview is narrowed to (``None``: everything)."""

    wave: str | None = None
    segment: str | None = None
    team: str | None = None
    touchpoint: str | None = None
    attributes: tuple[tuple[str, str], ...] = field(default=())

    def query(self) -> str:
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v and k != "attributes"]
        parts += [f"attr.{k}={v}" for k, v in self.attributes]
        return "&".join(parts)

    def attribute(self, key: str) -> str | None:
        """The value attribute ``key`` is narrowed to, if any."""
        return dict(self.attributes).get(key)


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

    An attribute filter keeps leadership and staff whole, whatever their value:

    >>> frame["attr.plan"] = ["Gold", "Basic", "Basic", None]
    >>> out, _, _ = filter_inputs(frame, empty, empty, Filters(attributes=(("plan", "Basic"),)))
    >>> list(zip(out["audience"], out["attr.plan"].fillna("-")))
    [('customer', 'Basic'), ('staff', 'Basic'), ('staff', '-')]
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
    for key, value in filters.attributes:
        column = f"attr.{key}"
        customer = frame["audience"] == "customer"
        mine = frame[column] == value if column in frame.columns else False
        frame = frame[~customer | mine]
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


def narrows_customers(filters: Filters) -> bool:
    """Whether ``filters`` narrow the customers (a segment or an attribute)."""
    return bool(filters.segment or filters.attributes)


def check_attribute_filters(frame: pd.DataFrame, study: StudyDefinition, filters: Filters) -> None:
    """Refuse attribute filters that would show what the attribute breakdown
    withholds.

    One customer filter at a time: a segment or one attribute. A level
    withheld from the breakdown of its attribute in any wave (fewer than the
    threshold of customers, or withheld as a complement,
    :func:`~cxgap.contracts.disclosure.group_withholding`) is not shown on
    its own.
    """
    if not filters.attributes:
        return
    if len(filters.attributes) + bool(filters.segment) > 1:
        raise CxgapError(
            "one customer filter at a time (a segment or one attribute): crossing them "
            "could give back a group too small to show, to protect anonymity"
        )
    threshold = study.anonymity_threshold
    labels = {a.key: a.label for a in study.attributes}
    customers = frame[frame["audience"] == "customer"]
    for key, value in filters.attributes:
        column = f"attr.{key}"
        if column not in customers.columns:
            continue
        for wave in pd.unique(customers["wave"]):
            rows = customers[customers["wave"] == wave]
            found = group_withholding(rows, column, threshold).get(value)
            if found is None:
                continue
            name = f"{labels.get(key, key)} {value!r}"
            if found == "primary":
                raise CxgapError(
                    f"{name} has fewer than {threshold} customers in wave {wave}: "
                    "not shown on its own, to protect their anonymity"
                )
            raise CxgapError(
                f"{name} is withheld in wave {wave} so that a smaller level cannot be worked "
                "out from the totals: not shown on its own, to protect their anonymity"
            )


def narrowed_view(
    study: StudyDefinition,
    frame: pd.DataFrame,
    accounts: pd.DataFrame,
    events: pd.DataFrame,
    filters: Filters,
) -> tuple[StudyDefinition, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What a filtered view analyses: the study (without its attribute
    breakdowns when the view narrows the customers), the answers, accounts
    and events narrowed to ``filters``. A refused filter raises
    :class:`CxgapError` (:func:`check_team_filter`,
    :func:`check_attribute_filters`) before anything is narrowed."""
    if filters.team:
        check_team_filter(frame, filters.team, study.anonymity_threshold)
    check_attribute_filters(frame, study, filters)
    if narrows_customers(filters):  # no breakdown crossed with the filter's group
        study = study.model_copy(update={"attributes": []})
    return (study, *filter_inputs(frame, accounts, events, filters))


def filtered_analysis(
    db: Database, slug: str, filters: Filters, *, bootstrap: int
) -> tuple[StudyInputs, StudyAnalysis]:
    """The inputs of study ``slug`` narrowed to ``filters``, and their whole
    analysis (a refused filter raises before anything is analysed)."""
    inputs = load_inputs(db, slug)
    study, frame, accounts, events = narrowed_view(
        inputs.study, inputs.frame, inputs.accounts, inputs.events, filters
    )
    narrowed = replace(inputs, frame=frame, accounts=accounts, events=events)
    analysis = analyze_study(
        study,
        frame,
        wave=filters.wave,
        accounts=accounts,
        events=events if len(events) else None,
        interviews=inputs.interviews,
        actions=inputs.actions,
        bootstrap=bootstrap,
    )
    return narrowed, analysis
