"""Users of the dashboard: argon2 password hashes and roles per organisation.

A user belongs to one or more organisations, each with one role:

- ``owner``: everything an analyst can do, and manages the organisation;
- ``analyst``: reads every page and edits the action plan;
- ``viewer``: reads every page, changes nothing.

Passwords are stored only as argon2id hashes (RFC 9106 parameters of
argon2-cffi's defaults); :func:`authenticate` spends the same work on an
unknown e-mail address as on a known one, so timing does not tell which
addresses exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update

from cxgap.contracts.choices import MIN_PASSWORD, ROLES, Role
from cxgap.errors import CxgapError, NotFoundError
from cxgap.store import schema as t
from cxgap.store.db import Database, inserted_id
from cxgap.store.sessions import end_sessions_of

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "Role",
    "User",
    "add_user",
    "authenticate",
    "get_user",
    "hash_password",
    "list_users",
    "remove_user",
    "verify_password",
]


_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both paths cost one argon2 run.
_DUMMY_HASH = _hasher.hash("cxgap-no-such-user")


@dataclass(frozen=True)
class User:
    """A dashboard user and their role in each organisation (by id)."""

    id: int
    email: str
    name: str
    roles: dict[int, str] = field(default_factory=dict)
    organisations: dict[int, str] = field(default_factory=dict)

    def role_in(self, organisation_id: int) -> str | None:
        """The user's role in an organisation, ``None`` when not a member."""
        return self.roles.get(organisation_id)

    def can_edit(self, organisation_id: int) -> bool:
        """Whether the user may change the organisation's objects (owner, analyst)."""
        return self.roles.get(organisation_id) in ("owner", "analyst")

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "memberships": [
                {"organisation": self.organisations[o], "role": r}
                for o, r in sorted(self.roles.items(), key=lambda x: self.organisations[x[0]])
            ],
        }


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (refused when shorter than MIN_PASSWORD)."""
    if len(password) < MIN_PASSWORD:
        raise CxgapError(f"password too short: use at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _normal(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 320:
        raise CxgapError(f"not an e-mail address: {email!r}")
    return email


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise CxgapError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")


def _load(db: Database, where: Any) -> list[User]:
    with db.connect() as conn:
        users = conn.execute(select(t.app_user).where(where).order_by(t.app_user.c.email)).all()
        if not users:
            return []
        ms = conn.execute(
            select(
                t.membership.c.user_id,
                t.membership.c.organisation_id,
                t.membership.c.role,
                t.organisation.c.name,
            )
            .join(t.organisation, t.organisation.c.id == t.membership.c.organisation_id)
            .where(t.membership.c.user_id.in_([u.id for u in users]))
        ).all()
    out = []
    for u in users:
        mine = [m for m in ms if m.user_id == u.id]
        out.append(
            User(
                id=int(u.id),
                email=u.email,
                name=u.name or "",
                roles={int(m.organisation_id): m.role for m in mine},
                organisations={int(m.organisation_id): m.name for m in mine},
            )
        )
    return out


def add_user(
    db: Database,
    email: str,
    *,
    organisation: str,
    role: str,
    password: str | None = None,
    name: str = "",
) -> User:
    """Add a user to an organisation with a role.

    A new user needs a ``password``; an existing user gets the membership
    (or their role there changed) and keeps their password unless a new one
    is given, which ends every session of theirs. The organisation must exist
    (it is created with its first study).
    """
    email = _normal(email)
    _check_role(role)
    new_hash = hash_password(password) if password is not None else None
    with db.begin() as conn:
        org_id = conn.execute(
            select(t.organisation.c.id).where(t.organisation.c.name == organisation)
        ).scalar()
        if org_id is None:
            known = conn.execute(select(t.organisation.c.name)).scalars().all()
            hint = f" (known: {', '.join(sorted(known))})" if known else " (none yet)"
            raise NotFoundError(f"no organisation {organisation!r}{hint}")
        uid = conn.execute(select(t.app_user.c.id).where(t.app_user.c.email == email)).scalar()
        if uid is None:
            if new_hash is None:
                raise CxgapError(f"{email} is a new user: give a password")
            uid = inserted_id(
                conn.execute(
                    insert(t.app_user).values(email=email, name=name, password_hash=new_hash)
                )
            )
        elif new_hash is not None:
            conn.execute(
                update(t.app_user).where(t.app_user.c.id == uid).values(password_hash=new_hash)
            )
            # A new password is how a user is locked out of a stolen session:
            # every session signed in with the old one ends with it.
            end_sessions_of(conn, int(uid))
        member = (t.membership.c.user_id == uid) & (t.membership.c.organisation_id == org_id)
        if conn.execute(select(t.membership.c.id).where(member)).scalar() is None:
            conn.execute(
                insert(t.membership).values(user_id=uid, organisation_id=org_id, role=role)
            )
        else:
            conn.execute(update(t.membership).where(member).values(role=role))
    found = get_user(db, int(uid))
    assert found is not None  # just written
    return found


def get_user(db: Database, user_id: int) -> User | None:
    """The user with id ``user_id``, ``None`` when there is none."""
    found = _load(db, t.app_user.c.id == user_id)
    return found[0] if found else None


def list_users(db: Database) -> list[User]:
    """Every user with their memberships, by e-mail address."""
    return _load(db, t.app_user.c.id.is_not(None))


def remove_user(db: Database, email: str) -> None:
    """Delete a user, their memberships and their sessions."""
    email = _normal(email)
    with db.begin() as conn:
        uid = conn.execute(select(t.app_user.c.id).where(t.app_user.c.email == email)).scalar()
        if uid is None:
            raise NotFoundError(f"no user {email!r}")
        # Said outright rather than left to ON DELETE CASCADE (which SQLite
        # applies only on connections with foreign keys on): SQLite may give
        # the next new user this id, and a surviving session would be theirs.
        end_sessions_of(conn, int(uid))
        conn.execute(delete(t.membership).where(t.membership.c.user_id == uid))
        conn.execute(delete(t.app_user).where(t.app_user.c.id == uid))


def authenticate(db: Database, email: str, password: str) -> User | None:
    """The user whose e-mail and password match, else ``None``."""
    try:
        email = _normal(email)
    except CxgapError:
        verify_password(_DUMMY_HASH, password)
        return None
    with db.connect() as conn:
        row = conn.execute(
            select(t.app_user.c.id, t.app_user.c.password_hash).where(t.app_user.c.email == email)
        ).first()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row.password_hash, password):
        return None
    return get_user(db, int(row.id))
