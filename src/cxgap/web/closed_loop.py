"""After a survey is submitted: open the cases its answers call for and
deliver their notifications, in a background task that runs after the
response has gone out, so no respondent waits for a case or an e-mail.

Should the task not run (the process stopped), nothing is lost: the answers
are stored, and ``cxgap cases scan`` (or the next scan job) opens the same
cases, once, from them.
"""

from __future__ import annotations

import logging

from fastapi import BackgroundTasks, Request

from cxgap.errors import CxgapError
from cxgap.settings import Settings
from cxgap.store.db import Database

__all__ = ["open_cases_later"]

log = logging.getLogger(__name__)


def _open_and_notify(db: Database, settings: Settings, slug: str, response_id: int) -> None:
    from cxgap.notify.outbox import deliver_outbox
    from cxgap.service.cases import cases_for_response

    try:
        opened = cases_for_response(db, slug, response_id, base_url=settings.base_url)
        if opened:
            deliver_outbox(db, settings, slug=slug, digests=False)
    except (CxgapError, OSError) as exc:  # the scan opens them later; say why now
        log.warning("cases of response %s in study %s not opened now: %s", response_id, slug, exc)


def open_cases_later(
    request: Request, background: BackgroundTasks, slug: str, response_id: int | None
) -> None:
    """Queue the case rules of one submitted response (nothing for ``None``)."""
    if response_id is None:
        return
    settings: Settings = request.app.state.settings
    background.add_task(_open_and_notify, request.app.state.db, settings, slug, response_id)
