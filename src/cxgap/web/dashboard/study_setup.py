"""A study's set-up: title, anonymity threshold, promise, factors,
touchpoints, moments, segments, waves and questions.

Every member reads it; owners and analysts change it (only owners change
the anonymity threshold). Each form changes one part through one pure
function of :mod:`cxgap.study.edits`, saved by
:func:`~cxgap.store.studies.edit_study` with the checks of ``cxgap study
apply``: all or nothing, and a wave or question that holds answers is never
removed. Each form carries the study's revision, so a change saved by
someone else meanwhile is not overwritten silently. A refused form is the
page again with the problems beside the fields and the values kept.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import zip_longest
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.errors import ConflictError, InputError, StudyInUseError
from cxgap.store.db import Database
from cxgap.store.studies import answer_counts, edit_study, load_study, study_revision
from cxgap.store.users import User
from cxgap.study import edits
from cxgap.study.model import CASE_PRIORITIES, StudyDefinition
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.dashboard._common import (
    StudyRef,
    field_errors,
    forget_overviews,
    page,
    require_editor,
    require_owner,
    study_of,
)
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Texts = Annotated[list[str] | None, Form()]
Line = Annotated[str, Form(max_length=2000)]
Long = Annotated[str, Form(max_length=50_000)]
Revision = Annotated[int | None, Form()]
Flag = Annotated[str, Form(max_length=10)]
EDIT_WHAT = "change the study's set-up"


def setup_path(slug: str) -> str:
    return f"/dashboard/studies/{slug}/setup"


def _table_rows(study: StudyDefinition, section: str) -> list[dict[str, Any]]:
    """The stored rows of a set-up table, as the form shows them."""
    out = []
    for x in getattr(study, section):
        row = x.model_dump(mode="json")
        row["existing"] = True
        row["remove"] = False
        if "lexicon" in row:
            row["lexicon"] = ", ".join(row["lexicon"])
        out.append(row)
    return out


def render_setup(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    section: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The set-up page; a refused ``section`` shows ``values`` and ``errors``
    (an ordinary page, as the survey shows a section again: the browser shows
    it, it does not report a failed load)."""
    study = load_study(db, ref.slug)
    counts = answer_counts(db, ref.slug)
    tables = {s: _table_rows(study, s) for s in (*edits.ITEM_SECTIONS, "waves")}
    nxt = edits.next_wave(study)
    new_wave = {"key": nxt.key, "label": nxt.label, "opens": nxt.opens or "", "closes": ""}
    forms: dict[str, Any] = {
        "general": {"name": study.name, "description": study.description},
        "anonymity": {"anonymity_threshold": study.anonymity_threshold},
        "promise": {"text": "\n".join(study.promise)},
        **{s: {"rows": rows, "add_questions": True} for s, rows in tables.items()},
    }
    forms["new_wave"] = new_wave
    forms["cases"] = {
        "rows": [{**vars(r), "existing": True} for r in edits.case_rule_rows(study)],
        "lookback_days": study.cases.lookback_days,
    }
    if section is not None and values is not None:
        forms[section] = values
    return page(
        request,
        templates,
        "setup.html",
        user,
        {
            "title": f"{ref.name}: set-up",
            "ref": ref,
            "study": study,
            "forms": forms,
            "failed": section,
            "errors": errors or {},
            "revision": study_revision(db, ref.slug),
            "responses": counts.responses_per_wave,
            "answers": counts.answers_per_question,
            "used": {
                sec: {x.key: edits.used_by(study, sec, x.key) for x in getattr(study, sec)}
                for sec in edits.ITEM_SECTIONS
            },
            "can_edit": user.can_edit(ref.organisation_id),
            "is_owner": user.role_in(ref.organisation_id) == "owner",
            "saved": request.query_params.get("saved"),
            "case_rules": {r.key: r for r in study.cases.rules},
            "case_limits": edits.CASE_LIMITS,
            "case_priorities": CASE_PRIORITIES,
            "tab": "setup",
        },
    )


@router.get("/dashboard/studies/{slug}/setup", response_class=HTMLResponse)
def setup_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The study's set-up; owners and analysts can change it."""
    ref = study_of(db, user, slug)
    return render_setup(request, db, templates, user, ref)


