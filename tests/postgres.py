"""The PostgreSQL server the tests use (``CXGAP_TEST_POSTGRES``): each test
session gets a database of its own (the ``postgres_url`` fixture)."""

from __future__ import annotations

import os

POSTGRES_SERVER = os.environ.get(
    "CXGAP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def reset_postgres(url: str) -> None:
    """Empty the database at ``url``: drop and recreate its public schema."""
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
