"""Accounts at risk, why, and the revenue at risk.

* **Distance to the threshold**: ``balance - threshold``; negative means the
  account is below the threshold (see :mod:`cxgap.analysis.ledger.threshold`).
* **Why**: the largest debits still weighing on the balance (each failure's
  contribution decayed to the as-of date) and the compounded failures (those
  that followed another failure of the account within the compounding window).
* **Revenue at risk**: the annual revenue of retained accounts below the
  threshold; and the expected revenue lost within ``horizon_days`` (default
  90), ``sum_a p_a * revenue_a``, with ``p_a`` each account's chance of
  leaving within the horizon given its balance now, from the logistic model
  of :mod:`cxgap.analysis.ledger.probability` fitted on the landmark sample
  (:mod:`cxgap.analysis.ledger.landmark`), with its out-of-sample calibration
  and 95% intervals. When the model cannot be fitted (too few defections,
  perfect separation) the figure is ``None`` and the reason is given.

The threshold and the model both learn from the landmark sample: every
account read on the same calendar days, so that defectors and retained
accounts are compared at matched times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from cxgap.analysis._base import Result, finite
from cxgap.analysis.ledger.alerts import AlertsResult, threshold_alerts
from cxgap.analysis.ledger.balance import (
    _decayed,
    _timestamp_ns,
    balance_history,
    balances_at,
    score_events,
    to_datetime,
)
from cxgap.analysis.ledger.landmark import landmark_sample, sample_info
from cxgap.analysis.ledger.probability import (
    DefectionModel,
    fit_defection_model,
    revenue_interval,
)
from cxgap.analysis.ledger.threshold import ThresholdResult, learn_threshold
from cxgap.errors import AnalysisError, NotFoundError
from cxgap.study.model import LedgerParameters

__all__ = [
    "AccountDetail",
    "AccountStatus",
    "Debit",
    "DefectionModel",
    "LedgerReport",
    "RevenueAtRisk",
    "account_at",
    "account_detail",
    "alerts_since",
    "fit_defection_model",
    "largest_debits",
    "ledger_report",
]


class Debit(Result):
    """One failure still weighing on an account's balance."""

    timestamp: datetime
    touchpoint: str | None
    moment: str
    severity: float
    contribution: float
    weight_now: float
    compounded: bool
    source_id: str | None = None


class AccountStatus(Result):
    """One account in the ledger report."""

    account: str
    balance: float
    events: int
    failures: int
    below_threshold: bool
    distance: float
    compounded_failures: int
    revenue: float | None = None
    owner: str | None = None
    probability: float | None = None
    largest_debits: list[Debit] = Field(default_factory=list)


class RevenueAtRisk(Result):
    """Revenue of retained accounts below the threshold, and expected loss.

    ``expected_revenue_loss`` is the annual revenue of the accounts expected
    to leave within ``horizon_days``: ``sum_i p_i * revenue_i``, with the 95%
    interval of that expectation (``expected_revenue_loss_ci``) and the 95%
    prediction interval of the revenue actually lost (``revenue_lost_interval``).
    """

    n_accounts: int
    n_with_revenue: int
    n_below: int
    revenue_below_threshold: float
    expected_revenue_loss: float | None
    expected_reason: str
    horizon_days: float | None = None
    expected_revenue_loss_ci: tuple[float, float] | None = None
    revenue_lost_interval: tuple[float, float] | None = None
    interval_method: str = ""


class LedgerReport(Result):
    """Balances, threshold, accounts at risk and revenue at risk at one date."""

    as_of: datetime
    threshold: float
    threshold_method: str
    threshold_detail: ThresholdResult
    n_events: int
    n_accounts: int
    accounts: list[AccountStatus]
    model: DefectionModel | None = None
    revenue_at_risk: RevenueAtRisk | None = None


