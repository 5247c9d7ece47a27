"""Opening the database: one engine per process, created explicitly.

SQLite (the embedded default) runs in WAL mode with a busy timeout and
foreign keys on, so a reader never blocks a writer and a crash never leaves a
half-written file. PostgreSQL is reached through psycopg 3 with a connection
pool.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from cxgap.errors import DatabaseError
from cxgap.settings import Settings, mask_url
from cxgap.store.definitions import DefinitionCache

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite returns naive UTC, PostgreSQL
    aware): a naive one is taken as UTC, an aware one converted."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an ``INSERT`` just created."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every cxgap table has an integer key
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


class Database:
    """A handle on one cxgap database: the engine and its URL.

    Create it with :meth:`open`; pass it to store functions; :meth:`close` it
    (or use it as a context manager) when done.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: Study definitions this process has read, by (id, revision).
        self.definitions = DefinitionCache()
        self._write_turn = threading.Lock()

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return mask_url(self.engine.url.render_as_string(hide_password=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def open(cls, settings: Settings, *, check: bool = True) -> Database:
        """Create the engine for ``settings.database_url`` and check it answers."""
        url = settings.database_url
        kwargs: dict[str, Any] = {"echo": settings.echo_sql, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs.update(
                pool_pre_ping=settings.db_pre_ping,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            )
        try:
            engine = create_engine(url, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise DatabaseError(f"cannot use database {mask_url(url)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        db = cls(engine)
        if check:
            try:
                with engine.connect():
                    pass
            except OperationalError as exc:
                engine.dispose()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise DatabaseError(f"cannot reach database {mask_url(url)}: {reason}") from None
        return db

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled
        back entirely on any error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def writing(self, conn: Connection) -> Iterator[Connection]:
        """The writes that end the transaction of ``conn``: committed when the
        block ends, rolled back on any error.

        On PostgreSQL the reads made on ``conn`` before belong to the same
        transaction. On SQLite they are ended first, so the write transaction
        starts with a write, which takes SQLite's write lock at once (waiting
        on the busy timeout) and no other writer can invalidate what it reads;
        and the threads of this process take turns on a lock, instead of
        queueing in SQLite's busy handler, which polls with sleeps of up to
        100 ms.
        """
        if self.dialect != "sqlite":
            with self._commit_or_rollback(conn):
                yield conn
            return
        conn.commit()
        with self._write_turn, self._commit_or_rollback(conn):
            yield conn

    @staticmethod
    @contextmanager
    def _commit_or_rollback(conn: Connection) -> Iterator[None]:
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def connection_limit(self) -> int | None:
        """PostgreSQL's ``max_connections`` (``None`` on SQLite)."""
        if self.dialect != "postgresql":
            return None
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql("SHOW max_connections").scalar_one())

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
