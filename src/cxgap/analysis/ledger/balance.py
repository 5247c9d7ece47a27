"""The relationship bank account: score interaction events and compute balances.

Every interaction in a moment that matters is a deposit or a withdrawal. The
contribution of event *i* of an account, in moment *m* with weight ``w_m``, is::

    c_i = w_m * (+met                                    if met       (met = 1)
                 +exceeded                               if exceeded  (exceeded = 2)
                 -L * s_i * (1 + step * min(k_i, cap))   if failed)

with loss aversion ``L`` (default 2), severity ``s_i`` in 1-3, and ``k_i`` the
number of earlier failures of the same account within the compounding window
(``0 <= t_i - t_j <= 30`` days by default; events at the same instant count in
file order; step 0.5, cap 4). The balance at time *t* sums every event at or
before *t* with exponential memory::

    B(t) = sum over t_i <= t of  c_i * 0.5 ** ((t - t_i) / h_i)

where the half-life ``h_i`` is 90 days for a credit and 365 days for a debit:
old favours fade faster than old failures. Times are in days.

Everything is vectorised over events (one sort, one merge for the compounding
window, one ``bincount`` per balance); there is no Python loop per event or
per account.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from cxgap.analysis._base import Result
from cxgap.contracts.records import OUTCOMES
from cxgap.errors import AnalysisError
from cxgap.study.model import LedgerParameters

__all__ = [
    "OUTCOMES",
    "AccountBalance",
    "LedgerResult",
    "balance_change",
    "balance_history",
    "balances_at",
    "ledger",
    "score_events",
]

EVENT_COLUMNS: tuple[str, ...] = ("account_id", "timestamp", "moment", "outcome", "severity")
_NS_PER_DAY = 86_400 * 10**9

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _as_ns(values: Any, what: str) -> IntArray:
    """Datetimes as int64 nanoseconds since the epoch (naive, or UTC for aware)."""
    idx = pd.DatetimeIndex(pd.to_datetime(values))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    if idx.hasnans:
        raise AnalysisError(f"{what}: missing or unparseable timestamps")
    return np.asarray(idx.as_unit("ns").asi8, dtype=np.int64)


def _timestamp_ns(value: Any, what: str) -> int:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise AnalysisError(f"{what}: a date is needed")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value)


def to_datetime(value: Any) -> datetime:
    """A timestamp as a Python datetime (microseconds; naive UTC for aware ones)."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if ts.nanosecond:
        ts = ts.floor("us")
    return ts.to_pydatetime()


def _codes(series: pd.Series) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Integer codes and the categories in use (``None`` for unused ones);
    cheap for categorical columns."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = np.asarray(series.cat.codes, dtype=np.intp)
        categories = list(series.cat.categories)
        used = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
        return codes, [c if u else None for c, u in zip(categories, used, strict=True)]
    codes, uniques = pd.factorize(series, sort=False)
    return np.asarray(codes, dtype=np.intp), list(uniques)


def _sort_failures(account: npt.NDArray[np.intp], ns: IntArray) -> npt.NDArray[np.intp]:
    """Stable order of failures by (account, time): file order breaks ties.

    Times are replaced by their rank among the failures' times, so that
    (account, rank) packs into one int64 key and one stable argsort does.
    """
    rank = np.searchsorted(np.sort(ns), ns, side="left").astype(np.int64)
    key = account.astype(np.int64) * (len(ns) + 1) + rank
    return np.argsort(key, kind="stable")


def _prior_failures(account: npt.NDArray[np.intp], ns: IntArray, window_ns: int) -> IntArray:
    """For failures already sorted by (account, time, file order): how many
    earlier failures of the same account lie within ``window_ns`` before each.

    Each failure's window start ``t - window`` is located among the account's
    failures by one ``searchsorted`` on a packed (account, time rank) key; a
    failure exactly ``window_ns`` earlier is inside the window (``0 <= t_i -
    t_j <= window``), and earlier failures at the same instant count.
    """
    m = len(ns)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    times = np.sort(ns)
    base = account.astype(np.int64) * (m + 1)
    keys = base + np.searchsorted(times, ns, side="left")  # sorted: input is sorted
    starts = base + np.searchsorted(times, ns - window_ns, side="left")
    before_start = np.searchsorted(keys, starts, side="left")
    return np.arange(m, dtype=np.int64) - before_start


