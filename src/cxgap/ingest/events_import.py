"""Read, validate and store an interaction-events export in one transaction.

The mapping and validation are :func:`cxgap.ingest.events.parse_events`;
this module adds the study's moments, touchpoints and accounts, and the
store. Re-importing the same file adds nothing (key: account and source id).
Without ``skip_invalid`` the file is imported whole or not at all; with it,
the valid rows are stored (in one transaction) and the others reported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxgap.errors import Problem
from cxgap.ingest._rows import RowsImport, records
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
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    on_parsed: Callable[[int], None] | None = None,
) -> RowsImport:
    """Import interaction events. Without ``skip_invalid`` any problem raises
    :class:`InputError` listing them all, and nothing is written; with it,
    the valid rows are written and the result lists the others. A dry run
    writes nothing and lists every problem."""
    from cxgap.store.accounts import load_accounts, write_events
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    problems: list[Problem] = []
    events = parse_events(
        read_table(path),
        mapping=load_mapping(mapping) if mapping is not None else None,
        moments=[m.key for m in study.moments],
        touchpoints=[t.key for t in study.touchpoints],
        accounts=set(load_accounts(db, slug)["account_id"]),
        skipped=problems if skip_invalid or dry_run else None,
    )
    problems.sort(key=lambda p: p.row or 0)
    # Missing text cells come back as pd.NA; the database driver wants None.
    for col in events.columns:
        if events[col].dtype == object:
            events[col] = events[col].where(events[col].notna(), None)
    inserted = None
    if not dry_run:
        if on_parsed:
            on_parsed(len(events))
        inserted = (
            write_events(db, slug, events, file=str(path), progress=progress) if len(events) else 0
        )
    dropped = int(events.attrs.get("duplicates_dropped", 0))
    invalid = int(events.attrs.get("invalid_rows", 0))
    return RowsImport(
        file=str(path),
        dry_run=dry_run,
        rows=len(events) + dropped + invalid,
        valid=len(events),
        skipped=dropped + invalid,
        inserted=inserted,
        updated=None,
        problems=records(problems),
    )
