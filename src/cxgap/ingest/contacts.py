"""Import contacts: the people to invite, who become the study's respondents.

Columns (found by name or by the mapping file): ``respondent_id`` (Contact
ID, Respondent ID, ID; defaults to the e-mail address), ``name`` (Full Name,
or First Name + Last Name), ``email``, ``audience`` (customer, staff,
leadership; or ``--audience`` for all rows), ``segment`` (customers),
``team`` (staff and leadership: a touchpoint key or label) and ``account_id``
(customers: an imported account). A respondent id that an export's
``respondent_id`` column also uses links the two.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cxgap.errors import InputError, Problem
from cxgap.ingest._rows import (
    Checker,
    RowsImport,
    TableMapping,
    load_table_mapping,
    locate,
    records,
    text,
    vocabulary,
)
from cxgap.ingest.mapping import normalise
from cxgap.ingest.tables import read_table
from cxgap.store.contacts import CONTACT_COLUMNS
from cxgap.store.db import Database
from cxgap.study.model import AUDIENCES, Audience, StudyDefinition

__all__ = ["CONTACT_ALIASES", "import_contacts", "parse_contacts"]

CONTACT_ALIASES: dict[str, tuple[str, ...]] = {
    "respondent_id": ("contact id", "respondent id", "external id", "id"),
    "name": ("full name", "contact name"),
    "first_name": ("first name", "given name"),
    "last_name": ("last name", "surname", "family name"),
    "email": ("email address", "e mail", "e mail address"),
    "audience": ("group", "respondent type"),
    "segment": ("customer segment",),
    "team": ("department", "touchpoint"),
    "account_id": ("account id", "account", "customer id", "company id"),
}
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def parse_contacts(
    frame: pd.DataFrame,
    study: StudyDefinition,
    *,
    audience: Audience | None = None,
    mapping: TableMapping | None = None,
    accounts: set[str] | None = None,
) -> tuple[pd.DataFrame, Checker]:
    """Validate a contacts table; return contacts (``CONTACT_COLUMNS``) and
    the checker with every problem."""
    mapping = mapping or TableMapping()
    file = str(frame.attrs.get("source", "<contacts>"))
    cols = locate(frame, CONTACT_ALIASES, mapping, [], file)
    check = Checker(frame, file)
    n = len(frame)

    def get(fld: str) -> pd.Series:
        return text(frame[cols[fld]]) if fld in cols else pd.Series([None] * n, dtype=object)

    if "email" not in cols and "respondent_id" not in cols:
        raise InputError(
            [Problem(file, None, "email", None, "a column of e-mail addresses or contact ids")]
        )
    email = get("email")
    if "email" in cols:
        check.flag(
            (email.notna() & ~email.map(lambda v: bool(_EMAIL.match(str(v))))).to_numpy(),
            cols["email"],
            email,
            "an e-mail address",
        )
        email = email.str.lower()
    rid = get("respondent_id").fillna(email)
    id_col = cols.get("respondent_id", cols.get("email", "respondent_id"))
    check.flag(rid.isna().to_numpy(), id_col, rid, "a contact id or an e-mail address")
    check.flag(
        (rid.notna() & rid.duplicated(keep="first")).to_numpy(), id_col, rid, "each contact once"
    )
    name = get("name")
    if "name" not in cols and ("first_name" in cols or "last_name" in cols):
        name = (get("first_name").fillna("") + " " + get("last_name").fillna("")).str.strip()
        name = name.mask(name == "")
    if "audience" in cols:
        raw = get("audience")
        aud = raw.map(lambda v: normalise(v).rstrip("s") if isinstance(v, str) else audience)
        check.flag(
            ~aud.isin(AUDIENCES).to_numpy(), cols["audience"], raw, "one of " + ", ".join(AUDIENCES)
        )
    elif audience is None:
        raise InputError(
            [Problem(file, None, "audience", None, "an audience column or the --audience option")]
        )
    else:
        aud = pd.Series([audience] * n, dtype=object)
    customer = (aud == "customer").to_numpy()
    segs = vocabulary(
        {s.key: s.key for s in study.segments},
        {s.label: s.key for s in study.segments},
        mapping.segments,
    )
    raw_seg = get("segment")
    segment = raw_seg.map(lambda v: segs.get(normalise(v)) if isinstance(v, str) else None)
    check.flag(
        customer & (raw_seg.notna() & segment.isna()).to_numpy(),
        cols.get("segment", "segment"),
        raw_seg,
        "a segment: " + ", ".join(s.key for s in study.segments),
    )
    teams = vocabulary(
        {x.key: x.key for x in study.touchpoints},
        {x.label: x.key for x in study.touchpoints},
        mapping.teams,
    )
    raw_team = get("team")
    team = raw_team.map(lambda v: teams.get(normalise(v)) if isinstance(v, str) else None)
    check.flag(
        ~customer & (raw_team.notna() & team.isna()).to_numpy(),
        cols.get("team", "team"),
        raw_team,
        "a team (touchpoint): " + ", ".join(x.key for x in study.touchpoints),
    )
    account = get("account_id")
    if accounts is not None:
        check.flag(
            customer & (account.notna() & ~account.isin(accounts)).to_numpy(),
            cols.get("account_id", "account_id"),
            account,
            "the id of an imported account (cxgap import accounts)",
        )
    keep = pd.Series(customer)
    out = pd.DataFrame(
        {
            "respondent_id": rid,
            "name": name,
            "email": email,
            "audience": aud,
            "segment": segment.where(keep, None),
            "team": team.where(~keep, None),
            "account_id": account.where(keep, None),
        }
    )[CONTACT_COLUMNS]
    return out, check


def import_contacts(
    db: Database,
    slug: str,
    path: str | Path,
    *,
    audience: Audience | None = None,
    mapping: str | Path | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> RowsImport:
    """Read, validate and store contacts as the study's respondents, in one
    transaction (insert new, update known ones by respondent id)."""
    from cxgap.store.accounts import load_accounts
    from cxgap.store.contacts import write_contacts
    from cxgap.store.studies import load_study

    study = load_study(db, slug)
    accounts = set(load_accounts(db, slug)["account_id"])
    contacts, check = parse_contacts(
        read_table(path),
        study,
        audience=audience,
        mapping=load_table_mapping(mapping),
        accounts=accounts,
    )
    problems = check.finish(skip_invalid=skip_invalid, dry_run=dry_run)
    valid = contacts.loc[~check.bad].reset_index(drop=True)
    inserted = updated = None
    if not dry_run:
        inserted, updated = write_contacts(db, slug, valid) if len(valid) else (0, 0)
    return RowsImport(
        file=str(path),
        dry_run=dry_run,
        rows=len(contacts),
        valid=int((~check.bad).sum()),
        skipped=int(check.bad.sum()),
        inserted=inserted,
        updated=updated,
        problems=records(problems),
    )