def score_events(
    events: pd.DataFrame,
    params: LedgerParameters,
    moment_weights: Mapping[str, float],
) -> pd.DataFrame:
    """Score each interaction event: its contribution to the account's balance.

    Parameters
    ----------
    events : pandas.DataFrame
        One row per event with ``account_id``, ``timestamp``, ``moment``,
        ``outcome`` (``exceeded``, ``met``, ``failed``) and ``severity``
        (1-3, used for failures only). Other columns are kept. Row order is
        the file order used to break ties at the same instant.
    params : LedgerParameters
        The ledger parameters (``StudyDefinition.ledger``).
    moment_weights : Mapping[str, float]
        Weight ``w_m`` of each moment key (``study.moments[*].weight``).

    Returns
    -------
    pandas.DataFrame
        The events in their original order with added columns ``weight``
        (``w_m``), ``prior_failures`` (``k``, 0 for credits), ``multiplier``
        (compounding factor, 1 for credits), ``contribution`` (``c_i``),
        ``half_life_days``, ``ns`` (the timestamp as int64 nanoseconds) and
        ``failed`` (bool).

    Raises
    ------
    AnalysisError
        On missing columns, unknown moments or outcomes, missing timestamps,
        or a failure without a severity from 1 to 3.

    References
    ----------
    Covey, S. R. (1989). *The 7 Habits of Highly Effective People*, the
    "emotional bank account". Kahneman, D. & Tversky, A. (1979). Prospect
    theory: an analysis of decision under risk. *Econometrica* 47(2), 263-291
    (loss aversion, ``L`` about 2). Compounding and memory as specified in
    ``docs/LEDGER.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({
    ...     "account_id": ["a", "a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-10", "2025-01-20"]),
    ...     "moment": ["routine", "problem_resolution", "problem_resolution"],
    ...     "outcome": ["met", "failed", "failed"],
    ...     "severity": [None, 1, 2],
    ... })
    >>> w = {"routine": 0.5, "problem_resolution": 2.5}
    >>> score_events(ev, LedgerParameters(), w)["contribution"].tolist()
    [0.5, -5.0, -15.0]
    """
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise AnalysisError(f"events: missing column(s) {', '.join(missing)}")
    n = len(events)
    ns = _as_ns(events["timestamp"], "events")

    moment_codes, moments = _codes(events["moment"])
    unknown = [str(m) for m in moments if m is not None and m not in moment_weights]
    if unknown or (moment_codes < 0).any():
        shown = ", ".join(sorted(unknown)[:5]) or "a missing moment"
        raise AnalysisError(f"events: unknown moment(s) {shown}")
    weight = np.asarray(
        [float(moment_weights[str(m)]) if m is not None else 0.0 for m in moments],
        dtype=np.float64,
    )[moment_codes]

    outcome_codes, outcomes = _codes(events["outcome"])
    bad = [str(o) for o in outcomes if o is not None and o not in OUTCOMES]
    if bad or (outcome_codes < 0).any():
        shown = ", ".join(sorted(bad)[:5]) or "a missing outcome"
        raise AnalysisError(f"events: unknown outcome(s) {shown}; expected {', '.join(OUTCOMES)}")
    kind = np.asarray(
        [OUTCOMES.index(str(o)) if o is not None else 1 for o in outcomes], dtype=np.int8
    )[outcome_codes]
    failed = kind == 2

    severity = pd.to_numeric(events["severity"], errors="coerce").to_numpy(dtype=np.float64)
    sev_failed = severity[failed]
    if not np.all((sev_failed >= 1) & (sev_failed <= 3)):
        raise AnalysisError("events: every failure needs a severity from 1 to 3")

    account_codes, _ = _codes(events["account_id"])
    if (account_codes < 0).any():
        raise AnalysisError("events: every event needs an account_id")

    # Compounding: failures in (account, time, file order).
    fail_idx = np.flatnonzero(failed)
    fail_sorted = fail_idx[_sort_failures(account_codes[fail_idx], ns[fail_idx])]
    window_ns = round(params.compounding_window_days * _NS_PER_DAY)
    k_sorted = _prior_failures(account_codes[fail_sorted], ns[fail_sorted], window_ns)
    prior = np.zeros(n, dtype=np.int64)
    prior[fail_sorted] = k_sorted
    multiplier = 1.0 + params.compounding_step * np.minimum(prior, params.compounding_cap)

    base = np.where(kind == 0, params.exceeded, params.met).astype(np.float64)
    base[failed] = -params.loss_aversion * sev_failed * multiplier[failed]
    contribution = weight * base
    half_life = np.where(
        contribution >= 0, params.credit_half_life_days, params.debit_half_life_days
    )
    added = pd.DataFrame(
        {
            "weight": weight,
            "prior_failures": prior,
            "multiplier": np.where(failed, multiplier, 1.0),
            "contribution": contribution,
            "half_life_days": half_life,
            "ns": ns,
            "failed": failed,
        },
        index=events.index,
        copy=False,
    )
    out = pd.concat([events.drop(columns=list(added.columns), errors="ignore"), added], axis=1)
    return out


