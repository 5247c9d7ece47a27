"""Notification rules (who hears of which cases, where, how often) and the
outbox of notifications with their delivery outcome (``docs/CASES.md``).

Notifications are queued in the transaction that opens their case, so a case
is never without its notice and a notice never without its case; delivery
happens afterwards (:mod:`cxgap.notify.outbox`), never inside a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Connection, delete, func, insert, or_, select, update

from cxgap.errors import FieldError, NotFoundError
from cxgap.store import schema as t
from cxgap.store.db import Database, as_utc, inserted_id
from cxgap.store.studies import organisation_of, study_id

__all__ = [
    "CHANNELS",
    "MODES",
    "SCOPES",
    "Notification",
    "NotificationRule",
    "add_rule",
    "claim",
    "due_notifications",
    "list_notifications",
    "list_rules",
    "queue",
    "record_attempt",
    "remove_rule",
]

Channel = Literal["email", "slack", "teams", "webhook", "folder"]
CHANNELS: tuple[Channel, ...] = ("email", "slack", "teams", "webhook", "folder")
Mode = Literal["immediate", "digest"]
MODES: tuple[Mode, ...] = ("immediate", "digest")
Scope = Literal["mine", "all"]
SCOPES: tuple[Scope, ...] = ("mine", "all")
#: Attempts (each itself a few quick retries) before a notification is failed.
MAX_ATTEMPTS = 5
#: Wait before the next attempt: this many minutes, doubled each time.
RETRY_MINUTES = 5


class NotificationRule(BaseModel):
    """A subscription of a channel to a study's cases."""

    id: int
    study: str
    user: str | None
    channel: str
    target: str
    has_secret: bool
    rule_keys: list[str]
    scope: str
    mode: str
    created_at: datetime


