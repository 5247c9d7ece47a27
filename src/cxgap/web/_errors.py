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

import math
import re
from typing import Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
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
from cxgap.web.ratelimit import RateLimitedError

__all__ = [
    "ErrorOut",
    "FormRefusedError",
    "error_body",
    "error_responses",
    "install",
    "status_of",
    "wants_json",
]


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
    if isinstance(exc, RateLimitedError):
        return 429
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, DatabaseError):
        return 503
    return 400


def _utf8(text: str) -> str:
    """``text`` with any unpaired surrogate (which a JSON request can hold but a
    JSON response cannot) written as its escape, ``\\udab3``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_body(exc: CxgapError) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, InputError):
        body["problems"] = [
            {
                "file": p.file,
                "row": p.row,
                "column": p.column,
                "value": None if p.value is None else _utf8(str(p.value)),
                "expected": p.expected,
            }
            for p in exc.problems
        ]
    if isinstance(exc, RateLimitedError):
        body["retry_after"] = exc.retry_after
    return {"error": body}


def _finite(value: Any) -> Any:
    """``value`` with every infinite or NaN number written as text, so that
    an error naming such an input can itself be sent as JSON.

    >>> _finite({"input": float("inf"), "loc": ["body", 0]})
    {'input': 'inf', 'loc': ['body', 0]}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class ProblemOut(BaseModel):
    """One problem of an :class:`~cxgap.errors.InputError` (``row`` and
    ``column`` name the answer or event at fault)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str


class ErrorDetail(BaseModel):
    type: str
    message: str
    problems: list[ProblemOut] | None = None


class ErrorOut(BaseModel):
    """The body of every error the API itself raises (:func:`error_body`)."""

    error: ErrorDetail


class RequestErrorOut(BaseModel):
    """FastAPI's body for a request that does not match the schema (422)."""

    detail: list[dict[str, Any]]


class MessageOut(BaseModel):
    """FastAPI's body for an authentication or permission failure."""

    detail: str


#: What each error status of the API means, for the OpenAPI schema.
_RESPONSES: dict[int, dict[str, Any]] = {
    400: {"model": MessageOut, "description": "A body that cannot be read as JSON"},
    401: {"model": MessageOut, "description": "No API token, or an invalid or revoked one"},
    403: {"model": MessageOut, "description": "The token's user may not do this"},
    404: {"model": ErrorOut, "description": "No such survey link or study"},
    409: {"model": ErrorOut, "description": "The survey was already submitted"},
    413: {"model": ErrorOut, "description": "The request body is larger than the limit"},
    422: {
        "model": ErrorOut | RequestErrorOut,
        "description": "Invalid answers or events (each problem listed), or a request "
        "that does not match the schema",
    },
    429: {
        "model": ErrorOut,
        "description": "Too many unknown survey links (or wrong passwords) from this client: "
        "wait for Retry-After seconds",
    },
    503: {"model": ErrorOut, "description": "The database cannot be reached"},
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that can answer with these error statuses."""
    return {code: _RESPONSES[code] for code in codes}


def wants_json(request: Request) -> bool:
    """Whether the client is an API client: a path under ``/api/``, or an
    ``Accept`` header that names JSON and not HTML."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


_TITLES = {
    400: "Something is wrong",
    413: "Too much at once",
    429: "Too many attempts",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Changed in the meantime",
    422: "Please check what was sent",
    503: "The database is not available",
}
_SURVEY_TITLES = {
    404: "Link not found",
    409: "Already answered",
    413: "Too much at once",
    429: "Too many attempts",
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


def _headers(exc: Exception) -> dict[str, str]:
    if isinstance(exc, RateLimitedError):
        return {"Retry-After": str(exc.retry_after)}
    return {}


def _page(request: Request, exc: Exception, status: int, message: str) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    if request.url.path.startswith("/s/"):
        title = _SURVEY_TITLES.get(status, "Something is wrong")
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": title, "message": message, "status": status},
            status_code=status,
            headers=_headers(exc),
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
        headers=_headers(exc),
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def handle_cxgap(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CxgapError)  # registered for CxgapError only
        status = status_of(exc)
        if wants_json(request):
            return JSONResponse(error_body(exc), status_code=status, headers=_headers(exc))
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
            # FastAPI's own answer (422 with "detail"), with the offending input made
            # encodable: its default handler fails (a 500) when the rejected input
            # holds Infinity or NaN (which JSON cannot carry) or an unpaired surrogate.
            detail = _encodable(_finite(jsonable_encoder(exc.errors())))
            return JSONResponse({"detail": detail}, status_code=422)
        return _page(request, exc, 422, "Some of what was sent could not be read:")

    app.add_exception_handler(CxgapError, handle_cxgap)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(RequestValidationError, handle_validation)


def _encodable(node: Any) -> Any:
    if isinstance(node, str):
        return _utf8(node)
    if isinstance(node, dict):
        return {_utf8(str(k)): _encodable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_encodable(v) for v in node]
    return node
