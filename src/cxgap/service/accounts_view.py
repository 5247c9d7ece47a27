"""What an account manager triages: the accounts list and one account's page.

The list has, per account, the balance of the relationship bank account,
its distance to the defection threshold, its trend (balance at the as-of
date minus the balance :data:`~cxgap.service.ledger.TREND_DAYS` days before,
:func:`cxgap.analysis.ledger.balance.balance_change`), the annual revenue,
the owner, the open cases, the last likelihood-to-recommend answer of the
account's customer contacts (:func:`cxgap.store.accounts.last_account_answers`),
the segment and whether the account defected. It sorts, searches and
filters ("near the threshold", "mine") and exports the same rows as CSV.

An account is **near the threshold** when it has not defected and its
distance to the threshold is at most :data:`NEAR_MARGIN` of the threshold's
size (``distance <= 0.25 * |threshold|``), which includes every account
below it. An account is **mine** when its owner equals the user's name or
e-mail address, ignoring case and surrounding spaces.

The builders here are pure (data in, rows out); :func:`load_accounts_list`
and :func:`load_account_page` read the database and call them, so the web
layer only parses the query and renders.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from cxgap.analysis.ledger.risk import AccountDetail
from cxgap.contracts.cells import safe_csv_text
from cxgap.errors import CxgapError, NotFoundError
from cxgap.service.ledger import TREND_DAYS, AccountsLedger, account_with_trend, accounts_ledger
from cxgap.store.accounts import last_account_answers, load_accounts
from cxgap.store.db import Database

__all__ = [
    "NEAR_MARGIN",
    "SORT_KEYS",
    "AccountPage",
    "AccountRow",
    "AccountsList",
    "DebitLine",
    "accounts_csv",
    "build_account_page",
    "build_accounts",
    "filter_accounts",
    "is_mine",
    "load_account_page",
    "load_accounts_list",
    "sort_accounts",
    "suggest_action",
]

#: "Near the threshold": within this share of the threshold's size above it (or below it).
NEAR_MARGIN = 0.25

#: The columns the list sorts by (``sort=`` of the page and the CSV).
SORT_KEYS = (
    "name",
    "balance",
    "distance",
    "trend",
    "revenue",
    "owner",
    "cases",
    "ltr",
    "segment",
    "defected",
)


@dataclass(frozen=True)
class AccountRow:
    """One account of the list. Ledger figures are ``None`` when the study
    has no interaction events."""

    account: str
    name: str
    segment: str | None = None
    owner: str | None = None
    revenue: float | None = None
    balance: float | None = None
    distance: float | None = None
    trend: float | None = None
    events: int = 0
    last_event: datetime | None = None
    below_threshold: bool = False
    near_threshold: bool = False
    defected_at: date | None = None
    last_ltr: float | None = None
    last_ltr_on: date | None = None
    last_ltr_wave: str | None = None
    open_cases: int = 0

    @property
    def defected(self) -> bool:
        """Whether the account has left (it has a defection date)."""
        return self.defected_at is not None


@dataclass(frozen=True)
class AccountsList:
    """The accounts of a study at the ledger's as-of date."""

    rows: list[AccountRow]
    as_of: datetime | None = None
    threshold: float | None = None
    threshold_method: str | None = None
    trend_days: float = TREND_DAYS
    reason: str | None = None  # why there are no ledger figures

    @property
    def margin(self) -> float | None:
        """How far above the threshold an account still counts as near it."""
        return None if self.threshold is None else NEAR_MARGIN * abs(self.threshold)


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _day(value: Any) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def build_accounts(
    accounts: pd.DataFrame,
    ledger: AccountsLedger | None,
    answers: pd.DataFrame,
    open_cases: Mapping[str, int],
    *,
    reason: str | None = None,
) -> AccountsList:
    """The rows of the accounts list, in the accounts' order.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The study's accounts (``ACCOUNT_COLUMNS``: ``account_id``, ``name``,
        ``segment``, ``annual_revenue``, ``owner``, ``acquired_at``,
        ``defected_at``).
    ledger : AccountsLedger or None
        Balances and trends (:func:`cxgap.service.ledger.accounts_ledger`);
        ``None`` when the study has no events (give ``reason``).
    answers : pandas.DataFrame
        The last likelihood-to-recommend answer per account
        (:func:`cxgap.store.accounts.last_account_answers`).
    open_cases : Mapping[str, int]
        Open cases per account id (missing: none).
    reason : str, optional
        Why there are no ledger figures.

    Returns
    -------
    AccountsList
        One :class:`AccountRow` per account, the as-of date, the threshold
        and its method.
    """
    figures: dict[Any, Any] = {} if ledger is None else ledger.balances.to_dict("index")
    threshold = ledger.threshold if ledger is not None else None
    last = {str(r["account_id"]): r for r in answers.to_dict("records")}
    rows: list[AccountRow] = []
    for rec in accounts.to_dict("records"):
        key = str(rec["account_id"])
        defected_at = _day(rec.get("defected_at"))
        row = AccountRow(
            account=key,
            name=_text(rec.get("name")) or key,
            segment=_text(rec.get("segment")),
            owner=_text(rec.get("owner")),
            revenue=_number(rec.get("annual_revenue")),
            defected_at=defected_at,
            open_cases=int(open_cases.get(key, 0)),
        )
        if key in last:
            ans = last[key]
            row = replace(
                row,
                last_ltr=_number(ans["value"]),
                last_ltr_on=_day(ans["answered_on"]),
                last_ltr_wave=_text(ans["wave"]),
            )
        if threshold is not None and key in figures:
            b: dict[Any, Any] = figures[key]
            balance = float(b["balance"])
            distance = balance - threshold
            when = b["last_event"]
            row = replace(
                row,
                balance=balance,
                distance=distance,
                trend=float(b["change"]),
                events=int(b["events"]),
                last_event=None if pd.isna(when) else pd.Timestamp(when).to_pydatetime(),
                below_threshold=defected_at is None and distance < 0,
                near_threshold=defected_at is None and distance <= NEAR_MARGIN * abs(threshold),
            )
        rows.append(row)
    return AccountsList(
        rows=rows,
        as_of=ledger.as_of.to_pydatetime() if ledger is not None else None,
        threshold=threshold,
        threshold_method=ledger.threshold_method if ledger is not None else None,
        trend_days=ledger.trend_days if ledger is not None else TREND_DAYS,
        reason=reason,
    )


