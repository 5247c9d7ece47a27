"""Schema migrations with Alembic, driven from Python.

``cxgap db upgrade`` calls :func:`upgrade`. Commands that write to a brand-new
(empty) database upgrade it themselves, through the same migrations; a
database at an older revision is never changed behind the user's back.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cxgap.errors import DatabaseError
from cxgap.store.db import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def head_revision() -> str:
    """The newest migration this version of cxgap knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


def current_revision(db: Database) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with db.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade the schema; return (revision before, revision after)."""
    before = current_revision(db)
    cfg = _config()
    with db.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(db) or ""


def ensure_schema(db: Database, *, create: bool = True) -> None:
    """Make sure the schema is current before using the database.

    An empty database is created through the migrations when ``create``; a
    database at another revision raises :class:`DatabaseError` telling the
    user to run ``cxgap db upgrade``.
    """
    current = current_revision(db)
    head = head_revision()
    if current == head:
        return
    if current is None and not db.table_names() and create:
        upgrade(db)
        return
    if current is None:
        raise DatabaseError(
            f"{db.url} has no cxgap schema: run `cxgap db upgrade --db URL` to create it"
        )
    raise DatabaseError(
        f"{db.url} is at schema revision {current}, this cxgap needs {head}: run `cxgap db upgrade`"
    )
