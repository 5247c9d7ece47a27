"""Storage: the only package that knows SQL.

A :class:`Database` is opened from :class:`cxgap.Settings` and passed to the
store functions; SQLite (WAL) by default, PostgreSQL through psycopg 3.
"""

from cxgap.store.db import Database
from cxgap.store.migrate import ensure_schema, upgrade

__all__ = ["Database", "ensure_schema", "upgrade"]
