"""Invitations and response rates per audience, segment and team."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from cxgap.report.data import labels_of
from cxgap.store.invitations import response_status
from cxgap.store.studies import load_study
from cxgap.web.auth import CurrentUser
from cxgap.web.dashboard._common import choice, page, study_of
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/studies/{slug}/responses", response_class=HTMLResponse)
def responses_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    wave: str | None = None,
) -> Response:
    """Invitations and response rates per audience (small teams suppressed)."""
    ref = study_of(db, user, slug)
    study = load_study(db, slug)
    chosen = choice(wave, study.wave_keys(), "wave")
    status = response_status(db, slug, wave=chosen)
    return page(
        request,
        templates,
        "responses.html",
        user,
        {
            "title": f"{ref.name}: responses",
            "ref": ref,
            "status": status,
            "waves": study.wave_keys(),
            "wave": chosen,
            "labels": labels_of(study),
            "tab": "responses",
        },
    )
