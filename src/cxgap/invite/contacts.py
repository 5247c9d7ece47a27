"""Reading a contacts file (CSV or XLSX) for ``cxgap invite``.

Columns: ``email`` (required), and optionally ``name``, ``respondent_id``,
``segment`` (customers), ``team`` (staff and leadership) and ``account_id``.
Header names are matched without regard to case, spaces, hyphens or
underscores (``E-mail``, ``Email address``, ``Respondent ID`` work).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Hashable
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from cxgap.errors import InputError, Problem
from cxgap.ingest.tables import file_row, read_table, require_columns
from cxgap.store.invitations import Contact

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


_ALIASES = {
    "email": "email",
    "emailaddress": "email",
    "mail": "email",
    "name": "name",
    "fullname": "name",
    "respondentid": "respondent_id",
    "segment": "segment",
    "team": "team",
    "department": "team",
    "accountid": "account_id",
    "account": "account_id",
}


def _norm(header: object) -> str:
    """A header as a known column name: ``E-mail`` and ``Email address`` are
    ``email``, ``Respondent ID`` is ``respondent_id``; others as written.

    >>> [_norm(h) for h in ("E-mail", "Respondent ID", "Notes")]
    ['email', 'respondent_id', 'Notes']
    """
    flat = re.sub(r"[^a-z0-9]", "", str(header).lower())
    return _ALIASES.get(flat, str(header))


def read_contacts(path: str | Path) -> list[Contact]:
    """The contacts of ``path``, each with its spreadsheet row number.

    Every problem (no ``email`` column, a malformed or repeated address) is
    raised at once as :class:`InputError` naming file, row, column and value.
    """
    frame = read_table(path)
    frame = frame.rename(columns={c: _norm(c) for c in frame.columns})
    frame.attrs.setdefault("source", str(path))
    require_columns(frame, ["email"])
    problems: list[Problem] = []
    contacts: list[Contact] = []
    seen: dict[str, int] = {}
    for pos, rec in enumerate(frame.to_dict("records")):
        row = file_row(frame, pos)

        def cell(name: str, rec: dict[Hashable, Any] = rec) -> str | None:
            v = rec.get(name)
            if v is None or (isinstance(v, float) and pd.isna(v)):
                return None
            text = str(v).strip()
            return text or None

        email = cell("email")
        if email is None or not _EMAIL.match(email):
            problems.append(Problem(str(path), row, "email", email, "an e-mail address"))
            continue
        low = email.lower()
        if low in seen:
            problems.append(
                Problem(str(path), row, "email", email, f"each address once (also row {seen[low]})")
            )
            continue
        seen[low] = row
        contacts.append(
            Contact(
                email=email,
                name=cell("name"),
                respondent_id=cell("respondent_id"),
                segment=cell("segment"),
                team=cell("team"),
                account_id=cell("account_id"),
                row=row,
            )
        )
    if problems:
        raise InputError(problems)
    if not contacts:
        raise InputError([Problem(str(path), None, "email", None, "at least one contact")])
    return contacts


#: The largest contacts file accepted from a browser (about 100,000 rows).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def upload_name(filename: str) -> str:
    r"""The name of an uploaded file without any folder a browser sent.

    >>> upload_name("C:\\Users\\me\\list.csv"), upload_name("")
    ('list.csv', 'contacts.csv')
    """
    return PurePath(filename.replace("\\", "/")).name or "contacts.csv"


def read_contacts_upload(data: bytes, filename: str) -> list[Contact]:
    r"""The contacts of an uploaded file, read as :func:`read_contacts` reads
    a file given to ``cxgap invite --contacts``; problems name the file as
    the user called it (its name only, never a path of this machine).

    Examples
    --------
    >>> [c.email for c in read_contacts_upload(b"Email,Name\nann@example.com,Ann\n", "a.csv")]
    ['ann@example.com']
    >>> try:
    ...     read_contacts_upload(b"email\nnot-an-address\n", "C:\\Users\\me\\list.csv")
    ... except InputError as exc:
    ...     print(exc)
    list.csv, row 2, column 'email': got 'not-an-address', expected an e-mail address
    """
    name = upload_name(filename)
    suffix = PurePath(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(
            [Problem(name, None, None, None, "a CSV or XLSX file (.csv, .tsv, .txt or .xlsx)")]
        )
    if not data:
        raise InputError([Problem(name, None, None, None, "a file with a header row and contacts")])
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            [Problem(name, None, None, None, f"at most {MAX_UPLOAD_BYTES // 2**20} MB")]
        )
    with tempfile.TemporaryDirectory(prefix="cxgap-contacts-") as work:
        path = Path(work) / f"contacts{suffix}"
        path.write_bytes(data)
        try:
            return read_contacts(path)
        except InputError as exc:
            raise InputError([replace(p, file=name) for p in exc.problems]) from None


__all__ = ["MAX_UPLOAD_BYTES", "read_contacts", "read_contacts_upload", "upload_name"]
