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

    async def invalid(request: Request, exc: Exception) -> Response:
        # FastAPI's own answer (422 with "detail"), except that it failed with a
        # 500 when the rejected input held Infinity or NaN (which JSON cannot carry).
        assert isinstance(exc, RequestValidationError)
        detail = _finite(jsonable_encoder(exc.errors()))
        return JSONResponse({"detail": detail}, status_code=422)

    app.add_exception_handler(CxgapError, handle)
    app.add_exception_handler(RequestValidationError, invalid)
