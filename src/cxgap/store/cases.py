"""Cases: opened by the study's case rules, owned, worked and closed
(``docs/CASES.md``); each change is kept in the case's history.

A case opened twice for one trigger is one case (``dedupe_key`` is unique per
study); an account rule opens no second case while one for the same account
and rule is still open. Closing a case with its outcome records it in the
relationship bank account as an interaction event (``source_system``
``cxgap-cases``), so the next balance and the next wave show whether it
helped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cxgap.errors import FieldError, NotFoundError
from cxgap.store import schema as t
from cxgap.store.db import Database, as_utc, inserted_id
from cxgap.store.studies import load_study, organisation_of, study_id
from cxgap.study.model import StudyDefinition

__all__ = [
    "CASE_STATUSES",
    "RESOLUTIONS",
    "Case",
    "CaseEntry",
    "CaseNotification",
    "change_case",
    "get_case",
    "insert_cases",
    "list_cases",
    "open_case_counts",
    "update_case",
]

CaseStatus = Literal["new", "acknowledged", "in_progress", "closed"]
CASE_STATUSES: tuple[CaseStatus, ...] = ("new", "acknowledged", "in_progress", "closed")
Resolution = Literal["exceeded", "met", "failed"]
RESOLUTIONS: tuple[Resolution, ...] = ("exceeded", "met", "failed")
#: The ledger event of a case closed "failed" has this severity unless given (1-3).
DEFAULT_FAILED_SEVERITY = 2
#: An account rule keeps one open case per account: these triggers.
ACCOUNT_TRIGGERS = ("below_threshold", "failure_burst")


class CaseEntry(BaseModel):
    """One line of a case's history."""

    at: datetime
    author: str
    kind: str
    text: str


class CaseNotification(BaseModel):
    """One notification about a case, with its delivery outcome."""

    id: int
    channel: str
    target: str
    mode: str
    subject: str
    status: str
    attempts: int
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


class Case(BaseModel):
    """One case, as the CLI, the dashboard and the API show it."""

    model_config = ConfigDict(extra="forbid")

    number: int
    study: str
    rule_key: str
    trigger: str
    priority: str
    status: CaseStatus
    title: str
    account: str | None
    account_name: str | None
    owner: str | None
    contact: str
    contact_email: str | None
    response: str | None
    evidence: dict[str, Any]
    root_factor: str | None
    root_touchpoint: str | None
    root_moment: str | None
    resolution: str | None
    opened_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None
    loop_closed_at: datetime | None
    updated_at: datetime
    overdue: bool
    entries: list[CaseEntry] = []
    notifications: list[CaseNotification] = []


def now_utc() -> datetime:
    return datetime.now(UTC)


def _case_query(sid: int) -> Any:
    c, a, r = t.cx_case, t.account, t.respondent
    return (
        select(
            c,
            a.c.external_id.label("account_ext"),
            a.c.name.label("account_name"),
            r.c.name.label("contact_name"),
            r.c.email.label("contact_email"),
            r.c.external_id.label("respondent_ext"),
            t.response.c.source_key.label("response_key"),
        )
        .select_from(
            c.outerjoin(a, a.c.id == c.c.account_id)
            .outerjoin(r, r.c.id == c.c.respondent_id)
            .outerjoin(t.response, t.response.c.id == c.c.response_id)
        )
        .where(c.c.study_id == sid)
    )


def _case(row: Any, slug: str, now: datetime) -> Case:
    due = as_utc(row.due_at)
    assert due is not None
    contact = (
        row.contact_name
        or row.respondent_ext
        or ("anonymous" if row.response_id is not None else "no contact")
    )
    return Case(
        number=row.number,
        study=slug,
        rule_key=row.rule_key,
        trigger=row.trigger,
        priority=row.priority,
        status=row.status,
        title=row.title,
        account=row.account_ext,
        account_name=row.account_name,
        owner=row.owner,
        contact=contact,
        contact_email=row.contact_email,
        response=row.response_key,
        evidence=row.evidence or {},
        root_factor=row.root_factor,
        root_touchpoint=row.root_touchpoint,
        root_moment=row.root_moment,
        resolution=row.resolution,
        opened_at=as_utc(row.opened_at),
        due_at=due,
        acknowledged_at=as_utc(row.acknowledged_at),
        closed_at=as_utc(row.closed_at),
        loop_closed_at=as_utc(row.loop_closed_at),
        updated_at=as_utc(row.updated_at),
        overdue=row.status != "closed" and due < now,
    )