def is_mine(row: AccountRow, identities: Iterable[str]) -> bool:
    """Whether the account's owner is one of ``identities`` (a user's name
    and e-mail address), ignoring case and surrounding spaces.

    >>> is_mine(AccountRow("A1", "Acme", owner=" Priya Shah"), ["priya shah", "p@x.com"])
    True
    """
    if row.owner is None:
        return False
    owner = row.owner.strip().casefold()
    return any(owner == i.strip().casefold() for i in identities if i and i.strip())


def filter_accounts(
    rows: Sequence[AccountRow],
    *,
    q: str = "",
    near: bool = False,
    mine: Sequence[str] | None = None,
) -> list[AccountRow]:
    """The rows that match: ``q`` (a case-insensitive part of the id, name,
    owner or segment), ``near`` (near the threshold, see the module
    docstring) and ``mine`` (owned by one of these identities; ``None``:
    no owner filter).

    >>> rows = [AccountRow("A1", "Acme", owner="Ann"), AccountRow("B2", "Beta")]
    >>> [r.account for r in filter_accounts(rows, q="acm")]
    ['A1']
    >>> [r.account for r in filter_accounts(rows, mine=["ANN"])]
    ['A1']
    """
    needle = q.strip().casefold()
    out = []
    for row in rows:
        if needle:
            hay = " ".join(x for x in (row.account, row.name, row.owner, row.segment) if x)
            if needle not in hay.casefold():
                continue
        if near and not row.near_threshold:
            continue
        if mine is not None and not is_mine(row, mine):
            continue
        out.append(row)
    return out


def _sort_value(row: AccountRow, key: str) -> Any:
    values: dict[str, Any] = {
        "name": row.name.casefold(),
        "balance": row.balance,
        "distance": row.distance,
        "trend": row.trend,
        "revenue": row.revenue,
        "owner": row.owner.casefold() if row.owner else None,
        "cases": row.open_cases,
        "ltr": row.last_ltr,
        "segment": row.segment.casefold() if row.segment else None,
        "defected": row.defected,
    }
    return values[key]