def _decayed(scored: pd.DataFrame, eval_ns: IntArray) -> FloatArray:
    """Each event's contribution decayed to its evaluation time (0 if later)."""
    age_days = (eval_ns - scored["ns"].to_numpy()) / _NS_PER_DAY
    factor = np.exp2(-np.maximum(age_days, 0.0) / scored["half_life_days"].to_numpy())
    value = scored["contribution"].to_numpy() * factor
    return np.where(age_days >= 0, value, 0.0)


def balances_at(
    scored: pd.DataFrame,
    as_of: Any,
    *,
    accounts: pd.Index | None = None,
) -> pd.DataFrame:
    """Balance of every account at one date, or at a date per account.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`score_events`.
    as_of : datetime-like or pandas.Series
        One evaluation time for every account, or a Series indexed by
        ``account_id`` giving each account its own evaluation time (used for
        defected accounts: their balance some days before they left).
    accounts : pandas.Index, optional
        Accounts to report; accounts without events get balance 0. Default:
        the accounts in ``scored`` (or the index of ``as_of`` when a Series).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``account_id``: ``balance`` (:math:`B(t)`), ``credits``
        and ``debits`` (the decayed positive and negative parts), ``events``
        and ``failures`` (counts at or before the evaluation time).

    References
    ----------
    The memory formula is in the module docstring and ``docs/LEDGER.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({"account_id": ["a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...     "moment": ["routine", "routine"], "outcome": ["met", "failed"],
    ...     "severity": [None, 1]})
    >>> s = score_events(ev, LedgerParameters(), {"routine": 1.0})
    >>> balances_at(s, "2025-04-01")["balance"].round(3).tolist()  # 90 days: a credit halves
    [0.5, -1.686]
    """
    if isinstance(as_of, pd.Series):
        eval_by_account = pd.Series(_as_ns(as_of.to_numpy(), "as_of"), index=as_of.index)
        if accounts is None:
            accounts = pd.Index(as_of.index)
    else:
        eval_by_account = None
    if accounts is None:
        accounts = pd.Index(pd.unique(scored["account_id"]))
    accounts = pd.Index(accounts, name="account_id")
    codes = accounts.get_indexer(pd.Index(scored["account_id"]))
    keep = codes >= 0
    sub = scored.loc[keep] if not keep.all() else scored
    codes = codes[keep]
    if eval_by_account is None:
        eval_ns = np.full(len(sub), _timestamp_ns(as_of, "as_of"), dtype=np.int64)
    else:
        per_account = eval_by_account.reindex(accounts)
        if per_account.isna().any():
            raise AnalysisError("as_of: an evaluation date is needed for every account")
        eval_ns = per_account.to_numpy(dtype=np.int64)[codes]
    value = _decayed(sub, eval_ns)
    seen = eval_ns >= sub["ns"].to_numpy()
    failed = sub["failed"].to_numpy() & seen
    size = len(accounts)
    return pd.DataFrame(
        {
            "balance": np.bincount(codes, weights=value, minlength=size),
            "credits": np.bincount(codes, weights=np.maximum(value, 0.0), minlength=size),
            "debits": np.bincount(codes, weights=np.minimum(value, 0.0), minlength=size),
            "events": np.bincount(codes, weights=seen, minlength=size).astype(np.int64),
            "failures": np.bincount(codes, weights=failed, minlength=size).astype(np.int64),
        },
        index=accounts,
    )


def balance_change(
    scored: pd.DataFrame,
    as_of: Any,
    *,
    days: float = 90.0,
    accounts: pd.Index | None = None,
) -> pd.DataFrame:
    """Each account's balance at ``as_of``, ``days`` before it, and the change.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`score_events`.
    as_of : datetime-like
        The evaluation date.
    days : float
        How far back the earlier balance is read (default 90 days).
    accounts : pandas.Index, optional
        Accounts to report; accounts without events get balance 0 (and no
        last event). Default: the accounts in ``scored``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``account_id``: ``balance`` (:math:`B(t)` at ``as_of``),
        ``balance_before`` (:math:`B(t - days)`), ``change`` (their
        difference: the trend over ``days``), ``events`` (count at or before
        ``as_of``) and ``last_event`` (the time of the account's last event
        at or before ``as_of``, NaT for none).

    References
    ----------
    Both balances are :func:`balances_at`; the memory formula is in the
    module docstring and ``docs/LEDGER.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({"account_id": ["a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-03-01"]),
    ...     "moment": ["routine"] * 2, "outcome": ["exceeded", "failed"], "severity": [None, 1]})
    >>> s = score_events(ev, LedgerParameters(), {"routine": 1.0})
    >>> t = balance_change(s, "2025-04-01", days=90)
    >>> t[["balance_before", "change"]].round(3).values.tolist()  # 2025-01-01: +2 that day
    [[2.0, -2.886]]
    """
    if days < 0:
        raise AnalysisError(f"days: the trend looks back 0 days or more, not {days}")
    as_of_ns = _timestamp_ns(as_of, "as_of")
    now = balances_at(scored, as_of, accounts=accounts)
    before = balances_at(
        scored, pd.Timestamp(as_of_ns, unit="ns") - pd.Timedelta(days=days), accounts=now.index
    )
    ns = scored["ns"].to_numpy()
    seen = scored.loc[ns <= as_of_ns]
    last = pd.to_datetime(seen.groupby("account_id", sort=False, observed=True)["ns"].max())
    return pd.DataFrame(
        {
            "balance": now["balance"],
            "balance_before": before["balance"],
            "change": now["balance"] - before["balance"],
            "events": now["events"],
            "last_event": last.reindex(now.index),
        },
        index=now.index,
    )