def insert_cases(
    conn: Connection, slug: str, proposed: Sequence[Mapping[str, Any]], *, now: datetime
) -> list[int]:
    """Open the cases ``proposed`` (the fields of
    :class:`cxgap.analysis.plan.cases.CaseCandidate`) that are not open
    already; return the new cases' ids (on ``conn``, in the caller's
    transaction)."""
    if not proposed:
        return []
    candidates = [_Proposed(p) for p in proposed]
    sid = study_id(conn, slug)
    org = organisation_of(conn, sid)
    accounts = {
        r.external_id: (r.id, r.owner)
        for r in conn.execute(
            select(t.account.c.external_id, t.account.c.id, t.account.c.owner).where(
                t.account.c.organisation_id == org
            )
        )
    }
    keys = [c.response_key for c in candidates if c.response_key]
    responses = dict(
        conn.execute(
            select(t.response.c.source_key, t.response.c.id).where(
                t.response.c.study_id == sid, t.response.c.source_key.in_(keys)
            )
        ).all()
    )
    people = [c.respondent for c in candidates if c.respondent]
    respondents = dict(
        conn.execute(
            select(t.respondent.c.external_id, t.respondent.c.id).where(
                t.respondent.c.study_id == sid, t.respondent.c.external_id.in_(people)
            )
        ).all()
    )
    seen = set(
        conn.execute(
            select(t.cx_case.c.dedupe_key).where(
                t.cx_case.c.study_id == sid,
                t.cx_case.c.dedupe_key.in_([c.dedupe_key for c in candidates]),
            )
        ).scalars()
    )
    open_pairs = {
        (r.account_id, r.rule_key)
        for r in conn.execute(
            select(t.cx_case.c.account_id, t.cx_case.c.rule_key).where(
                t.cx_case.c.study_id == sid,
                t.cx_case.c.status != "closed",
                t.cx_case.c.trigger.in_(ACCOUNT_TRIGGERS),
            )
        )
    }
    ids: list[int] = []
    for cand in candidates:
        if cand.dedupe_key in seen:
            continue
        account_id, owner = accounts.get(cand.account or "", (None, None))
        if cand.trigger in ACCOUNT_TRIGGERS and (account_id, cand.rule_key) in open_pairs:
            continue
        values = {
            "study_id": sid,
            "rule_key": cand.rule_key,
            "trigger": cand.trigger,
            "priority": cand.priority,
            "dedupe_key": cand.dedupe_key,
            "account_id": account_id,
            "respondent_id": respondents.get(cand.respondent or ""),
            "response_id": responses.get(cand.response_key or ""),
            "owner": owner,
            "status": "new",
            "title": cand.title[:300],
            "evidence": {**cand.evidence, "triggered_at": as_utc(cand.opened_at).isoformat()},
            "root_factor": cand.root_factor,
            "root_touchpoint": cand.root_touchpoint,
            "root_moment": cand.root_moment,
            # The SLA runs from when the case reached its owner, not from
            # when the answer or event happened (kept in the evidence).
            "opened_at": now,
            "due_at": now + (as_utc(cand.due_at) - as_utc(cand.opened_at)),
            "updated_at": now,
        }
        case_id = _insert_numbered(conn, sid, values, cand.dedupe_key)
        if case_id is None:
            continue
        seen.add(cand.dedupe_key)
        open_pairs.add((account_id, cand.rule_key))
        who = f" for {owner}" if owner else " (the account has no owner)"
        _entry(conn, case_id, now, "cxgap", "opened", f"Opened by rule {cand.rule_key}{who}.")
        ids.append(case_id)
    return ids


