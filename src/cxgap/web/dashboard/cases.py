"""Cases on the dashboard: "My cases", the case page and its forms
(``docs/DASHBOARD.md``, the store's rules in :mod:`cxgap.store.cases`).

- ``/cases``: the study's cases by view (``mine``: the signed-in user's open
  cases, the default when they own any; ``open``, ``overdue``, ``closed``,
  ``all``), searchable over title and account, overdue first;
- ``/cases/{number}``: one case with its trigger's evidence, the follow-up
  in the next wave, root cause, history and notifications, and the forms
  that work it. Editors (owners, analysts) and the case's owner may change
  it; anyone else reads it.

Every change goes through :func:`~cxgap.store.cases.update_case` (one
history line each, nothing written when any part is invalid) and telling
the customer through :func:`~cxgap.notify.loop.close_the_loop`; their
errors are shown beside the form with what was entered kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.errors import AccessDeniedError, CxgapError, InputError
from cxgap.notify.notice import Channel
from cxgap.report.data import labels_of
from cxgap.service.cases import case_followup
from cxgap.store.cases import (
    CASE_STATUSES,
    RESOLUTIONS,
    Case,
    get_case,
    list_cases,
    update_case,
)
from cxgap.store.db import Database
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.dashboard._common import StudyRef, choice, page, study_of
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["VIEWS", "describe", "is_owner", "may_change", "router"]

router = APIRouter(include_in_schema=False)

#: The views of the cases list, in the order of their links.
VIEWS = ("mine", "open", "overdue", "closed", "all")
VIEW_LABELS = {
    "mine": "My cases",
    "open": "Open",
    "overdue": "Overdue",
    "closed": "Closed",
    "all": "All",
}
#: The parts of the case page's forms (each one a form posting ``part``).
PARTS = ("status", "owner", "note", "root", "close")

Short = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=20_000)]


def describe(kind: str, target: str) -> str:
    """A notification's channel as a page shows it: a webhook's token (its
    URL's path) left out (:meth:`cxgap.notify.notice.Channel.describe`)."""
    return Channel(kind, target).describe()  # type: ignore[arg-type]


def is_owner(user: User, case: Case) -> bool:
    """Whether the case's owner names ``user`` (their name or e-mail, any case)."""
    owner = (case.owner or "").strip().lower()
    return bool(owner) and owner in {user.email.lower(), (user.name or "").strip().lower()}


def may_change(user: User, ref: StudyRef, case: Case) -> bool:
    """Editors of the study's organisation and the case's owner may work a case."""
    return user.can_edit(ref.organisation_id) or is_owner(user, case)


def _views(user: User, cases: list[Case]) -> dict[str, list[Case]]:
    return {
        "mine": [c for c in cases if c.status != "closed" and is_owner(user, c)],
        "open": [c for c in cases if c.status != "closed"],
        "overdue": [c for c in cases if c.overdue],
        "closed": [c for c in cases if c.status == "closed"],
        "all": cases,
    }


def _matches(case: Case, q: str) -> bool:
    wanted = q.strip().lower()
    return any(wanted in (x or "").lower() for x in (case.title, case.account, case.account_name))


@router.get("/dashboard/studies/{slug}/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    view: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The study's cases of one view, overdue first, then by due date."""
    ref = study_of(db, user, slug)
    groups = _views(user, list_cases(db, slug))
    chosen = choice(view, list(VIEWS), "view") or ("mine" if groups["mine"] else "open")
    shown = [c for c in groups[chosen] if _matches(c, q)] if q.strip() else groups[chosen]
    return page(
        request,
        templates,
        "cases.html",
        user,
        {
            "title": f"{ref.name}: {VIEW_LABELS[chosen].lower()}",
            "ref": ref,
            "cases": shown,
            "view": chosen,
            "views": [(v, VIEW_LABELS[v], len(groups[v])) for v in VIEWS],
            "q": q,
            "tab": "cases",
        },
    )


def _case_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    number: int,
    *,
    failed: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    case = get_case(db, ref.slug, number)
    study = load_study(db, ref.slug)
    return page(
        request,
        templates,
        "case.html",
        user,
        {
            "title": f"{ref.name}: case #{case.number}",
            "ref": ref,
            "case": case,
            "followup": case_followup(db, ref.slug, number),
            "labels": labels_of(study),
            "factors": [(f.key, f.label) for f in study.factors],
            "touchpoints": [(x.key, x.label) for x in study.touchpoints],
            "moments": [(m.key, m.label) for m in study.moments],
            "statuses": CASE_STATUSES,
            "describe": describe,
            "outcomes": RESOLUTIONS,
            "can_change": may_change(user, ref, case),
            "can_see_contact": user.can_edit(ref.organisation_id) or is_owner(user, case),
            "saved": request.query_params.get("saved"),
            "failed": failed,
            "error": error,
            "values": values or {},
            "tab": "cases",
        },
        status=status,
    )


@router.get("/dashboard/studies/{slug}/cases/{number}", response_class=HTMLResponse)
def case_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    number: int,
) -> Response:
    """One case: evidence, follow-up, root cause, history, notifications, forms."""
    ref = study_of(db, user, slug)
    return _case_page(request, db, templates, user, ref, number)


def _checked(db: Database, user: User, ref: StudyRef, number: int) -> Case:
    case = get_case(db, ref.slug, number)
    if not may_change(user, ref, case):
        raise AccessDeniedError(
            "Only the case's owner and the organisation's owners and analysts can change a case."
        )
    return case


def _back(slug: str, number: int, part: str) -> RedirectResponse:
    return RedirectResponse(
        f"/dashboard/studies/{slug}/cases/{number}?saved={part}#{part}", status_code=303
    )


@router.post("/dashboard/studies/{slug}/cases/{number}")
def change_case(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    number: int,
    part: Short = "",
    status: Short = "",
    owner: Short = "",
    note: Text = "",
    root_factor: Short = "",
    root_touchpoint: Short = "",
    root_moment: Short = "",
    resolution: Short = "",
) -> Response:
    """One form of the case page: its status, owner, a note, the root cause,
    or closing it with the outcome (and the root cause where it happened)."""
    ref = study_of(db, user, slug)
    part = choice(part, list(PARTS), "part") or "note"
    _checked(db, user, ref, number)
    values = {
        "status": status,
        "owner": owner,
        "note": note,
        "root_factor": root_factor,
        "root_touchpoint": root_touchpoint,
        "root_moment": root_moment,
        "resolution": resolution,
    }
    changes: dict[str, Any] = {}
    if part == "status":
        changes = {"status": status or None}
    elif part == "owner":
        changes = {"owner": owner.strip()}
    elif part == "note":
        changes = {"note": note.strip() or None}
    elif part == "root":
        changes = {
            "root_factor": root_factor,
            "root_touchpoint": root_touchpoint,
            "root_moment": root_moment,
        }
    else:
        if not resolution:
            return _failed(request, db, templates, user, ref, number, part, values, _NO_OUTCOME)
        changes = {
            "status": "closed",
            "resolution": resolution,
            "root_factor": root_factor,
            "root_touchpoint": root_touchpoint,
            "root_moment": root_moment,
            "note": note.strip() or None,
        }
    author = user.name or user.email
    try:
        update_case(db, slug, number, author=author, **changes)
    except InputError as exc:
        return _failed(request, db, templates, user, ref, number, part, values, str(exc))
    return _back(slug, number, part)


_NO_OUTCOME = "Choose the outcome for the customer: exceeded, met or failed."


def _failed(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    number: int,
    part: str,
    values: dict[str, str],
    error: str,
) -> Response:
    return _case_page(
        request,
        db,
        templates,
        user,
        ref,
        number,
        failed=part,
        error=error,
        values=values,
    )


@router.post("/dashboard/studies/{slug}/cases/{number}/tell")
def tell_customer(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    number: int,
    message: Text = "",
) -> Response:
    """Close the loop: e-mail the case's contact (over the configured SMTP
    server) and record it; nothing is recorded when it is not sent."""
    from cxgap.notify.loop import close_the_loop

    ref = study_of(db, user, slug)
    _checked(db, user, ref, number)
    try:
        close_the_loop(
            db,
            request.app.state.settings,
            slug,
            number,
            author=user.name or user.email,
            message=message.strip() or None,
        )
    except CxgapError as exc:  # no contact, no SMTP server, a refusal: said, nothing recorded
        return _failed(
            request, db, templates, user, ref, number, "tell", {"message": message}, str(exc)
        )
    return _back(slug, number, "tell")
