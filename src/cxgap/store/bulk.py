"""Writing many rows at once, inside the caller's transaction.

Large writes (a survey export of 100,000 rows is millions of answers; a
ledger is millions of events) spend their time in per-row Python, not in the
database. :func:`insert_rows` takes the rows column by column, as plain Python
values, and hands them to the driver in one call: PostgreSQL's ``COPY ... FROM
STDIN`` (:func:`copy_tuples`), or the driver's ``executemany`` on other
databases, with each column's SQLAlchemy bind processor applied first so that
the stored values are exactly those a Core ``INSERT`` would store (e.g.
SQLite date-times as SQLAlchemy's text format).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table

from cxgap.errors import CxgapError

__all__ = ["copy_tuples", "insert_rows"]


def copy_tuples(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    file: str,
) -> bool:
    """Write ``rows`` (one value per name in ``columns``) with PostgreSQL's
    ``COPY ... FROM STDIN`` inside the connection's transaction.

    Returns ``False``, writing nothing, where COPY does not apply: another
    database or a table with JSON columns. A database error (a duplicate
    key, a value too long) raises :class:`CxgapError` naming ``file`` and the
    table.
    """
    if conn.dialect.name != "postgresql":
        return False
    if any(isinstance(c.type, JSON) for c in table.c):
        return False
    names = ", ".join(f'"{table.c[c].name}"' for c in columns)
    driver = conn.connection.driver_connection
    if driver is None:  # pragma: no cover - a checked-out connection always has one
        return False
    try:
        with (
            driver.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            for r in rows:
                copy.write_row(r)
    except conn.dialect.loaded_dbapi.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CxgapError(f"{file}: {table.name}: {reason}") from None
    return True


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    file: str,
) -> None:
    """Insert rows given column by column (``{name: values}``, plain Python
    values, ``None`` for NULL, all of one length) into ``table`` in the
    connection's transaction: COPY on PostgreSQL, one ``executemany``
    elsewhere.

    Examples
    --------
    >>> from sqlalchemy import Column, Integer, MetaData, String, create_engine
    >>> t = Table("x", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
    >>> engine = create_engine("sqlite://")
    >>> t.metadata.create_all(engine)
    >>> with engine.begin() as conn:
    ...     insert_rows(conn, t, {"name": ["a", "b"]}, "<test>")
    ...     conn.execute(t.select().order_by(t.c.id)).all()
    [(1, 'a'), (2, 'b')]
    """
    names = list(columns)
    values = list(columns.values())
    if not names or not len(values[0]):
        return
    if copy_tuples(conn, table, names, zip(*values, strict=True), file):
        return
    dialect = conn.dialect
    for j, name in enumerate(names):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[j] = [process(v) for v in values[j]]
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in names)
    quoted = ", ".join(f'"{table.c[c].name}"' for c in names)
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', list(zip(*values, strict=True))
    )