def _largest_debits(
    scored: pd.DataFrame, as_of_ns: int, accounts: pd.Index, top: int
) -> dict[str, list[Debit]]:
    """The ``top`` failures with the largest decayed debit per account."""
    sub = scored[scored["failed"].to_numpy() & scored["account_id"].isin(accounts).to_numpy()]
    sub = sub[sub["ns"].to_numpy() <= as_of_ns]
    if sub.empty:
        return {}
    now = _decayed(sub, np.full(len(sub), as_of_ns, dtype=np.int64))
    sub = sub.assign(now_value=now).sort_values(["account_id", "now_value"], kind="stable")
    sub = sub.groupby("account_id", sort=False, observed=True).head(top)
    out: dict[str, list[Debit]] = {}
    has_tp = "touchpoint" in sub.columns
    has_src = "source_id" in sub.columns
    for row in sub.itertuples(index=False):
        rec: Any = row
        out.setdefault(str(rec.account_id), []).append(
            Debit(
                timestamp=to_datetime(rec.timestamp),
                touchpoint=str(rec.touchpoint) if has_tp and pd.notna(rec.touchpoint) else None,
                moment=str(rec.moment),
                severity=float(rec.severity),
                contribution=float(rec.contribution),
                weight_now=float(rec.now_value),
                compounded=bool(rec.prior_failures > 0),
                source_id=str(rec.source_id) if has_src and pd.notna(rec.source_id) else None,
            )
        )
    return out


def largest_debits(
    scored: pd.DataFrame, as_of: Any, accounts: Sequence[str], *, top: int = 3
) -> dict[str, list[Debit]]:
    """The ``top`` failures of each of ``accounts`` with the largest debit
    still weighing at ``as_of`` (most negative first): ``contribution`` as
    scored when it happened, ``weight_now`` what is left of it after decay.

    ``scored`` is :func:`cxgap.analysis.ledger.balance.score_events`' output;
    the same debits as :attr:`AccountDetail.largest_debits`.
    """
    return _largest_debits(scored, _timestamp_ns(as_of, "as_of"), pd.Index(list(accounts)), top)


