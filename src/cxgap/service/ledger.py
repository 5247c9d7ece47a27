"""The relationship bank account, from a study's stored events or from any
events file: the whole ledger, one account, the threshold alerts.

Each function loads its inputs and calls one composed view of
:mod:`cxgap.analysis.ledger`; the CLI and the dashboard format the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from cxgap.analysis.ledger.alerts import AlertsResult
from cxgap.analysis.ledger.balance import balance_change, score_events
from cxgap.analysis.ledger.risk import (
    AccountDetail,
    LedgerReport,
    account_at,
    account_detail,
    alerts_since,
)
from cxgap.analysis.ledger.risk import ledger_report as _ledger_report
from cxgap.errors import CxgapError, NotFoundError
from cxgap.ingest.events import load_mapping, parse_accounts, parse_events, vocabulary
from cxgap.ingest.tables import read_table
from cxgap.store.accounts import load_accounts, load_events
from cxgap.store.db import Database
from cxgap.store.migrate import ensure_schema
from cxgap.store.studies import load_study
from cxgap.study.defaults import MOMENTS
from cxgap.study.model import LedgerParameters

__all__ = [
    "TREND_DAYS",
    "AccountsLedger",
    "LedgerInputs",
    "account_ledger",
    "account_with_trend",
    "accounts_ledger",
    "file_account",
    "file_alerts",
    "file_ledger",
    "ledger_alerts",
    "read_ledger_files",
]

#: How far back alerts look when no start is given.
DEFAULT_ALERT_DAYS = 30

#: How far back the accounts' trend looks: balance now minus balance then.
TREND_DAYS = 90


@dataclass(frozen=True)
class LedgerInputs:
    """What a ledger is computed from: events, accounts (or ``None``), the
    ledger parameters, the moments' weights and the as-of date."""

    events: pd.DataFrame
    accounts: pd.DataFrame | None
    params: LedgerParameters
    weights: dict[str, float]
    as_of: pd.Timestamp


# --- a study's stored events -------------------------------------------------


def _study_inputs(db: Database, slug: str, as_of: datetime | None) -> LedgerInputs:
    ensure_schema(db, create=False)
    study = load_study(db, slug)
    events = load_events(db, slug)
    if events.empty:
        raise CxgapError(
            f"study {slug!r} has no interaction events: import them with "
            "`cxgap import events FILE --study SLUG`"
        )
    when = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(events["timestamp"].max())
    return LedgerInputs(
        events=events,
        accounts=load_accounts(db, slug),
        params=study.ledger,
        weights={m.key: m.weight for m in study.moments},
        as_of=when,
    )


def account_ledger(
    db: Database, slug: str, account: str, *, as_of: datetime | None = None
) -> AccountDetail:
    """One account's relationship bank account at ``as_of`` (default: the last event)."""
    inputs = _study_inputs(db, slug, as_of)
    known = inputs.accounts["account_id"] if inputs.accounts is not None else ()
    if account not in set(known):
        raise NotFoundError(f"study {slug!r} has no account {account!r}")
    return _account(inputs, account)


@dataclass(frozen=True)
class AccountsLedger:
    """Every account's balance and trend at one date, against the threshold.

    ``balances`` is indexed by ``account_id`` (every account of the study,
    defected ones too, 0 for an account without events) with the columns of
    :func:`cxgap.analysis.ledger.balance.balance_change`: ``balance``,
    ``balance_before``, ``change`` (the trend over ``trend_days``),
    ``events`` and ``last_event``."""

    as_of: pd.Timestamp
    threshold: float
    threshold_method: str
    trend_days: float
    balances: pd.DataFrame


def accounts_ledger(
    db: Database, slug: str, *, as_of: datetime | None = None, trend_days: float = TREND_DAYS
) -> AccountsLedger:
    """Every account's balance at ``as_of`` (default: the last event), its
    change over ``trend_days`` and the threshold learned from all accounts."""
    inputs = _study_inputs(db, slug, as_of)
    report = file_ledger(inputs)
    _, table = _trend(inputs, None, trend_days)
    return AccountsLedger(
        as_of=inputs.as_of,
        threshold=report.threshold,
        threshold_method=report.threshold_method,
        trend_days=trend_days,
        balances=table,
    )


