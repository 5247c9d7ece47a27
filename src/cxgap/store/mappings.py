"""The mapping file kept with a study (``cxgap init --from`` writes it).

Stored as the YAML text the user can edit, so ``cxgap import responses``
without ``--mapping`` imports the export the study was inferred from exactly
as the plan said; :mod:`cxgap.ingest.mapping` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.studies import study_id

__all__ = ["StoredMapping", "load_mapping_text", "save_mapping_text"]


@dataclass(frozen=True)
class StoredMapping:
    """A study's stored mapping: its YAML text and where it came from."""

    yaml: str
    source: str


def save_mapping_text(db: Database, slug: str, text: str, *, source: str = "") -> None:
    """Keep ``text`` as the mapping of study ``slug`` (replacing any before)."""
    with db.begin() as conn:
        sid = study_id(conn, slug)
        found = conn.execute(
            select(t.response_mapping.c.id).where(t.response_mapping.c.study_id == sid)
        ).scalar()
        values = {"yaml": text, "source": source[:1000]}
        if found is None:
            conn.execute(insert(t.response_mapping).values(study_id=sid, **values))
        else:
            conn.execute(
                update(t.response_mapping)
                .where(t.response_mapping.c.id == found)
                .values(**values, updated_at=func.now())
            )


def load_mapping_text(db: Database, slug: str) -> StoredMapping | None:
    """The mapping stored with study ``slug``, or None."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        row = conn.execute(
            select(t.response_mapping.c.yaml, t.response_mapping.c.source).where(
                t.response_mapping.c.study_id == sid
            )
        ).first()
    return None if row is None else StoredMapping(str(row[0]), str(row[1]))
