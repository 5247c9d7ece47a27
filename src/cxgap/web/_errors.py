"""One place that turns a :class:`~cxgap.errors.CxgapError` into a response:
JSON under ``/api/``, an HTML page elsewhere. Anything else is a bug (500)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from cxgap.errors import CxgapError, DatabaseError, InputError, NotFoundError
from cxgap.ratelimit import RateLimitedError
from cxgap.store.survey import AlreadyAnsweredError

TITLES = {
    404: "Link not found",
    409: "Already answered",
    413: "Too much at once",
    429: "Too many attempts",
}


def status_of(exc: CxgapError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, AlreadyAnsweredError):
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


def install(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CxgapError)  # registered for CxgapError only
        status = status_of(exc)
        headers = {}
        if isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(exc.retry_after)
        if request.url.path.startswith("/api/"):
            return JSONResponse(error_body(exc), status_code=status, headers=headers)
        templates: Jinja2Templates = request.app.state.templates
        title = TITLES.get(status, "Something is wrong")
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": title, "message": str(exc), "status": status},
            status_code=status,
            headers=headers,
        )

    async def invalid_request(request: Request, exc: Exception) -> Response:
        # FastAPI's own answer (422 with "detail"), with the offending input made
        # encodable: its default handler fails (a 500) when the rejected input
        # holds Infinity or NaN (which JSON cannot carry) or an unpaired surrogate.
        assert isinstance(exc, RequestValidationError)
        detail = _encodable(_finite(jsonable_encoder(exc.errors())))
        return JSONResponse({"detail": detail}, status_code=422)

    app.add_exception_handler(CxgapError, handle)
    app.add_exception_handler(RequestValidationError, invalid_request)


def _encodable(node: Any) -> Any:
    if isinstance(node, str):
        return _utf8(node)
    if isinstance(node, dict):
        return {_utf8(str(k)): _encodable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_encodable(v) for v in node]
    return node
