"""Presets for the help-desk and CRM exports people already have: Zendesk,
Freshdesk and HubSpot tickets, Salesforce cases.

A preset knows the tool's column names (as its CSV export or API writes
them) and turns each ticket into the words of an interaction event, which
:func:`cxgap.ingest.events.parse_events` then checks against the study's
vocabulary like any other file:

=================  ==========================================================
event field        from
=================  ==========================================================
``account_id``     the organisation / company / account column
``timestamp``      when the ticket was solved or closed, else when created
``source_id``      ``<tool>:<ticket id>``
``touchpoint``     ``implementation`` when the ticket's type or pipeline
                   names onboarding or implementation, else ``support``
``moment``         ``implementation`` likewise; ``problem resolution`` for an
                   escalated ticket, a problem / incident / bug / outage, or
                   an urgent, critical or high priority; else
                   ``routine interaction``
``outcome``        the first that applies: escalated (a true escalation
                   flag or the status "Escalated") -> ``escalated``; an SLA
                   column saying breached / violated / missed / overdue ->
                   ``SLA breached``; a bad satisfaction rating ("Bad", or 1-2
                   of 5) -> ``satisfaction bad``; a good one ("Good", or 4-5
                   of 5) on a solved ticket -> ``satisfaction good``; a solved,
                   closed, resolved or completed status -> ``solved``
``note``           the subject
=================  ==========================================================

The outcome words mean what :data:`cxgap.ingest.events.OUTCOME_WORDS` says
(escalated: failed, severity 3; SLA breached and satisfaction bad: failed,
severity 2; satisfaction good: exceeded; solved: met). A ticket with none of
these (new, open, pending, waiting) has no outcome yet: it is left out and
counted, and imported once a later export shows it solved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxgap.contracts.choices import EVENT_PRESETS
from cxgap.errors import InputError, Problem
from cxgap.ingest.events import EventMapping
from cxgap.ingest.mapping import normalise
from cxgap.ingest.tables import file_row

__all__ = ["PRESETS", "Preset", "apply_preset"]


@dataclass(frozen=True)
class Preset:
    """The columns of one tool's export, each as the headers it may carry
    (first found wins; matched by :func:`~cxgap.ingest.mapping.normalise`)."""

    name: str
    tool: str
    ticket_id: tuple[str, ...]
    account: tuple[str, ...]
    created: tuple[str, ...]
    closed: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()
    sla: tuple[str, ...] = ()
    satisfaction: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()


#: The presets, by the name ``--preset`` takes.
PRESETS: dict[str, Preset] = {
    # Zendesk Support: the CSV export of a view or of all tickets ("Id",
    # "Organization", "Solved at", "Satisfaction Score", ...) and the Tickets
    # API's fields (ticket_id/id, organization_id, created_at, status, type).
    "zendesk": Preset(
        name="zendesk",
        tool="Zendesk",
        ticket_id=("Id", "Ticket ID", "ticket_id"),
        account=("Organization", "organization_id", "Organization name", "Requester domain"),
        created=("Created at", "created_at"),
        closed=("Solved at", "solved_at"),
        status=("Status", "status"),
        priority=("Priority", "priority"),
        kind=("Ticket type", "type", "Type"),
        sla=("SLA", "SLA status"),
        satisfaction=("Satisfaction Score", "satisfaction_rating", "Satisfaction"),
        subject=("Subject", "subject"),
    ),
    # Freshdesk: Tickets > Export ("Ticket ID", "Company Name", "Created time",
    # "Resolved time", "Resolution Status": "Within SLA" / "SLA Violated").
    "freshdesk": Preset(
        name="freshdesk",
        tool="Freshdesk",
        ticket_id=("Ticket ID", "Ticket Id"),
        account=("Company Name", "Company", "Company ID"),
        created=("Created time",),
        closed=("Resolved time", "Closed time"),
        status=("Status",),
        priority=("Priority",),
        kind=("Type", "Category"),
        sla=("Resolution Status", "First Response Status"),
        satisfaction=("Satisfaction Rating", "Customer Satisfaction", "Satisfaction survey"),
        subject=("Subject",),
    ),
    # HubSpot: CRM > Tickets > Export ("Ticket ID", "Ticket status",
    # "Pipeline", "Ticket priority", "Create date", "Close date", and the
    # associated company).
    "hubspot": Preset(
        name="hubspot",
        tool="HubSpot",
        ticket_id=("Ticket ID", "Record ID"),
        account=(
            "Associated Company",
            "Associated Company Name",
            "Associated Company Domain",
            "Company name",
            "Associated Company IDs",
        ),
        created=("Create date", "Create Date"),
        closed=("Close date", "Close Date"),
        status=("Ticket status", "Pipeline stage"),
        priority=("Ticket priority", "Priority"),
        kind=("Pipeline", "Category", "Ticket category"),
        satisfaction=("CSAT", "Customer satisfaction"),
        subject=("Ticket name", "Subject"),
    ),
    # Salesforce: Case records as Data Loader or a report export them (API
    # names: CaseNumber, AccountId, IsEscalated, ClosedDate, ...), and the
    # report's labels ("Case Number", "Account Name", "Escalated").
    "salesforce": Preset(
        name="salesforce",
        tool="Salesforce",
        ticket_id=("CaseNumber", "Case Number", "Id"),
        account=("AccountId", "Account ID", "Account Name", "Account.Name"),
        created=("CreatedDate", "Date/Time Opened", "Opened Date"),
        closed=("ClosedDate", "Date/Time Closed", "Closed Date"),
        status=("Status",),
        priority=("Priority",),
        kind=("Type", "Case Type", "Reason", "Case Reason"),
        escalated=("IsEscalated", "Escalated"),
        sla=("MilestoneStatus", "Milestone Status"),
        satisfaction=("CSAT__c", "Satisfaction__c"),
        subject=("Subject",),
    ),
}

_DONE = {"solved", "closed", "resolved", "completed", "done", "closed won"}
_TRUE = {"1", "true", "yes", "y", "x"}
_BREACH = ("breach", "violat", "missed", "overdue")
_URGENT = {"urgent", "critical", "high", "1", "p1", "sev1", "s1"}
_PROBLEM = ("problem", "incident", "bug", "defect", "outage", "fault")
_ONBOARDING = ("onboard", "implement", "go live", "golive")


def _find(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    by_norm = {normalise(c): c for c in frame.columns}
    for name in names:
        col = by_norm.get(normalise(name))
        if col is not None:
            return col
    return None


def _words(frame: pd.DataFrame, col: str | None) -> pd.Series:
    """The column's cells, normalised; empty text where there is none."""
    if col is None:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[col].map(lambda v: normalise(v) if isinstance(v, str) else "")


