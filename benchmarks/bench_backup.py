"""Benchmark backups, restores, and moving a whole study between databases.

Usage::

    .venv/bin/python benchmarks/bench_backup.py --scale 1
    .venv/bin/python benchmarks/bench_backup.py --scale 4 --postgres postgresql+psycopg://postgres@127.0.0.1:5432

Installs the demo company at ``--scale`` into a temporary SQLite file (not
timed), then times each operation once and prints seconds, rows per second
and file size:

- ``cxgap backup`` of SQLite (online backup API) and ``--portable``;
- ``cxgap export`` of the demo study and ``cxgap import study`` into an empty
  SQLite database;
- with ``--postgres`` (a server URL without database name; a temporary
  database is created and dropped): ``import study`` into PostgreSQL (COPY),
  a SQLite backup restored into PostgreSQL, ``pg_dump`` backup and
  ``pg_restore`` into a second database.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cxgap.demo.install import install_demo
from cxgap.operations.backup import backup_database, restore_database
from cxgap.operations.transfer import export_study, import_study
from cxgap.settings import Settings
from cxgap.store.db import Database


def _open(url: str) -> Database:
    return Database.open(Settings.load(database_url=url))


@contextmanager
def _pg_database(server: str) -> Iterator[str]:
    import psycopg

    admin_url = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    name = f"cxgap_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _timed(label: str, rows: int, fn: Callable[[], Any], size: Path | None = None) -> Any:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    extra = f"  {size.stat().st_size / 1e6:7.1f} MB" if size is not None else ""
    print(f"{label:<44} {seconds:7.2f} s  {rows / seconds:9,.0f} rows/s{extra}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="demo scale (1 = 120 accounts)")
    parser.add_argument("--postgres", default=None, help="PostgreSQL server URL (optional)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'source.db'}"
        source = _open(url)
        start = time.perf_counter()
        install_demo(source, scale=args.scale)
        print(
            f"demo scale {args.scale} installed in {time.perf_counter() - start:.1f} s (not timed)"
        )
        with source.connect() as conn:
            rows = sum(
                conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
                for name in source.table_names()
                if name != "alembic_version"
            )
        print(f"{rows:,} rows in the database")
        _timed(
            "backup, SQLite online backup API",
            rows,
            lambda: backup_database(source, work / "b.zip"),
            work / "b.zip",
        )
        _timed(
            "backup --portable (JSON lines)",
            rows,
            lambda: backup_database(source, work / "p.zip", portable=True),
            work / "p.zip",
        )
        exported = _timed(
            "export demo",
            rows,
            lambda: export_study(source, "demo", work / "e.zip"),
            work / "e.zip",
        )
        study_rows = sum(exported.tables.values())
        with _open(f"sqlite:///{work / 'target.db'}") as target:
            _timed(
                "import study into empty SQLite",
                study_rows,
                lambda: import_study(target, work / "e.zip"),
            )
        with _open(f"sqlite:///{work / 'restored.db'}") as target:
            _timed(
                "restore SQLite backup into SQLite",
                rows,
                lambda: restore_database(target, work / "b.zip"),
            )
        if args.postgres:
            with _pg_database(args.postgres) as pg_url, _open(pg_url) as pg:
                _timed(
                    "import study into empty PostgreSQL (COPY)",
                    study_rows,
                    lambda: import_study(pg, work / "e.zip"),
                )
            with _pg_database(args.postgres) as pg_url, _open(pg_url) as pg:
                _timed(
                    "restore SQLite backup into PostgreSQL",
                    rows,
                    lambda: restore_database(pg, work / "b.zip"),
                )
                _timed(
                    "backup PostgreSQL, pg_dump",
                    rows,
                    lambda: backup_database(pg, work / "g.zip"),
                    work / "g.zip",
                )
                with _pg_database(args.postgres) as other_url, _open(other_url) as other:
                    _timed(
                        "restore pg_dump backup, pg_restore",
                        rows,
                        lambda: restore_database(other, work / "g.zip"),
                    )
        source.close()


if __name__ == "__main__":
    main()