def sort_accounts(
    rows: Sequence[AccountRow],
    key: str = "distance",
    *,
    descending: bool = False,
    defected_last: bool = True,
) -> list[AccountRow]:
    """The rows sorted by one of :data:`SORT_KEYS`; rows without a value
    (no balance, no owner, ...) come last in either direction, and ties keep
    the accounts' order. With ``defected_last`` (the default), accounts that
    have left follow the others, each part sorted, except when sorting by
    ``defected`` itself: the list is for the accounts still to keep.

    >>> rows = [AccountRow("A", "A", balance=2.0), AccountRow("B", "B"),
    ...         AccountRow("C", "C", balance=-1.0),
    ...         AccountRow("D", "D", balance=-9.0, defected_at=date(2025, 1, 1))]
    >>> [r.account for r in sort_accounts(rows, "balance")]
    ['C', 'A', 'B', 'D']
    >>> [r.account for r in sort_accounts(rows, "balance", descending=True)]
    ['A', 'C', 'B', 'D']
    >>> [r.account for r in sort_accounts(rows, "balance", defected_last=False)]
    ['D', 'C', 'A', 'B']
    """
    if key not in SORT_KEYS:
        raise ValueError(f"sort by one of {', '.join(SORT_KEYS)}, not {key!r}")
    if defected_last and key != "defected":
        staying = [r for r in rows if not r.defected]
        left = [r for r in rows if r.defected]
        return _sorted(staying, key, descending) + _sorted(left, key, descending)
    return _sorted(rows, key, descending)


def _sorted(rows: Sequence[AccountRow], key: str, descending: bool) -> list[AccountRow]:
    present = [r for r in rows if _sort_value(r, key) is not None]
    missing = [r for r in rows if _sort_value(r, key) is None]
    # Python's sort stays stable with reverse=True: ties keep the accounts' order
    present.sort(key=lambda r: _sort_value(r, key), reverse=descending)
    return present + missing


CSV_HEADER = (
    "account_id",
    "name",
    "segment",
    "owner",
    "annual_revenue",
    "balance",
    "distance_to_threshold",
    "trend",
    "near_threshold",
    "below_threshold",
    "open_cases",
    "last_ltr",
    "last_ltr_on",
    "defected_at",
)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def accounts_csv(rows: Sequence[AccountRow]) -> str:
    """The rows as CSV text (header :data:`CSV_HEADER`), every cell
    neutralised against formula injection (:func:`cxgap.contracts.cells.safe_csv_text`).

    >>> accounts_csv([AccountRow("A1", "=cmd", balance=-1.234)]).splitlines()[1]
    "A1,'=cmd,,,,-1.23,,,no,no,0,,,"
    """
    return safe_csv_text(
        CSV_HEADER,
        (
            [
                r.account,
                r.name,
                r.segment,
                r.owner,
                r.revenue,
                _round(r.balance),
                _round(r.distance),
                _round(r.trend),
                "yes" if r.near_threshold else "no",
                "yes" if r.below_threshold else "no",
                r.open_cases,
                r.last_ltr,
                r.last_ltr_on.isoformat() if r.last_ltr_on else None,
                r.defected_at.isoformat() if r.defected_at else None,
            ]
            for r in rows
        ),
    )


def load_accounts_list(db: Database, slug: str, open_cases: Mapping[str, int]) -> AccountsList:
    """:func:`build_accounts` over the study's stored accounts, ledger and
    answers; a study without events gets rows without ledger figures and
    the reason."""
    accounts = load_accounts(db, slug)
    ledger: AccountsLedger | None = None
    reason = None
    if len(accounts):
        try:
            ledger = accounts_ledger(db, slug)
        except CxgapError as exc:
            reason = str(exc)
    answers = last_account_answers(db, slug)
    return build_accounts(accounts, ledger, answers, open_cases, reason=reason)


# --- one account ---------------------------------------------------------------


@dataclass(frozen=True)
class DebitLine:
    """One failure still weighing on the balance: its original contribution
    and what is left of it today."""

    timestamp: datetime
    touchpoint: str | None
    moment: str
    severity: float
    contribution: float  # when it happened (negative)
    value_today: float  # the contribution decayed to the as-of date
    compounded: bool

    @property
    def share_today(self) -> float:
        """The part of the contribution still counted today (0 to 1)."""
        return self.value_today / self.contribution if self.contribution else 0.0


@dataclass(frozen=True)
class AccountPage:
    """Everything the account page shows besides the chart and the events."""

    row: AccountRow
    detail: AccountDetail | None
    debits: list[DebitLine]
    balance_note: str | None
    suggestion: str
    open_cases: list[Any] = field(default_factory=list)
    reason: str | None = None  # why there is no ledger
    trend_days: float = TREND_DAYS


