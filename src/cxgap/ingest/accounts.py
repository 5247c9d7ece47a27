"""Import a CRM export of accounts (Salesforce, HubSpot, a spreadsheet).

Columns are found by name (any case and punctuation) or by the mapping
file: ``account_id`` (Account ID, Account, Customer ID), ``name`` (Account
Name, Company), ``segment`` (Segment, Type, Tier), ``annual_revenue``
(Annual Revenue, Revenue, ARR), ``owner`` (Account Owner, Account Manager),
``acquired_at`` (Customer Since, Created Date), ``defected_at`` (Churn Date,
Defected, Cancellation Date). Segments map onto the study's by key, label or
the mapping's ``segments``; revenue may carry currency signs and thousands
separators. Accounts are inserted or updated by id.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from cxgap.contracts.records import ACCOUNT_COLUMNS
from cxgap.ingest._rows import (
    Checker,
    RowsImport,
    TableMapping,
    dates,
    load_table_mapping,
    locate,
    records,
    text,
    vocabulary,
)
from cxgap.ingest.mapping import normalise
from cxgap.ingest.tables import read_table, without_missing_tokens
from cxgap.store.db import Database
from cxgap.study.model import StudyDefinition

__all__ = ["ACCOUNT_ALIASES", "import_accounts", "parse_accounts_export"]

ACCOUNT_ALIASES: dict[str, tuple[str, ...]] = {
    "account_id": ("account id", "account", "customer id", "company id", "account number", "id"),
    "name": ("account name", "company", "company name", "customer name", "customer"),
    "segment": ("customer segment", "type", "account type", "tier"),
    "annual_revenue": ("annual revenue", "revenue", "arr", "annual contract value", "acv"),
    "owner": ("account owner", "owner name", "account manager", "csm"),
    "acquired_at": ("customer since", "created date", "acquired", "start date", "signed on"),
    "defected_at": ("defected", "churn date", "churned on", "churned at", "cancellation date"),
}
_MONEY = re.compile(r"[^\d.\-]")


def parse_accounts_export(
    frame: pd.DataFrame,
    study: StudyDefinition,
    *,
    mapping: TableMapping | None = None,
    as_of: Any = None,
) -> tuple[pd.DataFrame, Checker]:
    """Validate a CRM accounts table (all text, as :func:`read_table` gives it).

    Returns the accounts (``ACCOUNT_COLUMNS``, one row per input row) and the
    checker holding every problem and the invalid rows.
    """
    mapping = mapping or TableMapping()
    file = str(frame.attrs.get("source", "<accounts>"))
    cols = locate(frame, ACCOUNT_ALIASES, mapping, ["account_id"], file)
    check = Checker(frame, file)
    n = len(frame)

    def get(fld: str) -> pd.Series:
        if fld in cols:
            return text(frame[cols[fld]])
        return pd.Series([None] * n, dtype=object)

    ids = get("account_id")
    check.flag(ids.isna().to_numpy(), cols["account_id"], ids, "an account id")
    dup = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
    check.flag(dup, cols["account_id"], ids, "each account id once in the file")
    segs = vocabulary(
        {s.key: s.key for s in study.segments},
        {s.label: s.key for s in study.segments},
        mapping.segments,
    )
    raw_seg = get("segment")
    segment = raw_seg.map(lambda v: segs.get(normalise(v)) if isinstance(v, str) else None)
    if "segment" in cols:
        check.flag(
            (raw_seg.notna() & segment.isna()).to_numpy(),
            cols["segment"],
            raw_seg,
            "a segment: " + ", ".join(s.key for s in study.segments) + " (or map it)",
        )
    raw_rev = without_missing_tokens(get("annual_revenue"))
    revenue = pd.to_numeric(
        raw_rev.map(lambda v: _MONEY.sub("", v) if isinstance(v, str) else v), errors="coerce"
    ).astype(float)
    if "annual_revenue" in cols:
        check.flag(
            (raw_rev.notna() & (revenue.isna() | (revenue < 0))).to_numpy(),
            cols["annual_revenue"],
            raw_rev,
            "an amount of 0 or more",
        )
    limit = pd.Timestamp.now().normalize() if as_of is None else pd.Timestamp(as_of)
    acquired = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    defected = acquired.copy()
    if "acquired_at" in cols:
        acquired = dates(
            get("acquired_at"), mapping.date_format, check, cols["acquired_at"], not_after=limit
        )
    if "defected_at" in cols:
        defected = dates(
            get("defected_at"), mapping.date_format, check, cols["defected_at"], not_after=limit
        )
        early = (defected < acquired).fillna(False).to_numpy(dtype=bool)
        check.flag(early, cols["defected_at"], get("defected_at"), "a date after the acquired date")
    names = get("name").fillna(ids)
    out = pd.DataFrame(
        {
            "account_id": ids,
            "name": names,
            "segment": segment.astype(object),
            "annual_revenue": revenue,
            "owner": get("owner"),
            "acquired_at": pd.to_datetime(acquired),
            "defected_at": pd.to_datetime(defected),
        }
    )[list(ACCOUNT_COLUMNS)]
    return out, check


def import_accounts(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    mapping: str | Path | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> RowsImport:
    """Read, validate and store a CRM accounts export in one transaction
    (insert new accounts, update known ones by id)."""
    from cxgap.store.accounts import write_accounts
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    frame = read_table(path)
    accounts, check = parse_accounts_export(frame, study, mapping=load_table_mapping(mapping))
    problems = check.finish(skip_invalid=skip_invalid, dry_run=dry_run)
    valid = accounts.loc[~check.bad].reset_index(drop=True)
    inserted = updated = None
    if not dry_run and len(valid):
        inserted, updated = write_accounts(db, slug, valid)
    elif not dry_run:
        inserted = updated = 0
    return RowsImport(
        file=str(path),
        dry_run=dry_run,
        rows=len(accounts),
        valid=int((~check.bad).sum()),
        skipped=int(check.bad.sum()),
        inserted=inserted,
        updated=updated,
        problems=records(problems),
    )
