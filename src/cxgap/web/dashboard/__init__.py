"""The dashboard of a study's admins: server-rendered pages behind sign-in.

Every route takes :data:`~cxgap.web.auth.CurrentUser` (pages) or
:data:`~cxgap.web.auth.FormUser` (forms: session and CSRF checked first);
every study route looks the study up *within the user's organisations*, so
a study of another organisation is a 404 that names nothing. One router
module per resource: :mod:`.overview` (the studies and the overview, computed
in the background by :mod:`.jobs`),
:mod:`.accounts`, :mod:`.cases` (and :mod:`.notifications`), :mod:`.actions`,
:mod:`.study_setup` (and its
:mod:`.setup_questions`), :mod:`.invitations`
(and response rates), :mod:`.import_page` (a survey export imported with its
inferred plan), :mod:`.new_study` (a study made from an export),
:mod:`.workshops`; shared helpers in :mod:`._common`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from cxgap.web import auth
from cxgap.web.dashboard import (
    accounts,
    actions,
    cases,
    import_page,
    invitations,
    new_study,
    notifications,
    overview,
    setup_questions,
    study_setup,
    workshops,
)
from cxgap.web.dashboard.jobs import Jobs

__all__ = ["router"]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Wait for running overview computations when the app stops, so none
    outlives the database it reads."""
    yield
    jobs: Jobs | None = getattr(app.state, "dashboard_jobs", None)
    if jobs is not None:
        jobs.pool.shutdown(wait=True, cancel_futures=True)


router = APIRouter(include_in_schema=False, lifespan=_lifespan)
router.include_router(auth.router)
for _module in (
    overview,
    accounts,
    actions,
    cases,
    notifications,
    study_setup,
    setup_questions,
    invitations,
    import_page,
    new_study,
    workshops,
):
    router.include_router(_module.router)