def _save(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    section: str,
    edit: Callable[[StudyDefinition], StudyDefinition],
    revision: int | None,
    values: dict[str, Any],
    *,
    in_use: Callable[[StudyInUseError], dict[str, str]] | None = None,
) -> Response:
    """Save one edit; on a problem, the page again with ``values`` kept."""
    try:
        edit_study(db, ref.slug, edit, revision=revision, file=section)
    except InputError as exc:
        return render_setup(
            request,
            db,
            templates,
            user,
            ref,
            section=section,
            values=values,
            errors=field_errors(exc),
        )
    except StudyInUseError as exc:
        errors = in_use(exc) if in_use is not None else {}
        errors.setdefault("", str(exc))
        return render_setup(
            request,
            db,
            templates,
            user,
            ref,
            section=section,
            values=values,
            errors=errors,
        )
    except ConflictError as exc:
        return render_setup(
            request,
            db,
            templates,
            user,
            ref,
            section=section,
            values=values,
            errors={"": f"{exc}. Your values are kept below: check them and save again."},
        )
    forget_overviews(request, ref.slug)
    anchor = {"question": "questions", "new_wave": "waves"}.get(section, section)
    return RedirectResponse(f"{setup_path(ref.slug)}?saved={section}#{anchor}", status_code=303)


@router.post("/dashboard/studies/{slug}/setup/general")
def save_general(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    name: Line = "",
    description: Long = "",
) -> Response:
    """The study's title and description."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    return _save(
        request,
        db,
        templates,
        user,
        ref,
        "general",
        lambda s: edits.edit_general(s, name=name, description=description),
        revision,
        {"name": name, "description": description},
    )


@router.post("/dashboard/studies/{slug}/setup/anonymity")
def save_anonymity(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    anonymity_threshold: Line = "",
) -> Response:
    """The anonymity threshold (owners only: it decides which groups are shown)."""
    ref = study_of(db, user, slug)
    require_owner(user, ref, "change the anonymity threshold")
    return _save(
        request,
        db,
        templates,
        user,
        ref,
        "anonymity",
        lambda s: edits.edit_anonymity(s, anonymity_threshold),
        revision,
        {"anonymity_threshold": anonymity_threshold},
    )


@router.post("/dashboard/studies/{slug}/setup/promise")
def save_promise(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    text: Long = "",
) -> Response:
    """The customer promise, one statement per line."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    return _save(
        request,
        db,
        templates,
        user,
        ref,
        "promise",
        lambda s: edits.edit_promise(s, text),
        revision,
        {"text": text},
    )


def _item_rows(
    key: list[str] | None,
    label: list[str] | None,
    description: list[str] | None,
    weight: list[str] | None,
    lexicon: list[str] | None,
    remove: list[str] | None,
) -> list[edits.ItemRow]:
    removed = set(remove or [])
    return [
        edits.ItemRow(k, lab, desc, w, lex, remove=k.strip() in removed and bool(k.strip()))
        for k, lab, desc, w, lex in zip_longest(
            key or [], label or [], description or [], weight or [], lexicon or [], fillvalue=""
        )
    ]


def _item_values(
    study: StudyDefinition, section: str, rows: list[edits.ItemRow], add_questions: bool
) -> dict[str, Any]:
    """What the form showed, to show it again (the last row is the "add" row)."""
    existing = {x.key for x in getattr(study, section)}
    shown = [
        {
            "key": r.key,
            "label": r.label,
            "description": r.description,
            "weight": r.weight,
            "lexicon": r.lexicon,
            "remove": r.remove,
            "existing": r.key.strip() in existing,
        }
        for r in rows
    ]
    return {"rows": shown, "add_questions": add_questions}


def _save_items(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    slug: str,
    section: edits.ItemSection,
    revision: int | None,
    sent: list[edits.ItemRow],
    add_questions: bool,
) -> Response:
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    study = load_study(db, slug)
    return _save(
        request,
        db,
        templates,
        user,
        ref,
        section,
        lambda s: edits.edit_items(s, section, sent, add_questions=add_questions),
        revision,
        _item_values(study, section, sent, add_questions),
    )


@router.post("/dashboard/studies/{slug}/setup/factors")
def save_factors(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    key: Texts = None,
    label: Texts = None,
    description: Texts = None,
    lexicon: Texts = None,
    remove: Texts = None,
    add_questions: Flag = "",
) -> Response:
    """The experience factors (labels, descriptions, lexicons; add, remove)."""
    return _save_items(
        request,
        db,
        templates,
        user,
        slug,
        "factors",
        revision,
        _item_rows(key, label, description, None, lexicon, remove),
        bool(add_questions),
    )


