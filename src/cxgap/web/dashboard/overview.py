"""The studies list and a study's overview: the HTML report's content for a
filtered view (:func:`cxgap.report.overview.overview_html`), computed in the
background (:mod:`.jobs`). The filters and what they may narrow are
:mod:`cxgap.service.overview`'s.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from cxgap.report.data import labels_of
from cxgap.report.html import report_css as report_style
from cxgap.service.overview import Filters
from cxgap.store.studies import load_study
from cxgap.web.auth import CurrentUser
from cxgap.web.dashboard._common import choice, page, studies_of, study_of
from cxgap.web.dashboard.jobs import jobs_of
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/dashboard/report.css")
def report_css(user: CurrentUser) -> Response:
    """The report's own style sheet, for the overview."""
    return PlainTextResponse(report_style(), media_type="text/css")


@router.get("/dashboard", response_class=HTMLResponse)
def study_list(request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser) -> Response:
    """The studies of the user's organisations."""
    studies = studies_of(db, user)
    return page(request, templates, "studies.html", user, {"title": "Studies", "studies": studies})


@router.get("/dashboard/studies/{slug}", response_class=HTMLResponse)
def overview(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    wave: str | None = None,
    segment: str | None = None,
    team: str | None = None,
    touchpoint: str | None = None,
) -> Response:
    """The study overview, filterable by wave, segment, team, touchpoint and
    each respondent attribute that lists its values (``attr.<key>=<value>``)."""
    ref = study_of(db, user, slug)
    study = load_study(db, slug)
    touchpoints = [x.key for x in study.touchpoints]
    attributes = []
    for a in study.attributes:
        name = f"attr.{a.key}"
        value = request.query_params.get(name)
        picked = choice(value, a.values, name) if a.values else None
        if picked:
            attributes.append((a.key, picked))
    filters = Filters(
        wave=choice(wave, study.wave_keys(), "wave"),
        segment=choice(segment, [s.key for s in study.segments], "segment"),
        team=choice(team, touchpoints, "team"),
        touchpoint=choice(touchpoint, touchpoints, "touchpoint"),
        attributes=tuple(attributes),
    )
    job = jobs_of(request).get(db, slug, filters)
    return page(
        request,
        templates,
        "overview.html",
        user,
        {
            "title": f"{ref.name}: overview",
            "ref": ref,
            "study": study,
            "labels": labels_of(study),
            "filters": filters,
            "job": job,
            "elapsed": int(time.monotonic() - job.started),
            "tab": "overview",
        },
    )