def account_with_trend(
    db: Database,
    slug: str,
    account: str,
    *,
    as_of: datetime | None = None,
    trend_days: float = TREND_DAYS,
) -> tuple[AccountDetail, AccountsLedger]:
    """One account's ledger (as :func:`account_ledger`) and its row of
    :func:`accounts_ledger`, from one reading of the events."""
    inputs = _study_inputs(db, slug, as_of)
    known = inputs.accounts["account_id"] if inputs.accounts is not None else ()
    if account not in set(known):
        raise NotFoundError(f"study {slug!r} has no account {account!r}")
    report = file_ledger(inputs)
    scored, table = _trend(inputs, [account], trend_days)
    detail = account_detail(scored, account, inputs.as_of, report.threshold)
    summary = AccountsLedger(
        as_of=inputs.as_of,
        threshold=report.threshold,
        threshold_method=report.threshold_method,
        trend_days=trend_days,
        balances=table,
    )
    return detail, summary


def _trend(
    inputs: LedgerInputs, accounts: list[str] | None, days: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored events (account ids as text) and the balance change of
    ``accounts`` (default: every account, with or without events)."""
    scored = score_events(inputs.events, inputs.params, inputs.weights)
    scored = scored.assign(account_id=scored["account_id"].astype(str))
    if accounts is None:
        known: list[str] = (
            [] if inputs.accounts is None else inputs.accounts["account_id"].astype(str).tolist()
        )
        accounts = list(dict.fromkeys([*known, *pd.unique(scored["account_id"])]))
    index = pd.Index(accounts, name="account_id", dtype=object)
    return scored, balance_change(scored, inputs.as_of, days=days, accounts=index)


def ledger_alerts(
    db: Database, slug: str, *, since: datetime | None = None, as_of: datetime | None = None
) -> AlertsResult:
    """Accounts that crossed below the learned threshold between ``since``
    (default: 30 days before ``as_of``) and ``as_of`` (default: the last event)."""
    inputs = _study_inputs(db, slug, as_of)
    when = inputs.as_of
    start = (
        pd.Timestamp(since) if since is not None else when - pd.Timedelta(days=DEFAULT_ALERT_DAYS)
    )
    if start > when:
        raise CxgapError(
            f"the alerts cannot start on {start:%Y-%m-%d}, after the as-of date {when:%Y-%m-%d}"
        )
    return _alerts(inputs, start)


# --- any events file ---------------------------------------------------------


def read_ledger_files(
    file: Path,
    *,
    as_of: pd.Timestamp,
    accounts_file: Path | None = None,
    mapping_file: Path | None = None,
) -> LedgerInputs:
    """An events file (and optionally its accounts file and column mapping)
    read and checked, scored with the default moments and ledger parameters.
    Accounts that defect after ``as_of`` count as retained."""
    mapping = load_mapping(mapping_file) if mapping_file else None
    accounts = parse_accounts(read_table(accounts_file)) if accounts_file is not None else None
    events = parse_events(
        read_table(file),
        mapping=mapping,
        as_of=as_of,
        moments=vocabulary((m.key, m.label) for m in MOMENTS),
        accounts=None if accounts is None else accounts["account_id"].tolist(),
    )
    return LedgerInputs(
        events=events,
        accounts=accounts,
        params=LedgerParameters(),
        weights={m.key: m.weight for m in MOMENTS},
        as_of=as_of,
    )


def file_ledger(inputs: LedgerInputs) -> LedgerReport:
    """Every account's balance, the threshold, accounts and revenue at risk."""
    return _ledger_report(
        inputs.events, inputs.params, inputs.weights, inputs.as_of, accounts=inputs.accounts
    )


def file_account(inputs: LedgerInputs, account: str) -> AccountDetail:
    """One account's events, contributions and balance over time."""
    return _account(inputs, account)


def file_alerts(inputs: LedgerInputs, since: pd.Timestamp) -> AlertsResult:
    """Accounts that crossed the threshold between ``since`` and the as-of date."""
    return _alerts(inputs, since)


def _account(inputs: LedgerInputs, account: str) -> AccountDetail:
    return account_at(
        inputs.events,
        inputs.params,
        inputs.weights,
        account,
        inputs.as_of,
        accounts=inputs.accounts,
    )


def _alerts(inputs: LedgerInputs, since: pd.Timestamp) -> AlertsResult:
    return alerts_since(
        inputs.events,
        inputs.params,
        inputs.weights,
        since=since,
        as_of=inputs.as_of,
        accounts=inputs.accounts,
    )
