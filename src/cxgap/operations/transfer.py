"""Moving a whole study between databases: ``cxgap export`` / ``cxgap import study``.

An export is a zip file:

- ``manifest.json``: ``format`` (``"cxgap-study"``), ``format_version``, the
  cxgap version and schema revision that wrote it, the study slug, its
  organisation, the time of export, and the row count of every table;
- ``tables/<table>.jsonl``: every row of every table that belongs to the
  study, one JSON object per line, ordered by id: the study, its definition
  (factors, touchpoints, moments, segments, defection reasons, promise,
  waves, questions), respondents, invitations (token hashes only), responses
  and answers, interview notes, action items, and the accounts of its
  organisation with their interaction events;
- ``responses.csv``: a readable copy of the answers as one wide table (cells
  neutralised against formula injection; the import ignores it).

The import reads the tables back in one transaction and gives every row a
new id, remapping the references between them, so a study lands in a
database that already holds others. Accounts of an organisation already
present are matched by their external id and kept as stored; events already
stored for them (same source id) are kept too. Cases and their history
travel with the study. Users, memberships, API tokens, dashboard sessions,
notification subscriptions (they name users and hold webhook secrets) and the
notification log are never exported.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    String,
    Table,
    select,
    tuple_,
)
from sqlalchemy.exc import SQLAlchemyError

from cxgap import __version__
from cxgap.contracts.cells import frame_csv_text
from cxgap.contracts.limits import MAX_ARCHIVE_BYTES, MAX_MANIFEST_BYTES
from cxgap.contracts.result import Result
from cxgap.contracts.unzip import check_unzipped_size, human_size, open_member
from cxgap.errors import CxgapError, DatabaseError, InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.bulk import copy_tuples
from cxgap.store.db import Database
from cxgap.store.migrate import (
    _config,  # the one place that knows where migrations live
    current_revision,
    ensure_schema,
    head_revision,
)
from cxgap.store.studies import organisation_of, study_id

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "STUDY_TABLES",
    "Manifest",
    "StudyExport",
    "StudyImport",
    "export_study",
    "import_study",
    "read_manifest",
]

FORMAT = "cxgap-study"
FORMAT_VERSION = 1
CHUNK = 5_000

#: Tables that hold no study data and are never exported: people and their
#: access, and who hears of cases (subscriptions name users and hold webhook
#: secrets; the notification log is their delivery record).
NOT_EXPORTED = frozenset(
    {"app_user", "membership", "api_token", "session", "notification_rule", "notification"}
)

#: Every table of a study, parents before children.
STUDY_TABLES: list[Table] = [tb for tb in t.metadata.sorted_tables if tb.name not in NOT_EXPORTED]


class Manifest(Result):
    """What an export or backup file says about itself."""

    format: str
    format_version: int
    cxgap_version: str
    schema_revision: str | None
    created_at: str
    study: str | None = None
    organisation: str | None = None
    kind: str | None = None
    tables: dict[str, int]


class StudyExport(Result):
    """What ``cxgap export`` wrote."""

    file: str
    study: str
    organisation: str
    schema_revision: str
    tables: dict[str, int]


class StudyImport(Result):
    """What ``cxgap import study`` stored.

    ``inserted`` counts new rows per table; ``kept`` the accounts and events
    that were already stored for the organisation and were left as they were.
    """

    file: str
    study: str
    organisation: str
    inserted: dict[str, int]
    kept: dict[str, int]


# --- values to and from JSON ---------------------------------------------------


def encode_value(value: Any) -> Any:
    """A column value as JSON: dates and times as ISO 8601 text.

    Aware times are written in UTC; naive ones are written as they are (a
    ``timezone=True`` column read from SQLite is naive UTC, and
    :func:`decode_value` reads it back as UTC).

    >>> encode_value(date(2026, 3, 1)), encode_value(None), encode_value(2.5)
    ('2026-03-01', None, 2.5)
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def decode_value(table: Table, column: str, value: Any) -> Any:
    """A JSON value back into what ``table.column`` stores.

    >>> decode_value(t.account, "defected_at", "2026-03-01")
    datetime.date(2026, 3, 1)
    >>> decode_value(t.study, "created_at", "2026-11-23T04:00:00")
    datetime.datetime(2026, 11, 23, 4, 0, tzinfo=datetime.timezone.utc)
    """
    if value is None:
        return None
    kind = table.c[column].type
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(value)
        if kind.timezone:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return moment.replace(tzinfo=None)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


