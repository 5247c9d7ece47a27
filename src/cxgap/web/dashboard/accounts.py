"""A study's accounts, as an account manager triages them, and one account's
relationship bank account.

- ``/accounts``: balance, distance to the threshold, 90-day trend, revenue,
  owner, open cases, last likelihood to recommend, segment, defected;
  sorted (``sort=COLUMN&dir=asc|desc``), searched (``q=``) and filtered
  (``near=1``: near the threshold, ``mine=1``: owned by the signed-in user);
- ``/accounts.csv``: the same rows as a CSV file;
- ``/accounts/ACCOUNT``: the account's ledger, debits, state and suggested
  action; owners and analysts set its owner (``POST .../owner``).

The figures come from :mod:`cxgap.service.accounts_view`; this module only
reads the query and renders.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.errors import InputError
from cxgap.report.charts import svg_data_uri, timeline_chart, to_svg
from cxgap.report.data import labels_of
from cxgap.service.accounts_view import (
    NEAR_MARGIN,
    SORT_KEYS,
    AccountRow,
    AccountsList,
    accounts_csv,
    filter_accounts,
    load_account_page,
    load_accounts_list,
    sort_accounts,
)
from cxgap.store.accounts import OWNER_MAX, set_account_owner
from cxgap.store.cases import list_cases, open_case_counts
from cxgap.store.db import Database
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.web.auth import CurrentUser, FormUser
from cxgap.web.dashboard._common import (
    StudyRef,
    choice,
    field_errors,
    forget_overviews,
    page,
    require_editor,
    study_of,
)
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The list's default order: nearest the threshold (or furthest below it) first.
DEFAULT_SORT = "distance"
DIRECTIONS = ["asc", "desc"]

Param = str | None
Search = Annotated[str | None, Query(max_length=200)]
Direction = Annotated[str | None, Query(alias="dir", max_length=10)]
Flag = Annotated[str | None, Query(max_length=10)]
Sort = Annotated[str | None, Query(max_length=20)]


def _listing(
    db: Database,
    user: User,
    slug: str,
    *,
    q: Param,
    sort: Param,
    direction: Param,
    near: Param,
    mine: Param,
) -> tuple[AccountsList, list[AccountRow], dict[str, Any]]:
    """The study's accounts, the rows the query selects in its order, and
    the query as understood (for links and the form)."""
    key = choice(sort, list(SORT_KEYS), "sort") or DEFAULT_SORT
    order = choice(direction, DIRECTIONS, "dir") or "asc"
    flags = {name: choice(v, ["1"], name) == "1" for name, v in (("near", near), ("mine", mine))}
    text = (q or "").strip()[:200]
    listing = load_accounts_list(db, slug, open_cases=open_case_counts(db, slug))
    rows = filter_accounts(
        listing.rows,
        q=text,
        near=flags["near"],
        mine=[user.name, user.email] if flags["mine"] else None,
    )
    rows = sort_accounts(rows, key, descending=order == "desc")
    query = {"q": text, "sort": key, "dir": order, **flags}
    return listing, rows, query


def _url(base: str, query: dict[str, Any], **changes: Any) -> str:
    """``base`` with the query (empty and false parts left out)."""
    merged = {**query, **changes}
    parts = {k: ("1" if v is True else v) for k, v in merged.items() if v not in (None, "", False)}
    return f"{base}?{urlencode(parts)}" if parts else base


@router.get("/dashboard/studies/{slug}/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    q: Search = None,
    sort: Sort = None,
    direction: Direction = None,
    near: Flag = None,
    mine: Flag = None,
) -> Response:
    """The study's accounts, sortable, searchable and filterable, each linking to its ledger."""
    ref = study_of(db, user, slug)
    listing, rows, query = _listing(
        db, user, slug, q=q, sort=sort, direction=direction, near=near, mine=mine
    )
    base = f"/dashboard/studies/{slug}/accounts"
    sort_links = {
        key: _url(
            base,
            query,
            sort=key,
            dir="desc" if query["sort"] == key and query["dir"] == "asc" else "asc",
        )
        for key in SORT_KEYS
    }
    return page(
        request,
        templates,
        "accounts.html",
        user,
        {
            "title": f"{ref.name}: accounts",
            "ref": ref,
            "listing": listing,
            "accounts": rows,
            "query": query,
            "sort_links": sort_links,
            "csv_url": _url(f"{base}.csv", query),
            "near_margin": NEAR_MARGIN,
            "labels": labels_of(load_study(db, slug)),
            "tab": "accounts",
        },
    )


@router.get("/dashboard/studies/{slug}/accounts.csv")
def accounts_export(
    db: DbDep,
    user: CurrentUser,
    slug: str,
    q: Search = None,
    sort: Sort = None,
    direction: Direction = None,
    near: Flag = None,
    mine: Flag = None,
) -> Response:
    """The rows of the accounts list as it is filtered and sorted, as CSV
    (cells neutralised against formula injection)."""
    study_of(db, user, slug)
    _, rows, _ = _listing(db, user, slug, q=q, sort=sort, direction=direction, near=near, mine=mine)
    return Response(
        accounts_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-accounts.csv"'},
    )


def _account_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    account: str,
    *,
    owner_value: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    study = load_study(db, ref.slug)
    labels = labels_of(study)
    cases = list_cases(db, ref.slug, account=account, open_only=True)
    view = load_account_page(db, ref.slug, account, labels, open_cases=cases)
    name = view.row.name
    chart = None
    if view.detail is not None:
        chart = timeline_chart([view.detail], view.detail.threshold, {account: name})
        if chart is not None:
            chart = chart.properties(title=f"Relationship balance of {name}")
    events = []
    if view.detail is not None:
        events = sorted(view.detail.events, key=lambda e: e.timestamp, reverse=True)[:100]
    return page(
        request,
        templates,
        "account.html",
        user,
        {
            "title": f"{name}: ledger",
            "ref": ref,
            "view": view,
            "row": view.row,
            "detail": view.detail,
            "name": name,
            "chart": svg_data_uri(to_svg(chart)) if chart is not None else None,
            "labels": labels,
            "debit_half_life": study.ledger.debit_half_life_days,
            "events": events,
            "can_edit": user.can_edit(ref.organisation_id),
            "owner_value": (view.row.owner or "") if owner_value is None else owner_value,
            "owner_max": OWNER_MAX,
            "errors": errors or {},
            "saved": request.query_params.get("saved") == "owner",
            "tab": "accounts",
        },
        status=status,
    )


@router.get("/dashboard/studies/{slug}/accounts/{account}", response_class=HTMLResponse)
def account_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    account: str,
) -> Response:
    """One account's relationship bank account: balance timeline, debits,
    state, suggested action and events."""
    ref = study_of(db, user, slug)
    return _account_page(request, db, templates, user, ref, account)


@router.post("/dashboard/studies/{slug}/accounts/{account}/owner")
def set_owner(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: FormUser,
    slug: str,
    account: str,
    owner: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Set (or clear, when blank) the account's owner: owners and analysts only."""
    ref = study_of(db, user, slug)
    require_editor(user, ref, "change an account's owner")
    try:
        set_account_owner(db, slug, account, owner)
    except InputError as exc:
        return _account_page(
            request,
            db,
            templates,
            user,
            ref,
            account,
            owner_value=owner,
            errors=field_errors(exc),
        )
    forget_overviews(request, slug)
    target = f"/dashboard/studies/{slug}/accounts/{quote(account, safe='')}?saved=owner#owner"
    return RedirectResponse(target, status_code=303)