@router.post("/dashboard/studies/{slug}/setup/touchpoints")
def save_touchpoints(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    key: Texts = None,
    label: Texts = None,
    description: Texts = None,
    remove: Texts = None,
    add_questions: Flag = "",
) -> Response:
    """The touchpoints (teams)."""
    return _save_items(
        request,
        db,
        templates,
        user,
        slug,
        "touchpoints",
        revision,
        _item_rows(key, label, description, None, None, remove),
        bool(add_questions),
    )


@router.post("/dashboard/studies/{slug}/setup/moments")
def save_moments(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    key: Texts = None,
    label: Texts = None,
    description: Texts = None,
    weight: Texts = None,
    remove: Texts = None,
) -> Response:
    """The moments that matter with their ledger weights."""
    return _save_items(
        request,
        db,
        templates,
        user,
        slug,
        "moments",
        revision,
        _item_rows(key, label, description, weight, None, remove),
        False,
    )


@router.post("/dashboard/studies/{slug}/setup/segments")
def save_segments(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    key: Texts = None,
    label: Texts = None,
    description: Texts = None,
    remove: Texts = None,
) -> Response:
    """The customer segments."""
    return _save_items(
        request,
        db,
        templates,
        user,
        slug,
        "segments",
        revision,
        _item_rows(key, label, description, None, None, remove),
        False,
    )


def _wave_rows(
    key: list[str] | None,
    label: list[str] | None,
    opens: list[str] | None,
    closes: list[str] | None,
    remove: list[str] | None,
) -> list[edits.WaveRow]:
    removed = set(remove or [])
    return [
        edits.WaveRow(k, lab, o, c, remove=bool(k.strip()) and k.strip() in removed)
        for k, lab, o, c in zip_longest(
            key or [], label or [], opens or [], closes or [], fillvalue=""
        )
    ]


def _wave_values(rows: list[edits.WaveRow]) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "label": r.label,
            "opens": r.opens,
            "closes": r.closes,
            "remove": r.remove,
            "existing": True,
        }
        for r in rows
    ]


def _wave_in_use(rows: list[edits.WaveRow]) -> Callable[[StudyInUseError], dict[str, str]]:
    def in_use(exc: StudyInUseError) -> dict[str, str]:
        number = next((i for i, r in enumerate(rows, 1) if r.key.strip() == exc.key), None)
        return {
            f"{number}.remove": f"Wave {exc.key} holds {exc.count} response(s): "
            "it cannot be removed."
        }

    return in_use


@router.post("/dashboard/studies/{slug}/setup/waves")
def save_waves(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    key: Texts = None,
    label: Texts = None,
    opens: Texts = None,
    closes: Texts = None,
    remove: Texts = None,
) -> Response:
    """The waves: labels and dates, removals of waves without responses."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    rows = _wave_rows(key, label, opens, closes, remove)
    values: dict[str, Any] = {"rows": _wave_values(rows)}
    return _save(
        request,
        db,
        templates,
        user,
        ref,
        "waves",
        lambda s: edits.edit_waves(s, rows),
        revision,
        values,
        in_use=_wave_in_use(rows),
    )


@router.post("/dashboard/studies/{slug}/setup/waves/add")
def add_wave(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    key: Line = "",
    label: Line = "",
    opens: Line = "",
    closes: Line = "",
) -> Response:
    """Add a wave after the last one (the study repeated)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    row = edits.WaveRow(key, label, opens, closes)
    values = {"key": key, "label": label, "opens": opens, "closes": closes}
    return _save(
        request,
        db,
        templates,
        user,
        ref,
        "new_wave",
        lambda s: edits.add_wave(s, row),
        revision,
        values,
    )


@router.post("/dashboard/studies/{slug}/setup/cases")
def save_cases(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    key: Texts = None,
    enabled: Texts = None,
    priority: Texts = None,
    sla_days: Texts = None,
    limit: Texts = None,
    within_days: Texts = None,
    lookback_days: Line = "",
) -> Response:
    """The case rules: each one's switch, priority, SLA and limit."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    on = set(enabled or [])
    rows = [
        edits.CaseRuleRow(k, k in on, p, d, lim, w)
        for k, p, d, lim, w in zip_longest(
            key or [], priority or [], sla_days or [], limit or [], within_days or [], fillvalue=""
        )
    ]
    values: dict[str, Any] = {
        "rows": [{**vars(r), "existing": True} for r in rows],
        "lookback_days": lookback_days,
    }
    return _save(
        request,
        db,
        templates,
        user,
        ref,
        "cases",
        lambda s: edits.edit_cases(s, rows, lookback_days),
        revision,
        values,
    )
