"""Backing up and restoring a whole cxgap database: ``cxgap backup`` / ``cxgap restore``.

A backup is a zip file holding ``manifest.json`` (``format`` =
``"cxgap-backup"``, ``format_version``, cxgap version, schema revision,
``kind``, creation time, row count of every table) and one payload:

- ``kind = "sqlite"``: ``database.sqlite``, a copy made through SQLite's
  online backup API (consistent, and safe while others write);
- ``kind = "pg_dump"``: ``database.pgdump``, ``pg_dump --format=custom`` run on
  the same snapshot the manifest's counts were read from;
- ``kind = "portable"``: ``tables/<table>.jsonl``, every row of every table as
  JSON lines, read in one snapshot (any engine; used for PostgreSQL when
  ``pg_dump`` is not on the PATH, or on request).

Dashboard sessions are left out of every kind (their rows are deleted from
the SQLite copy, ``pg_dump`` skips their data, the portable kind skips the
table), and a restore ends every session of the database it restores into.

Restore refuses a database that holds any row unless ``force``; refuses a
backup of a future format or an unknown schema revision; restores in one
transaction (SQLite's backup API, ``pg_restore --single-transaction``, or one
transaction of inserts), and upgrades a backup of an older schema to the
current one afterwards. A SQLite backup restores into PostgreSQL (and a
portable one into either) through the portable path; a ``pg_dump`` backup
needs PostgreSQL and ``pg_restore``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Table, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from cxgap import __version__
from cxgap.contracts.limits import MAX_ARCHIVE_BYTES
from cxgap.contracts.result import Result
from cxgap.contracts.unzip import open_member
from cxgap.errors import CxgapError, DatabaseError
from cxgap.operations.transfer import (
    FORMAT_VERSION,
    Manifest,
    check_counts,
    check_manifest,
    copy_rows,
    db_reason,
    decode_value,
    encode_rows,
    encode_value,
    open_archive,
    read_manifest,
    read_rows,
    snapshot,
    write_table,
    written_atomically,
)
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.migrate import current_revision, head_revision, upgrade
from cxgap.store.sessions import end_all_sessions

__all__ = [
    "BACKUP_FORMAT",
    "BackupResult",
    "RestoreResult",
    "backup_database",
    "database_is_empty",
    "restore_database",
]

BACKUP_FORMAT = "cxgap-backup"
Kind = Literal["sqlite", "pg_dump", "portable"]
#: Tables whose rows are never backed up. A session restored would be live
#: again: one signed out (or ended by a new password) after the backup was
#: made would open the dashboard once more, and a row names its user by id,
#: which after a restore over another database may be someone else. Its
#: stored hash is useless to whoever reads the backup, but the row has no
#: reason to be there: after a restore everyone signs in again.
NOT_BACKED_UP = frozenset({t.session.name})
#: The tables a backup holds, parents before children.
TABLES: list[Table] = [tb for tb in t.metadata.sorted_tables if tb.name not in NOT_BACKED_UP]
CHUNK = 5_000


class BackupResult(Result):
    """What ``cxgap backup`` wrote."""

    file: str
    kind: str
    database: str
    schema_revision: str
    tables: dict[str, int]
    bytes: int


class RestoreResult(Result):
    """What ``cxgap restore`` restored; ``upgraded_from`` is the backup's schema
    revision when it was older than this cxgap's and the database was upgraded."""

    file: str
    kind: str
    database: str
    schema_revision: str
    tables: dict[str, int]
    upgraded_from: str | None = None


def _counts(conn: Connection) -> dict[str, int]:
    return {
        tb.name: int(conn.execute(select(func.count()).select_from(tb)).scalar_one())
        for tb in TABLES
    }


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def database_is_empty(db: Database) -> bool:
    """Whether ``db`` holds no row in any cxgap table (no schema counts as empty)."""
    present = set(db.table_names())
    with db.connect() as conn:
        for tb in TABLES:
            if tb.name in present and conn.execute(select(tb.c.id).limit(1)).first():
                return False
    return True


