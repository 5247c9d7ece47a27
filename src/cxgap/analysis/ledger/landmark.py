"""Defectors and retained accounts read at the same times: landmark dates.

Every account's balance is read on the same calendar days, the landmarks,
every ``landmark_step_days`` (default 30) from the first date with one step
of history after the first event, up to ``as_of - horizon_days`` (default 90),
so that each landmark's follow-up ends by the as-of date. The landmarks are
laid backwards from ``as_of - horizon_days``, so the last one has exactly a
full horizon. An account counts at a landmark when it was acquired on or
before it (``acquired_at``, or its first event when ``acquired_at`` is not
given) and had not defected by then; its label is whether it defected within
``horizon_days`` after the landmark. An account therefore gives one row per
landmark it was a customer at: rows of one account are correlated, so
cross-validation and the bootstrap resample accounts, not rows.

Reading defectors some days before they left and retained accounts at the
as-of date (:func:`cxgap.analysis.ledger.threshold.threshold_sample`) makes
the two groups differ by when they were read: with balances drifting over
time, that alone separates them. At a landmark every account is read on the
same day, so only what the balance says about the next ``horizon_days``
separates them (``benchmarks/bench_landmark.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxgap.analysis._base import Result
from cxgap.analysis.ledger.balance import _NS_PER_DAY, balances_at, to_datetime
from cxgap.errors import AnalysisError
from cxgap.study.model import LedgerParameters

__all__ = ["SampleInfo", "landmark_dates", "landmark_sample", "sample_info"]


class SampleInfo(Result):
    """How the sample the threshold and the risk model learn from was built."""

    method: Literal["landmark", "none"]
    description: str
    step_days: float
    horizon_days: float
    landmarks: int
    first_landmark: datetime | None = None
    last_landmark: datetime | None = None
    rows: int
    accounts: int
    defections: int
    defected_accounts: int


def _days(x: float) -> pd.Timedelta:
    return pd.Timedelta(round(x * _NS_PER_DAY), unit="ns")


def landmark_dates(first: Any, as_of: Any, params: LedgerParameters) -> pd.DatetimeIndex:
    """The landmark dates between ``first`` (the first event) and ``as_of``.

    Parameters
    ----------
    first, as_of : datetime-like
        The first event's time and the as-of date.
    params : LedgerParameters
        ``landmark_step_days`` and ``horizon_days``.

    Returns
    -------
    pandas.DatetimeIndex
        Ascending; the last is ``as_of - horizon_days``, each one
        ``landmark_step_days`` before the next, none earlier than one step
        after ``first``. Empty when the history is shorter than a step plus
        the horizon.

    References
    ----------
    van Houwelingen, H. C. (2007). Dynamic prediction by landmarking in event
    history analysis. *Scandinavian Journal of Statistics* 34(1), 70-85.

    Examples
    --------
    >>> [str(d.date()) for d in landmark_dates("2025-01-01", "2025-07-01", LedgerParameters())]
    ['2025-02-01', '2025-03-03', '2025-04-02']
    """
    start = pd.Timestamp(first) + _days(params.landmark_step_days)
    last = pd.Timestamp(as_of) - _days(params.horizon_days)
    if last < start:
        return pd.DatetimeIndex([])
    step = _days(params.landmark_step_days)
    count = int((last - start) // step)
    return pd.DatetimeIndex([last - step * i for i in range(count, -1, -1)])


def landmark_sample(
    scored: pd.DataFrame,
    accounts: pd.DataFrame,
    as_of: Any,
    params: LedgerParameters,
) -> pd.DataFrame:
    """Every account's balance at every landmark it was a customer at.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`cxgap.analysis.ledger.balance.score_events`.
    accounts : pandas.DataFrame
        ``account_id``, ``defected_at`` (NaT when retained) and optionally
        ``acquired_at``.
    as_of : datetime-like
        The as-of date; defections after it count as retained.
    params : LedgerParameters
        ``landmark_step_days`` and ``horizon_days``.

    Returns
    -------
    pandas.DataFrame
        One row per account and landmark: ``account_id``, ``landmark``,
        ``balance`` (with ``events`` and ``failures``), and ``defected``:
        whether the account defected within ``horizon_days`` after the
        landmark.

    References
    ----------
    van Houwelingen (2007), see :func:`landmark_dates`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.analysis.ledger.balance import score_events
    >>> ev = pd.DataFrame({"account_id": ["a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...     "moment": ["routine"] * 2, "outcome": ["met", "failed"], "severity": [None, 2]})
    >>> acc = pd.DataFrame({"account_id": ["a", "b"],
    ...     "defected_at": pd.to_datetime([None, "2025-04-15"])})
    >>> s = landmark_sample(score_events(ev, LedgerParameters(), {"routine": 1.0}), acc,
    ...     "2025-07-01", LedgerParameters())
    >>> s[["account_id", "defected"]].values.tolist()
    [['a', False], ['b', True], ['a', False], ['b', True], ['a', False], ['b', True]]
    """
    if "account_id" not in accounts.columns or "defected_at" not in accounts.columns:
        raise AnalysisError("accounts: columns account_id and defected_at are needed")
    as_of_ts = pd.Timestamp(as_of)
    index = pd.Index(accounts["account_id"].astype(str), name="account_id")
    if index.has_duplicates:
        raise AnalysisError("accounts: each account_id once")
    defected_at = pd.to_datetime(accounts["defected_at"]).set_axis(index)
    defected_at = defected_at.where(defected_at <= as_of_ts)
    ids = scored["account_id"].astype(str)
    first_event = pd.Series(scored["timestamp"].to_numpy(), index=ids).groupby(level=0).min()
    acquired = first_event.reindex(index)
    if "acquired_at" in accounts.columns:
        given = pd.to_datetime(accounts["acquired_at"]).set_axis(index)
        acquired = given.where(given.notna(), acquired)
    columns = ["account_id", "landmark", "balance", "credits", "debits", "events", "failures"]
    if scored.empty:
        return pd.DataFrame({c: [] for c in [*columns, "defected"]})
    dates = landmark_dates(scored["timestamp"].min(), as_of_ts, params)
    horizon = _days(params.horizon_days)
    parts = []
    for day in dates:
        at_risk = (acquired <= day) & ~(defected_at <= day)
        members = index[at_risk.to_numpy()]
        if len(members) == 0:
            continue
        table = balances_at(scored, day, accounts=members)
        table = table.reset_index()
        table.insert(1, "landmark", day)
        leaves = defected_at.reindex(members).to_numpy()
        table["defected"] = (leaves > np.datetime64(day)) & (leaves <= np.datetime64(day + horizon))
        parts.append(table)
    if not parts:
        return pd.DataFrame({c: [] for c in [*columns, "defected"]})
    out = pd.concat(parts, ignore_index=True)
    out["defected"] = out["defected"].astype(bool)
    return out


def sample_info(sample: pd.DataFrame, params: LedgerParameters) -> SampleInfo:
    """Describe a :func:`landmark_sample` in words and counts."""
    step, horizon = params.landmark_step_days, params.horizon_days
    if sample.empty:
        return SampleInfo(
            method="none",
            description=(
                f"no landmark date: the history is shorter than one step ({step:g} days) "
                f"plus the horizon ({horizon:g} days), or no account was a customer at one"
            ),
            step_days=step,
            horizon_days=horizon,
            landmarks=0,
            rows=0,
            accounts=0,
            defections=0,
            defected_accounts=0,
        )
    lms = pd.DatetimeIndex(sample["landmark"].unique()).sort_values()
    d = sample["defected"].to_numpy(dtype=bool)
    ids = sample["account_id"]
    return SampleInfo(
        method="landmark",
        description=(
            f"every account's balance at {len(lms)} landmark date(s), one every {step:g} days "
            f"from {lms[0]:%Y-%m-%d} to {lms[-1]:%Y-%m-%d}; an account counts at each landmark "
            f"it was a customer at, labelled defected when it left within {horizon:g} days "
            "after it (van Houwelingen 2007); accounts, not rows, are resampled"
        ),
        step_days=step,
        horizon_days=horizon,
        landmarks=len(lms),
        first_landmark=to_datetime(lms[0]),
        last_landmark=to_datetime(lms[-1]),
        rows=len(sample),
        accounts=int(ids.nunique()),
        defections=int(d.sum()),
        defected_accounts=int(ids[d].nunique()),
    )
