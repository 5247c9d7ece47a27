"""Writing many rows at once, inside the caller's transaction.

Large writes (a survey export of 100,000 rows is millions of answers; a
ledger is millions of events) spend their time in per-row Python, not in the
database. :func:`insert_rows` takes the rows column by column, as plain Python
values, and hands them to the driver in one call: PostgreSQL's ``COPY ... FROM
STDIN`` (:func:`copy_tuples`), or the driver's ``executemany`` on other
databases, with each column's SQLAlchemy bind processor applied first so that
the stored values are exactly those a Core ``INSERT`` would store (e.g.
SQLite date-times as SQLAlchemy's text format). :func:`read_columns` is the
way back: a query's columns as NumPy arrays, read from the driver's cursor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Select, Table

from cxgap.errors import CxgapError

__all__ = ["SHARED", "copy_tuples", "insert_rows", "read_columns"]

SHARED = "shared"
"""A :func:`read_columns` dtype: text whose equal values share one object."""


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


def read_columns(
    conn: Connection,
    statement: Select[Any],
    dtypes: Sequence[Any],
    *,
    chunk: int = 100_000,
) -> list[np.ndarray]:
    """Run ``statement`` and return its columns as NumPy arrays of
    ``dtypes`` (``object`` for text, ``float`` turns NULL into NaN,
    ``datetime64[us]`` parses date-times, chunk by chunk, and
    :data:`SHARED` for text that repeats: an object array in which equal
    values are one Python object, so a million rows of "support" cost a
    million pointers, not a million strings); every column must hold scalars
    (no JSON).

    The rows are read straight from the driver's cursor, ``chunk`` at a
    time (a server-side cursor on PostgreSQL), with no SQLAlchemy row objects
    and no result processors: values are what the driver returns (SQLite
    gives date-times as text, which ``pandas.to_datetime`` reads). The
    statement's parameters go through their bind processors, as in
    :meth:`Connection.execute`.

    Examples
    --------
    >>> from sqlalchemy import Column, Float, Integer, MetaData, create_engine, select
    >>> t = Table("x", MetaData(), Column("id", Integer, primary_key=True), Column("v", Float))
    >>> engine = create_engine("sqlite://")
    >>> t.metadata.create_all(engine)
    >>> with engine.begin() as conn:
    ...     insert_rows(conn, t, {"v": [1.5, None]}, "<test>")
    ...     ids, v = read_columns(conn, select(t.c.id, t.c.v).order_by(t.c.id), [np.int64, float])
    >>> ids.tolist(), v.tolist()
    ([1, 2], [1.5, nan])
    """
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect)
    values = compiled.construct_params()
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and name in values:
            values[name] = process(values[name])
    params: Any = (
        tuple(values[name] for name in compiled.positiontup or ())
        if compiled.positional
        else values
    )
    driver = conn.connection.driver_connection
    if driver is None:  # pragma: no cover - a checked-out connection always has one
        raise CxgapError("no database connection")
    parts: list[list[np.ndarray]] = [[] for _ in dtypes]
    pools: list[dict[Any, Any]] = [{} for _ in dtypes]
    server_side = dialect.name == "postgresql"
    cursor = driver.cursor(name="cxgap_read_columns") if server_side else driver.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(chunk):
            block = np.empty((len(rows), len(dtypes)), dtype=object)
            block[:] = rows  # one C loop; much faster than zip(*rows)
            for j, dtype in enumerate(dtypes):
                column = block[:, j]
                parts[j].append(_share(column, pools[j]) if dtype is SHARED else _as(column, dtype))
    finally:
        cursor.close()
    return [
        np.concatenate(p) if p else np.empty(0, dtype=object if d is SHARED else d)
        for p, d in zip(parts, dtypes, strict=True)
    ]


def _share(values: np.ndarray, pool: dict[Any, Any]) -> np.ndarray:
    """``values`` (objects) with equal values replaced by one object from
    ``pool`` (the first seen), ``None`` kept."""
    codes, uniques = pd.factorize(values)
    canonical = np.empty(len(uniques) + 1, dtype=object)  # the last one: None
    canonical[:-1] = [pool.setdefault(u, u) for u in uniques.tolist()]
    return canonical[codes]


def _as(values: np.ndarray, dtype: Any) -> np.ndarray:
    """An object column as ``dtype``; NULL (``None``) becomes NaN in floats
    and NaT in date-times."""
    if np.dtype(dtype) == np.dtype(object):
        return values.copy()  # not a view: it would keep the chunk's every value alive
    if np.dtype(dtype).kind == "M":  # text (SQLite) or datetimes (PostgreSQL)
        return np.asarray(pd.to_datetime(values).to_numpy().astype(dtype))
    if np.dtype(dtype).kind == "f":
        out = np.full(len(values), np.nan, dtype=dtype)
        filled = pd.notna(values)
        out[filled] = values[filled].astype(dtype)
        return out
    return values.astype(dtype)
