"""The columns of the tidy records that ingest, store, demo and analysis pass
each other. A field added here reaches every reader and writer of the record.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_REQUIRED",
    "INTERVIEW_COLUMNS",
    "OUTCOMES",
]

#: One interaction with an account: a deposit or a withdrawal of its ledger.
EVENT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "timestamp",
    "touchpoint",
    "moment",
    "outcome",
    "severity",
    "source_id",
    "source_system",
    "cost",
    "note",
)
#: The event columns every source must give; the others may be empty.
EVENT_REQUIRED: tuple[str, ...] = ("account_id", "timestamp", "touchpoint", "moment", "outcome")
#: An event's outcome against the moment that matters, best first.
OUTCOMES: tuple[str, ...] = ("exceeded", "met", "failed")

#: One customer account of an organisation.
ACCOUNT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "name",
    "segment",
    "annual_revenue",
    "owner",
    "acquired_at",
    "defected_at",
)

#: One discovery-interview note.
INTERVIEW_COLUMNS: tuple[str, ...] = (
    "account_id",
    "segment",
    "date",
    "interviewer",
    "text",
    "tags",
)
