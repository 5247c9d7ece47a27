"""The questions of a study's set-up: add one, edit one (text and how
leadership and staff read it, kind, scale, items, audiences, section,
factor, touchpoint, required, key), move one up
or down, remove one. Each change is one function of
:mod:`cxgap.study.edits` saved by :func:`~cxgap.store.studies.edit_study`;
a question that holds answers keeps its key and is never removed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
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
    study_of,
)
from cxgap.web.dashboard.study_setup import (
    EDIT_WHAT,
    Flag,
    Line,
    Long,
    Revision,
    Texts,
    render_setup,
    setup_path,
)
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


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
            values["internal_text"] = q.internal_text or ""
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
        "internal_text": edit.internal_text,
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
    return RedirectResponse(f"{setup_path(ref.slug)}?saved=questions#{anchor}", status_code=303)


def _question_form(
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
    internal_text: Long = "",
) -> edits.QuestionEdit:
    """The fields of the question form (adding and changing a question)."""
    return edits.QuestionEdit(
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
        internal_text,
    )


QuestionForm = Annotated[edits.QuestionEdit, Depends(_question_form)]


@router.post("/dashboard/studies/{slug}/setup/new-question")
def add_question(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    form: QuestionForm,
    revision: Revision = None,
) -> Response:
    """Add a question at the end of the instrument."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    return _save_question(request, db, templates, user, ref, None, revision, form)


@router.post("/dashboard/studies/{slug}/setup/questions/{key}")
def change_question(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    key: str,
    form: QuestionForm,
    revision: Revision = None,
) -> Response:
    """Change question ``key``: text, kind, scale, items, audiences, required, key."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, EDIT_WHAT)
    edit = form if form.key else dataclasses.replace(form, key=key)
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
        return render_setup(
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
    return RedirectResponse(f"{setup_path(ref.slug)}?saved=questions#{anchor}", status_code=303)