def ledger_report(
    events: pd.DataFrame,
    params: LedgerParameters,
    moment_weights: Mapping[str, float],
    as_of: Any,
    *,
    accounts: pd.DataFrame | None = None,
    top_debits: int = 3,
) -> LedgerReport:
    """The whole ledger at one date: balances, threshold, risk and revenue.

    Parameters
    ----------
    events : pandas.DataFrame
        Interaction events (see :func:`cxgap.analysis.ledger.balance.score_events`).
    params : LedgerParameters
        Ledger parameters.
    moment_weights : Mapping[str, float]
        Weight of each moment key.
    as_of : datetime-like
        The as-of date.
    accounts : pandas.DataFrame, optional
        ``account_id`` with optional ``defected_at``, ``annual_revenue`` and
        ``owner``. Without it (or without ``defected_at``) the default
        threshold applies; without revenue there is no revenue at risk.
        Accounts that defected on or before ``as_of`` are not listed.
    top_debits : int
        Largest debits listed per account below the threshold.

    Returns
    -------
    LedgerReport
        ``as_of``, ``threshold`` and ``threshold_method`` (with the full
        :class:`~cxgap.analysis.ledger.threshold.ThresholdResult` in
        ``threshold_detail``), one :class:`AccountStatus` per retained
        account (lowest balance first), the defection model and the revenue
        at risk.

    References
    ----------
    See :func:`cxgap.analysis.ledger.threshold.learn_threshold` and
    :func:`fit_defection_model`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({"account_id": ["a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02"]),
    ...     "moment": ["routine"] * 2, "outcome": ["met", "failed"], "severity": [None, 3]})
    >>> r = ledger_report(ev, LedgerParameters(), {"routine": 1.0}, "2025-02-01")
    >>> r.threshold_method, [(a.account, a.below_threshold) for a in r.accounts]
    ('default', [('b', False), ('a', False)])
    """
    scored = score_events(events, params, moment_weights)
    as_of_ns = _timestamp_ns(as_of, "as_of")
    if len(scored) and int(scored["ns"].max()) > as_of_ns:
        scored = scored[scored["ns"].to_numpy() <= as_of_ns]
    event_accounts = pd.Index(pd.unique(scored["account_id"].astype(str)), name="account_id")
    scored = scored.assign(account_id=scored["account_id"].astype(str))

    revenue: pd.Series | None = None
    owner: pd.Series | None = None
    if accounts is not None:
        acc = accounts.copy()
        acc["account_id"] = acc["account_id"].astype(str)
        if "defected_at" not in acc.columns:
            acc["defected_at"] = pd.NaT
        sample = landmark_sample(scored, acc, as_of, params)
        all_accounts = pd.Index(
            list(dict.fromkeys([*event_accounts, *acc["account_id"]])), name="account_id"
        )
        idx = acc.set_index("account_id")
        if "annual_revenue" in idx.columns:
            revenue = pd.to_numeric(idx["annual_revenue"], errors="coerce")
        if "owner" in idx.columns:
            owner = idx["owner"]
        leaves = pd.to_datetime(idx["defected_at"])
        left = idx.index[(leaves <= pd.Timestamp(as_of)).to_numpy()]
    else:
        sample = landmark_sample(
            scored,
            pd.DataFrame({"account_id": event_accounts, "defected_at": pd.NaT}),
            as_of,
            params,
        )
        all_accounts = event_accounts
        left = pd.Index([])
    groups = sample["account_id"].to_numpy()
    threshold = learn_threshold(sample["balance"], sample["defected"], params, groups=groups)
    threshold = threshold.model_copy(update={"sample": sample_info(sample, params)})
    model = fit_defection_model(
        sample["balance"],
        sample["defected"],
        min_defections=params.min_defections,
        groups=groups,
        horizon_days=params.horizon_days,
    )

    current_ids = all_accounts[~all_accounts.isin(left)]
    current = balances_at(scored, as_of, accounts=current_ids).sort_values("balance", kind="stable")
    below = current["balance"].to_numpy() < threshold.threshold
    compounded = (
        scored.loc[scored["prior_failures"].to_numpy() > 0, "account_id"]
        .value_counts()
        .reindex(current.index, fill_value=0)
    )
    debits = _largest_debits(scored, as_of_ns, current.index[below], top_debits)
    probability = model.probability(current["balance"]) if model.fitted else None

    ids = [str(x) for x in current.index]
    rev_values = (
        revenue.reindex(current.index).to_numpy(dtype=float)
        if revenue is not None
        else np.full(len(current), np.nan)
    )
    owner_values = (
        owner.reindex(current.index).to_numpy(dtype=object)
        if owner is not None
        else np.full(len(current), None, dtype=object)
    )
    balance_values = current["balance"].to_numpy()
    events_values = current["events"].to_numpy()
    failure_values = current["failures"].to_numpy()
    compounded_values = compounded.to_numpy()
    statuses: list[AccountStatus] = []
    for i, acc_id in enumerate(ids):
        own = owner_values[i]
        statuses.append(
            AccountStatus(
                account=acc_id,
                balance=float(balance_values[i]),
                events=int(events_values[i]),
                failures=int(failure_values[i]),
                below_threshold=bool(below[i]),
                distance=float(balance_values[i] - threshold.threshold),
                compounded_failures=int(compounded_values[i]),
                revenue=finite(rev_values[i]),
                owner=str(own) if own is not None and pd.notna(own) else None,
                probability=finite(probability[i]) if probability is not None else None,
                largest_debits=debits.get(acc_id, []),
            )
        )

    rar: RevenueAtRisk | None = None
    if revenue is not None:
        rev_now = revenue.reindex(current.index)
        has = rev_now.notna().to_numpy()
        expected = None
        spread: dict[str, Any] = {}
        if probability is not None and has.any():
            expected = float(np.sum(probability[has] * rev_now.to_numpy()[has]))
            try:
                interval = revenue_interval(
                    model, current["balance"].to_numpy()[has], rev_now.to_numpy()[has]
                )
            except (AnalysisError, np.linalg.LinAlgError, ValueError) as exc:
                spread = {"interval_method": f"no interval: {exc}"}
            else:
                spread = {
                    "expected_revenue_loss_ci": interval.expected_ci,
                    "revenue_lost_interval": interval.lost_interval,
                    "interval_method": interval.method,
                }
        rar = RevenueAtRisk(
            horizon_days=params.horizon_days,
            **spread,
            n_accounts=len(current),
            n_with_revenue=int(has.sum()),
            n_below=int(below.sum()),
            revenue_below_threshold=float(rev_now.to_numpy()[below & has].sum()),
            expected_revenue_loss=expected,
            expected_reason=model.reason
            if expected is not None
            else f"no probability-weighted figure: {model.reason}",
        )

    return LedgerReport(
        as_of=to_datetime(as_of),
        threshold=threshold.threshold,
        threshold_method=threshold.method,
        threshold_detail=threshold,
        n_events=len(scored),
        n_accounts=len(current),
        accounts=statuses,
        model=model,
        revenue_at_risk=rar,
    )


