"""``/api/v1/studies/{slug}/cases``: a study's cases as JSON, for a CRM or a
help desk that shows them next to the account.

Callers authenticate with an API token (``Authorization: Bearer cxg_...``)
of a member of the study's organisation; a study of another organisation is
answered 404, as if it did not exist. Every member reads the cases (the
contact's e-mail address only owners and analysts); owners, analysts and
the case's owner change one with ``PATCH``, which goes through
:func:`~cxgap.store.cases.update_case` exactly as the CLI and the dashboard
do: one history line per change, nothing written when any part is invalid,
closing with an outcome recorded in the account's ledger.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from cxgap.errors import NotFoundError
from cxgap.service.cases import case_followup
from cxgap.store.api_tokens import user_for_token
from cxgap.store.cases import Case, get_case, list_cases, update_case
from cxgap.store.db import Database
from cxgap.store.studies import organisation_of, study_id
from cxgap.store.users import User
from cxgap.web._errors import error_responses
from cxgap.web.dashboard.cases import is_owner
from cxgap.web.deps import DbDep
from cxgap.web.events_api import _bearer

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["cases"])

StatusName = Literal["new", "acknowledged", "in_progress", "closed"]
Slug = Annotated[str, Path(max_length=100, description="The study.")]
Number = Annotated[int, Path(ge=1, le=2_147_483_647, description="The case's number.")]
Authorization = Annotated[str | None, Header()]


class CaseOut(Case):
    """One case. ``contact_email`` is ``null`` unless the caller is an owner
    or analyst; ``entries`` (the history) and ``notifications`` are empty in
    a list."""


class Followup(BaseModel):
    """Whether the answer changed: the case's wave and the next, likelihood
    to recommend and "excellent" with their n (``scope`` contact: the
    contact's own answers; account: the account's customers on average)."""

    scope: str
    before: dict[str, Any]
    after: dict[str, Any]
    change: dict[str, float]


class CaseDetail(CaseOut):
    """One case with its history, its notifications and its follow-up
    (``null`` until a later wave has answers)."""

    followup: Followup | None = None


class CaseChange(BaseModel):
    """A change to a case; every field is optional. ``resolution`` (exceeded,
    met or failed) closes the case; closing a case of an account needs its
    root cause's touchpoint and moment (given here or already set)."""

    model_config = ConfigDict(extra="forbid")

    status: StatusName | None = None
    owner: str | None = Field(default=None, max_length=200, description="name or e-mail")
    note: str | None = Field(default=None, max_length=20_000)
    root_factor: str | None = Field(default=None, max_length=100)
    root_touchpoint: str | None = Field(default=None, max_length=100)
    root_moment: str | None = Field(default=None, max_length=100)
    resolution: Literal["exceeded", "met", "failed"] | None = None


def _caller(db: Database, authorization: str | None, slug: str) -> tuple[User, int]:
    """The token's user and the study's organisation (404 outside their own)."""
    user = user_for_token(db, _bearer(authorization))
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or revoked API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with db.connect() as conn:
        try:
            org: int | None = organisation_of(conn, study_id(conn, slug))
        except NotFoundError:
            org = None
    if org is None or user.role_in(org) is None:
        raise NotFoundError(f"no study {slug!r}")
    return user, org


def _shown(case: Case, user: User, org: int) -> dict[str, Any]:
    data = case.model_dump()
    if not user.can_edit(org):
        data["contact_email"] = None
    return data


def _detail(db: Database, slug: str, number: int, user: User, org: int) -> CaseDetail:
    case = get_case(db, slug, number)
    found = case_followup(db, slug, number)
    followup = Followup.model_validate(found) if found is not None else None
    return CaseDetail(**_shown(case, user, org), followup=followup)


@router.get(
    "/studies/{slug}/cases",
    response_model=list[CaseOut],
    responses=error_responses(401, 404, 422, 503),
)
def get_cases(
    slug: Slug,
    db: DbDep,
    authorization: Authorization = None,
    status_: Annotated[
        list[StatusName] | None, Query(alias="status", description="only these statuses")
    ] = None,
    owner: Annotated[
        str | None, Query(max_length=200, description="only this owner's (name or e-mail)")
    ] = None,
    open_only: Annotated[bool, Query(alias="open", description="only cases not closed")] = False,
    overdue: Annotated[bool, Query(description="only overdue cases")] = False,
) -> list[CaseOut]:
    """The study's cases, overdue first, then by due date."""
    user, org = _caller(db, authorization, slug)
    cases = list_cases(db, slug, status=status_, owner=owner, open_only=open_only, overdue=overdue)
    return [CaseOut(**_shown(c, user, org)) for c in cases]


@router.get(
    "/studies/{slug}/cases/{number}",
    response_model=CaseDetail,
    responses=error_responses(401, 404, 422, 503),
)
def get_one_case(
    slug: Slug, number: Number, db: DbDep, authorization: Authorization = None
) -> CaseDetail:
    """One case with its history, notifications and follow-up."""
    user, org = _caller(db, authorization, slug)
    return _detail(db, slug, number, user, org)


@router.patch(
    "/studies/{slug}/cases/{number}",
    response_model=CaseDetail,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def patch_case(
    slug: Slug,
    number: Number,
    change: CaseChange,
    db: DbDep,
    authorization: Authorization = None,
) -> CaseDetail:
    """Change a case (owners, analysts and the case's owner): its status,
    owner, root cause, a note; a ``resolution`` closes it."""
    user, org = _caller(db, authorization, slug)
    case = get_case(db, slug, number)
    if not (user.can_edit(org) or is_owner(user, case)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only the case's owner and the organisation's owners and analysts can change it",
        )
    update_case(db, slug, number, author=user.name or user.email, **change.model_dump())
    return _detail(db, slug, number, user, org)
