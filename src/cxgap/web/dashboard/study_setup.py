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

from cxgap.errors import ConflictError, InputError, NotFoundError, StudyInUseError
from cxgap.store.db import Database
from cxgap.store.studies import answer_counts, edit_study, load_study, study_revision
from cxgap.store.users import User
from cxgap.study import edits
from cxgap.study.model import AUDIENCES, StudyDefinition
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


def _base(slug: str) -> str:
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


def _setup_page(
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
            "tab": "setup",
        },
    )


@router.get("/dashboard/studies/{slug}/setup", response_class=HTMLResponse)
def setup_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The study's set-up; owners and analysts can change it."""
    ref = study_of(db, user, slug)
    return _setup_page(request, db, templates, user, ref)


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
        return _setup_page(
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
        return _setup_page(
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
        return _setup_page(
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
    return RedirectResponse(f"{_base(ref.slug)}?saved={section}#{anchor}", status_code=303)


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


# --- questions ------------------------------------------------------------------


def _question_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    original: str | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    study = load_study(db, ref.slug)
    answered = answer_counts(db, ref.slug).answers_per_question.get(original or "", 0)
    return page(
        request,
        templates,
        "question_form.html",
        user,
        {
            "title": f"{ref.name}: " + (f"question {original}" if original else "new question"),
            "ref": ref,
            "study": study,
            "original": original,
            "values": values,
            "errors": errors or {},
            "answered": answered,
            "kinds": edits.QUESTION_KINDS,
            "audiences": AUDIENCES,
            "sections": sorted({q.section for q in study.questions}),
            "revision": study_revision(db, ref.slug),
            "tab": "setup",
        },
    )


def _question_values(study: StudyDefinition, key: str) -> dict[str, Any]:
    for q in study.questions:
        if q.key == key:
            values = q.model_dump(mode="json")
            values["items"] = "\n".join(q.items)
            for bound in ("scale_min", "scale_max"):
                v = values[bound]
                values[bound] = "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
            values["factor"] = q.factor or ""
            values["touchpoint"] = q.touchpoint or ""
            return values
    raise NotFoundError(f"study {study.slug!r} has no question {key!r}")


@router.get("/dashboard/studies/{slug}/setup/new-question", response_class=HTMLResponse)
def new_question_form(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The form of a new question."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    values = {
        "kind": "rating",
        "audiences": list(AUDIENCES),
        "scale_min": "1",
        "scale_max": "5",
        "section": "general",
    }
    return _question_page(request, db, templates, user, ref, original=None, values=values)


@router.get("/dashboard/studies/{slug}/setup/questions/{key}", response_class=HTMLResponse)
def edit_question_form(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str, key: str
) -> Response:
    """The form of one question."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    values = _question_values(load_study(db, slug), key)
    return _question_page(request, db, templates, user, ref, original=key, values=values)


def _save_question(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    original: str | None,
    revision: int | None,
    edit: edits.QuestionEdit,
) -> Response:
    values = {
        "key": edit.key,
        "text": edit.text,
        "kind": edit.kind,
        "audiences": list(edit.audiences),
        "section": edit.section,
        "scale_min": edit.scale_min,
        "scale_max": edit.scale_max,
        "items": edit.items,
        "required": edit.required,
        "factor": edit.factor,
        "touchpoint": edit.touchpoint,
    }
    try:
        edit_study(
            db,
            ref.slug,
            lambda s: edits.save_question(s, original, edit),
            revision=revision,
            file="question",
        )
    except (InputError, StudyInUseError, ConflictError) as exc:
        if isinstance(exc, InputError):
            errors = field_errors(exc)
        elif isinstance(exc, StudyInUseError):
            errors = {
                "key": f"Question {exc.key} holds {exc.count} answer(s): its key cannot change."
            }
        else:
            errors = {"": f"{exc}. Your values are kept below: check them and save again."}
        return _question_page(
            request,
            db,
            templates,
            user,
            ref,
            original=original,
            values=values,
            errors=errors,
        )
    forget_overviews(request, ref.slug)
    anchor = f"q-{edit.key.strip()}".replace(".", "-")
    return RedirectResponse(f"{_base(ref.slug)}?saved=questions#{anchor}", status_code=303)


@router.post("/dashboard/studies/{slug}/setup/new-question")
def add_question(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    revision: Revision = None,
    question_key: Line = "",
    text: Long = "",
    kind: Line = "",
    audiences: Texts = None,
    section: Line = "",
    scale_min: Line = "",
    scale_max: Line = "",
    items: Long = "",
    required: Flag = "",
    factor: Line = "",
    touchpoint: Line = "",
) -> Response:
    """Add a question at the end of the instrument."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    edit = edits.QuestionEdit(
        question_key,
        text,
        kind,
        audiences or [],
        section,
        scale_min,
        scale_max,
        items,
        bool(required),
        factor,
        touchpoint,
    )
    return _save_question(request, db, templates, user, ref, None, revision, edit)


@router.post("/dashboard/studies/{slug}/setup/questions/{key}")
def change_question(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    key: str,
    revision: Revision = None,
    question_key: Line = "",
    text: Long = "",
    kind: Line = "",
    audiences: Texts = None,
    section: Line = "",
    scale_min: Line = "",
    scale_max: Line = "",
    items: Long = "",
    required: Flag = "",
    factor: Line = "",
    touchpoint: Line = "",
) -> Response:
    """Change question ``key``: text, kind, scale, items, audiences, required, key."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    edit = edits.QuestionEdit(
        question_key or key,
        text,
        kind,
        audiences or [],
        section,
        scale_min,
        scale_max,
        items,
        bool(required),
        factor,
        touchpoint,
    )
    return _save_question(request, db, templates, user, ref, key, revision, edit)


@router.post("/dashboard/studies/{slug}/setup/questions/{key}/move")
def move_question(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    key: str,
    revision: Revision = None,
    offset: Annotated[int, Form(ge=-1000, le=1000)] = 0,
) -> Response:
    """Move question ``key`` up (``offset`` -1) or down (+1) in the instrument."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    return _question_list_edit(
        request,
        db,
        templates,
        user,
        ref,
        key,
        revision,
        lambda s: edits.move_question(s, key, offset),
    )


@router.post("/dashboard/studies/{slug}/setup/questions/{key}/remove")
def remove_question(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    key: str,
    revision: Revision = None,
) -> Response:
    """Remove question ``key`` (refused while it holds answers)."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    return _question_list_edit(
        request, db, templates, user, ref, key, revision, lambda s: edits.remove_question(s, key)
    )


def _question_list_edit(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    key: str,
    revision: int | None,
    edit: Callable[[StudyDefinition], StudyDefinition],
) -> Response:
    try:
        edit_study(db, ref.slug, edit, revision=revision, file="questions")
    except (InputError, StudyInUseError, ConflictError) as exc:
        if isinstance(exc, StudyInUseError):
            message = f"Question {exc.key} holds {exc.count} answer(s): it cannot be removed."
        elif isinstance(exc, ConflictError):
            message = f"{exc}."
        else:
            message = str(exc)
        return _setup_page(
            request,
            db,
            templates,
            user,
            ref,
            section="questions",
            values={},
            errors={f"q:{key}": message},
        )
    forget_overviews(request, ref.slug)
    anchor = f"q-{key}".replace(".", "-")
    return RedirectResponse(f"{_base(ref.slug)}?saved=questions#{anchor}", status_code=303)
