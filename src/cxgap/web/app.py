"""The application factory: no globals, one database per app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from cxgap import __version__
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.migrate import ensure_schema
from cxgap.web import _errors, dashboard, events_api, survey_api, survey_pages
from cxgap.web._headers import CSP, SecurityHeaders

__all__ = ["CSP", "create_app"]

HERE = Path(__file__).parent


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    """The cxgap web app for ``settings``.

    The database is opened when the app starts (or ``database`` is used, and
    then left open) and must be at the current schema.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database or Database.open(settings)
        try:
            ensure_schema(db, create=False)
            app.state.db = db
            yield
        finally:
            if database is None:
                db.close()

    app = FastAPI(
        title="cxgap",
        version=__version__,
        description="Survey pages for respondents and the JSON API of the same flow.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates = templates

    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _errors.install(app)
    app.include_router(survey_pages.router)
    app.include_router(survey_api.router)
    app.include_router(dashboard.router)
    app.include_router(events_api.router)
    return app