class ScoredEvent(Result):
    """One event of an account with its contribution."""

    timestamp: datetime
    touchpoint: str | None
    moment: str
    outcome: str
    severity: float | None
    prior_failures: int
    multiplier: float
    contribution: float
    weight_now: float
    source_id: str | None = None


class CompoundingRun(Result):
    """Failures of one account, each within the window of the one before."""

    start: datetime
    end: datetime
    failures: int
    debit: float
    debit_now: float


class BalancePoint(Result):
    """The balance of an account at one date."""

    date: datetime
    balance: float


class AccountDetail(Result):
    """One account's ledger: balance, events, reasons and history."""

    account: str
    as_of: datetime
    balance: float
    threshold: float
    distance: float
    below_threshold: bool
    events: list[ScoredEvent]
    largest_debits: list[Debit]
    compounding_runs: list[CompoundingRun]
    history: list[BalancePoint]


def account_detail(
    scored: pd.DataFrame,
    account: str,
    as_of: Any,
    threshold: float,
    *,
    top_debits: int = 3,
    history_points: int = 13,
) -> AccountDetail:
    """Everything the ledger knows about one account at ``as_of``.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`cxgap.analysis.ledger.balance.score_events`.
    account : str
        The account id.
    as_of : datetime-like
        The as-of date.
    threshold : float
        The defection threshold.
    top_debits : int
        How many of the largest (decayed) debits to list.
    history_points : int
        Number of evenly spaced dates, from the first event to ``as_of``, in
        the balance history.

    Returns
    -------
    AccountDetail
        Balance, distance to the threshold, every event with its contribution
        and its weight now, the largest debits, the compounding runs (two or
        more failures each within the window of the previous one) and the
        balance history.

    References
    ----------
    See :func:`cxgap.analysis.ledger.balance.score_events`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.analysis.ledger.balance import score_events
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({"account_id": ["a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-11"]),
    ...     "moment": ["routine"] * 2, "outcome": ["failed", "failed"], "severity": [1, 1]})
    >>> d = account_detail(score_events(ev, LedgerParameters(), {"routine": 1.0}), "a",
    ...     "2025-01-11", -10.0)
    >>> d.balance < -4.9, [r.failures for r in d.compounding_runs]
    (True, [2])
    """
    as_of_ns = _timestamp_ns(as_of, "as_of")
    mask = (scored["account_id"].astype(str) == str(account)).to_numpy()
    sub = scored.loc[mask]
    sub = sub[sub["ns"].to_numpy() <= as_of_ns]
    if sub.empty:
        raise NotFoundError(f"account {account!r} has no events on or before the as-of date")
    sub = sub.iloc[np.lexsort((np.arange(len(sub)), sub["ns"].to_numpy()))]
    now = _decayed(sub, np.full(len(sub), as_of_ns, dtype=np.int64))
    balance = float(now.sum())
    has_tp = "touchpoint" in sub.columns
    has_src = "source_id" in sub.columns
    events = []
    for rec, value in zip(sub.itertuples(index=False), now, strict=True):
        r: Any = rec
        events.append(
            ScoredEvent(
                timestamp=to_datetime(r.timestamp),
                touchpoint=str(r.touchpoint) if has_tp and pd.notna(r.touchpoint) else None,
                moment=str(r.moment),
                outcome=str(r.outcome),
                severity=finite(r.severity) if r.failed else None,
                prior_failures=int(r.prior_failures),
                multiplier=float(r.multiplier),
                contribution=float(r.contribution),
                weight_now=float(value),
                source_id=str(r.source_id) if has_src and pd.notna(r.source_id) else None,
            )
        )
    failed = sub["failed"].to_numpy()
    fails = sub.loc[failed].assign(now_value=now[failed])
    run_id = np.cumsum(fails["prior_failures"].to_numpy() == 0)
    runs = []
    for _, grp in fails.groupby(run_id, sort=True):
        if len(grp) >= 2:
            runs.append(
                CompoundingRun(
                    start=to_datetime(grp["timestamp"].iloc[0]),
                    end=to_datetime(grp["timestamp"].iloc[-1]),
                    failures=len(grp),
                    debit=float(grp["contribution"].sum()),
                    debit_now=float(grp["now_value"].sum()),
                )
            )
    dates = pd.date_range(
        pd.Timestamp(int(sub["ns"].iloc[0]), unit="ns"),
        pd.Timestamp(as_of_ns, unit="ns"),
        periods=max(history_points, 2),
    )
    hist = balance_history(sub, dates)
    return AccountDetail(
        account=str(account),
        as_of=to_datetime(pd.Timestamp(as_of_ns, unit="ns")),
        balance=balance,
        threshold=float(threshold),
        distance=balance - float(threshold),
        below_threshold=balance < threshold,
        events=events,
        largest_debits=_largest_debits(sub, as_of_ns, pd.Index([str(account)]), top_debits).get(
            str(account), []
        ),
        compounding_runs=runs,
        history=[
            BalancePoint(date=to_datetime(d), balance=float(v))
            for d, v in zip(hist.index, hist.iloc[:, 0], strict=True)
        ],
    )


