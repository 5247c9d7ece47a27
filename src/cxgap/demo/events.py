"""Interaction events of the demo company, for the relationship bank account.

:func:`generate_events` draws about 2.5 events per account per month between
``start`` and ``end`` (from the account's ``acquired_at`` if later; top
accounts 1.5 times as many), each in a (touchpoint, moment) cell of the study,
with these **planted effects** that the analyses should recover:

1. **Hot spot: support x problem_resolution.** Failure probability 0.30
   against about 0.08 in ordinary cells.
2. **Second hot spot: implementation x implementation for new accounts.**
   Failure probability 0.45 for accounts of segment ``new`` (0.12 for others).
3. **Defected accounts.** No events after ``defected_at``. 85% of them (the
   rest leave for reasons the ledger cannot see, e.g. price) get a cluster of
   Poisson(14) extra events in the 180 days before they leave, 80% of them
   failures with higher severities, in support, account management and
   implementation. Their ordinary failure rate is higher too: 1.5 times, or,
   when the demo passes each account's latent ``experience``, through the
   account's experience (log-odds ``-EXPERIENCE_SLOPE`` per point), which is
   what made them leave; support events improve after ``improvement_from``. So
   their balance 30 days before they leave sits below the learned threshold
   (most of them; the AUC of the balance is high but not 1).
4. **At-risk retained accounts.** About 8% of the retained accounts get the
   same kind of failure cluster in the last 120 days before ``end``: they are
   the ones the ledger should flag now.
5. **Costs.** Every failure carries a cost (rework, credits, concessions),
   log-normal around 150 x severity (x 2 in implementation, x 1.5 in
   billing); other events cost 0.

``source_system`` is ``helpdesk`` for support events, ``billing`` for billing
events and ``crm`` for the rest; ``source_id`` is ``EV-000001``, ... in time
order. Everything is vectorised over events, so a 100x larger company stays
fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxgap.contracts.records import EVENT_COLUMNS
from cxgap.study.model import StudyDefinition

__all__ = ["EVENT_COLUMNS", "generate_events"]


# (touchpoint, moment, share of ordinary events, failure probability)
_CELLS: tuple[tuple[str, str, float, float], ...] = (
    ("support", "problem_resolution", 0.16, 0.30),
    ("support", "routine", 0.14, 0.06),
    ("support", "knowledge", 0.05, 0.08),
    ("implementation", "implementation", 0.08, 0.12),
    ("implementation", "knowledge", 0.04, 0.08),
    ("account_management", "proactive", 0.08, 0.10),
    ("account_management", "adding_value", 0.07, 0.08),
    ("account_management", "routine", 0.08, 0.05),
    ("billing", "routine", 0.12, 0.07),
    ("sales", "knowledge", 0.05, 0.06),
    ("sales", "routine", 0.04, 0.05),
    ("product", "knowledge", 0.05, 0.08),
    ("product", "adding_value", 0.04, 0.10),
)
_NEW_IMPLEMENTATION_FAILURE = 0.45
# cells of the failure clusters before defection / at-risk accounts
_CLUSTER_CELLS: tuple[tuple[str, str, float], ...] = (
    ("support", "problem_resolution", 0.45),
    ("account_management", "proactive", 0.25),
    ("implementation", "implementation", 0.15),
    ("billing", "routine", 0.15),
)
_NOTES_FAILED = (
    "Escalated: no reply within SLA",
    "Fix did not hold; ticket reopened",
    "Go-live date missed",
    "Invoice error; credit issued",
    "Promised call-back did not happen",
)
_NOTES_OK = ("Resolved first time", "Quarterly review held", "Routine request handled")
_NOTES_EXCEEDED = ("Proactive fix before customer noticed", "Shared a useful benchmark")
_DAY_NS = 86_400 * 10**9
#: log-odds of an ordinary event failing per point of the account's
#: (worse) latent experience
EXPERIENCE_SLOPE = 1.6


def _cells(study: StudyDefinition) -> tuple[list[tuple[str, str, float, float]], bool]:
    tps = {t.key for t in study.touchpoints}
    moments = {m.key for m in study.moments}
    cells = [c for c in _CELLS if c[0] in tps and c[1] in moments]
    if cells:
        return cells, True
    # a study without the default keys: every touchpoint x moment, alike
    return [(t, m, 1.0, 0.08) for t in sorted(tps) for m in sorted(moments)], False


def generate_events(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    study: StudyDefinition,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    experience: np.ndarray | None = None,
    improvement_from: pd.Timestamp | None = None,
    improvement: float = 0.0,
) -> pd.DataFrame:
    """Interaction events of the demo accounts between ``start`` and ``end``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The demo's random generator (same seed, same events).
    accounts : pandas.DataFrame
        ``account_id``, ``segment``, ``acquired_at`` and ``defected_at``
        (NaT when retained).
    study : StudyDefinition
        Touchpoints and moments to use.
    start, end : pandas.Timestamp
        The period of the events.
    experience : numpy.ndarray, optional
        Each account's latent experience (deviation from the mean, 1-5
        scale). When given, it drives the failure rate of its ordinary
        events: log-odds ``- EXPERIENCE_SLOPE x experience`` (worse
        experience, more failures), in place of the flat 1.5 x for defected
        accounts.
    improvement_from, improvement : optional
        From this date the experience of support events improves by
        ``improvement`` (the action plan took effect).

    Returns
    -------
    pandas.DataFrame
        Columns ``account_id, timestamp, touchpoint, moment, outcome,
        severity, source_id, source_system, cost, note``, in time order.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxgap.study import default_study
    >>> acc = pd.DataFrame({"account_id": ["A1", "A2"], "segment": ["top", "new"],
    ...     "acquired_at": pd.to_datetime(["2020-01-01", "2025-03-01"]),
    ...     "defected_at": pd.to_datetime([None, None])})
    >>> ev = generate_events(np.random.default_rng(1), acc, default_study("demo",
    ...     organisation="X"), start=pd.Timestamp("2025-01-01"), end=pd.Timestamp("2026-06-30"))
    >>> bool(ev["timestamp"].between("2025-01-01", "2026-06-30").all()), ev["source_id"].iloc[0]
    (True, 'EV-000001')
    """
    start_ns = int(pd.Timestamp(start).as_unit("ns").value)
    end_ns = int(pd.Timestamp(end).as_unit("ns").value)
    n_acc = len(accounts)
    ids = accounts["account_id"].astype(str).to_numpy()
    segment = accounts["segment"].astype(str).to_numpy()
    acquired = pd.to_datetime(accounts["acquired_at"]).dt.as_unit("ns")
    defected_at = pd.to_datetime(accounts["defected_at"]).dt.as_unit("ns")
    acq_ns = np.where(acquired.isna(), start_ns, acquired.to_numpy().view(np.int64))
    is_defected = defected_at.notna().to_numpy() & (defected_at.to_numpy().view(np.int64) <= end_ns)
    def_ns = np.where(is_defected, defected_at.to_numpy().view(np.int64), end_ns)
    lo = np.maximum(acq_ns, start_ns)
    hi = np.where(is_defected, def_ns - _DAY_NS, end_ns)
    span = np.maximum(hi - lo, 0)
    days = span / _DAY_NS

    rate = np.where(segment == "top", 1.5, 1.0) * 2.5 / 30.4
    n_ordinary = rng.poisson(rate * days)
    # failure clusters: 85% of defected accounts; about 8% of retained ones
    clustered_defected = is_defected & (rng.random(n_acc) < 0.85)
    at_risk = ~is_defected & (rng.random(n_acc) < 0.08) & (days > 150)
    n_cluster = np.where(clustered_defected | at_risk, rng.poisson(14, n_acc), 0)
    n_cluster = np.where(span > 0, n_cluster, 0)
    cluster_len = np.where(clustered_defected, 180.0, 120.0) * _DAY_NS
    cluster_lo = np.maximum(hi - cluster_len, lo)

    cells, default_cells = _cells(study)
    share = np.array([c[2] for c in cells])
    share /= share.sum()
    p_fail_cell = np.array([c[3] for c in cells])

    # ordinary events
    acc_o = np.repeat(np.arange(n_acc), n_ordinary)
    t_o = lo[acc_o] + (rng.random(len(acc_o)) * span[acc_o]).astype(np.int64)
    cell_o = rng.choice(len(cells), size=len(acc_o), p=share)
    p_fail = p_fail_cell[cell_o].copy()
    if default_cells:
        impl = np.array([c[0] == "implementation" and c[1] == "implementation" for c in cells])
        new_impl = impl[cell_o] & (segment[acc_o] == "new")
        p_fail[new_impl] = _NEW_IMPLEMENTATION_FAILURE
    if experience is None:
        p_fail = np.minimum(p_fail * np.where(is_defected[acc_o], 1.5, 1.0), 0.95)
    else:
        dev = np.asarray(experience, dtype=float)[acc_o]
        if improvement_from is not None and improvement:
            from_ns = int(pd.Timestamp(improvement_from).as_unit("ns").value)
            support = np.array([c[0] == "support" for c in cells])[cell_o]
            dev = dev + improvement * (support & (t_o >= from_ns))
        logit = np.log(p_fail / (1 - p_fail)) - EXPERIENCE_SLOPE * dev
        p_fail = np.minimum(1 / (1 + np.exp(-logit)), 0.95)
    sev_o = rng.choice([1.0, 2.0, 3.0], size=len(acc_o), p=[0.5, 0.35, 0.15])

    # failure clusters
    acc_c = np.repeat(np.arange(n_acc), n_cluster)
    t_c = cluster_lo[acc_c] + (rng.random(len(acc_c)) * (hi - cluster_lo)[acc_c]).astype(np.int64)
    if default_cells:
        keys = [(c[0], c[1]) for c in cells]
        pool = [(keys.index((t, m)), w) for t, m, w in _CLUSTER_CELLS if (t, m) in keys]
        idx = np.array([i for i, _ in pool])
        w = np.array([x for _, x in pool])
        cell_c = idx[rng.choice(len(idx), size=len(acc_c), p=w / w.sum())]
    else:
        cell_c = rng.choice(len(cells), size=len(acc_c))
    p_fail_c = np.full(len(acc_c), 0.8)
    sev_c = rng.choice([1.0, 2.0, 3.0], size=len(acc_c), p=[0.3, 0.4, 0.3])

    acc = np.concatenate([acc_o, acc_c])
    t = np.concatenate([t_o, t_c])
    t = (t // 10**9) * 10**9  # whole seconds
    cell = np.concatenate([cell_o, cell_c])
    failed = rng.random(len(acc)) < np.concatenate([p_fail, p_fail_c])
    exceeded = ~failed & (rng.random(len(acc)) < 0.15)
    outcome = np.where(failed, "failed", np.where(exceeded, "exceeded", "met"))
    severity = np.where(failed, np.concatenate([sev_o, sev_c]), np.nan)

    touchpoint = np.array([c[0] for c in cells], dtype=object)[cell]
    moment = np.array([c[1] for c in cells], dtype=object)[cell]
    factor = np.where(
        touchpoint == "implementation", 2.0, np.where(touchpoint == "billing", 1.5, 1.0)
    )
    raw_cost = rng.lognormal(mean=np.log(150.0), sigma=0.6, size=len(acc))
    cost = np.where(failed, np.round(raw_cost * factor * np.nan_to_num(severity), 2), 0.0)
    source_system = np.where(
        touchpoint == "support", "helpdesk", np.where(touchpoint == "billing", "billing", "crm")
    )
    note_pick = rng.integers(0, 1_000_000, size=len(acc))
    note = np.where(
        failed,
        np.array(_NOTES_FAILED, dtype=object)[note_pick % len(_NOTES_FAILED)],
        np.where(
            exceeded,
            np.array(_NOTES_EXCEEDED, dtype=object)[note_pick % len(_NOTES_EXCEEDED)],
            np.array(_NOTES_OK, dtype=object)[note_pick % len(_NOTES_OK)],
        ),
    )

    order = np.lexsort((acc, t))
    n = len(order)
    return pd.DataFrame(
        {
            "account_id": ids[acc[order]].astype(object),
            "timestamp": pd.to_datetime(t[order], unit="ns"),
            "touchpoint": touchpoint[order],
            "moment": moment[order],
            "outcome": outcome[order].astype(object),
            "severity": severity[order],
            "source_id": np.char.add(
                "EV-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)
            ).astype(object)
            if n
            else np.array([], dtype=object),
            "source_system": source_system[order].astype(object),
            "cost": cost[order],
            "note": note[order],
        },
        columns=list(EVENT_COLUMNS),
    )
