"""The history of ``cxgap ledger alerts`` runs (table ``alert_run``).

Each run records the period it looked at (``since`` to ``as_of``), the
threshold it used, how many accounts crossed below it and recovered, and,
when the alerts were posted to a webhook, whether the post succeeded
(``delivered``; ``None`` when no webhook was used). The next run starts from
the last run's ``as_of``, or, with a webhook, from the last *delivered* run's,
so that a failed delivery loses no alert.

Times are stored as aware UTC; they come back as naive UTC, like the
interaction events the ledger scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, Select, select

from cxgap.store import schema as t
from cxgap.store.db import Database, as_utc, inserted_id
from cxgap.store.studies import study_id

__all__ = ["AlertRun", "alert_runs", "last_alert_run", "record_alert_run"]


@dataclass(frozen=True)
class AlertRun:
    """One recorded run of the alerts."""

    id: int
    ran_at: datetime
    since: datetime
    as_of: datetime
    threshold: float
    crossed_below: int
    recovered: int
    delivered: bool | None

    def to_json_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "ran_at": self.ran_at.isoformat(),
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "threshold": self.threshold,
            "crossed_below": self.crossed_below,
            "recovered": self.recovered,
            "delivered": self.delivered,
        }


def _naive(moment: datetime) -> datetime:
    """A stored time as naive UTC (SQLite returns naive UTC, PostgreSQL aware)."""
    return as_utc(moment).replace(tzinfo=None)


def _run(row: Row[tuple[object, ...]]) -> AlertRun:
    m = row._mapping
    return AlertRun(
        id=int(m["id"]),
        ran_at=_naive(m["ran_at"]),
        since=_naive(m["since"]),
        as_of=_naive(m["as_of"]),
        threshold=float(m["threshold"]),
        crossed_below=int(m["crossed_below"]),
        recovered=int(m["recovered"]),
        delivered=None if m["delivered"] is None else bool(m["delivered"]),
    )


def record_alert_run(
    db: Database,
    slug: str,
    *,
    since: datetime,
    as_of: datetime,
    threshold: float,
    crossed_below: int,
    recovered: int,
    delivered: bool | None,
    ran_at: datetime | None = None,
) -> AlertRun:
    """Store one run of the alerts of study ``slug``; return it as stored.

    Naive times are taken as UTC. ``ran_at`` defaults to now.
    """
    values = {
        "ran_at": as_utc(ran_at or datetime.now(UTC)),
        "since": as_utc(since),
        "as_of": as_utc(as_of),
        "threshold": float(threshold),
        "crossed_below": int(crossed_below),
        "recovered": int(recovered),
        "delivered": delivered,
    }
    with db.begin() as conn:
        sid = study_id(conn, slug)
        new_id = inserted_id(conn.execute(t.alert_run.insert().values(study_id=sid, **values)))
        row = conn.execute(select(t.alert_run).where(t.alert_run.c.id == new_id)).one()
    return _run(row)


def _latest(conn: Connection, slug: str) -> Select[tuple[object, ...]]:
    """The runs of study ``slug``, the most recent first (an unknown study is
    an error, not an empty history)."""
    return (
        select(t.alert_run)
        .where(t.alert_run.c.study_id == study_id(conn, slug))
        .order_by(t.alert_run.c.id.desc())
    )


def alert_runs(db: Database, slug: str, *, limit: int | None = None) -> list[AlertRun]:
    """The recorded runs of study ``slug``, the most recent first."""
    with db.connect() as conn:
        q = _latest(conn, slug)
        if limit is not None:
            q = q.limit(limit)
        return [_run(r) for r in conn.execute(q).all()]


def last_alert_run(db: Database, slug: str, *, delivered: bool = False) -> AlertRun | None:
    """The most recently recorded run of study ``slug`` (``None`` when there
    is none); with ``delivered``, the most recent one whose alerts reached
    the webhook."""
    with db.connect() as conn:
        q = _latest(conn, slug).limit(1)
        if delivered:
            q = q.where(t.alert_run.c.delivered.is_(True))
        row = conn.execute(q).first()
    return None if row is None else _run(row)
