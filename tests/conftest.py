"""Shared fixtures: small, named for the state they hold.

Database tests run on SQLite and on the PostgreSQL server of this machine
(``CXGAP_TEST_POSTGRES``, default ``postgresql+psycopg://postgres@127.0.0.1:5432``):
each test session creates its own PostgreSQL database and drops it at the
end. Where no server answers, the PostgreSQL cases skip with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.migrate import upgrade
from tests.postgres import POSTGRES_SERVER, reset_postgres
from tests.skips import (
    pytest_runtest_makereport,  # noqa: F401 (the skip policy's hook)
    skip_service,
)
from tests.webhooks import Webhook, receive_webhooks


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session."""
    import psycopg

    conninfo = POSTGRES_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    name = f"cxgap_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        skip_service(
            "postgres", f"no PostgreSQL server at {POSTGRES_SERVER}: {exc}".splitlines()[0]
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database: a temporary SQLite file, or the session's
    PostgreSQL database emptied for this test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cxgap.db'}"
    url: str = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


@pytest.fixture
def empty_db(db_url: str) -> Iterator[Database]:
    """An empty database, no schema yet."""
    db = Database.open(Settings.load(database_url=db_url))
    yield db
    db.close()


@pytest.fixture
def fresh_db(empty_db: Database) -> Database:
    """A database at the current schema, holding nothing."""
    upgrade(empty_db)
    return empty_db


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a SQLite database holding the demo company (seed 7), shared by
    tests that only read it."""
    from cxgap.demo.install import install_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        install_demo(db, seed=7)
    return url


@pytest.fixture
def demo_copy_url(demo_db_url: str, tmp_path: Path) -> str:
    """URL of a private copy of the demo database, for tests that write."""
    import shutil

    source = Path(demo_db_url.removeprefix("sqlite:///"))
    target = tmp_path / "demo-copy.db"
    with Database.open(Settings.load(database_url=demo_db_url)) as db, db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A webhook receiver running in a thread for the test."""
    with receive_webhooks() as hook:
        yield hook