_INT64 = 2**63 - 1


def check_value(table: Table, column: str, value: Any) -> str | None:
    """What is wrong with a JSON ``value`` for ``table.column`` (before it
    reaches the database), or ``None`` when it fits.

    >>> check_value(t.answer, "value_num", 4.0) is None
    True
    >>> check_value(t.answer, "response_id", 2**63)
    'a whole number of at most 64 bits'
    >>> check_value(t.answer, "question_key", ["x"])
    'text'
    """
    if value is None:
        return None  # NOT NULL is the database's to refuse
    kind = table.c[column].type
    if isinstance(kind, Boolean):
        return None if isinstance(value, bool) else "true or false"
    if isinstance(kind, Integer):
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _INT64
        return None if ok else "a whole number of at most 64 bits"
    if isinstance(kind, Float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok and math.isfinite(value) else "a finite number"
    if isinstance(kind, String):  # Text too
        if not isinstance(value, str):
            return "text"
        if "\x00" in value:
            return "text without NUL characters"
    return None


def db_reason(exc: SQLAlchemyError) -> str:
    """The first line of what the database said, without the SQL."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _default(value: Any) -> Any:
    if isinstance(value, date):  # datetime is a date too
        return encode_value(value)
    raise TypeError(f"cannot write a {type(value).__name__} to JSON")


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default
)


def encode_rows(result: Any) -> Iterator[str]:
    """Every row of a query result as a line of JSON (dates as ISO 8601 text)."""
    keys = list(result.keys())
    encode = _ENCODER.encode
    for row in result:
        yield encode(dict(zip(keys, row, strict=True)))


@contextmanager
def snapshot(db: Database) -> Iterator[Connection]:
    """A read-only connection that sees one consistent state of the database
    (a repeatable-read transaction on PostgreSQL, a read transaction on SQLite)."""
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif db.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def known_revisions() -> set[str]:
    """Every schema revision this cxgap has a migration for."""
    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def check_manifest(manifest: Manifest, *, expected: str, file: str) -> None:
    """Refuse a file of another kind, of a future format, or of an unknown schema."""
    if manifest.format != expected:
        raise CxgapError(f"{file} is a {manifest.format!r} file, not a {expected!r} file")
    if manifest.format_version > FORMAT_VERSION:
        raise CxgapError(
            f"{file} uses {expected} format version {manifest.format_version}, written by "
            f"cxgap {manifest.cxgap_version}; this cxgap {__version__} reads up to version "
            f"{FORMAT_VERSION}: upgrade cxgap to read it"
        )
    if manifest.schema_revision is not None and manifest.schema_revision not in known_revisions():
        raise CxgapError(
            f"{file} was written at schema revision {manifest.schema_revision!r}, which this "
            f"cxgap {__version__} does not know (it knows up to {head_revision()}): "
            "upgrade cxgap to read it"
        )


def check_counts(manifest: Manifest, found: dict[str, int], *, file: str, what: str) -> None:
    """Refuse a file whose tables do not hold the rows its manifest counted
    (a member lost or cut short): raised inside the caller's transaction, so
    nothing is written.

    >>> m = Manifest(format="x", format_version=1, cxgap_version="0", schema_revision=None,
    ...              created_at="", tables={"study": 1, "answer": 3})
    >>> check_counts(m, {"study": 1, "answer": 3}, file="f.zip", what="restored")
    >>> try:
    ...     check_counts(m, {"study": 1, "answer": 0}, file="f.zip", what="restored")
    ... except CxgapError as exc:
    ...     print(str(exc)[:60])
    f.zip: table answer has 0 rows restored, its manifest counts
    """
    for name, expected in manifest.tables.items():
        got = found.get(name, 0)
        if got != expected:
            raise CxgapError(
                f"{file}: table {name} has {got:,} rows {what}, its manifest counts "
                f"{expected:,}: the file is incomplete or damaged, and nothing was written"
            )


def read_manifest(archive: zipfile.ZipFile, file: str) -> Manifest:
    """The manifest of an export or backup zip, validated; one that says it
    is larger than :data:`~cxgap.contracts.limits.MAX_MANIFEST_BYTES` is
    refused unread."""
    try:
        size = archive.getinfo("manifest.json").file_size
        if size > MAX_MANIFEST_BYTES:
            raise InputError(
                [
                    Problem(
                        file,
                        None,
                        None,
                        None,
                        f"a manifest.json of at most {human_size(MAX_MANIFEST_BYTES)} "
                        f"(this one unzips to {human_size(size)})",
                    )
                ]
            )
        with open_member(archive, "manifest.json", file) as member:
            raw = json.loads(member.read())
        return Manifest.model_validate(raw)
    except KeyError:
        raise CxgapError(f"{file} has no manifest.json: not a cxgap export or backup") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CxgapError(f"{file}: manifest.json is damaged ({exc})") from None
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise CxgapError(f"{file}: manifest.json is not valid: {first}") from None


def open_archive(path: str | Path, *, max_unzipped: int = MAX_ARCHIVE_BYTES) -> zipfile.ZipFile:
    """Open a cxgap zip file, with a clear error when it is missing or not a
    zip, or when its members declare more than ``max_unzipped`` bytes in all
    (:func:`~cxgap.contracts.unzip.check_unzipped_size`; nothing is unzipped)."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, IsADirectoryError, OSError) as exc:
        raise CxgapError(
            f"{path} is not a cxgap export or backup (not a zip file: {exc})"
        ) from None
    try:
        check_unzipped_size(
            archive, str(path), max_bytes=max_unzipped, what="a cxgap export or backup"
        )
    except InputError:
        archive.close()
        raise
    return archive


def read_rows(archive: zipfile.ZipFile, table: Table, file: str) -> Iterator[dict[str, Any]]:
    """The rows of ``tables/<table>.jsonl``, decoded (none when absent)."""
    name = f"tables/{table.name}.jsonl"
    if name not in archive.namelist():
        return
    try:
        yield from _decoded_rows(archive, table, name, file)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CxgapError(f"{file}: {name} is damaged ({exc})") from None
    except UnicodeDecodeError:
        raise CxgapError(f"{file}: {name} is not UTF-8 text") from None


def _decoded_rows(
    archive: zipfile.ZipFile, table: Table, name: str, file: str
) -> Iterator[dict[str, Any]]:
    columns = set(table.c.keys())
    timed = {c.name for c in table.c if isinstance(c.type, Date | DateTime)}
    # Columns a row must name: NOT NULL without a default (the id included:
    # other rows refer to it).
    required = {
        c.name for c in table.c if not c.nullable and c.default is None and c.server_default is None
    } | {"id"}
    with open_member(archive, name, file) as raw:
        for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError:
                raise CxgapError(f"{file}: {name} line {number} is not valid JSON") from None
            if not isinstance(data, dict):
                raise CxgapError(f"{file}: {name} line {number} is not a JSON object")
            lacking = required - data.keys()
            if lacking:
                raise CxgapError(f"{file}: {name} line {number} lacks column(s) {sorted(lacking)}")
            unknown = set(data) - columns
            if unknown:
                raise CxgapError(
                    f"{file}: {name} line {number} has unknown column(s) {sorted(unknown)}"
                )
            for k in data.keys() - timed:
                wrong = check_value(table, k, data[k])
                if wrong is not None:
                    raise CxgapError(
                        f"{file}: {name} line {number}: {k} is {data[k]!r:.60}, expected {wrong}"
                    )
            try:
                for k in timed & data.keys():
                    data[k] = decode_value(table, k, data[k])
                yield data
            except (TypeError, ValueError) as exc:
                raise CxgapError(f"{file}: {name} line {number}: {exc}") from None


def write_table(archive: zipfile.ZipFile, name: str, lines: Iterator[str]) -> int:
    """Stream ``lines`` into ``tables/<name>.jsonl``; return how many."""
    n = 0
    with archive.open(f"tables/{name}.jsonl", "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        for line in lines:
            out.write(line)
            out.write("\n")
            n += 1
        out.flush()
        out.detach()
    return n


# --- export ---------------------------------------------------------------------


@contextmanager
def written_atomically(out: Path) -> Iterator[Path]:
    """A temporary path next to ``out``, renamed to ``out`` when the block
    succeeds and removed when it fails: ``out`` never holds a partial file."""
    if not out.parent.is_dir():
        raise CxgapError(f"cannot write {out}: folder {out.parent} does not exist")
    tmp = out.with_name(out.name + ".partial")
    try:
        yield tmp
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CxgapError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _study_query(table: Table, sid: int, org: int) -> Select[Any]:
    """The rows of ``table`` that belong to study ``sid`` of organisation ``org``."""
    q = select(table)
    if table is t.organisation:
        q = q.where(table.c.id == org)
    elif table is t.study:
        q = q.where(table.c.id == sid)
    elif "study_id" in table.c:
        q = q.where(table.c.study_id == sid)
    elif table is t.account:
        q = q.where(table.c.organisation_id == org)
    elif table is t.answer or table is t.response_attribute:
        q = q.where(
            table.c.response_id.in_(select(t.response.c.id).where(t.response.c.study_id == sid))
        )
    elif table is t.interaction_event:
        q = q.where(
            table.c.account_id.in_(select(t.account.c.id).where(t.account.c.organisation_id == org))
        )
    elif table is t.case_entry:
        q = q.where(table.c.case_id.in_(select(t.cx_case.c.id).where(t.cx_case.c.study_id == sid)))
    else:  # a new table: decide whether it belongs to a study, and say how here
        raise RuntimeError(f"export does not know how table {table.name!r} belongs to a study")
    return q.order_by(table.c.id)


def export_study(
    db: Database, slug: str, out: str | Path, *, progress: Callable[[int], None] | None = None
) -> StudyExport:
    """Write study ``slug`` and everything recorded for it to the zip file ``out``.

    The file is written next to ``out`` and renamed into place when complete,
    so an interrupted export never leaves a half-written file under that name.
    ``progress(n)`` is called as each table's ``n`` rows are written.
    """
    from cxgap.store.frames import load_frame

    ensure_schema(db, create=False)
    revision = current_revision(db) or ""
    out = Path(out)
    counts: dict[str, int] = {}
    with snapshot(db) as conn, written_atomically(out) as tmp:
        sid = study_id(conn, slug)
        org = organisation_of(conn, sid)
        org_name = str(
            conn.execute(select(t.organisation.c.name).where(t.organisation.c.id == org)).scalar()
        )
        with zipfile.ZipFile(
            tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
        ) as archive:
            for table in STUDY_TABLES:
                rows = conn.execution_options(yield_per=CHUNK).execute(
                    _study_query(table, sid, org)
                )
                counts[table.name] = write_table(archive, table.name, encode_rows(rows))
                if progress:
                    progress(counts[table.name])
            manifest = Manifest(
                format=FORMAT,
                format_version=FORMAT_VERSION,
                cxgap_version=__version__,
                schema_revision=revision,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                study=slug,
                organisation=org_name,
                tables=counts,
            )
            archive.writestr("manifest.json", json.dumps(manifest.to_json_dict(), indent=2))
            # A readable copy for spreadsheets (read after the snapshot's rows; the import
            # ignores it).
            archive.writestr("responses.csv", frame_csv_text(load_frame(db, slug)))
    return StudyExport(
        file=str(out), study=slug, organisation=org_name, schema_revision=revision, tables=counts
    )


# --- import ---------------------------------------------------------------------

# Tables whose ids other rows refer to: their new ids are read back on insert.
_REFERENCED = {fk.column.table.name for tb in STUDY_TABLES for c in tb.c for fk in c.foreign_keys}


# (column, referred table) of every foreign key, per table.
_REFERENCES = {
    tb.name: [(c.name, fk.column.table.name) for c in tb.c for fk in c.foreign_keys]
    for tb in STUDY_TABLES
}


def _remap(
    table: Table, row: dict[str, Any], ids: dict[str, dict[int, int]], file: str
) -> dict[str, Any]:
    out = dict(row)
    out.pop("id", None)
    for column, referred in _REFERENCES[table.name]:
        old = out.get(column)
        if old is None:
            continue
        new = ids[referred].get(old)
        if new is None:
            raise CxgapError(
                f"{file}: {table.name} row {row.get('id')} refers to "
                f"{referred} {old}, which the file does not hold"
            )
        out[column] = new
    return out


def copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], file: str) -> bool:
    """Write ``rows`` with PostgreSQL's ``COPY ... FROM STDIN`` (several times
    faster than inserts) inside the connection's transaction.

    Returns ``False``, writing nothing, where COPY does not apply: another
    database, a table with JSON columns, or rows that do not all name the
    same columns (a missing column must take its default, as in an insert).
    """
    if conn.dialect.name != "postgresql" or not rows:
        return False
    columns = list(rows[0])
    if any(len(r) != len(columns) or r.keys() != rows[0].keys() for r in rows):
        return False
    return copy_tuples(conn, table, columns, ([r[c] for c in columns] for r in rows), file)


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]], file: str) -> list[int]:
    """Insert ``rows``; the new ids in order when other tables refer to ``table``."""
    if not rows:
        return []
    if table.name in _REFERENCED:
        stmt = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return [int(r[0]) for r in conn.execute(stmt, rows)]
    if copy_rows(conn, table, rows, file):
        return []
    conn.execute(table.insert(), rows)
    return []


