"""Signed-in dashboard sessions, kept in the database so that they can end.

A session id is 256 bits from :mod:`secrets`; the cookie carries it and the
``session`` table keeps only its SHA-256 (a copy of the table opens no
session), with the user, and when the session started, expires and was last
seen. Ending a session deletes its row: signing out ends one, a password
change or the user's removal ends all of theirs, a restore ends every one.
The store is shared by every worker and server, so a session ended through
one of them is ended for all.

Checking a session is one lookup on the unique ``token_hash`` index; it
writes only when ``last_seen_at`` is older than :data:`LAST_SEEN_STEP`, so a
page view is a read. Expired rows are deleted whenever someone signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from cxgap.errors import CxgapError
from cxgap.store import schema as t
from cxgap.store.db import Database

__all__ = [
    "LAST_SEEN_STEP",
    "end_all_sessions",
    "end_session",
    "end_sessions_of",
    "session_user_id",
    "start_session",
]

#: ``last_seen_at`` is written at most this often per session.
LAST_SEEN_STEP = timedelta(minutes=5)
#: Longer values cannot be session ids (and are not hashed).
_MAX_ID = 100


def _hash(session_id: str) -> str:
    """SHA-256 of a session id, as stored. A plain hash suffices: the id is
    256 random bits, so there is nothing to guess from the hash."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def start_session(db: Database, user_id: int, expires_at: datetime) -> str:
    """Start a session of ``user_id`` that ends at ``expires_at``; return its
    id, which is not stored and cannot be read back. Expired sessions of
    everyone are deleted on the way (sign-in is rare enough to carry it)."""
    if expires_at.tzinfo is None:
        raise CxgapError("a session's end must be an aware date-time (UTC)")
    now = _now()
    session_id = secrets.token_urlsafe(32)
    with db.begin() as conn:
        conn.execute(delete(t.session).where(t.session.c.expires_at <= now))
        conn.execute(
            insert(t.session).values(
                user_id=user_id,
                token_hash=_hash(session_id),
                created_at=now,
                expires_at=expires_at.astimezone(UTC),
                last_seen_at=now,
            )
        )
    return session_id


def session_user_id(db: Database, session_id: str) -> int | None:
    """The user of the live session ``session_id``; ``None`` when it has
    ended, expired or never existed."""
    if not session_id or len(session_id) > _MAX_ID:
        return None
    now = _now()
    s = t.session.c
    with db.connect() as conn:
        row = conn.execute(
            select(s.id, s.user_id, (s.last_seen_at < now - LAST_SEEN_STEP).label("stale")).where(
                s.token_hash == _hash(session_id), s.expires_at > now
            )
        ).first()
    if row is None:
        return None
    if row.stale:
        with db.begin() as conn:
            conn.execute(update(t.session).where(s.id == row.id).values(last_seen_at=now))
    return int(row.user_id)


def end_session(db: Database, session_id: str) -> None:
    """End one session (nothing happens when it has ended already)."""
    if not session_id or len(session_id) > _MAX_ID:
        return
    with db.begin() as conn:
        conn.execute(delete(t.session).where(t.session.c.token_hash == _hash(session_id)))


def end_sessions_of(conn: Connection, user_id: int) -> int:
    """End every session of ``user_id`` inside the caller's transaction (so a
    password change and the end of the sessions it revokes commit together);
    return how many ended."""
    done = conn.execute(delete(t.session).where(t.session.c.user_id == user_id))
    return int(done.rowcount or 0)


def end_all_sessions(db: Database) -> int:
    """End every session of every user; return how many ended."""
    with db.begin() as conn:
        done = conn.execute(delete(t.session))
    return int(done.rowcount or 0)
