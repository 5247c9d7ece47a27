"""The action plan: read by every member, changed by owners and analysts.

- ``/actions``: the plan; each item's status, owner and due date change in
  place, every field on the item's edit page;
- ``/actions/candidates``: the ranked candidate actions not yet in the plan
  (``cxgap actions propose``), each adoptable with its evidence;
- ``/actions/new``: a free item, or (``?candidate=factor.touchpoint``) a
  candidate with its evidence prefilled.

Validation is the library's (:func:`~cxgap.store.actions.parse_action`);
its problems are shown beside the fields, with what was entered kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.analysis.plan.actions import CandidateAction
from cxgap.errors import AnalysisError, InputError, NotFoundError
from cxgap.report.data import labels_of
from cxgap.service.studies import adopt_candidate, open_candidates
from cxgap.store.actions import (
    STATUSES,
    ActionItem,
    add_action,
    list_actions,
    parse_action,
    update_action,
)
from cxgap.store.db import Database
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.dashboard._common import (
    StudyRef,
    field_errors,
    forget_overviews,
    page,
    require_editor,
    study_of,
)
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: How many candidates the candidates page lists.
CANDIDATES_SHOWN = 15

Title = Annotated[str, Form(max_length=1000)]
Text = Annotated[str, Form(max_length=20_000)]
Key = Annotated[str, Form(max_length=200)]


def _plan_url(slug: str, action_id: int | None) -> str:
    return f"/dashboard/studies/{slug}/actions?saved={action_id}#action-{action_id}"


def _find(db: Database, slug: str, action_id: int) -> ActionItem:
    for item in list_actions(db, slug):
        if item.id == action_id:
            return item
    raise NotFoundError(f"study {slug!r} has no action {action_id}")


def _candidate(db: Database, slug: str, key: str) -> tuple[CandidateAction, str]:
    """The candidate ``key`` not yet in the plan, and the wave it comes from."""
    plan, fresh = open_candidates(db, slug)
    for cand in fresh:
        if cand.key == key:
            return cand, plan.wave
    raise NotFoundError(f"no candidate action {key!r} outside the plan")


@router.get("/dashboard/studies/{slug}/actions", response_class=HTMLResponse)
def actions_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The action plan; owners and analysts can change it."""
    ref = study_of(db, user, slug)
    return _plan_page(request, db, templates, user, ref)


def _plan_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    failed: int | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    study = load_study(db, ref.slug)
    return page(
        request,
        templates,
        "actions.html",
        user,
        {
            "title": f"{ref.name}: action plan",
            "ref": ref,
            "actions": list_actions(db, ref.slug),
            "statuses": STATUSES,
            "labels": labels_of(study),
            "can_edit": user.can_edit(ref.organisation_id),
            "saved": request.query_params.get("saved"),
            "failed": failed,
            "values": values or {},
            "errors": errors or {},
            "tab": "actions",
        },
    )


@router.get("/dashboard/studies/{slug}/actions/candidates", response_class=HTMLResponse)
def candidates_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The ranked candidate actions not yet in the plan, with their evidence."""
    ref = study_of(db, user, slug)
    study = load_study(db, slug)
    plan, reason = None, None
    fresh: list[CandidateAction] = []
    try:
        plan, fresh = open_candidates(db, slug)
    except AnalysisError as exc:
        reason = str(exc)
    return page(
        request,
        templates,
        "action_candidates.html",
        user,
        {
            "title": f"{ref.name}: candidate actions",
            "ref": ref,
            "plan": plan,
            "candidates": fresh[:CANDIDATES_SHOWN],
            "more": max(0, len(fresh) - CANDIDATES_SHOWN),
            "reason": reason,
            "labels": labels_of(study),
            "can_edit": user.can_edit(ref.organisation_id),
            "tab": "actions",
        },
    )


def _form_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    values: dict[str, Any],
    action_id: int | None = None,
    candidate: CandidateAction | None = None,
    evidence: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    study = load_study(db, ref.slug)
    if action_id is not None:
        heading = f"Edit action {action_id}"
    elif candidate is not None:
        heading = f"Adopt: {candidate.title}"
    else:
        heading = "Add an action"
    return page(
        request,
        templates,
        "action_form.html",
        user,
        {
            "title": f"{ref.name}: {heading.lower()}",
            "heading": heading,
            "ref": ref,
            "study": study,
            "labels": labels_of(study),
            "statuses": STATUSES,
            "values": values,
            "action_id": action_id,
            "candidate": candidate,
            "evidence": evidence if evidence is not None else _evidence_of(candidate),
            "errors": errors or {},
            "tab": "actions",
        },
    )


def _evidence_of(candidate: CandidateAction | None) -> dict[str, Any]:
    return candidate.evidence.model_dump(mode="json") if candidate is not None else {}


def _action_form(
    title: Title = "",
    description: Text = "",
    factor: Key = "",
    touchpoint: Key = "",
    baseline_wave: Key = "",
    owner: Title = "",
    due_on: Key = "",
    status: Annotated[str | None, Form(max_length=200)] = None,
) -> dict[str, str | None]:
    """The fields of the action form (adding and editing an item);
    ``status`` is ``None`` when the form did not send one."""
    return {
        "title": title,
        "description": description,
        "factor": factor,
        "touchpoint": touchpoint,
        "baseline_wave": baseline_wave,
        "owner": owner,
        "due_on": due_on,
        "status": status,
    }


ActionForm = Annotated[dict[str, str | None], Depends(_action_form)]


def _with_status(form: dict[str, str | None], default: str) -> dict[str, str]:
    """The form's values, ``default`` for a status it did not send."""
    return {k: (default if v is None else v) for k, v in form.items()}


