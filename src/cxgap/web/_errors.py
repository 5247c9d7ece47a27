"""The one place that turns errors into responses.

- A :class:`~cxgap.errors.CxgapError` (a user's mistake, a missing object,
  a refused form, a viewer's edit) becomes its status (:func:`status_of`).
- An HTTP error of the framework (an unknown path, a wrong method, a
  redirect to the sign-in page) keeps its status.
- A request the framework could not read (a form field too long) is 422.

API clients get JSON: every path under ``/api/``, and a request that asks
for JSON and not HTML (``Accept: application/json``). Everyone else gets an
HTML page that says what happened and offers the way back: sign in again,
reload the form, back to the study or to the list of studies. Respondents'
survey pages (``/s/...``) get the survey's own page. Anything else is a bug
(500).
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxgap.errors import (
    AccessDeniedError,
    ConflictError,
    CxgapError,
    DatabaseError,
    InputError,
    NotFoundError,
)
from cxgap.store.survey import AlreadyAnsweredError

__all__ = ["FormRefusedError", "error_body", "install", "status_of", "wants_json"]


class FormRefusedError(CxgapError):
    """A form POST refused before anything was read or written.

    ``reason`` is ``"signed_out"`` when the request carries no valid session
    (it ended, or the user signed out in another tab) and ``"expired"`` when
    the session is valid but the form's CSRF token is missing or another
    session's. ``back`` is the local path of the form's page.
    """

    def __init__(self, reason: Literal["signed_out", "expired"], back: str) -> None:
        self.reason = reason
        self.back = back
        if reason == "signed_out":
            message = (
                "Your session has ended (8 hours after signing in, or you signed out), so "
                "the form was not saved. Sign in again, then fill in the form again."
            )
        else:
            message = (
                "The form expired or did not come from this site, so it was not saved: "
                "reload the form and send it again."
            )
        super().__init__(message)


def status_of(exc: CxgapError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, FormRefusedError | AccessDeniedError):
        return 403
    if isinstance(exc, AlreadyAnsweredError | ConflictError):
        return 409
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, DatabaseError):
        return 503
    return 400


def error_body(exc: CxgapError) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, InputError):
        body["problems"] = [
            {
                "file": p.file,
                "row": p.row,
                "column": p.column,
                "value": None if p.value is None else str(p.value),
                "expected": p.expected,
            }
            for p in exc.problems
        ]
    return {"error": body}


def wants_json(request: Request) -> bool:
    """Whether the client is an API client: a path under ``/api/``, or an
    ``Accept`` header that names JSON and not HTML."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


_TITLES = {
    400: "Something is wrong",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Changed in the meantime",
    422: "Please check what was sent",
    503: "The database is not available",
}
_STUDY_PATH = re.compile(r"^/dashboard/studies/([a-z0-9][a-z0-9-]*)(/|$)")


def _links(request: Request, exc: Exception, status: int) -> list[tuple[str, str]]:
    """The ways back offered by a dashboard error page."""
    if isinstance(exc, FormRefusedError):
        if exc.reason == "signed_out":
            return [("Sign in again", "/login?next=" + quote(exc.back, safe=""))]
        return [("Reload the form", exc.back)]
    links: list[tuple[str, str]] = []
    back: str | None = getattr(request.state, "form_back", None)
    if back and status != 404:
        links.append(("Back to the form", back))
    found = _STUDY_PATH.match(request.url.path)
    if found and status != 404:
        links.append(("Back to the study", f"/dashboard/studies/{found.group(1)}"))
    links.append(("Your studies", "/dashboard"))
    return links


def _details(exc: Exception) -> list[str]:
    if isinstance(exc, InputError) and len(exc.problems) > 1:
        return [str(p) for p in exc.problems[:20]]
    if isinstance(exc, RequestValidationError):
        out = []
        for err in exc.errors()[:20]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query"))
            out.append(f"{where}: {err.get('msg', 'not valid')}")
        return out
    return []


def _page(request: Request, exc: Exception, status: int, message: str) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    if request.url.path.startswith("/s/"):
        title = {404: "Link not found", 409: "Already answered"}.get(status, "Something is wrong")
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": title, "message": message, "status": status},
            status_code=status,
        )
    title = _TITLES.get(status, "Something is wrong")
    if isinstance(exc, FormRefusedError):
        title = "Your session has ended" if exc.reason == "signed_out" else "The form expired"
    return templates.TemplateResponse(
        request,
        "dashboard/error.html",
        {
            "title": title,
            "message": message,
            "details": _details(exc),
            "status": status,
            "links": _links(request, exc, status),
            "user": None,
        },
        status_code=status,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def handle_cxgap(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CxgapError)  # registered for CxgapError only
        status = status_of(exc)
        if wants_json(request):
            return JSONResponse(error_body(exc), status_code=status)
        message = str(exc)
        if isinstance(exc, InputError) and not request.url.path.startswith("/s/"):
            # The dashboard page lists the problems one per line.
            many = len(exc.problems) > 1
            message = "These values were not accepted:" if many else str(exc.problems[0])
        return _page(request, exc, status, message)

    async def handle_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if wants_json(request):
            return await http_exception_handler(request, exc)
        if 300 <= exc.status_code < 400:
            return Response(status_code=exc.status_code, headers=exc.headers)
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "There is no page at this address."
        elif exc.status_code == 405:
            message = "This address does not take that kind of request."
        response = _page(request, exc, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers.setdefault(key, value)
        return response

    async def handle_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if wants_json(request):
            return await request_validation_exception_handler(request, exc)
        return _page(request, exc, 422, "Some of what was sent could not be read:")

    app.add_exception_handler(CxgapError, handle_cxgap)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(RequestValidationError, handle_validation)
