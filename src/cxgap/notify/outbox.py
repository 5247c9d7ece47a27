"""Delivering the outbox of notifications (:mod:`cxgap.store.notifications`).

Each due notification is sent through its channel (:func:`cxgap.notify.channels.deliver`,
which retries a temporary failure a few times at once); what cannot get
through waits and is tried again later with a doubling wait, up to
:data:`cxgap.store.notifications.MAX_ATTEMPTS` attempts, and each outcome is
written back with its reason. A permanent failure (an answer of 4xx, an
address the server refuses, no SMTP server configured) fails at once; `cxgap
cases notify --retry-failed` puts failed ones back.

Each notification is claimed before it is sent (:func:`cxgap.store.notifications.claim`),
so two senders at once (the cron run and a request's background task) send
it once.

Digest subscriptions collect their notifications and send one message a day
per channel: when the oldest waiting one is a day old (or when asked).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cxgap.errors import ConfigError
from cxgap.invite.mail import SmtpConfig
from cxgap.notify.channels import deliver
from cxgap.notify.notice import Channel, DeliveryResult, Notice
from cxgap.notify.payloads import digest
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.notifications import Notification, claim, due_notifications, record_attempt

__all__ = ["OutboxRun", "deliver_outbox"]

#: A digest goes out once its oldest notification waited this long.
DIGEST_EVERY = timedelta(days=1)


@dataclass
class OutboxRun:
    """What one delivery run did."""

    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)


def _notice(n: Notification) -> Notice:
    body = n.notice
    return Notice(
        subject=str(body.get("subject", n.subject)),
        text=str(body.get("text", "")),
        url=body.get("url"),
        fields={str(k): str(v) for k, v in (body.get("fields") or {}).items()},
        kind=str(body.get("kind", "case_opened")),
    )


def _permanent(result: DeliveryResult, retries: int) -> bool:
    """Whether delivery stopped before using its retries: a failure no
    retry can mend (deliver stops at once on those)."""
    return not result.delivered and len(result.attempts) < retries + 1


def _send(
    channel: Channel,
    notice: Notice,
    smtp: SmtpConfig | None,
    *,
    retries: int,
    sleep: Callable[[float], None],
) -> tuple[DeliveryResult | None, str | None]:
    if channel.kind == "email" and smtp is None:
        return None, "no SMTP server configured (set CXGAP_SMTP_HOST and CXGAP_SMTP_FROM)"
    return deliver(channel, notice, smtp=smtp, retries=retries, sleep=sleep), None


def deliver_outbox(
    db: Database,
    settings: Settings,
    *,
    slug: str | None = None,
    now: datetime | None = None,
    digests: bool = True,
    force_digest: bool = False,
    retries: int = 2,
    sleep: Callable[[float], None] = time.sleep,
) -> OutboxRun:
    """Send every due notification (of one study, or all); never raises for
    a delivery failure: it is recorded on the notification."""
    when = now or datetime.now(UTC)
    try:
        smtp: SmtpConfig | None = SmtpConfig.from_settings(settings)
    except ConfigError:
        smtp = None
    run = OutboxRun()

    def outcome(
        ids: list[int], result: DeliveryResult | None, error: str | None, describe: str
    ) -> None:
        if result is not None and result.delivered:
            record_attempt(
                db, ids, delivered=True, error=None, tries=len(result.attempts), now=when
            )
            run.delivered += len(ids)
            return
        reason = error or (result.error if result is not None else None) or "not delivered"
        permanent = result is None or _permanent(result, retries)
        tries = len(result.attempts) if result is not None else 0
        record_attempt(
            db, ids, delivered=False, error=reason, tries=tries, now=when, permanent=permanent
        )
        run.errors.append(f"{describe}: {reason}")
        if permanent:
            run.failed += len(ids)
        else:
            run.retrying += len(ids)

    due = due_notifications(db, now=when, slug=slug)
    mine = set(claim(db, [n.id for n in due], now=when))
    for n in (n for n in due if n.id in mine):
        channel = Channel(n.channel, n.target, n.secret)  # type: ignore[arg-type]
        result, error = _send(channel, _notice(n), smtp, retries=retries, sleep=sleep)
        outcome([n.id], result, error, channel.describe())

    if digests:
        groups: dict[tuple[str, str, str | None], list[Notification]] = {}
        for n in due_notifications(db, now=when, slug=slug, mode="digest"):
            groups.setdefault((n.channel, n.target, n.secret), []).append(n)
        for (kind, target, secret), items in groups.items():
            oldest = min(n.created_at for n in items)
            if not force_digest and when - oldest < DIGEST_EVERY:
                continue
            taken = set(claim(db, [n.id for n in items], now=when))
            items = [n for n in items if n.id in taken]
            if not items:
                continue
            channel = Channel(kind, target, secret)  # type: ignore[arg-type]
            studies = sorted({n.study for n in items})
            notice = digest([_notice(n) for n in items], title=f"cxgap: {', '.join(studies)}")
            result, error = _send(channel, notice, smtp, retries=retries, sleep=sleep)
            outcome([n.id for n in items], result, error, channel.describe())
            run.digests += 1
    return run