class _Importer:
    """The state of one import: new ids per table, counts, kept accounts."""

    def __init__(self, conn: Connection, file: str, progress: Callable[[int], None] | None) -> None:
        self.conn = conn
        self.progress = progress
        self.file = file
        self.ids: dict[str, dict[int, int]] = {tb.name: {} for tb in STUDY_TABLES}
        self.inserted: dict[str, int] = {tb.name: 0 for tb in STUDY_TABLES}
        self.kept = {"account": 0, "interaction_event": 0}
        self.kept_accounts: set[int] = set()
        self.read: dict[str, int] = {tb.name: 0 for tb in STUDY_TABLES}

    def table(self, archive: zipfile.ZipFile, table: Table) -> None:
        batch: list[dict[str, Any]] = []
        for row in read_rows(archive, table, self.file):
            batch.append(row)
            self.read[table.name] += 1
            if len(batch) >= CHUNK:
                self.batch(table, batch)
                batch = []
        self.batch(table, batch)

    def batch(self, table: Table, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        rows = [_remap(table, r, self.ids, self.file) for r in batch]
        if any(not isinstance(r.get("id"), int) for r in batch):
            raise CxgapError(f"{self.file}: {table.name}: every row needs its integer id")
        old_ids = [int(r["id"]) for r in batch]
        stored: dict[int, int] = {}  # position in batch -> id of the row kept as stored
        if table is t.organisation:
            for i, row in enumerate(rows):
                found = self.conn.execute(
                    select(t.organisation.c.id).where(t.organisation.c.name == row["name"])
                ).scalar()
                if found is not None:
                    stored[i] = int(found)
        elif table is t.account:
            existing = dict(
                self.conn.execute(
                    select(t.account.c.external_id, t.account.c.id).where(
                        t.account.c.organisation_id.in_({r["organisation_id"] for r in rows}),
                        t.account.c.external_id.in_([r["external_id"] for r in rows]),
                    )
                ).all()
            )
            stored = {
                i: int(existing[r["external_id"]])
                for i, r in enumerate(rows)
                if r["external_id"] in existing
            }
            self.kept["account"] += len(stored)
            self.kept_accounts.update(stored.values())
        elif table is t.interaction_event and self.kept_accounts:
            keys = [
                (r["account_id"], r["source_id"])
                for r in rows
                if r["account_id"] in self.kept_accounts
            ]
            present = (
                set(
                    self.conn.execute(
                        select(
                            t.interaction_event.c.account_id, t.interaction_event.c.source_id
                        ).where(
                            tuple_(
                                t.interaction_event.c.account_id, t.interaction_event.c.source_id
                            ).in_(keys)
                        )
                    ).all()
                )
                if keys
                else set()
            )
            stored = {
                i: 0 for i, r in enumerate(rows) if (r["account_id"], r["source_id"]) in present
            }
            self.kept["interaction_event"] += len(stored)
        fresh = [i for i in range(len(rows)) if i not in stored]
        try:
            new_ids = _insert(self.conn, table, [rows[i] for i in fresh], self.file)
        except SQLAlchemyError as exc:
            raise CxgapError(f"{self.file}: {table.name}: {db_reason(exc)}") from None
        mapping = self.ids[table.name]
        for i, kept_id in stored.items():
            mapping[old_ids[i]] = kept_id
        for i, new in zip(fresh, new_ids, strict=False):
            mapping[old_ids[i]] = new
        self.inserted[table.name] += len(fresh)
        if self.progress:
            self.progress(len(rows))


def import_study(
    db: Database,
    path: str | Path,
    *,
    on_manifest: Callable[[Manifest], None] | None = None,
    progress: Callable[[int], None] | None = None,
    max_unzipped: int = MAX_ARCHIVE_BYTES,
) -> StudyImport:
    """Store the study of export file ``path`` in ``db``, in one transaction.

    An empty database is given the current schema first. The study's slug
    must be new to ``db``; its organisation is created, or reused when one of
    the same name exists (its accounts are then matched by external id and
    kept as stored). Nothing is written when anything fails.
    ``on_manifest(manifest)`` is called once the file is checked (to size a
    progress bar from its row counts), ``progress(n)`` as rows are stored.
    A file whose members unzip to more than ``max_unzipped`` bytes in all
    (:data:`~cxgap.contracts.limits.MAX_ARCHIVE_BYTES`, 10 GiB) is refused
    before anything is read.
    """
    file = str(path)
    with open_archive(path, max_unzipped=max_unzipped) as archive:
        manifest = read_manifest(archive, file)
        check_manifest(manifest, expected=FORMAT, file=file)
        if not manifest.study or not manifest.organisation:
            raise CxgapError(f"{file}: manifest.json names no study or organisation")
        if on_manifest:
            on_manifest(manifest)
        ensure_schema(db)
        if manifest.schema_revision != head_revision():
            raise DatabaseError(
                f"{file} was written at schema revision {manifest.schema_revision}; this "
                f"cxgap is at {head_revision()}: import it with the cxgap that wrote it, "
                "back up that database and restore the backup here instead"
            )
        with db.begin() as conn:
            taken = conn.execute(select(t.study.c.id).where(t.study.c.slug == manifest.study))
            if taken.first() is not None:
                raise CxgapError(
                    f"{db.url} already holds a study {manifest.study!r}: import it into another "
                    "database, or delete that study first"
                )
            importer = _Importer(conn, file, progress)
            for table in STUDY_TABLES:
                importer.table(archive, table)
            check_counts(manifest, importer.read, file=file, what="read")
            if importer.inserted["study"] != 1:
                raise CxgapError(
                    f"{file} holds {importer.inserted['study']} studies, expected exactly one"
                )
    return StudyImport(
        file=file,
        study=manifest.study,
        organisation=manifest.organisation,
        inserted=importer.inserted,
        kept=importer.kept,
    )