class _Proposed:
    """Attribute access to one proposed case's fields."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self._fields = dict(fields)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None


def _insert_numbered(conn: Connection, sid: int, values: dict[str, Any], key: str) -> int | None:
    """Insert with the study's next number; a number taken meanwhile by
    another writer is retried, a trigger recorded meanwhile is skipped."""
    for _ in range(20):
        number = (
            conn.execute(
                select(func.coalesce(func.max(t.cx_case.c.number), 0)).where(
                    t.cx_case.c.study_id == sid
                )
            ).scalar_one()
            + 1
        )
        try:
            with conn.begin_nested():
                result = conn.execute(insert(t.cx_case).values(number=number, **values))
            return inserted_id(result)
        except IntegrityError:
            taken = conn.execute(
                select(t.cx_case.c.id).where(
                    t.cx_case.c.study_id == sid, t.cx_case.c.dedupe_key == key
                )
            ).scalar()
            if taken is not None:
                return None
    raise RuntimeError("could not number a new case: too many concurrent writers")


def record_entry(
    conn: Connection, case_id: int, *, at: datetime, kind: str, text: str, author: str = "cxgap"
) -> None:
    """Add one line to a case's history (in the caller's transaction)."""
    _entry(conn, case_id, at, author, kind, text)


def _entry(conn: Connection, case_id: int, at: datetime, author: str, kind: str, text: str) -> None:
    conn.execute(
        insert(t.case_entry).values(case_id=case_id, at=at, author=author, kind=kind, text=text)
    )


def list_cases(
    db: Database,
    slug: str,
    *,
    status: Sequence[str] | None = None,
    owner: str | None = None,
    account: str | None = None,
    overdue: bool = False,
    open_only: bool = False,
    now: datetime | None = None,
) -> list[Case]:
    """The study's cases, most urgent first (overdue, then by due date)."""
    when = now or now_utc()
    with db.connect() as conn:
        sid = study_id(conn, slug)
        q = _case_query(sid)
        if status:
            q = q.where(t.cx_case.c.status.in_(list(status)))
        if open_only:
            q = q.where(t.cx_case.c.status != "closed")
        if owner is not None:
            q = q.where(func.lower(t.cx_case.c.owner) == owner.lower())
        if account is not None:
            q = q.where(t.account.c.external_id == account)
        rows = conn.execute(q.order_by(t.cx_case.c.due_at, t.cx_case.c.number)).all()
    cases = [_case(r, slug, when) for r in rows]
    if overdue:
        cases = [c for c in cases if c.overdue]
    return sorted(cases, key=lambda c: (c.status == "closed", not c.overdue, c.due_at, c.number))


def open_case_counts(db: Database, slug: str) -> dict[str, int]:
    """Open cases per account (external id)."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        rows = conn.execute(
            select(t.account.c.external_id, func.count())
            .select_from(t.cx_case.join(t.account, t.account.c.id == t.cx_case.c.account_id))
            .where(t.cx_case.c.study_id == sid, t.cx_case.c.status != "closed")
            .group_by(t.account.c.external_id)
        ).all()
    return {str(k): int(n) for k, n in rows}


def _case_row(conn: Connection, sid: int, number: int, slug: str) -> Any:
    row = conn.execute(_case_query(sid).where(t.cx_case.c.number == number)).first()
    if row is None:
        raise NotFoundError(f"study {slug!r} has no case #{number}")
    return row


def get_case(db: Database, slug: str, number: int, *, now: datetime | None = None) -> Case:
    """One case with its history and its notifications."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        row = _case_row(conn, sid, number, slug)
        entries = conn.execute(
            select(t.case_entry)
            .where(t.case_entry.c.case_id == row.id)
            .order_by(t.case_entry.c.at, t.case_entry.c.id)
        ).all()
        notes = conn.execute(
            select(t.notification)
            .where(t.notification.c.case_id == row.id)
            .order_by(t.notification.c.id)
        ).all()
    case = _case(row, slug, now or now_utc())
    case.entries = [
        CaseEntry(at=as_utc(e.at), author=e.author, kind=e.kind, text=e.text) for e in entries
    ]
    case.notifications = [
        CaseNotification(
            id=n.id,
            channel=n.channel,
            target=n.target,
            mode=n.mode,
            subject=n.subject,
            status=n.status,
            attempts=n.attempts,
            error=n.error,
            created_at=as_utc(n.created_at),
            delivered_at=as_utc(n.delivered_at),
        )
        for n in notes
    ]
    return case