def account_at(
    events: pd.DataFrame,
    params: LedgerParameters,
    weights: Mapping[str, float],
    account: str,
    as_of: Any,
    *,
    accounts: pd.DataFrame | None = None,
) -> AccountDetail:
    """One account's ledger at ``as_of``, against the threshold learned from
    all ``accounts`` (:func:`ledger_report`, then :func:`account_detail`)."""
    report = ledger_report(events, params, weights, as_of, accounts=accounts)
    return account_detail(score_events(events, params, weights), account, as_of, report.threshold)


def alerts_since(
    events: pd.DataFrame,
    params: LedgerParameters,
    weights: Mapping[str, float],
    *,
    since: Any,
    as_of: Any,
    accounts: pd.DataFrame | None = None,
) -> AlertsResult:
    """The accounts that crossed the threshold learned at ``as_of`` between
    ``since`` and ``as_of`` (:func:`ledger_report`, then
    :func:`~cxgap.analysis.ledger.alerts.threshold_alerts` over the accounts
    the report scores)."""
    report = ledger_report(events, params, weights, as_of, accounts=accounts)
    return threshold_alerts(
        score_events(events, params, weights),
        report.threshold,
        since=since,
        as_of=as_of,
        accounts=pd.Index([a.account for a in report.accounts]),
    )
