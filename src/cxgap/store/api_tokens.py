"""API tokens for the REST API: shown once, stored only as a hash.

A token is 256 bits from :mod:`secrets` with a ``cxg_`` prefix (so a leaked
token is easy to recognise in logs and scanners); the database keeps its
SHA-256. A token acts as its user, with that user's role in each
organisation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from cxgap.errors import NotFoundError
from cxgap.store import schema as t
from cxgap.store.db import Database, inserted_id
from cxgap.store.users import User, get_user

PREFIX = "cxg_"


def token_hash(token: str) -> str:
    """SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    id: int
    email: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def create_token(db: Database, email: str, name: str) -> tuple[int, str]:
    """Create a token for the user ``email``; return (id, token). The token is
    not stored and cannot be shown again."""
    with db.begin() as conn:
        user_id = conn.execute(
            select(t.app_user.c.id).where(t.app_user.c.email == email.strip().lower())
        ).scalar()
        if user_id is None:
            raise NotFoundError(f"no user {email!r}")
        token = PREFIX + secrets.token_urlsafe(32)
        new_id = inserted_id(
            conn.execute(
                t.api_token.insert().values(
                    user_id=user_id,
                    name=name.strip() or "api",
                    token_hash=token_hash(token),
                )
            )
        )
    return new_id, token


def list_tokens(db: Database) -> list[TokenInfo]:
    """Every token (never its secret)."""
    with db.connect() as conn:
        rows = conn.execute(
            select(t.api_token, t.app_user.c.email)
            .join(t.app_user, t.app_user.c.id == t.api_token.c.user_id)
            .order_by(t.api_token.c.id)
        ).all()
    return [
        TokenInfo(r.id, r.email, r.name, r.created_at, r.last_used_at, r.revoked_at is not None)
        for r in rows
    ]


def revoke_token(db: Database, token_id: int) -> None:
    """Revoke a token; it stops working at once."""
    with db.begin() as conn:
        done = conn.execute(
            update(t.api_token)
            .where(t.api_token.c.id == token_id, t.api_token.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    if done.rowcount == 0:
        raise NotFoundError(f"no active token {token_id}")


def user_for_token(db: Database, token: str) -> User | None:
    """The user a valid, unrevoked token acts as; ``None`` otherwise."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with db.begin() as conn:
        row = conn.execute(
            select(t.api_token.c.id, t.api_token.c.user_id).where(
                t.api_token.c.token_hash == token_hash(token),
                t.api_token.c.revoked_at.is_(None),
            )
        ).first()
        if row is None:
            return None
        conn.execute(
            update(t.api_token)
            .where(t.api_token.c.id == row.id)
            .values(last_used_at=datetime.now(UTC))
        )
    return get_user(db, int(row.user_id))