@router.get("/dashboard/studies/{slug}/actions/new", response_class=HTMLResponse)
def new_action_form(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    candidate: str | None = None,
) -> Response:
    """The form of a new item; with ``candidate``, prefilled from that candidate."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change the action plan")
    values: dict[str, Any] = {"status": "accepted"}
    found = None
    if candidate:
        found, wave = _candidate(db, slug, candidate)
        values |= {"title": found.title, "baseline_wave": wave}
    return _form_page(request, db, templates, user, ref, values=values, candidate=found)


@router.post("/dashboard/studies/{slug}/actions/new")
def add_new_action(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    form: ActionForm,
    candidate: Key = "",
) -> Response:
    """Add a free item, or adopt ``candidate`` with its evidence as computed now."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change the action plan")
    values = _with_status(form, "accepted")
    try:
        if candidate:
            chosen = {k: values[k] for k in ("title", "description", "owner", "due_on", "status")}
            item = adopt_candidate(db, slug, candidate, changes=chosen)
        else:
            item = add_action(db, slug, parse_action(values, load_study(db, slug)))
    except InputError as exc:
        found = None
        if candidate:
            found, values["baseline_wave"] = _candidate(db, slug, candidate)
        return _form_page(
            request,
            db,
            templates,
            user,
            ref,
            values=values,
            candidate=found,
            errors=field_errors(exc),
        )
    forget_overviews(request, slug)
    return RedirectResponse(_plan_url(slug, item.id), status_code=303)


@router.get("/dashboard/studies/{slug}/actions/{action_id}/edit", response_class=HTMLResponse)
def edit_action_form(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    action_id: int,
) -> Response:
    """Every field of one item."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change the action plan")
    item = _find(db, slug, action_id)
    values = {k: "" if v is None else str(v) for k, v in item.model_dump().items()}
    return _form_page(
        request,
        db,
        templates,
        user,
        ref,
        values=values,
        action_id=action_id,
        evidence=item.evidence,
    )


@router.post("/dashboard/studies/{slug}/actions/{action_id}/edit")
def edit_action_fields(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    action_id: int,
    form: ActionForm,
) -> Response:
    """Change every field of one item (its evidence and priority stay)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change the action plan")
    item = _find(db, slug, action_id)
    values = _with_status(form, "")
    try:
        update_action(db, slug, action_id, **values)
    except InputError as exc:
        return _form_page(
            request,
            db,
            templates,
            user,
            ref,
            values=values,
            action_id=action_id,
            evidence=item.evidence,
            errors=field_errors(exc),
        )
    forget_overviews(request, slug)
    return RedirectResponse(_plan_url(slug, action_id), status_code=303)


@router.post("/dashboard/studies/{slug}/actions/{action_id}")
def edit_action(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    action_id: int,
    status: Annotated[str, Form(max_length=40)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Change one action's status, owner and due date (in place on the plan)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change the action plan")
    values = {"status": status, "owner": owner, "due_on": due_on}
    try:
        update_action(db, slug, action_id, **values)
    except InputError as exc:
        return _plan_page(
            request,
            db,
            templates,
            user,
            ref,
            failed=action_id,
            values=values,
            errors=field_errors(exc),
        )
    forget_overviews(request, slug)
    return RedirectResponse(_plan_url(slug, action_id), status_code=303)
