"""Read, validate and store an interaction-events export in one transaction.

The mapping and validation are :func:`cxgap.ingest.events.parse_events`;
this module adds the study's moments, touchpoints and accounts, and the
store. Re-importing the same file adds nothing (key: account and source id).
Without ``skip_invalid`` the file is imported whole or not at all; with it,
the valid rows are stored (in one transaction) and the others reported.
A ``preset`` (:mod:`cxgap.ingest.event_presets`) reads a Zendesk, Freshdesk,
HubSpot or Salesforce export by its own column names; its tickets without an
outcome yet are left out and counted in ``open``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxgap.errors import InputError, Problem
from cxgap.ingest._rows import RowsImport, records
from cxgap.ingest.events import EventMapping, load_mapping, parse_events, vocabulary
from cxgap.ingest.tables import read_table
from cxgap.store.db import Database

__all__ = ["import_events"]


def import_events(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    mapping: str | Path | None = None,
    preset: str | None = None,
    account: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    on_parsed: Callable[[int], None] | None = None,
) -> RowsImport:
    """Import interaction events. Without ``skip_invalid`` any problem raises
    :class:`InputError` listing them all, and nothing is written; with it,
    the valid rows are written and the result lists the others. A dry run
    writes nothing and lists every problem. ``account`` is the account of
    every row of a file without an account column."""
    from cxgap.store.accounts import load_accounts, write_events
    from cxgap.store.studies import load_study

    if preset is not None and mapping is not None:
        raise InputError(
            [Problem("--mapping", None, None, str(mapping), "either --preset or --mapping")]
        )
    study = load_study(db, slug)
    problems: list[Problem] = []
    frame = read_table(path)
    rules: EventMapping | None = load_mapping(mapping) if mapping is not None else None
    open_tickets = 0
    if preset is not None:
        from cxgap.ingest.event_presets import apply_preset

        frame, rules = apply_preset(frame, preset, account=account)
        open_tickets = int(frame.attrs["open"])
    elif account is not None:
        rules = (rules or EventMapping()).model_copy(update={"account_id": account})
    if len(frame) == 0 and open_tickets:
        return RowsImport(
            file=str(path),
            dry_run=dry_run,
            rows=open_tickets,
            valid=0,
            skipped=open_tickets,
            open=open_tickets,
            inserted=None if dry_run else 0,
            updated=None,
            problems=[],
        )
    events = parse_events(
        frame,
        mapping=rules,
        moments=vocabulary((m.key, m.label) for m in study.moments),
        touchpoints=vocabulary((t.key, t.label) for t in study.touchpoints),
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
        rows=len(events) + dropped + invalid + open_tickets,
        valid=len(events),
        skipped=dropped + invalid + open_tickets,
        open=open_tickets if preset is not None else None,
        inserted=inserted,
        updated=None,
        problems=records(problems),
    )
