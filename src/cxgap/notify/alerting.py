"""One run of the ledger alerts of a study: from the last run to now, posted
to a webhook where one is given, and recorded so the next run starts where
this one ended.

Where the run starts (``since``), in order:

1. the date given (``cxgap ledger alerts --since``);
2. with a webhook, the as-of date of the last run whose alerts reached it
   (a failed delivery is recorded as not delivered, so its alerts come again
   in the next run); without one, the as-of date of the last recorded run;
3. 30 days before the as-of date, when no such run is recorded.

The alerts themselves are :func:`cxgap.service.ledger.ledger_alerts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cxgap.analysis.ledger.alerts import AlertsResult
from cxgap.errors import CxgapError
from cxgap.notify.webhook import WebhookError, post_json
from cxgap.service.ledger import ledger_alerts
from cxgap.store.alerts import AlertRun, last_alert_run, record_alert_run
from cxgap.store.db import Database

__all__ = ["AlertsRun", "run_alerts"]

StartedFrom = Literal["since", "last run", "last delivered run", "default"]


@dataclass(frozen=True)
class AlertsRun:
    """The alerts of one run, where it started and what was recorded.

    ``delivered`` is ``None`` without a webhook; ``delivery_error`` says why
    a post failed. ``recorded`` is ``None`` for a look that records nothing.
    """

    alerts: AlertsResult
    started_from: StartedFrom
    start_note: str
    previous: AlertRun | None
    delivered: bool | None
    delivery_error: str | None
    recorded: AlertRun | None

    def to_json_dict(self) -> dict[str, Any]:
        """The alerts (as posted to a webhook) plus the run's own fields."""
        return {
            **self.alerts.to_json_dict(),
            "started_from": self.started_from,
            "start_note": self.start_note,
            "previous_run": None if self.previous is None else self.previous.to_json_dict(),
            "delivered": self.delivered,
            "delivery_error": self.delivery_error,
            "recorded_run": None if self.recorded is None else self.recorded.to_json_dict(),
        }


def _start(
    db: Database, slug: str, webhook: bool
) -> tuple[datetime | None, StartedFrom, str, AlertRun | None]:
    """Where a run without ``since`` starts, and a sentence saying why."""
    previous = last_alert_run(db, slug, delivered=webhook)
    if previous is not None:
        what: StartedFrom = "last delivered run" if webhook else "last run"
        note = f"from the as-of date of the {what}, run {previous.id} ({previous.as_of:%Y-%m-%d})"
        return previous.as_of, what, note, previous
    none = "no run delivered to a webhook" if webhook else "no earlier run"
    return None, "default", f"from 30 days before the as-of date: {none} recorded", None


def run_alerts(
    db: Database,
    slug: str,
    *,
    since: datetime | None = None,
    as_of: datetime | None = None,
    webhook: str | None = None,
    record: bool = True,
    post: Callable[[str, Any], int] = post_json,
) -> AlertsRun:
    """Alerts of study ``slug`` since the last run (see the module), posted to
    ``webhook`` when given and recorded unless ``record`` is false.

    A failed post does not raise: the run is recorded with ``delivered``
    false and ``delivery_error`` set, and the caller reports it.
    """
    previous: AlertRun | None = None
    if since is not None:
        started: StartedFrom = "since"
        note = f"from {since:%Y-%m-%d %H:%M} (--since)"
    else:
        since, started, note, previous = _start(db, slug, webhook is not None)
        if since is not None and as_of is not None and since > as_of:
            raise CxgapError(
                f"the as-of date {as_of:%Y-%m-%d} is before the start of this run, {note}; "
                "give --since to look at an earlier period"
            )
    alerts = ledger_alerts(db, slug, since=since, as_of=as_of)
    delivered: bool | None = None
    error: str | None = None
    if webhook is not None:
        try:
            post(webhook, alerts.to_json_dict())
            delivered = True
        except WebhookError as exc:
            delivered, error = False, str(exc)
    recorded = None
    if record:
        recorded = record_alert_run(
            db,
            slug,
            since=alerts.since,
            as_of=alerts.as_of,
            threshold=alerts.threshold,
            crossed_below=len(alerts.crossed_below),
            recovered=len(alerts.recovered),
            delivered=delivered,
        )
    return AlertsRun(alerts, started, note, previous, delivered, error, recorded)
