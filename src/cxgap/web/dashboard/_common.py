"""What every dashboard router shares: the study of a user (scoping), the
page renderer, choices from a query string, the editor check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from cxgap.errors import AccessDeniedError, InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.users import User
from cxgap.web.auth import keep_session, session_of


@dataclass(frozen=True)
class StudyRef:
    """A study the user may see, with its organisation."""

    id: int
    slug: str
    name: str
    organisation_id: int
    organisation: str


def studies_of(db: Database, user: User) -> list[StudyRef]:
    """The studies of the user's organisations."""
    with db.connect() as conn:
        rows = conn.execute(
            select(
                t.study.c.id,
                t.study.c.slug,
                t.study.c.name,
                t.study.c.organisation_id,
                t.organisation.c.name.label("org"),
            )
            .join(t.organisation, t.organisation.c.id == t.study.c.organisation_id)
            .where(t.study.c.organisation_id.in_(list(user.roles)))
            .order_by(t.organisation.c.name, t.study.c.slug)
        ).all()
    return [StudyRef(r.id, r.slug, r.name, r.organisation_id, r.org) for r in rows]


def study_of(db: Database, user: User, slug: str) -> StudyRef:
    """The study ``slug`` if the user is a member of its organisation, else 404."""
    for ref in studies_of(db, user):
        if ref.slug == slug:
            return ref
    raise NotFoundError(f"no study {slug!r} in your organisations")


def require_editor(user: User, ref: StudyRef, what: str) -> None:
    """Refuse (403) a viewer: ``what`` says what they cannot do."""
    if not user.can_edit(ref.organisation_id):
        raise AccessDeniedError(f"Your role is viewer: viewers cannot {what}.")


def require_owner(user: User, ref: StudyRef, what: str) -> None:
    """Refuse (403) anyone but an owner of the study's organisation."""
    if user.role_in(ref.organisation_id) != "owner":
        raise AccessDeniedError(f"Only owners can {what}.")


def choice(value: str | None, allowed: list[str], name: str) -> str | None:
    """``value`` if it is one of ``allowed``; ``None`` when empty; else 422."""
    if not value:
        return None
    if value not in allowed:
        raise InputError([Problem(name, None, name, value, f"one of {', '.join(allowed)}")])
    return value


def page(
    request: Request,
    templates: Any,
    name: str,
    user: User,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    """Render ``dashboard/<name>`` for ``user`` (with the session's CSRF token)."""
    response = templates.TemplateResponse(
        request,
        f"dashboard/{name}",
        {"user": user, "csrf": session_of(request).csrf, **context},
        status_code=status,
    )
    return keep_session(request, response)


def problem_text(problem: Problem) -> str:
    """One problem as a sentence shown beside its field.

    >>> problem_text(Problem("action", None, "due_on", "31/03", "a date YYYY-MM-DD"))
    'Expected a date YYYY-MM-DD (got “31/03”).'
    """
    got = "" if problem.value in (None, "") else f" (got “{problem.value}”)"
    return f"Expected {problem.expected}{got}."


def field_errors(exc: InputError) -> dict[str, str]:
    """The problems of a form keyed by field: ``column``, ``"<row>.<column>"``
    for a row of a table form, ``""`` for the whole form."""
    out: dict[str, str] = {}
    for p in exc.problems:
        key = p.column or ""
        if p.row is not None:
            key = f"{p.row}.{key}"
        out[key] = f"{out[key]} {problem_text(p)}" if key in out else problem_text(p)
    return out


class _Forgets(Protocol):
    def forget(self, slug: str) -> None: ...


def forget_overviews(request: Request, slug: str) -> None:
    """Drop the study's cached overviews after an edit."""
    jobs: _Forgets | None = getattr(request.app.state, "dashboard_jobs", None)
    if jobs is not None:
        jobs.forget(slug)