def _sqlite_path(db: Database) -> str:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise DatabaseError("an in-memory SQLite database cannot be backed up or restored")
    return path


def _pg_env(db: Database) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore (the password never on a command line)."""
    url = db.engine.url
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[var] = str(value)
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        reason = lines[0] if lines else f"exit status {done.returncode}"
        raise DatabaseError(f"{what} failed: {reason}")


# --- backup ---------------------------------------------------------------------


def backup_database(
    db: Database, out: str | Path, *, portable: bool = False, pg_dump: str | None = None
) -> BackupResult:
    """Write a backup of the whole database ``db`` to the zip file ``out``.

    SQLite is copied with the online backup API, PostgreSQL with ``pg_dump``
    (``pg_dump`` names the program; by default the one on the PATH); with
    ``portable``, or when ``pg_dump`` is not found, every table is written
    as JSON lines. The file appears under its name only once complete.
    """
    out = Path(out)
    with (
        written_atomically(out) as tmp,
        tempfile.TemporaryDirectory(prefix="cxgap-backup-", dir=out.parent) as work,
    ):
        if db.dialect == "sqlite" and not portable:
            kind: Kind = "sqlite"
            revision, counts, payload = _backup_sqlite(db, Path(work))
        elif db.dialect == "postgresql" and not portable and (pg_dump or shutil.which("pg_dump")):
            kind = "pg_dump"
            program = pg_dump or shutil.which("pg_dump") or "pg_dump"
            revision, counts, payload = _backup_pg(db, Path(work), program)
        else:
            kind = "portable"
            revision, counts, payload = None, {}, None
        if revision is None and kind != "portable":
            raise DatabaseError(f"{db.url} has no cxgap schema: nothing to back up")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            if payload is not None:
                zf.write(payload, payload.name)
            else:
                revision, counts = _backup_rows(db, zf)
            manifest = Manifest(
                format=BACKUP_FORMAT,
                format_version=FORMAT_VERSION,
                cxgap_version=__version__,
                schema_revision=revision,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                kind=kind,
                tables=counts,
            )
            zf.writestr("manifest.json", json.dumps(manifest.to_json_dict(), indent=2))
    return BackupResult(
        file=str(out),
        kind=kind,
        database=db.url,
        schema_revision=revision or "",
        tables=counts,
        bytes=out.stat().st_size,
    )


def _backup_sqlite(db: Database, work: Path) -> tuple[str | None, dict[str, int], Path]:
    target = work / "database.sqlite"
    source = sqlite3.connect(_sqlite_path(db), timeout=30)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): the copy is of one consistent state; in WAL mode
        # writers go on meanwhile.
        source.backup(copy)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot back up {db.url}: {exc}") from None
    finally:
        source.close()
        copy.close()
    settings = Settings.load(database_url=f"sqlite:///{target}")
    with Database.open(settings) as backup_db:
        present = set(backup_db.table_names())
        with backup_db.connect() as conn:
            for name in sorted(NOT_BACKED_UP & present):
                conn.execute(delete(t.metadata.tables[name]))
            conn.commit()
            revision = _revision(conn)
            counts = _counts(conn) if revision else {}
            conn.commit()
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")  # one self-contained file
    return revision, counts, target


def _backup_pg(db: Database, work: Path, program: str) -> tuple[str | None, dict[str, int], Path]:
    target = work / "database.pgdump"
    with snapshot(db) as conn:
        revision = _revision(conn)
        if revision is None:
            return None, {}, target
        counts = _counts(conn)
        snap = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        # pg_dump reads the very snapshot the counts came from, while it is held open.
        args = [program, "--format=custom", "--no-owner", "--no-privileges"]
        args += [f"--exclude-table-data={name}" for name in sorted(NOT_BACKED_UP)]
        _run([*args, f"--snapshot={snap}", f"--file={target}"], _pg_env(db), "pg_dump")
    return revision, counts, target


def _backup_rows(db: Database, zf: zipfile.ZipFile) -> tuple[str | None, dict[str, int]]:
    counts: dict[str, int] = {}
    with snapshot(db) as conn:
        revision = _revision(conn)
        if revision is None:
            raise DatabaseError(f"{db.url} has no cxgap schema: nothing to back up")
        for tb in TABLES:
            rows = conn.execution_options(yield_per=CHUNK).execute(select(tb).order_by(tb.c.id))
            counts[tb.name] = write_table(zf, tb.name, encode_rows(rows))
    return revision, counts


# --- restore --------------------------------------------------------------------


def restore_database(
    db: Database,
    path: str | Path,
    *,
    force: bool = False,
    pg_restore: str | None = None,
    max_unzipped: int = MAX_ARCHIVE_BYTES,
) -> RestoreResult:
    """Restore the backup file ``path`` into ``db``.

    Refuses when ``db`` holds any row, unless ``force`` (then everything in it
    is replaced). The whole restore is one transaction. A file whose members
    unzip to more than ``max_unzipped`` bytes in all
    (:data:`~cxgap.contracts.limits.MAX_ARCHIVE_BYTES`, 10 GiB) is refused
    before anything is read.
    """
    file = str(path)
    with open_archive(path, max_unzipped=max_unzipped) as archive:
        manifest = read_manifest(archive, file)
        check_manifest(manifest, expected=BACKUP_FORMAT, file=file)
        revision = manifest.schema_revision
        if revision is None:
            raise CxgapError(f"{file}: the manifest names no schema revision")
        if not database_is_empty(db) and not force:
            raise CxgapError(
                f"{db.url} is not empty: restoring would replace everything in it; "
                "add --force to do so, or restore into an empty database"
            )
        with tempfile.TemporaryDirectory(prefix="cxgap-restore-") as work:
            if manifest.kind == "sqlite":
                source = _member(archive, "database.sqlite", work, file)
                _check_sqlite_file(source, manifest, file)
                if db.dialect == "sqlite":
                    _restore_sqlite(db, source)
                else:
                    _restore_from_sqlite_file(db, source, revision, file, manifest)
            elif manifest.kind == "pg_dump":
                if db.dialect != "postgresql":
                    raise CxgapError(
                        f"{file} was made with pg_dump: restore it into PostgreSQL, or make a "
                        "portable backup (cxgap backup --portable) to restore into SQLite"
                    )
                program = pg_restore or shutil.which("pg_restore")
                if program is None:
                    raise CxgapError(f"{file} was made with pg_dump; pg_restore is not on the PATH")
                dump = _member(archive, "database.pgdump", work, file)
                _restore_pg(db, dump, program)
            elif manifest.kind == "portable":
                _restore_rows(db, revision, lambda tb: read_rows(archive, tb, file), file, manifest)
            else:
                raise CxgapError(f"{file}: unknown backup kind {manifest.kind!r}")
    db.engine.dispose()  # connections opened before the restore may cache the old schema
    upgraded_from = None
    now = current_revision(db)
    if now != head_revision():
        upgrade(db)
        upgraded_from = now
    # Whatever the file held (a copy made by other means, say), no session
    # outlives a restore: see NOT_BACKED_UP.
    end_all_sessions(db)
    with db.connect() as conn:
        counts = _counts(conn)
    return RestoreResult(
        file=file,
        kind=manifest.kind or "",
        database=db.url,
        schema_revision=head_revision(),
        tables=counts,
        upgraded_from=upgraded_from,
    )


def _member(archive: zipfile.ZipFile, name: str, work: str, file: str) -> Path:
    """Member ``name`` copied into folder ``work``, no more bytes than it declares."""
    target = Path(work) / name
    try:
        with open_member(archive, name, file) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        return target
    except KeyError:
        raise CxgapError(f"{file} has no {name}: the backup is incomplete") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CxgapError(f"{file}: {name} is damaged ({exc})") from None


def _restore_pg(db: Database, dump: Path, program: str) -> None:
    db.engine.dispose()
    args = [program, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
    # --clean drops the dump's tables first (inside the same transaction).
    args += ["--clean", "--if-exists", f"--dbname={db.engine.url.database}", str(dump)]
    _run(args, _pg_env(db), "pg_restore")


def _restore_sqlite(db: Database, source: Path) -> None:
    db.engine.dispose()
    backup = sqlite3.connect(source)
    target = sqlite3.connect(_sqlite_path(db), timeout=30)
    try:
        # The backup API replaces the target's pages inside one write transaction.
        backup.backup(target)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot restore into {db.url}: {exc}") from None
    finally:
        backup.close()
        target.close()
    with db.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def _check_sqlite_file(source: Path, manifest: Manifest, file: str) -> None:
    """Refuse a SQLite backup file that does not hold the rows its manifest
    counted, before anything in the target is replaced."""
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            found = {
                name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])
                for name in manifest.tables
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CxgapError(f"{file}: database.sqlite is damaged ({exc})") from None
    check_counts(manifest, found, file=file, what="in database.sqlite")


def _restore_from_sqlite_file(
    db: Database, source: Path, revision: str, file: str, manifest: Manifest
) -> None:
    settings = Settings.load(database_url=f"sqlite:///{source}")
    with Database.open(settings) as backup_db, backup_db.connect() as conn:

        def rows(tb: Table) -> Iterator[dict[str, Any]]:
            result = conn.execution_options(yield_per=CHUNK).execute(select(tb).order_by(tb.c.id))
            for r in result.mappings():
                yield {k: decode_value(tb, k, encode_value(v)) for k, v in r.items()}

        _restore_rows(db, revision, rows, file, manifest)


def _restore_rows(
    db: Database,
    revision: str,
    rows: Callable[[Table], Iterator[dict[str, Any]]],
    file: str,
    manifest: Manifest,
) -> None:
    """Insert every table's rows, ids kept, in one transaction; refused (and
    rolled back) when a table's rows differ from the manifest's count."""
    if revision != head_revision():
        raise CxgapError(
            f"{file} is at schema revision {revision}; a row-by-row restore needs "
            f"{head_revision()}: restore it with the cxgap that made it, then upgrade"
        )
    present = current_revision(db)
    if present is None and not any(tb.name in db.table_names() for tb in TABLES):
        upgrade(db, revision)
    elif present != revision:
        raise CxgapError(
            f"{db.url} is at schema revision {present}, the backup at {revision}: "
            "restore into an empty database"
        )
    with db.begin() as conn:
        # Every table is emptied, sessions included, though not every one is restored.
        for tb in reversed(t.metadata.sorted_tables):
            conn.execute(delete(tb))
        found: dict[str, int] = {}
        for tb in TABLES:
            batch: list[dict[str, Any]] = []
            found[tb.name] = 0
            for row in rows(tb):
                batch.append(row)
                found[tb.name] += 1
                if len(batch) >= CHUNK:
                    _insert_rows(conn, tb, batch, file)
                    batch = []
            _insert_rows(conn, tb, batch, file)
        check_counts(manifest, found, file=file, what="restored")
        if db.dialect == "postgresql":
            for tb in TABLES:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{tb.name}', 'id'), "
                        f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {tb.name}"
                    )
                )


def _insert_rows(conn: Connection, tb: Table, batch: list[dict[str, Any]], file: str) -> None:
    if not batch or copy_rows(conn, tb, batch, file):
        return
    try:
        conn.execute(tb.insert(), batch)
    except SQLAlchemyError as exc:
        raise CxgapError(f"{file}: {tb.name}: {db_reason(exc)}") from None
