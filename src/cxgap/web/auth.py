"""Sign-in for the dashboard: signed session cookies, CSRF tokens, the
``current_user`` dependency and the login/logout pages.

The session is a small JSON payload (user id, CSRF token, expiry) signed with
HMAC-SHA256 under the settings' ``secret_key`` and kept in one cookie that is
HttpOnly, SameSite=Lax, and Secure when the page is served over https. Every
visitor gets a session (anonymous until sign-in) so the login form carries a
CSRF token too; signing in or out starts a new session, with a new token
(no session fixation). Every POST form sends the token in ``csrf_token`` and
is refused (403) unless it equals the session's.

The dashboard's forms take the user through :data:`FormUser`, which checks
the session and the token before the route runs; a refused form is an HTML
page (see :mod:`cxgap.web._errors`) that offers the way back: sign in again
when the session has ended, reload the form (its ``back`` field, a local
path) when only the token is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.settings import env_var
from cxgap.store.users import User, authenticate, get_user
from cxgap.web._errors import FormRefusedError
from cxgap.web.deps import DbDep, TemplatesDep
from cxgap.web.limits import client_address, limiter_of, login_limit

__all__ = [
    "SESSION_COOKIE",
    "CurrentUser",
    "FormUser",
    "Session",
    "check_csrf",
    "current_user",
    "router",
    "secret_problem",
    "session_of",
]

SESSION_COOKIE = "cxgap_session"
#: A session ends this long after sign-in.
SESSION_SECONDS = 8 * 3600
MIN_SECRET = 32
_WEAK = {"secret", "changeme", "change-me", "changethis", "dev", "development", "cxgap", "test"}

router = APIRouter(include_in_schema=False)


def secret_problem(secret: str | None) -> str | None:
    """Why ``secret`` may not sign sessions in production, ``None`` when it may.

    Examples
    --------
    >>> secret_problem(None)
    'CXGAP_SECRET_KEY is not set'
    >>> secret_problem("changeme")
    'CXGAP_SECRET_KEY is a well-known default'
    >>> secret_problem("x" * 40)
    'CXGAP_SECRET_KEY repeats too few characters to be random'
    >>> secret_problem("3f9a1c0e5b7d2468ace13579bdf02468a1b2c3d4") is None
    True
    """
    name = env_var("secret_key")
    if not secret:
        return f"{name} is not set"
    if secret.strip().lower() in _WEAK:
        return f"{name} is a well-known default"
    if len(secret) < MIN_SECRET:
        return f"{name} is shorter than {MIN_SECRET} characters"
    if len(set(secret)) < 10:
        return f"{name} repeats too few characters to be random"
    return None


@dataclass(frozen=True)
class Session:
    """What the session cookie holds."""

    user_id: int | None
    csrf: str
    expires: int

    @classmethod
    def new(cls, user_id: int | None = None) -> Session:
        return cls(user_id, secrets.token_urlsafe(32), int(time.time()) + SESSION_SECONDS)


def _key(request: Request) -> bytes:
    secret: str | None = request.app.state.settings.secret_key
    if not secret:
        # No secret configured (tests, `cxgap serve --dev`): one random key per
        # app, so sessions end when the process does.
        state = request.app.state
        if getattr(state, "dev_secret", None) is None:
            state.dev_secret = secrets.token_urlsafe(32)
        secret = state.dev_secret
    return hashlib.sha256(b"cxgap-session\0" + str(secret).encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_session(key: bytes, session: Session) -> str:
    payload = json.dumps(
        {"u": session.user_id, "c": session.csrf, "e": session.expires}, separators=(",", ":")
    ).encode()
    sig = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(sig)}"


def decode_session(key: bytes, value: str) -> Session | None:
    """The session in a cookie value; ``None`` when forged, malformed or expired."""
    try:
        body, sig = value.split(".", 1)
        payload = _unb64(body)
        if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), _unb64(sig)):
            return None
        data = json.loads(payload)
        session = Session(
            None if data["u"] is None else int(data["u"]), str(data["c"]), int(data["e"])
        )
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > time.time() else None


def session_of(request: Request) -> Session:
    """The request's session; a new anonymous one when it has none."""
    cached: Session | None = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    raw = request.cookies.get(SESSION_COOKIE)
    session = decode_session(_key(request), raw) if raw else None
    if session is None:
        session = Session.new()
        request.state.session_is_new = True
    request.state.session = session
    return session