def _balance_note(detail: AccountDetail) -> str | None:
    """Why the balance moves without new events, when the as-of date is
    after the account's last event."""
    if not detail.events:
        return None
    last = max(e.timestamp for e in detail.events)
    days = (detail.as_of.date() - last.date()).days
    if days <= 0:
        return None
    unit = "day" if days == 1 else "days"
    return (
        f"Balance on {detail.as_of:%Y-%m-%d}, {days} {unit} after the last interaction on "
        f"{last:%Y-%m-%d}: weights decay with time, so the balance changes without new events."
    )


def suggest_action(row: AccountRow, debits: Sequence[DebitLine], labels: Mapping[str, str]) -> str:
    """A rule-based next step from the account's state (no model):

    - defected: learn why (an exit conversation) before any win-back;
    - below the threshold: call the customer and agree a recovery plan,
      starting with the touchpoint of the largest debit still weighing;
    - near the threshold: check in before the next failure, same start;
    - falling (a negative trend): review the recent failures;
    - otherwise: routine contact.

    The owner is named; an account without one is told to get one first.

    >>> suggest_action(AccountRow("A", "Acme", owner="Ann", balance=-40.0, distance=-5.0,
    ...     below_threshold=True, near_threshold=True), [], {})
    'Below the defection threshold: call the customer (owner: Ann) and agree a recovery plan.'
    """
    if row.defected_at is not None:
        return (
            f"The account left on {row.defected_at:%Y-%m-%d}: hold an exit conversation to "
            "learn why before any win-back offer."
        )
    if row.balance is None:
        return "No interactions recorded yet: import events to follow this relationship."
    worst = min(debits, key=lambda d: d.value_today) if debits else None
    start = ""
    if worst is not None:
        place = labels.get(worst.touchpoint or "", worst.touchpoint or "")
        moment = labels.get(worst.moment, worst.moment)
        what = f"{place} ({moment})" if place and place != moment else moment
        start = (
            f"; start with {what}, the largest debit still weighing ({worst.timestamp:%Y-%m-%d})"
        )
    who = f"owner: {row.owner}" if row.owner else "set an owner first"
    if row.below_threshold:
        return (
            f"Below the defection threshold: call the customer ({who}) "
            f"and agree a recovery plan{start}."
        )
    if row.near_threshold:
        return (
            f"Near the defection threshold: check in with the customer ({who}) "
            f"before the next failure{start}."
        )
    if row.trend is not None and row.trend < 0:
        return (
            f"Above the threshold but falling ({row.trend:+.1f} over {TREND_DAYS} days): "
            f"review the recent failures{start}."
        )
    return "Above the threshold and not falling: routine contact is enough."


def build_account_page(
    row: AccountRow,
    detail: AccountDetail | None,
    labels: Mapping[str, str],
    open_cases: Sequence[Any],
    *,
    reason: str | None = None,
) -> AccountPage:
    """The account page's figures: the debits with their original
    contribution and today's value, the note on the balance date, the
    suggested action and the open cases (given by the caller)."""
    debits = [
        DebitLine(
            timestamp=d.timestamp,
            touchpoint=d.touchpoint,
            moment=d.moment,
            severity=d.severity,
            contribution=d.contribution,
            value_today=d.weight_now,  # already the decayed value, not a factor
            compounded=d.compounded,
        )
        for d in (detail.largest_debits if detail is not None else [])
    ]
    return AccountPage(
        row=row,
        detail=detail,
        debits=debits,
        balance_note=_balance_note(detail) if detail is not None else None,
        suggestion=suggest_action(row, debits, labels),
        open_cases=list(open_cases),
        reason=reason,
    )


def load_account_page(
    db: Database,
    slug: str,
    account: str,
    labels: Mapping[str, str],
    open_cases: Sequence[Any],
) -> AccountPage:
    """One account's page from the store: 404 for an account the study's
    organisation does not have; an account without events (or a study
    without any) gets its page without a ledger, and the reason."""
    accounts = load_accounts(db, slug)
    match = accounts[accounts["account_id"].astype(str) == account]
    if match.empty:
        raise NotFoundError(f"study {slug!r} has no account {account!r}")
    answers = last_account_answers(db, slug)
    answers = answers[answers["account_id"].astype(str) == account]
    detail: AccountDetail | None = None
    ledger: AccountsLedger | None = None
    reason = None
    try:
        detail, ledger = account_with_trend(db, slug, account)
    except CxgapError as exc:  # no events at all, or none of this account
        reason = str(exc)
    counts = {account: len(open_cases)}
    [row] = build_accounts(match, ledger, answers, counts, reason=reason).rows
    return build_account_page(row, detail, labels, open_cases, reason=reason)