def _check_key(value: str | None, known: Sequence[str], what: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in known:
        raise FieldError(
            f"root_{what}", f"unknown {what} {value!r}: expected one of {', '.join(known)}"
        )
    return value


def change_case(
    db: Database,
    slug: str,
    number: int,
    *,
    author: str,
    status: str | None = None,
    owner: str | None = None,
    note: str | None = None,
    root_factor: str | None = None,
    root_touchpoint: str | None = None,
    root_moment: str | None = None,
    resolution: str | None = None,
    severity: int | None = None,
    now: datetime | None = None,
    study: StudyDefinition | None = None,
) -> None:
    """Change a case: status, owner, root cause, a note; closing needs the
    outcome (``resolution``: exceeded, met or failed) and, for a case of an
    account, the root cause's touchpoint and moment, and records the outcome
    in the account's ledger. Every change is one history line; nothing is
    written when any part is invalid. ``study`` saves reading the
    definition again in a batch of changes; :func:`update_case` also returns
    the case as it now is."""
    when = now or now_utc()
    if status is not None and status not in CASE_STATUSES:
        raise FieldError(
            "status", f"unknown status {status!r}: expected one of {', '.join(CASE_STATUSES)}"
        )
    if resolution is not None and resolution not in RESOLUTIONS:
        raise FieldError(
            "resolution",
            f"unknown outcome {resolution!r}: expected one of {', '.join(RESOLUTIONS)}",
        )
    if severity is not None and severity not in (1, 2, 3):
        raise FieldError("severity", f"severity {severity}: expected 1, 2 or 3")
    study = study or load_study(db, slug)
    factor = _check_key(root_factor, [f.key for f in study.factors], "factor")
    touchpoint = _check_key(root_touchpoint, [x.key for x in study.touchpoints], "touchpoint")
    moment = _check_key(root_moment, [m.key for m in study.moments], "moment")
    with db.begin() as conn:
        sid = study_id(conn, slug)
        row = _case_row(conn, sid, number, slug)
        changes: dict[str, Any] = {}
        lines: list[tuple[str, str]] = []
        if owner is not None and owner != (row.owner or ""):
            changes["owner"] = owner or None
            lines.append(("owner", f"Owner: {row.owner or 'none'} -> {owner or 'none'}."))
        for col, value in (
            ("root_factor", factor),
            ("root_touchpoint", touchpoint),
            ("root_moment", moment),
        ):
            if value is not None and value != getattr(row, col):
                changes[col] = value
        if any(k.startswith("root_") for k in changes):
            merged = {
                k: changes.get(k, getattr(row, k))
                for k in ("root_factor", "root_touchpoint", "root_moment")
            }
            lines.append(
                (
                    "root_cause",
                    "Root cause: "
                    + ", ".join(f"{k[5:]} {v}" for k, v in merged.items() if v)
                    + ".",
                )
            )
        target = status
        if resolution is not None and target is None:
            target = "closed"
        if target is not None and target != row.status:
            if target == "closed":
                if resolution is None:
                    raise FieldError(
                        "resolution",
                        f"case #{number}: closing needs the outcome for the customer "
                        f"(--outcome {'|'.join(RESOLUTIONS)})",
                    )
                tp = changes.get("root_touchpoint", row.root_touchpoint)
                mo = changes.get("root_moment", row.root_moment)
                if row.account_id is not None and (tp is None or mo is None):
                    raise FieldError(
                        "root_touchpoint",
                        f"case #{number}: closing needs the root cause's touchpoint and moment "
                        "(--touchpoint, --moment), so the ledger records the outcome where it "
                        "happened",
                    )
                changes.update(closed_at=when, resolution=resolution)
                if row.account_id is not None:
                    _ledger_event(
                        conn, row, slug, tp, mo, resolution, severity, when, author=author
                    )
                lines.append(("closed", f"Closed: {resolution} for the customer."))
            else:
                if row.status == "closed":
                    changes.update(closed_at=None, resolution=None)
                    lines.append(("reopened", f"Reopened as {target}."))
                else:
                    lines.append(("status", f"Status: {row.status} -> {target}."))
                if target in ("acknowledged", "in_progress") and row.acknowledged_at is None:
                    changes["acknowledged_at"] = when
            changes["status"] = target
        elif resolution is not None and row.status == "closed":
            raise FieldError("resolution", f"case #{number} is already closed ({row.resolution})")
        if note:
            lines.append(("note", note.strip()))
        if not lines and not changes:
            raise FieldError("note", f"case #{number}: nothing to change")
        if changes:
            changes["updated_at"] = when
            conn.execute(update(t.cx_case).where(t.cx_case.c.id == row.id).values(**changes))
        for kind, text in lines:
            _entry(conn, row.id, when, author, kind, text)


def update_case(
    db: Database,
    slug: str,
    number: int,
    *,
    author: str,
    now: datetime | None = None,
    **changes: Any,
) -> Case:
    """:func:`change_case`, then the case as it now is."""
    when = now or now_utc()
    change_case(db, slug, number, author=author, now=when, **changes)
    return get_case(db, slug, number, now=when)


def _ledger_event(
    conn: Connection,
    row: Any,
    slug: str,
    touchpoint: str,
    moment: str,
    resolution: str,
    severity: int | None,
    when: datetime,
    *,
    author: str,
) -> None:
    """The case's outcome as an event of the account (replacing the one of
    an earlier closing of the same case)."""
    source = f"case:{slug}:{row.number}"
    naive = when.astimezone(UTC).replace(tzinfo=None)
    values = {
        "occurred_at": naive,
        "touchpoint": touchpoint,
        "moment": moment,
        "outcome": resolution,
        "severity": (severity or DEFAULT_FAILED_SEVERITY) if resolution == "failed" else None,
        "source_system": "cxgap-cases",
        "note": f"Case #{row.number} closed by {author}: {row.title}"[:2000],
    }
    where = and_(
        t.interaction_event.c.account_id == row.account_id,
        t.interaction_event.c.source_id == source,
    )
    if conn.execute(select(t.interaction_event.c.id).where(where)).first() is not None:
        conn.execute(update(t.interaction_event).where(where).values(**values))
    else:
        conn.execute(
            insert(t.interaction_event).values(
                account_id=row.account_id, source_id=source, seq=0, **values
            )
        )


def record_loop_closed(
    db: Database, slug: str, number: int, *, author: str, text: str, now: datetime | None = None
) -> None:
    """Record that the customer heard back (the close-the-loop e-mail)."""
    when = now or now_utc()
    with db.begin() as conn:
        sid = study_id(conn, slug)
        row = _case_row(conn, sid, number, slug)
        conn.execute(
            update(t.cx_case)
            .where(t.cx_case.c.id == row.id)
            .values(loop_closed_at=when, updated_at=when)
        )
        _entry(conn, row.id, when, author, "loop_closed", text)


def cases_of_owner(db: Database, slug: str, names: Sequence[str]) -> list[Case]:
    """Open cases whose owner is one of ``names`` (a user's name or e-mail)."""
    wanted = {n.lower() for n in names if n}
    return [c for c in list_cases(db, slug, open_only=True) if (c.owner or "").lower() in wanted]
