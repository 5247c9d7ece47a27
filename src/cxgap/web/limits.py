"""The web app's rate limits: unknown survey links and wrong passwords.

Both count per client address in the app's limiter (:mod:`cxgap.web.ratelimit`:
in memory, or in Redis shared by every worker when ``CXGAP_REDIS_URL`` is
set).

*Survey links.* Every route with a ``{token}`` in its path runs
:func:`guard_survey_token`. A request whose token opens no link (404) counts
one miss for its client; once a client has ``survey_miss_limit`` misses
within ``survey_miss_window`` seconds, every survey route answers it 429 with
``Retry-After``, for valid links too (otherwise the 429s would tell it which
of its guesses were right). A valid link never counts, and other clients are
not affected. Neither the token nor its hash is kept by the limiter.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from cxgap.errors import NotFoundError
from cxgap.settings import Settings
from cxgap.store.invitations import link_exists
from cxgap.web.deps import DbDep
from cxgap.web.ratelimit import Limit, RateLimitedError, RateLimiter

__all__ = [
    "client_address",
    "guard_survey_token",
    "limiter_of",
    "login_limit",
    "survey_limit",
]


def survey_limit(settings: Settings) -> Limit:
    return Limit("survey-miss", settings.survey_miss_limit, settings.survey_miss_window)


def login_limit(settings: Settings) -> Limit:
    return Limit("login", settings.login_failure_limit, settings.login_failure_window)


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a reverse proxy,
    uvicorn takes it from ``X-Forwarded-For`` of the addresses trusted by
    ``FORWARDED_ALLOW_IPS``, 127.0.0.1 by default)."""
    return request.client.host if request.client else "unknown"


def limiter_of(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def guard_survey_token(request: Request, db: DbDep) -> Iterator[None]:
    """Refuse a client with too many unknown survey links; count its misses."""
    token = request.path_params.get("token")
    if token is None:  # a route of the same router without a link (health)
        yield
        return
    limit = survey_limit(request.app.state.settings)
    limiter = limiter_of(request)
    client = client_address(request)
    wait = limiter.retry_after(limit, client)
    if wait is not None:
        raise RateLimitedError(
            "too many unknown survey links from this address: "
            f"try your link again in {_minutes(wait)}",
            wait,
        )
    try:
        yield
    except NotFoundError:
        if not link_exists(db, str(token)):
            limiter.hit(limit, client)
        raise
