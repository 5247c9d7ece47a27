"""Stored dashboard sessions (``cxgap.store.sessions``): only a hash is kept,
a session ends when its row goes, expired rows are pruned at sign-in, and
``last_seen_at`` is written at most every few minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from cxgap.errors import CxgapError
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.sessions import (
    end_all_sessions,
    end_session,
    session_user_id,
    start_session,
)
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study

PASSWORD = "correct horse battery"


def _later(hours: float = 8) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def _utc(value: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@pytest.fixture
def ann(fresh_db: Database) -> int:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    return add_user(
        fresh_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD
    ).id


def _rows(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.session)).scalar_one())


def test_a_session_names_its_user_and_only_its_hash_is_stored(fresh_db: Database, ann: int) -> None:
    sid = start_session(fresh_db, ann, _later())
    assert len(sid) >= 43  # 256 bits, URL-safe base64
    assert session_user_id(fresh_db, sid) == ann
    with fresh_db.connect() as conn:
        [row] = conn.execute(select(t.session)).mappings().all()
    assert sid not in " ".join(str(v) for v in row.values())
    assert row["user_id"] == ann and len(row["token_hash"]) == 64
    assert session_user_id(fresh_db, row["token_hash"]) is None  # the hash opens nothing
    assert session_user_id(fresh_db, sid[:-1] + ("A" if sid[-1] != "A" else "B")) is None


def test_an_ended_session_names_nobody_and_ending_it_twice_is_harmless(
    fresh_db: Database, ann: int
) -> None:
    gone, kept = start_session(fresh_db, ann, _later()), start_session(fresh_db, ann, _later())
    end_session(fresh_db, gone)
    end_session(fresh_db, gone)
    assert session_user_id(fresh_db, gone) is None
    assert session_user_id(fresh_db, kept) == ann
    assert end_all_sessions(fresh_db) == 1
    assert session_user_id(fresh_db, kept) is None


def test_an_expired_session_names_nobody_and_is_pruned_at_the_next_sign_in(
    fresh_db: Database, ann: int
) -> None:
    old = start_session(fresh_db, ann, _later(-1))
    assert session_user_id(fresh_db, old) is None
    assert _rows(fresh_db) == 1
    start_session(fresh_db, ann, _later())
    assert _rows(fresh_db) == 1  # the expired row went; the new one stays


def test_a_session_end_must_be_an_aware_time(fresh_db: Database, ann: int) -> None:
    with pytest.raises(CxgapError, match="aware"):
        start_session(fresh_db, ann, datetime.now() + timedelta(hours=1))


def test_last_seen_is_written_only_when_older_than_the_step(fresh_db: Database, ann: int) -> None:
    sid = start_session(fresh_db, ann, _later())

    def seen_at(moment: datetime | None = None) -> datetime:
        with fresh_db.begin() as conn:
            if moment is not None:
                conn.execute(update(t.session).values(last_seen_at=moment))
            return _utc(conn.execute(select(t.session.c.last_seen_at)).scalar_one())

    recent = seen_at(datetime.now(UTC) - timedelta(minutes=1))
    session_user_id(fresh_db, sid)
    assert seen_at() == recent  # a page view within the step writes nothing
    seen_at(datetime.now(UTC) - timedelta(minutes=10))
    before = datetime.now(UTC) - timedelta(seconds=5)
    session_user_id(fresh_db, sid)
    assert seen_at() >= before
