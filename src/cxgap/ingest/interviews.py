"""Import discovery-interview notes: a CSV/XLSX table, or a folder of
Markdown files with a small YAML front matter::

    ---
    account: ACC-004        # an imported account (optional)
    segment: new            # top, new, defected, other (or a label)
    date: 2026-02-12
    interviewer: Bo Diaz
    tags: [implementation, expectations]   # optional: factor, moment or touchpoint keys
    ---
    The notes, in Markdown.

A table has the columns account, segment, date, interviewer, text (or notes)
and tags (separated by ``;`` or ``,``), and optionally an ``id``. Notes are
stored once: the key is the file name of a Markdown note, the ``id`` of a
table row, else account and date.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cxgap.errors import InputError, Problem
from cxgap.ingest._rows import (
    Checker,
    RowsImport,
    dates,
    load_table_mapping,
    locate,
    records,
    text,
    vocabulary,
)
from cxgap.ingest.mapping import normalise
from cxgap.ingest.tables import parse_yaml, read_table
from cxgap.store.db import Database
from cxgap.study.model import StudyDefinition

__all__ = ["import_interviews", "parse_interviews", "read_markdown_notes"]

INTERVIEW_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("note id", "interview id"),
    "account_id": ("account", "account id", "customer"),
    "segment": ("customer segment",),
    "date": ("held on", "interview date", "date held"),
    "interviewer": ("interviewed by", "by"),
    "text": ("notes", "note", "summary", "body"),
    "tags": ("tag", "labels"),
}
_FRONT = re.compile(r"\A\ufeff?---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


def read_markdown_notes(folder: str | Path) -> pd.DataFrame:
    """Read every ``*.md`` file of ``folder`` into a table of text cells
    (one row per file, ``attrs["rows"]`` naming the files)."""
    root = Path(folder)
    files = sorted(root.glob("*.md"))
    if not files:
        raise InputError([Problem(str(root), None, None, None, "a folder with *.md files")])
    rows = []
    problems = []
    for f in files:
        try:
            raw = f.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem(str(f), None, None, None, "a UTF-8 text file"))
            continue
        m = _FRONT.match(raw.replace("\r\n", "\n"))
        if m is None:
            problems.append(
                Problem(str(f), 1, None, None, "a front matter between --- lines at the top")
            )
            continue
        try:
            meta = parse_yaml(m.group(1), str(f), row=1) or {}
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(meta, dict):
            problems.append(Problem(str(f), 1, None, None, "front matter of key: value lines"))
            continue
        tags = meta.get("tags")
        rows.append(
            {
                "id": f"md:{f.name}",
                "account": None if meta.get("account") is None else str(meta["account"]),
                "segment": None if meta.get("segment") is None else str(meta["segment"]),
                "date": None if meta.get("date") is None else str(meta["date"]),
                "interviewer": None
                if meta.get("interviewer") is None
                else str(meta["interviewer"]),
                "text": m.group(2).strip(),
                "tags": "; ".join(map(str, tags)) if isinstance(tags, list) else tags,
                "_file": str(f),
            }
        )
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame(rows)
    frame.attrs["source"] = str(root)
    frame.attrs["first_data_row"] = 1
    return frame


def parse_interviews(
    frame: pd.DataFrame,
    study: StudyDefinition,
    *,
    accounts: set[str] | None = None,
    date_format: str | None = None,
) -> tuple[pd.DataFrame, Checker]:
    """Validate interview notes; return the notes (account_id, segment, date,
    interviewer, text, tags, source_key) and the checker."""
    file = str(frame.attrs.get("source", "<interviews>"))
    cols = locate(frame, INTERVIEW_ALIASES, load_table_mapping(None), ["text"], file)
    check = Checker(frame, file)
    n = len(frame)

    def get(fld: str) -> pd.Series:
        return text(frame[cols[fld]]) if fld in cols else pd.Series([None] * n, dtype=object)

    body = get("text")
    check.flag(body.isna().to_numpy(), cols["text"], body, "the interview notes (text)")
    account = get("account_id")
    if accounts is not None:
        check.flag(
            (account.notna() & ~account.isin(accounts)).to_numpy(),
            cols.get("account_id", "account"),
            account,
            "the id of an imported account (cxgap import accounts)",
        )
    segs = vocabulary(
        {s.key: s.key for s in study.segments}, {s.label: s.key for s in study.segments}
    )
    raw_seg = get("segment")
    segment = raw_seg.map(lambda v: segs.get(normalise(v)) if isinstance(v, str) else None)
    check.flag(
        (raw_seg.notna() & segment.isna()).to_numpy(),
        cols.get("segment", "segment"),
        raw_seg,
        "a segment: " + ", ".join(s.key for s in study.segments),
    )
    day = dates(
        get("date"), date_format, check, cols.get("date", "date"),
        not_after=pd.Timestamp.now().normalize(),
    )  # fmt: skip
    known = vocabulary(
        *(
            {x.key: x.key for x in group} | {x.label: x.key for x in group}
            for group in (study.factors, study.moments, study.touchpoints)
        )
    )
    raw_tags = get("tags")

    def split(v: object) -> tuple[list[str], bool]:
        if not isinstance(v, str):
            return [], True
        parts = [p for p in re.split(r"\s*[;,]\s*", v) if p]
        keys = [known.get(normalise(p)) for p in parts]
        return sorted({k for k in keys if k}), None not in keys

    parsed = raw_tags.map(split)
    check.flag(
        ~parsed.map(lambda x: x[1]).to_numpy(dtype=bool),
        cols.get("tags", "tags"),
        raw_tags,
        "tags that are factor, moment or touchpoint keys or labels",
    )
    ids = get("id")
    key = ids.fillna(account.fillna("") + ":" + day.dt.strftime("%Y-%m-%d").fillna(""))
    check.flag(
        (key.duplicated(keep="first")).to_numpy(),
        cols.get("id", cols["text"]),
        key,
        "one note per account and date (add an id column to tell them apart)",
    )
    if "_file" in frame.columns:
        # Markdown: name the file of each problem, row = 1 (its front matter).
        files = frame["_file"].reset_index(drop=True)
        check.problems = [
            Problem(str(files.iloc[(p.row or 1) - 1]), 1, p.column, p.value, p.expected)
            for p in check.problems
        ]
    out = pd.DataFrame(
        {
            "account_id": account,
            "segment": segment.astype(object),
            "date": day,
            "interviewer": get("interviewer"),
            "text": body,
            "tags": parsed.map(lambda x: x[0]),
            "source_key": key.astype(object),
        }
    )
    return out, check


def import_interviews(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    date_format: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> RowsImport:
    """Read, validate and store interview notes (a table, or a folder of
    Markdown files) in one transaction; notes already stored are skipped."""
    from cxgap.store.accounts import load_accounts, write_interviews
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    accounts = set(load_accounts(db, slug)["account_id"])
    p = Path(path)
    frame = read_markdown_notes(p) if p.is_dir() else read_table(p)
    notes, check = parse_interviews(frame, study, accounts=accounts, date_format=date_format)
    problems = check.finish(skip_invalid=skip_invalid, dry_run=dry_run)
    valid = notes.loc[~check.bad].reset_index(drop=True)
    inserted = None
    if not dry_run:
        inserted = write_interviews(db, slug, valid) if len(valid) else 0
    return RowsImport(
        file=str(path),
        dry_run=dry_run,
        rows=len(notes),
        valid=int((~check.bad).sum()),
        skipped=int(check.bad.sum()),
        inserted=inserted,
        updated=None,
        problems=records(problems),
    )