def _satisfaction(words: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(good, bad) masks of a satisfaction column: the words good/bad
    (Zendesk's "Good"/"Bad", "satisfied"/"unsatisfied"), or a rating of 1-5
    (4-5 good, 1-2 bad)."""
    number = pd.to_numeric(words.where(words != ""), errors="coerce")
    on_scale = number.between(1, 5)
    good = words.str.contains(r"^(?:good|satisfied|very satisfied|happy)\b", regex=True)
    bad = words.str.contains(r"^(?:bad|unsatisfied|dissatisfied|very dissatisfied|unhappy)\b")
    good = good | (on_scale & (number >= 4))
    bad = bad | (on_scale & (number <= 2))
    return good.to_numpy(dtype=bool), bad.to_numpy(dtype=bool)


def apply_preset(
    frame: pd.DataFrame, name: str, *, account: str | None = None
) -> tuple[pd.DataFrame, EventMapping]:
    """The export ``frame`` (all text, as :func:`read_table` gives it) as an
    events table in cxgap's columns, and the mapping that reads it.

    Tickets without an outcome yet are left out; ``result.attrs["open"]``
    counts them, and ``result.attrs["file_rows"]`` keeps every remaining
    row's number in the file, so problems still name the row a user sees.
    ``account`` is the account of every row when the export has no account
    column. Raises :class:`InputError` for an unknown preset, or naming the
    columns the preset looked for and did not find.
    """
    source = str(frame.attrs.get("source", "<events>"))
    preset = PRESETS.get(name)
    if preset is None:
        raise InputError(
            [Problem("--preset", None, None, name, f"one of {', '.join(EVENT_PRESETS)}")]
        )
    have = ", ".join(map(repr, list(frame.columns)[:20]))
    missing = []
    id_col = _find(frame, preset.ticket_id)
    created_col = _find(frame, preset.created)
    account_col = _find(frame, preset.account)
    status_col = _find(frame, preset.status)
    for col, what, names in (
        (id_col, "ticket id", preset.ticket_id),
        (created_col, "creation date", preset.created),
        (status_col, "status", preset.status),
    ):
        if col is None:
            missing.append((what, names, ""))
    if account_col is None and account is None:
        missing.append(
            ("account", preset.account, "; or give every row one account with --account")
        )
    if missing:
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    names[0],
                    None,
                    f"a {preset.tool} {what} column: one of "
                    f"{', '.join(map(repr, names))}{hint} (columns: {have})",
                )
                for what, names, hint in missing
            ]
        )
    closed_col = _find(frame, preset.closed)
    priority_col = _find(frame, preset.priority)
    kind_col = _find(frame, preset.kind)
    escalated_col = _find(frame, preset.escalated)
    sla_col = _find(frame, preset.sla)
    sat_col = _find(frame, preset.satisfaction)
    subject_col = _find(frame, preset.subject)

    status = _words(frame, status_col)
    kind = _words(frame, kind_col)
    priority = _words(frame, priority_col)
    sla = _words(frame, sla_col)
    escalated = (_words(frame, escalated_col).isin(_TRUE) | (status == "escalated")).to_numpy(
        dtype=bool
    )
    breached = sla.map(lambda w: any(b in w for b in _BREACH)).to_numpy(dtype=bool)
    good, bad = _satisfaction(_words(frame, sat_col))
    done = status.isin(_DONE).to_numpy(dtype=bool)

    outcome = np.select(
        [escalated, breached, bad, good & done, done],
        ["escalated", "SLA breached", "satisfaction bad", "satisfaction good", "solved"],
        default="",
    )
    onboarding = kind.map(lambda w: any(o in w for o in _ONBOARDING)).to_numpy(dtype=bool)
    problem = (
        kind.map(lambda w: any(p in w for p in _PROBLEM)).to_numpy(dtype=bool)
        | priority.isin(_URGENT).to_numpy(dtype=bool)
        | escalated
    )
    moment = np.select(
        [onboarding, problem], ["implementation", "problem resolution"], "routine interaction"
    )
    touchpoint = np.where(onboarding, "implementation", "support")

    def text(col: str | None) -> pd.Series:
        if col is None:
            return pd.Series(pd.NA, index=frame.index, dtype=object)
        return frame[col]

    when = text(closed_col)
    when = when.where(when.notna() & (when.astype("string").str.strip() != ""), text(created_col))
    ids = text(id_col).astype("string").str.strip()
    derived_from = ", ".join(c for c in (kind_col, priority_col) if c) or "the preset"
    outcome_from = (
        ", ".join(c for c in (escalated_col, status_col, sla_col, sat_col) if c) or "status"
    )
    columns = {
        "account_id": account_col or "account",
        "timestamp": f"{closed_col} or {created_col}" if closed_col else str(created_col),
        "touchpoint": f"touchpoint (from {kind_col or 'the preset'})",
        "moment": f"moment (from {derived_from})",
        "outcome": f"outcome (from {outcome_from})",
        "source_id": str(id_col),
        "note": subject_col or "note",
    }
    out = pd.DataFrame(
        {
            columns["account_id"]: text(account_col) if account_col else account,
            columns["timestamp"]: when,
            columns["touchpoint"]: touchpoint,
            columns["moment"]: moment,
            columns["outcome"]: outcome,
            columns["source_id"]: (preset.name + ":" + ids).where(ids.notna() & (ids != "")),
            columns["note"]: text(subject_col),
        },
        index=frame.index,
    )
    rows = np.array([file_row(frame, i) for i in range(len(frame))], dtype=int)
    keep = outcome != ""
    out = out.loc[keep].reset_index(drop=True)
    out.attrs.update(frame.attrs)
    out.attrs["file_rows"] = rows[keep].tolist()
    out.attrs["open"] = int((~keep).sum())
    mapping = EventMapping(columns=columns, source_system=preset.tool)
    return out, mapping
