"""Leadership workshop sheets: one group's answers to the four open questions."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.errors import InputError
from cxgap.ingest.workshop import MAX_ANSWER, MAX_GROUP, WORKSHOP_QUESTIONS, store_workshop_sheet
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.dashboard._common import (
    StudyRef,
    choice,
    forget_overviews,
    page,
    require_editor,
    study_of,
)
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Form field of each workshop question (form names without dots).
WORKSHOP_FIELDS = {key: key.removeprefix("open.") for key in WORKSHOP_QUESTIONS}


def _workshop_sheets(db: Database, slug: str) -> list[dict[str, Any]]:
    """The study's stored workshop sheets (group, wave, the four answers)."""
    frame = load_frame(db, slug)
    if "source" not in frame.columns:
        return []
    sheets = frame[(frame["source"] == "workshop") & (frame["audience"] == "leadership")]
    rows = []
    for r in sheets.to_dict("records"):
        rows.append(
            {
                "group": str(r["respondent_id"]).removeprefix("workshop:"),
                "wave": "" if pd.isna(r.get("wave")) else str(r["wave"]),
                "answers": {
                    k: "" if k not in r or pd.isna(r[k]) else str(r[k]) for k in WORKSHOP_QUESTIONS
                },
            }
        )
    return sorted(rows, key=lambda x: (x["wave"], x["group"]))


def _workshops_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    study = load_study(db, ref.slug)
    texts = {q.key: q.text for q in study.questions}
    return page(
        request,
        templates,
        "workshops.html",
        user,
        {
            "title": f"{ref.name}: leadership workshops",
            "ref": ref,
            "sheets": _workshop_sheets(db, ref.slug),
            "questions": [(k, WORKSHOP_FIELDS[k], texts.get(k, k)) for k in WORKSHOP_QUESTIONS],
            "waves": study.wave_keys(),
            "can_edit": user.can_edit(ref.organisation_id),
            "values": values or {},
            "errors": errors or [],
            "saved": request.query_params.get("saved"),
            "exists": request.query_params.get("exists"),
            "max_group": MAX_GROUP,
            "max_answer": MAX_ANSWER,
            "tab": "workshops",
        },
        status=status,
    )


@router.get("/dashboard/studies/{slug}/workshops", response_class=HTMLResponse)
def workshops_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The study's leadership workshop sheets; owners and analysts can add one."""
    ref = study_of(db, user, slug)
    return _workshops_page(request, db, templates, user, ref)


#: Hard cap of a form field (the library refuses anything over MAX_ANSWER clearly).
_FIELD_CAP = 4 * MAX_ANSWER


@router.post("/dashboard/studies/{slug}/workshops")
def add_workshop_sheet(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    group: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    wave: Annotated[str, Form(max_length=200)] = "",
    well: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    improve: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    competitors: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    continue_start: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
) -> Response:
    """Store one group's sheet, as ``cxgap import workshop`` stores a row;
    the same group and wave again stores nothing and says so."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "add workshop sheets")
    study = load_study(db, slug)
    chosen = choice(wave, study.wave_keys(), "wave")
    given = {"well": well, "improve": improve, "competitors": competitors}
    given["continue_start"] = continue_start
    answers = {k: given[f] for k, f in WORKSHOP_FIELDS.items()}
    try:
        result = store_workshop_sheet(db, slug, group, answers, wave=chosen)
    except InputError as exc:
        values = {"group": group, "wave": wave, **given}
        names = {"Group": "Group name", "wave": "Wave"}
        names |= {q.key: q.text for q in study.questions if q.key in WORKSHOP_FIELDS}
        errors = [
            f"{names.get(p.column, p.column)}: expected {p.expected}"
            if p.column
            else f"Expected {p.expected}"
            for p in exc.problems
        ]
        return _workshops_page(request, db, templates, user, ref, values=values, errors=errors)
    name = group.strip()
    if not result.written:
        return RedirectResponse(
            f"/dashboard/studies/{slug}/workshops?{urlencode({'exists': name})}", status_code=303
        )
    forget_overviews(request, slug)
    return RedirectResponse(
        f"/dashboard/studies/{slug}/workshops?{urlencode({'saved': name})}", status_code=303
    )
