"""The study's notifications on the dashboard: the delivery log, a retry of
the failed ones, and the subscriptions that decide who hears of which cases.

Every member reads the log; owners and analysts change subscriptions and
retry. A retry puts the failed notifications back in the outbox and
delivers it after the answer is sent (a background task): no request waits
for a mail server or a webhook. Subscriptions are validated as the CLI's
(:func:`~cxgap.notify.channels.validate_channel`); the folder channel,
which writes files on the server, is left to the CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.errors import CxgapError, InputError
from cxgap.notify.channels import validate_channel
from cxgap.notify.outbox import deliver_outbox
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.notifications import (
    MODES,
    SCOPES,
    add_rule,
    list_notifications,
    list_rules,
    remove_rule,
    retry_failed,
)
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.dashboard._common import StudyRef, page, require_editor, study_of
from cxgap.web.dashboard.cases import describe
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["DASHBOARD_CHANNELS", "router"]

router = APIRouter(include_in_schema=False)

#: The channels a subscription made on the dashboard may use.
DASHBOARD_CHANNELS = ("email", "slack", "teams", "webhook")

Short = Annotated[str, Form(max_length=200)]
Url = Annotated[str, Form(max_length=2000)]


def _url(slug: str, saved: str) -> str:
    return f"/dashboard/studies/{slug}/notifications?saved={saved}"


def _page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    study = load_study(db, ref.slug)
    return page(
        request,
        templates,
        "notifications.html",
        user,
        {
            "title": f"{ref.name}: notifications",
            "ref": ref,
            "notifications": list_notifications(db, ref.slug),
            "rules": list_rules(db, ref.slug),
            "case_rules": [(r.key, r.key) for r in study.cases.rules],
            "channels": DASHBOARD_CHANNELS,
            "scopes": SCOPES,
            "modes": MODES,
            "describe": describe,
            "can_edit": user.can_edit(ref.organisation_id),
            "saved": request.query_params.get("saved"),
            "error": error,
            "values": values or {},
            "tab": "cases",
        },
        status=status,
    )


@router.get("/dashboard/studies/{slug}/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The log of the study's notifications and its subscriptions."""
    ref = study_of(db, user, slug)
    return _page(request, db, templates, user, ref)


def _deliver(db: Database, settings: Settings, slug: str) -> None:
    """Deliver the study's outbox (after the response: a background task)."""
    deliver_outbox(db, settings, slug=slug, digests=False)


@router.post("/dashboard/studies/{slug}/notifications/retry")
def retry(
    request: Request, db: DbDep, user: FormUser, slug: str, tasks: BackgroundTasks
) -> Response:
    """Put the failed notifications back in the outbox and deliver them
    once the answer is sent."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "retry notifications")
    count = retry_failed(db, slug, now=datetime.now(UTC))
    if count:
        tasks.add_task(_deliver, db, request.app.state.settings, slug)
    return RedirectResponse(_url(slug, f"retry-{count}"), status_code=303)


@router.post("/dashboard/studies/{slug}/notifications/subscriptions")
def subscribe(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    channel: Short = "",
    target: Url = "",
    scope: Short = "mine",
    mode: Short = "immediate",
    rules: Annotated[list[str] | None, Form(max_length=200)] = None,
    secret: Short = "",
) -> Response:
    """Subscribe a channel to the study's cases ("mine": the signed-in
    user's cases)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change the subscriptions")
    values = {
        "channel": channel,
        "target": target,
        "scope": scope,
        "mode": mode,
        "rules": rules or [],
    }
    try:
        if channel not in DASHBOARD_CHANNELS:
            raise InputError(
                f"unknown channel {channel!r}: expected one of {', '.join(DASHBOARD_CHANNELS)}"
            )
        checked = validate_channel(channel, target, secret=secret or None)
        add_rule(
            db,
            slug,
            channel=checked.kind,
            target=checked.target,
            user_email=user.email if scope == "mine" else None,
            secret=checked.secret,
            rule_keys=rules or [],
            scope=scope,
            mode=mode,
            known_rules=[r.key for r in load_study(db, slug).cases.rules],
        )
    except CxgapError as exc:
        return _page(request, db, templates, user, ref, error=str(exc), values=values)
    return RedirectResponse(_url(slug, "subscribed"), status_code=303)


@router.post("/dashboard/studies/{slug}/notifications/subscriptions/{rule_id}/remove")
def unsubscribe(db: DbDep, user: FormUser, slug: str, rule_id: int) -> Response:
    """Remove a subscription (its past notifications stay in the log)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change the subscriptions")
    remove_rule(db, slug, rule_id)
    return RedirectResponse(_url(slug, "removed"), status_code=303)
