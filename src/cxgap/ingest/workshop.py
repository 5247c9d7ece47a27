"""Import leadership workshop sheets: groups of 6-8 leaders answer the four
open questions together, one sheet per group.

A sheet file (CSV/XLSX) has one row per group: a ``Group`` column (the
group's name or id), optionally ``Wave``, and the four open questions by
question text or key (``open.well``, ``open.improve``, ``open.competitors``,
``open.continue_start``). Each row is stored as one response of the
leadership audience with ``source = "workshop"``, so every analysis keeps it
apart from individual answers; re-importing the same sheet adds nothing
(the key is wave and group).

The dashboard's form stores one sheet from values with
:func:`store_workshop_sheet`, through the same parsing, validation and
storing as a file: a group name is required, at least one answer, a group
name of at most :data:`MAX_GROUP` and answers of at most :data:`MAX_ANSWER`
characters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from cxgap.errors import InputError, Problem
from cxgap.ingest.formats import Export, read_export
from cxgap.ingest.mapping import ResponseMapping, normalise
from cxgap.ingest.responses import (
    ParsedResponses,
    ResponsesImport,
    parse_responses,
    store_parsed,
)
from cxgap.ingest.tables import file_row
from cxgap.store.db import Database

__all__ = [
    "MAX_ANSWER",
    "MAX_GROUP",
    "WORKSHOP_QUESTIONS",
    "import_workshop",
    "store_workshop_sheet",
]

WORKSHOP_QUESTIONS: tuple[str, ...] = (
    "open.well",
    "open.improve",
    "open.competitors",
    "open.continue_start",
)
_GROUP = ("group", "group id", "group_id", "group name", "table", "sheet")
#: Longest group name and answer (characters) a sheet may hold.
MAX_GROUP = 200
MAX_ANSWER = 5000
#: The file name problems of a sheet entered in the dashboard's form name.
FORM_FILE = "workshop form"


def import_workshop(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    wave: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ResponsesImport:
    """Read, validate and store workshop group sheets in one transaction: all
    of them, or with ``skip_invalid`` the valid ones (the others are listed
    in the result's problems)."""
    export = read_export(path, format="generic")
    return _store_sheets(
        db, slug, export, wave=wave, dry_run=dry_run, skip_invalid=skip_invalid, progress=progress
    )


def store_workshop_sheet(
    db: Database,
    slug: str,
    group: str,
    answers: Mapping[str, str | None],
    *,
    wave: str | None,
    dry_run: bool = False,
) -> ResponsesImport:
    """Store one group's sheet from values (the dashboard's form).

    ``answers`` maps question keys of :data:`WORKSHOP_QUESTIONS` to text.
    The sheet goes through the same validation and storing as a row of
    ``cxgap import workshop``, with the same key (wave and group): storing
    it again writes nothing (``written == 0``). Raises
    :class:`~cxgap.errors.InputError` for an empty group name, no answer,
    a text too long, or a question that is not one of the four.
    """
    unknown = sorted(set(answers) - set(WORKSHOP_QUESTIONS))
    if unknown:
        raise InputError(
            [
                Problem(FORM_FILE, None, k, None, "one of " + ", ".join(WORKSHOP_QUESTIONS))
                for k in unknown
            ]
        )
    cells: dict[str, list[str | None]] = {"Group": [(group or "").strip() or None]}
    for key in WORKSHOP_QUESTIONS:
        cells[key] = [(answers.get(key) or "").strip() or None]
    frame = pd.DataFrame(cells, dtype=object)
    frame.attrs["source"] = FORM_FILE
    frame.attrs["first_data_row"] = 2
    export = Export(FORM_FILE, "generic", frame, {c: c for c in frame.columns})
    return _store_sheets(db, slug, export, wave=wave, dry_run=dry_run, progress=None)


def _check_sheets(export: Export, group: str, parsed: ParsedResponses) -> None:
    """Flag empty or over-long group names and over-long answers (in place)."""
    frame = export.frame
    for i in range(len(frame)):
        row = file_row(frame, i)
        name = frame[group].iloc[i]
        name = "" if pd.isna(name) else str(name).strip()
        found: list[Problem] = []
        if not name:
            found.append(Problem(export.file, row, group, None, "a group name"))
        elif len(name) > MAX_GROUP:
            found.append(Problem(export.file, row, group, None, f"at most {MAX_GROUP} characters"))
        for key in WORKSHOP_QUESTIONS:
            if key not in parsed.frame.columns:
                continue
            text = parsed.frame[key].iloc[i]
            if isinstance(text, str) and len(text) > MAX_ANSWER:
                found.append(
                    Problem(export.file, row, key, None, f"at most {MAX_ANSWER} characters")
                )
        if found:
            parsed.problems.extend(found)
            parsed.bad[i] = True
    parsed.problems.sort(key=lambda p: p.row or 0)


def _store_sheets(
    db: Database,
    slug: str,
    export: Export,
    *,
    wave: str | None,
    dry_run: bool,
    progress: Callable[[int], None] | None,
    skip_invalid: bool = False,
) -> ResponsesImport:
    """Validate and store the sheets of ``export`` (a file or the form) in one
    transaction."""
    from cxgap.store.frames import write_frame
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
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
    # An empty group is flagged below as "a group name", not "a response id".
    parsed.problems = [
        p for p in parsed.problems if not (p.column == group and p.expected == "a response id")
    ]
    _check_sheets(export, group, parsed)
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
        skip_invalid=skip_invalid,
        progress=progress,
        on_parsed=None,
        write=write_frame,
    )
