"""The application factory: no globals, one database per app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.routing import Mount, Route

from cxgap import __version__
from cxgap.contracts import numbers
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.migrate import ensure_schema
from cxgap.web import (
    _errors,
    api_docs,
    cases_api,
    dashboard,
    events_api,
    survey_api,
    survey_pages,
)
from cxgap.web._headers import CSP, SecurityHeaders
from cxgap.web.body_limit import BodyLimit
from cxgap.web.ratelimit import RateLimiter, RedisLimiter, open_limiter

__all__ = ["CSP", "RouteInfo", "create_app", "iter_routes"]

HERE = Path(__file__).parent


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    limiter: RateLimiter | None = None,
) -> FastAPI:
    """The cxgap web app for ``settings``.

    The database is opened when the app starts (or ``database`` is used, and
    then left open) and must be at the current schema. The rate limits count
    in ``limiter`` (then left open), else in the one the settings ask for: in
    this process, or in Redis when ``redis_url`` is set (which must answer
    when the app starts).
    """
    own_limiter = limiter is None
    rate_limiter = open_limiter(settings) if limiter is None else limiter

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database or Database.open(settings)
        try:
            ensure_schema(db, create=False)
            if isinstance(rate_limiter, RedisLimiter):
                rate_limiter.ping()
            app.state.db = db
            yield
        finally:
            if database is None:
                db.close()
            if own_limiter:
                rate_limiter.close()

    app = FastAPI(
        title="cxgap",
        version=__version__,
        description="Survey pages for respondents and the JSON API of the same flow; "
        "interaction events and a study's cases with an API token.",
        lifespan=lifespan,
        # Our own reference page (cxgap.web.api_docs): Swagger UI loads from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.limiter = rate_limiter
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    # the one set of number rules (no -0; cxgap.contracts.numbers) as filters
    templates.env.filters.update(num=numbers.num, signed=numbers.signed)
    app.state.templates = templates
    # Inside the security headers below, so that a 413 carries them too.
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        batch=settings.max_batch_bytes,
        # a survey export uploaded on the import page is larger than a form
        batch_paths=[events_api.EVENTS_PATH, "/dashboard/studies/{slug}/import"],
    )

    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _errors.install(app)
    app.include_router(survey_pages.router)
    app.include_router(survey_api.router)
    app.include_router(dashboard.router)
    app.include_router(events_api.router)
    app.include_router(cases_api.router)
    app.include_router(api_docs.router)
    return app


@dataclass(frozen=True)
class RouteInfo:
    """One route of the app: its full path, methods and the route object
    (an :class:`~fastapi.routing.APIRoute`, a plain Starlette route, or a mount)."""

    path: str
    methods: frozenset[str]
    route: Any

    @property
    def api(self) -> APIRoute | None:
        return self.route if isinstance(self.route, APIRoute) else None


def iter_routes(app: Any, prefix: str = "") -> Iterator[RouteInfo]:
    """Every route of ``app``, following included routers (which FastAPI may
    keep as lazily included routers), so tests can walk all of them."""
    for r in app.routes:
        if isinstance(r, APIRoute | Route):
            yield RouteInfo(prefix + r.path, frozenset(r.methods or ()), r)
        elif isinstance(r, Mount):
            yield RouteInfo(prefix + r.path, frozenset(), r)
        elif hasattr(r, "original_router"):
            yield from iter_routes(r.original_router, prefix + r.include_context.prefix)
        else:  # pragma: no cover - a kind of route this function does not know
            raise TypeError(f"unknown route {r!r}")
