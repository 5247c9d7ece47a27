"""``POST /api/v1/events``: interaction events from live feeds (CRM, help desk).

A batch of events is validated exactly as ``cxgap import events`` validates a
file (:func:`cxgap.ingest.events.parse_events`), stored in one transaction,
and idempotent by (account, ``source_id``): sending the same batch twice adds
nothing. Callers authenticate with an API token (``Authorization: Bearer
cxg_...``) of a user who is an owner or analyst of the study's organisation;
a study of another organisation is answered 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Header, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from cxgap.errors import NotFoundError
from cxgap.ingest.events import parse_events, vocabulary
from cxgap.store.accounts import load_accounts, write_events
from cxgap.store.api_tokens import user_for_token
from cxgap.store.studies import load_study, organisation_of, study_id
from cxgap.web._errors import error_responses
from cxgap.web.deps import DbDep

router = APIRouter(prefix="/api/v1", tags=["events"])

MAX_EVENTS = 10_000
#: The path of the batch route (its body may be larger: ``max_batch_bytes``).
EVENTS_PATH = "/api/v1/events"


class EventIn(BaseModel):
    """One interaction with an account."""

    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(min_length=1, max_length=200)
    timestamp: str = Field(
        min_length=1, max_length=40, description="ISO 8601 date or date-time (UTC)"
    )
    touchpoint: str = Field(min_length=1, max_length=100)
    moment: str = Field(min_length=1, max_length=100)
    outcome: str = Field(
        min_length=1, max_length=40, description="exceeded, met or failed (or a mapped word)"
    )
    severity: int | None = Field(
        default=None, ge=-1_000_000, le=1_000_000, description="1-3, for failures"
    )
    source_id: str = Field(
        min_length=1,
        max_length=200,
        description="the event's id in its source system (idempotency key)",
    )
    source_system: str | None = Field(default=None, max_length=100)
    cost: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    note: str | None = Field(default=None, max_length=5000)


class EventBatch(BaseModel):
    """A batch of events for one study."""

    model_config = ConfigDict(extra="forbid")

    study: str = Field(min_length=1, max_length=100)
    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class EventsStored(BaseModel):
    """What the batch added."""

    study: str
    received: int
    inserted: int
    duplicates: int


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return authorization[7:].strip()


@router.post(
    "/events",
    status_code=status.HTTP_201_CREATED,
    response_model=EventsStored,
    responses=error_responses(400, 401, 403, 404, 413, 422, 503),
)
def post_events(
    batch: EventBatch,
    db: DbDep,
    authorization: Annotated[str | None, Header()] = None,
) -> EventsStored:
    """Store a batch of interaction events (all of them, or none)."""
    user = user_for_token(db, _bearer(authorization))
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or revoked API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with db.connect() as conn:
        try:
            org = organisation_of(conn, study_id(conn, batch.study))
        except NotFoundError:
            org = None
    if org is None or user.role_in(org) is None:
        raise NotFoundError(f"no study {batch.study!r}")
    if not user.can_edit(org):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "viewers cannot add events")
    study = load_study(db, batch.study)
    raw = pd.DataFrame(
        [
            {k: (None if v is None else str(v)) for k, v in e.model_dump().items()}
            for e in batch.events
        ]
    )
    raw.attrs["source"] = "events"
    raw.attrs["first_data_row"] = 0  # problems name the index in the events array
    events = parse_events(
        raw,
        moments=vocabulary((m.key, m.label) for m in study.moments),
        touchpoints=vocabulary((t.key, t.label) for t in study.touchpoints),
        accounts=set(load_accounts(db, batch.study)["account_id"]),
    )
    for col in events.columns:
        if events[col].dtype == object:
            events[col] = events[col].where(events[col].notna(), None)
    inserted = write_events(db, batch.study, events, file="events")
    return EventsStored(
        study=batch.study,
        received=len(batch.events),
        inserted=inserted,
        duplicates=len(batch.events) - inserted,
    )
