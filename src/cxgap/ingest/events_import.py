"""Read, validate and store an interaction-events export in one transaction.

The mapping and validation are :func:`cxgap.ingest.events.parse_events`;
this module adds the study's moments, touchpoints and accounts, and the
store. Re-importing the same file adds nothing (key: account and source id).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxgap.ingest._rows import RowsImport
from cxgap.ingest.events import load_mapping, parse_events
from cxgap.ingest.tables import read_table
from cxgap.store.db import Database

__all__ = ["import_events"]


def import_events(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    mapping: str | Path | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    on_parsed: Callable[[int], None] | None = None,
) -> RowsImport:
    """Import interaction events; any problem raises :class:`InputError`
    listing them all, and nothing is written."""
    from cxgap.store.accounts import load_accounts, write_events
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    events = parse_events(
        read_table(path),
        mapping=load_mapping(mapping) if mapping is not None else None,
        moments=[m.key for m in study.moments],
        touchpoints=[t.key for t in study.touchpoints],
        accounts=set(load_accounts(db, slug)["account_id"]),
    )
    # Missing text cells come back as pd.NA; the database driver wants None.
    for col in events.columns:
        if events[col].dtype == object:
            events[col] = events[col].where(events[col].notna(), None)
    inserted = None
    if not dry_run:
        if on_parsed:
            on_parsed(len(events))
        inserted = write_events(db, slug, events, file=str(path), progress=progress)
    dropped = int(events.attrs.get("duplicates_dropped", 0))
    return RowsImport(
        file=str(path),
        dry_run=dry_run,
        rows=len(events) + dropped,
        valid=len(events),
        skipped=dropped,
        inserted=inserted,
        updated=None,
        problems=[],
    )
