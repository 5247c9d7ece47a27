"""A study's accounts, and one account's relationship bank account."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from cxgap.errors import NotFoundError
from cxgap.report.charts import svg_data_uri, timeline_chart, to_svg
from cxgap.report.data import labels_of
from cxgap.service.ledger import account_ledger
from cxgap.store.accounts import load_accounts
from cxgap.store.studies import load_study
from cxgap.web.auth import CurrentUser
from cxgap.web.dashboard._common import page, study_of
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/studies/{slug}/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The study's accounts, each linking to its ledger."""
    ref = study_of(db, user, slug)
    accounts = load_accounts(db, slug)
    rows = [
        {
            "id": str(r["account_id"]),
            "name": "" if pd.isna(r.get("name")) else str(r["name"]),
            "segment": "" if pd.isna(r.get("segment")) else str(r["segment"]),
            "defected": not pd.isna(r.get("defected_at")),
        }
        for r in accounts.to_dict("records")
    ]
    return page(
        request,
        templates,
        "accounts.html",
        user,
        {"title": f"{ref.name}: accounts", "ref": ref, "accounts": rows, "tab": "accounts"},
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
    """One account's relationship bank account: balance timeline and events."""
    ref = study_of(db, user, slug)
    accounts = load_accounts(db, slug)
    match = accounts[accounts["account_id"].astype(str) == account]
    if match.empty:  # before the ledger, which may fail for other reasons first
        raise NotFoundError(f"study {slug!r} has no account {account!r}")
    detail = account_ledger(db, slug, account)
    name = str(match["name"].iloc[0]) if len(match) and pd.notna(match["name"].iloc[0]) else ""
    chart = timeline_chart([detail], detail.threshold, {account: name or account})
    if chart is not None:
        chart = chart.properties(title=f"Relationship balance of {name or account}")
    study = load_study(db, slug)
    return page(
        request,
        templates,
        "account.html",
        user,
        {
            "title": f"{name or account}: ledger",
            "ref": ref,
            "detail": detail,
            "name": name,
            "chart": svg_data_uri(to_svg(chart)) if chart is not None else None,
            "labels": labels_of(study),
            "events": sorted(detail.events, key=lambda e: e.timestamp, reverse=True)[:100],
            "tab": "accounts",
        },
    )
