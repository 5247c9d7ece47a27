"""Alerts: accounts that crossed the defection threshold since the last run.

An account *crossed* when its balance at the previous as-of date was at or
above the threshold and its balance now is below it; it *recovered* in the
opposite case. Accounts with no balance at the previous date (new accounts)
count as having been at or above the threshold. Posting the alerts to a
webhook is I/O and lives in :mod:`cxgap.notify.webhook`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from cxgap.analysis._base import Result
from cxgap.analysis.ledger.balance import balances_at, to_datetime

__all__ = ["Alert", "AlertsResult", "threshold_alerts"]


class Alert(Result):
    """One account that crossed the threshold."""

    account: str
    direction: str  # "crossed_below" or "recovered"
    balance_before: float
    balance_now: float
    distance: float


class AlertsResult(Result):
    """Accounts that crossed the threshold between two dates."""

    since: datetime
    as_of: datetime
    threshold: float
    n_accounts: int
    crossed_below: list[Alert]
    recovered: list[Alert]


def threshold_alerts(
    scored: pd.DataFrame,
    threshold: float,
    *,
    since: Any,
    as_of: Any,
    accounts: pd.Index | None = None,
) -> AlertsResult:
    """Accounts whose balance crossed ``threshold`` between ``since`` and ``as_of``.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`cxgap.analysis.ledger.balance.score_events`.
    threshold : float
        The defection threshold (:mod:`cxgap.analysis.ledger.threshold`).
    since, as_of : datetime-like
        The previous run's as-of date and this run's.
    accounts : pandas.Index, optional
        The accounts to watch (default: every account with events); for
        example the retained ones only.

    Returns
    -------
    AlertsResult
        ``crossed_below`` (lowest balance first) and ``recovered``.

    References
    ----------
    The balance is the one of :func:`cxgap.analysis.ledger.balance.balances_at`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.analysis.ledger.balance import score_events
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({"account_id": ["a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-03-01"]),
    ...     "moment": ["routine"] * 2, "outcome": ["met", "failed"], "severity": [None, 3]})
    >>> s = score_events(ev, LedgerParameters(), {"routine": 1.0})
    >>> r = threshold_alerts(s, -2.0, since="2025-02-01", as_of="2025-03-02")
    >>> [a.account for a in r.crossed_below]
    ['a']
    """
    before = balances_at(scored, since, accounts=accounts)["balance"]
    now = balances_at(scored, as_of, accounts=before.index)["balance"]
    down = (before >= threshold) & (now < threshold)
    up = (before < threshold) & (now >= threshold)

    def _alerts(mask: pd.Series, direction: str) -> list[Alert]:
        picked = now[mask].sort_values(kind="stable")
        was = before.to_dict()
        return [
            Alert(
                account=str(acc),
                direction=direction,
                balance_before=float(was[acc]),
                balance_now=float(value),
                distance=float(value - threshold),
            )
            for acc, value in picked.items()
        ]

    return AlertsResult(
        since=to_datetime(since),
        as_of=to_datetime(as_of),
        threshold=float(threshold),
        n_accounts=len(now),
        crossed_below=_alerts(down, "crossed_below"),
        recovered=_alerts(up, "recovered"),
    )