class Notification(BaseModel):
    """One notification in the outbox or the log."""

    id: int
    study: str
    case_number: int | None
    channel: str
    target: str
    secret: str | None = None
    mode: str
    subject: str
    notice: dict[str, Any]
    status: str
    attempts: int
    error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def add_rule(
    db: Database,
    slug: str,
    *,
    channel: str,
    target: str,
    user_email: str | None = None,
    secret: str | None = None,
    rule_keys: Sequence[str] = (),
    scope: str = "mine",
    mode: str = "immediate",
    known_rules: Sequence[str] = (),
) -> int:
    """Subscribe ``target`` on ``channel`` to the study's cases; return the
    rule's id. ``scope`` "mine" needs a user: the cases they own."""
    if channel not in CHANNELS:
        raise FieldError(
            "channel", f"unknown channel {channel!r}: expected one of {', '.join(CHANNELS)}"
        )
    if mode not in MODES:
        raise FieldError("mode", f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
    if scope not in SCOPES:
        raise FieldError("scope", f"unknown scope {scope!r}: expected one of {', '.join(SCOPES)}")
    unknown = [k for k in rule_keys if known_rules and k not in known_rules]
    if unknown:
        raise FieldError(
            "rule_keys",
            f"unknown case rule(s) {', '.join(unknown)}: expected some of {', '.join(known_rules)}",
        )
    with db.begin() as conn:
        sid = study_id(conn, slug)
        user_id = None
        if user_email is not None:
            user_id = conn.execute(
                select(t.app_user.c.id).where(func.lower(t.app_user.c.email) == user_email.lower())
            ).scalar()
            if user_id is None:
                raise NotFoundError(f"no user {user_email!r}: add one with `cxgap users add`")
        if scope == "mine" and user_id is None:
            raise FieldError(
                "scope", "scope 'mine' needs a user (--user EMAIL); use --scope all otherwise"
            )
        result = conn.execute(
            insert(t.notification_rule).values(
                study_id=sid,
                user_id=user_id,
                channel=channel,
                target=target,
                secret=secret or None,
                rule_keys=list(rule_keys),
                scope=scope,
                mode=mode,
            )
        )
        return inserted_id(result)


def list_rules(db: Database, slug: str) -> list[NotificationRule]:
    """The study's notification rules."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        rows = conn.execute(
            select(t.notification_rule, t.app_user.c.email.label("user_email"))
            .select_from(
                t.notification_rule.outerjoin(
                    t.app_user, t.app_user.c.id == t.notification_rule.c.user_id
                )
            )
            .where(t.notification_rule.c.study_id == sid)
            .order_by(t.notification_rule.c.id)
        ).all()
    return [
        NotificationRule(
            id=r.id,
            study=slug,
            user=r.user_email,
            channel=r.channel,
            target=r.target,
            has_secret=bool(r.secret),
            rule_keys=list(r.rule_keys or []),
            scope=r.scope,
            mode=r.mode,
            created_at=as_utc(r.created_at),
        )
        for r in rows
    ]


def remove_rule(db: Database, slug: str, rule_id: int) -> None:
    """Delete one notification rule (its past notifications stay in the log)."""
    with db.begin() as conn:
        sid = study_id(conn, slug)
        gone = conn.execute(
            delete(t.notification_rule).where(
                t.notification_rule.c.id == rule_id, t.notification_rule.c.study_id == sid
            )
        ).rowcount
    if not gone:
        raise NotFoundError(f"study {slug!r} has no notification rule {rule_id}")


def _org_users(conn: Connection, org: int) -> list[Any]:
    return list(
        conn.execute(
            select(t.app_user.c.id, t.app_user.c.email, t.app_user.c.name)
            .join(t.membership, t.membership.c.user_id == t.app_user.c.id)
            .where(t.membership.c.organisation_id == org)
        ).all()
    )


def owner_user(conn: Connection, org: int, owner: str | None) -> Any | None:
    """The organisation's user an owner's name or e-mail names (or ``None``)."""
    if not owner:
        return None
    wanted = owner.strip().lower()
    for u in _org_users(conn, org):
        if wanted in (u.email.lower(), (u.name or "").strip().lower()):
            return u
    return None


def queue(
    conn: Connection,
    slug: str,
    case_ids: Sequence[int],
    notice_of: Mapping[int, dict[str, Any]],
    *,
    now: datetime,
) -> int:
    """Queue the notifications of newly opened cases (in the caller's
    transaction); return how many.

    Each rule of the study whose scope and case rules match hears of the
    case; an owner who is a user and has no rule of their own for the study
    is e-mailed at once (the default a new user expects)."""
    if not case_ids:
        return 0
    sid = study_id(conn, slug)
    org = organisation_of(conn, sid)
    rules = conn.execute(
        select(t.notification_rule).where(t.notification_rule.c.study_id == sid)
    ).all()
    cases = conn.execute(
        select(t.cx_case.c.id, t.cx_case.c.rule_key, t.cx_case.c.owner).where(
            t.cx_case.c.id.in_(list(case_ids))
        )
    ).all()
    users = _org_users(conn, org)
    with_rules = {r.user_id for r in rules if r.user_id is not None}
    queued = 0
    for case in cases:
        notice = notice_of[case.id]
        owner = owner_user(conn, org, case.owner) if users else None
        rows: list[dict[str, Any]] = []
        for rule in rules:
            if rule.rule_keys and case.rule_key not in rule.rule_keys:
                continue
            if rule.scope == "mine" and (owner is None or owner.id != rule.user_id):
                continue
            rows.append(
                {
                    "rule_id": rule.id,
                    "channel": rule.channel,
                    "target": rule.target,
                    "mode": rule.mode,
                }
            )
        if owner is not None and owner.id not in with_rules:
            rows.append(
                {"rule_id": None, "channel": "email", "target": owner.email, "mode": "immediate"}
            )
        for r in rows:
            r.update(
                study_id=sid,
                case_id=case.id,
                subject=str(notice.get("subject", ""))[:300],
                notice=notice,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        if rows:
            conn.execute(insert(t.notification), rows)
            queued += len(rows)
    return queued


def _query() -> Any:
    n = t.notification
    return select(
        n,
        t.study.c.slug,
        t.cx_case.c.number.label("case_number"),
        t.notification_rule.c.secret,
    ).select_from(
        n.join(t.study, t.study.c.id == n.c.study_id)
        .outerjoin(t.cx_case, t.cx_case.c.id == n.c.case_id)
        .outerjoin(t.notification_rule, t.notification_rule.c.id == n.c.rule_id)
    )


def _notification(r: Any, *, with_secret: bool = False) -> Notification:
    return Notification(
        id=r.id,
        study=r.slug,
        case_number=r.case_number,
        channel=r.channel,
        target=r.target,
        secret=r.secret if with_secret else None,
        mode=r.mode,
        subject=r.subject,
        notice=r.notice or {},
        status=r.status,
        attempts=r.attempts,
        error=r.error,
        created_at=as_utc(r.created_at),
        next_attempt_at=as_utc(r.next_attempt_at),
        delivered_at=as_utc(r.delivered_at),
    )


def list_notifications(
    db: Database, slug: str, *, status: str | None = None, limit: int = 200
) -> list[Notification]:
    """The study's notifications, newest first."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        q = _query().where(t.notification.c.study_id == sid)
        if status is not None:
            q = q.where(t.notification.c.status == status)
        rows = conn.execute(q.order_by(t.notification.c.id.desc()).limit(limit)).all()
    return [_notification(r) for r in rows]


def due_notifications(
    db: Database, *, now: datetime, mode: str = "immediate", slug: str | None = None
) -> list[Notification]:
    """Pending notifications whose next attempt is due (with the secrets
    their delivery needs), oldest first."""
    with db.connect() as conn:
        q = _query().where(
            t.notification.c.status == "pending",
            t.notification.c.mode == mode,
            or_(
                t.notification.c.next_attempt_at.is_(None),
                t.notification.c.next_attempt_at <= now,
            ),
        )
        if slug is not None:
            q = q.where(t.notification.c.study_id == study_id(conn, slug))
        rows = conn.execute(q.order_by(t.notification.c.id)).all()
    return [_notification(r, with_secret=True) for r in rows]


#: How long a sender holds the notifications it claimed before another may.
CLAIM_LEASE = timedelta(minutes=10)


def claim(db: Database, ids: Sequence[int], *, now: datetime) -> list[int]:
    """Take ``ids`` for delivery: each is taken by one sender only (a second
    sender, or the cron run beside a request's background task, gets the
    others). A taken notification is due again after :data:`CLAIM_LEASE`, so
    one whose sender stopped mid-way is sent by the next run."""
    taken = []
    with db.begin() as conn:
        for nid in ids:
            done = conn.execute(
                update(t.notification)
                .where(
                    t.notification.c.id == nid,
                    t.notification.c.status == "pending",
                    or_(
                        t.notification.c.next_attempt_at.is_(None),
                        t.notification.c.next_attempt_at <= now,
                    ),
                )
                .values(next_attempt_at=now + CLAIM_LEASE)
            ).rowcount
            if done == 1:
                taken.append(nid)
    return taken


def record_attempt(
    db: Database,
    ids: Sequence[int],
    *,
    delivered: bool,
    error: str | None,
    tries: int,
    now: datetime,
    permanent: bool = False,
) -> None:
    """Record one delivery attempt of ``ids`` (one message, or one digest):
    delivered, or failed and retried later with a doubling wait, or failed for
    good after :data:`MAX_ATTEMPTS` or a ``permanent`` error (a 4xx answer,
    a bad address)."""
    if not ids:
        return
    with db.begin() as conn:
        for row in conn.execute(
            select(t.notification.c.id, t.notification.c.attempts).where(
                t.notification.c.id.in_(list(ids))
            )
        ).all():
            attempts = row.attempts + 1
            values: dict[str, Any] = {"attempts": attempts, "error": error}
            if delivered:
                values.update(status="delivered", delivered_at=now, next_attempt_at=None)
            elif permanent or attempts >= MAX_ATTEMPTS:
                values.update(status="failed", next_attempt_at=None)
            else:
                wait = timedelta(minutes=RETRY_MINUTES * 2 ** (attempts - 1))
                values.update(next_attempt_at=now + wait)
            values["error"] = None if delivered else f"{error} (after {tries} tries)"
            conn.execute(
                update(t.notification).where(t.notification.c.id == row.id).values(**values)
            )


def retry_failed(db: Database, slug: str, *, now: datetime) -> int:
    """Put the study's failed notifications back in the outbox; return how many."""
    with db.begin() as conn:
        sid = study_id(conn, slug)
        return int(
            conn.execute(
                update(t.notification)
                .where(t.notification.c.study_id == sid, t.notification.c.status == "failed")
                .values(status="pending", attempts=0, next_attempt_at=now)
            ).rowcount
        )