def save_session(request: Request, response: Response, session: Session) -> None:
    """Set the session cookie on ``response``."""
    response.set_cookie(
        SESSION_COOKIE,
        encode_session(_key(request), session),
        max_age=max(1, session.expires - int(time.time())),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def keep_session(request: Request, response: Response) -> Response:
    """Set the cookie when this request started a new anonymous session."""
    if getattr(request.state, "session_is_new", False):
        save_session(request, response, session_of(request))
    return response


def check_csrf(request: Request, token: str | None, *, back: str = "/dashboard") -> None:
    """Refuse (403, :class:`FormRefusedError`) a form whose CSRF token is not
    the session's; ``back`` is the form's page, offered on the refusal page."""
    expected = session_of(request).csrf
    if getattr(request.state, "session_is_new", False) or not token:
        raise FormRefusedError("expired", back)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        raise FormRefusedError("expired", back)


def current_user(request: Request, db: DbDep) -> User:
    """The signed-in user; anyone else is sent to the login page."""
    session = session_of(request)
    user = get_user(db, session.user_id) if session.user_id is not None else None
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "Sign in first.", headers={"Location": _login_url(target)})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def form_user(
    request: Request,
    db: DbDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> User:
    """The signed-in user who sent a form, after its CSRF check.

    Refused (403): a form without a live signed-in session ("sign in again"),
    and one whose token is not the session's ("reload the form"). ``back``
    (the form's own page, a local path) is where the refusal page leads.
    """
    target = _safe_next(back)
    request.state.form_back = target
    session = session_of(request)
    user = None
    if not getattr(request.state, "session_is_new", False) and session.user_id is not None:
        user = get_user(db, session.user_id)
    if user is None:
        raise FormRefusedError("signed_out", target)
    check_csrf(request, csrf_token, back=target)
    return user


FormUser = Annotated[User, Depends(form_user)]


def _login_url(target: str) -> str:
    return "/login?next=" + quote(target, safe="")


def _safe_next(target: str | None) -> str:
    """A local path to go to after sign-in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target


def _login_page(
    request: Request,
    templates: TemplatesDep,
    *,
    next_url: str,
    error: str | None = None,
    email: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    response = templates.TemplateResponse(
        request,
        "dashboard/login.html",
        {
            "title": "Sign in",
            "csrf": session_of(request).csrf,
            "next_url": next_url,
            "error": error,
            "email": email,
            "user": None,
        },
        status_code=status,
        headers=headers,
    )
    return keep_session(request, response)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, templates: TemplatesDep, next: str | None = None) -> Response:
    """The sign-in form."""
    return _login_page(request, templates, next_url=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/dashboard",
) -> Response:
    """Check the password; on success start a new signed-in session."""
    check_csrf(request, csrf_token, back=_login_url(_safe_next(next)))
    client = client_address(request)
    limiter, limit = limiter_of(request), login_limit(request.app.state.settings)
    wait = limiter.retry_after(limit, client)
    if wait is not None:
        retry = max(1, math.ceil(wait))
        return _login_page(
            request,
            templates,
            next_url=_safe_next(next),
            error="Too many wrong passwords from this address: "
            f"try again in {max(1, round(retry / 60))} minute(s).",
            email=email,
            status=429,
            headers={"Retry-After": str(retry)},
        )
    user = authenticate(db, email, password)
    if user is None:
        limiter.hit(limit, client)
        return _login_page(
            request,
            templates,
            next_url=_safe_next(next),
            error="Wrong e-mail address or password.",
            email=email,
            status=401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    save_session(request, response, Session.new(user.id))
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the session (a new anonymous one replaces it). Without a live
    session there is nothing to end: straight to the sign-in page."""
    session_of(request)
    if not getattr(request.state, "session_is_new", False):
        check_csrf(request, csrf_token, back="/dashboard")
    response = RedirectResponse("/login", status_code=303)
    save_session(request, response, Session.new())
    return response