def balance_history(scored: pd.DataFrame, dates: Any) -> pd.DataFrame:
    """Balances of every account over a grid of dates.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`score_events` (filter it to one account for one
        account's history).
    dates : sequence of datetime-like
        Evaluation dates.

    Returns
    -------
    pandas.DataFrame
        One row per date (index ``date``), one column per account: the
        balance :math:`B(t)` at that date.

    References
    ----------
    The memory formula is in the module docstring and ``docs/LEDGER.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({"account_id": ["a"], "timestamp": [pd.Timestamp("2025-01-01")],
    ...     "moment": ["routine"], "outcome": ["exceeded"], "severity": [None]})
    >>> s = score_events(ev, LedgerParameters(), {"routine": 1.0})
    >>> balance_history(s, ["2024-12-31", "2025-01-01", "2025-06-30"])["a"].tolist()
    [0.0, 2.0, 0.5]
    """
    index = pd.DatetimeIndex(pd.to_datetime(list(dates)), name="date")
    accounts = pd.Index(pd.unique(scored["account_id"]), name="account_id")
    rows = [balances_at(scored, d, accounts=accounts)["balance"].to_numpy() for d in index]
    data = np.vstack(rows) if rows else np.zeros((0, len(accounts)))
    return pd.DataFrame(data, index=index, columns=accounts)


class AccountBalance(Result):
    """One account's balance at the as-of date."""

    account: str
    balance: float
    credits: float
    debits: float
    events: int
    failures: int


class LedgerResult(Result):
    """Balances of every account at one date."""

    as_of: datetime
    n_events: int
    n_accounts: int
    parameters: dict[str, float]
    accounts: list[AccountBalance]


def ledger(
    events: pd.DataFrame,
    params: LedgerParameters,
    moment_weights: Mapping[str, float],
    as_of: Any,
) -> LedgerResult:
    """Score events and return every account's balance at ``as_of``.

    Parameters
    ----------
    events : pandas.DataFrame
        Interaction events (see :func:`score_events`).
    params : LedgerParameters
        The ledger parameters.
    moment_weights : Mapping[str, float]
        Weight of each moment key.
    as_of : datetime-like
        The evaluation date.

    Returns
    -------
    LedgerResult
        ``as_of``, ``n_events`` (events at or before ``as_of``), the
        parameters used, and one :class:`AccountBalance` per account, lowest
        balance first.

    References
    ----------
    See :func:`score_events`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study.model import LedgerParameters
    >>> ev = pd.DataFrame({"account_id": ["a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...     "moment": ["routine", "routine"], "outcome": ["met", "failed"],
    ...     "severity": [None, 3]})
    >>> r = ledger(ev, LedgerParameters(), {"routine": 1.0}, "2025-01-01")
    >>> [(a.account, a.balance) for a in r.accounts]
    [('b', -6.0), ('a', 1.0)]
    """
    scored = score_events(events, params, moment_weights)
    table = balances_at(scored, as_of).sort_values("balance", kind="stable")
    return LedgerResult(
        as_of=to_datetime(as_of),
        n_events=int(table["events"].sum()),
        n_accounts=len(table),
        parameters={k: float(v) for k, v in params.model_dump().items()},
        accounts=[
            AccountBalance(
                account=str(acc),
                balance=float(bal),
                credits=float(cre),
                debits=float(deb),
                events=int(n_ev),
                failures=int(n_fail),
            )
            for acc, bal, cre, deb, n_ev, n_fail in zip(
                table.index,
                table["balance"].to_numpy(),
                table["credits"].to_numpy(),
                table["debits"].to_numpy(),
                table["events"].to_numpy(),
                table["failures"].to_numpy(),
                strict=True,
            )
        ],
    )
