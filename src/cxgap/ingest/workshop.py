"""Import leadership workshop sheets: groups of 6-8 leaders answer the four
open questions together, one sheet per group.

A sheet file (CSV/XLSX) has one row per group: a ``Group`` column (the
group's name or id), optionally ``Wave``, and the four open questions by
question text or key (``open.well``, ``open.improve``, ``open.competitors``,
``open.continue_start``). Each row is stored as one response of the
leadership audience with ``source = "workshop"``, so every analysis keeps it
apart from individual answers; re-importing the same sheet adds nothing
(the key is wave and group).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxgap.errors import InputError, Problem
from cxgap.ingest.formats import read_export
from cxgap.ingest.mapping import ResponseMapping, normalise
from cxgap.ingest.responses import ResponsesImport, parse_responses, store_parsed
from cxgap.store.db import Database

__all__ = ["WORKSHOP_QUESTIONS", "import_workshop"]

WORKSHOP_QUESTIONS: tuple[str, ...] = (
    "open.well",
    "open.improve",
    "open.competitors",
    "open.continue_start",
)
_GROUP = ("group", "group id", "group_id", "group name", "table", "sheet")


def import_workshop(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    wave: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ResponsesImport:
    """Read, validate and store workshop group sheets in one transaction."""
    from cxgap.store.frames import write_frame
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    export = read_export(path, format="generic")
    group = next(
        (c for c in export.frame.columns if normalise(c) in {normalise(g) for g in _GROUP}), None
    )
    if group is None:
        raise InputError(
            [Problem(export.file, None, "group", None, "a column naming each group (Group)")]
        )
    mapping = ResponseMapping(columns={group: "response_id"})
    parsed = parse_responses(
        export,
        study,
        audience="leadership",
        wave=wave,
        mapping=mapping,
        source="workshop",
        allowed=WORKSHOP_QUESTIONS,
    )
    groups = parsed.frame["source_key"].str.removeprefix("generic:")
    parsed.frame["respondent_id"] = "workshop:" + groups
    parsed.frame["source_key"] = "workshop:" + parsed.frame["wave"].fillna("") + ":" + groups
    parsed.frame["source"] = "workshop"
    return store_parsed(
        db,
        slug,
        parsed,
        audience="leadership",
        wave=wave,
        dry_run=dry_run,
        skip_invalid=False,
        progress=progress,
        on_parsed=None,
        write=write_frame,
    )
