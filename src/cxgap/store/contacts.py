"""Contacts: the people a study will invite, stored as respondents."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.studies import organisation_accounts, organisation_of, study_id

CONTACT_COLUMNS = ["respondent_id", "name", "email", "audience", "segment", "team", "account_id"]


def _none(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v


def write_contacts(db: Database, slug: str, contacts: pd.DataFrame) -> tuple[int, int]:
    """Insert or update the study's respondents by ``respondent_id`` in one
    transaction; return (inserted, updated). ``account_id`` values must name
    stored accounts (unknown ones are stored as no account)."""
    inserted = updated = 0
    with db.begin() as conn:
        sid = study_id(conn, slug)
        org = organisation_of(conn, sid)
        accounts = organisation_accounts(conn, org)
        existing = dict(
            conn.execute(
                select(t.respondent.c.external_id, t.respondent.c.id).where(
                    t.respondent.c.study_id == sid
                )
            ).all()
        )
        new_rows = []
        for r in contacts[CONTACT_COLUMNS].itertuples(index=False):
            values = {
                "audience": r.audience,
                "segment": _none(r.segment),
                "team": _none(r.team),
                "account_id": accounts.get(_none(r.account_id)),
                "name": _none(r.name),
                "email": _none(r.email),
            }
            if r.respondent_id in existing:
                conn.execute(
                    update(t.respondent)
                    .where(t.respondent.c.id == existing[r.respondent_id])
                    .values(**values)
                )
                updated += 1
            else:
                new_rows.append({"study_id": sid, "external_id": str(r.respondent_id), **values})
        if new_rows:
            conn.execute(t.respondent.insert(), new_rows)
            inserted = len(new_rows)
    return inserted, updated


def load_contacts(db: Database, slug: str) -> pd.DataFrame:
    """The study's respondents with their contact details (``CONTACT_COLUMNS``)."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        rows = conn.execute(
            select(
                t.respondent.c.external_id,
                t.respondent.c.name,
                t.respondent.c.email,
                t.respondent.c.audience,
                t.respondent.c.segment,
                t.respondent.c.team,
                t.account.c.external_id,
            )
            .outerjoin(t.account, t.account.c.id == t.respondent.c.account_id)
            .where(t.respondent.c.study_id == sid)
            .order_by(t.respondent.c.external_id)
        ).all()
    return pd.DataFrame(rows, columns=CONTACT_COLUMNS)
