"""Simulate the landmark reading: coverage, revenue at risk, calibration, artefact.

Usage::

    .venv/bin/python benchmarks/bench_landmark.py --sims 100
    .venv/bin/python benchmarks/bench_landmark.py --sims 100 --accounts 300 --only hazard

Two worlds, each simulated event by event and analysed as cxgap does
(:func:`cxgap.analysis.ledger.risk.ledger_report`):

* ``hazard``: each account has a latent failure rate; its events (one every
  15 days on average, met, exceeded or failed) move its balance, and every 10
  days it leaves with probability ``logistic(A + B * balance)``. The truth for
  the threshold's figures comes from one large population of the same world
  (its landmark sample): the sensitivity, specificity and J the learned
  cut-off achieves there, and its AUC. Reported: (a) coverage of the
  out-of-sample 95% intervals of J, sensitivity, specificity and AUC;
  (b) coverage of the 95% prediction interval of the revenue lost within the
  horizon, against the revenue the simulated accounts actually lost in the
  ``horizon_days`` after the as-of date; the calibration (Brier skill, Cox
  slope, how often its 95% interval holds 1).
* ``drift``: balance unrelated to defection (a constant hazard) but rising
  over time for everyone (failures at onboarding fading). (c) The old reading
  (defectors 30 days before leaving, retained at the as-of date:
  :func:`cxgap.analysis.ledger.threshold.threshold_sample`) against the
  landmark one: the AUC of each, how often each interval excludes 0.5, how
  often a threshold is learned.

Coverage is from one run of ``--sims`` simulations (Monte Carlo SE about
2.2 points at 100); no timing is asserted.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from cxgap.analysis.ledger.balance import balance_history, score_events
from cxgap.analysis.ledger.landmark import landmark_sample
from cxgap.analysis.ledger.risk import ledger_report
from cxgap.analysis.ledger.threshold import delong_auc, threshold_sample
from cxgap.study.model import LedgerParameters

P = LedgerParameters()
W = {"routine": 1.0}
START = pd.Timestamp("2024-01-01")
AS_OF = pd.Timestamp("2025-07-01")
A, B = -6.5, -0.09  # hazard per 10 days: logistic(A + B * balance)
STEP = 10.0


def _events(rng: np.random.Generator, n: int, end: pd.Timestamp, drift: bool) -> pd.DataFrame:
    span = (end - START).days
    counts = rng.poisson(span / 15, n)
    acc = np.repeat(np.arange(n), counts)
    day = rng.uniform(0, span, len(acc))
    if drift:
        p_fail = np.full(len(acc), 0.1)
        first = np.repeat(np.arange(n), 3)
        acc = np.r_[first, acc]
        day = np.r_[rng.uniform(0, 20, len(first)), day]
        p_fail = np.r_[np.ones(len(first)), p_fail]
    else:
        p_fail = rng.beta(2, 8, n)[acc]
    failed = rng.random(len(acc)) < p_fail
    exceeded = ~failed & (rng.random(len(acc)) < 0.2)
    return pd.DataFrame(
        {
            "account_id": [f"A{i:04d}" for i in acc],
            "timestamp": START + pd.to_timedelta(day, unit="D"),
            "moment": "routine",
            "outcome": np.where(failed, "failed", np.where(exceeded, "exceeded", "met")),
            "severity": np.where(failed, rng.integers(1, 4, len(acc)).astype(float), np.nan),
        }
    )


def world(
    rng: np.random.Generator, n: int, *, drift: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events to as-of + horizon and accounts with their simulated defection."""
    end = AS_OF + pd.Timedelta(days=P.horizon_days)
    ev = _events(rng, n, end, drift)
    ids = pd.Index([f"A{i:04d}" for i in range(n)])
    grid = pd.date_range(START, end, freq=f"{STEP:g}D")
    if drift:
        rate = 0.3 / ((AS_OF - START).days / STEP)  # constant, about 30% leave by as-of
        h = np.full((len(grid), n), rate)
    else:
        hist = balance_history(score_events(ev, P, W), grid).reindex(columns=ids, fill_value=0.0)
        h = 1.0 / (1.0 + np.exp(-(A + B * hist.to_numpy())))
    leaves = rng.random(h.shape) < h
    first = np.where(leaves.any(axis=0), leaves.argmax(axis=0), -1)
    at = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    has = first >= 0
    at[has] = grid[first[has]] + pd.to_timedelta(rng.uniform(0, STEP, has.sum()), unit="D")
    cut = at.reindex(ev["account_id"]).to_numpy()
    ev = ev[~(ev["timestamp"].to_numpy() > cut)].reset_index(drop=True)
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "acquired_at": START,
            "defected_at": at.to_numpy(),
            "annual_revenue": rng.integers(10, 200, n) * 1000.0,
        }
    )
    return ev, accounts


def inside(ci: tuple[float, float] | None, x: float) -> float:
    return float("nan") if ci is None else float(ci[0] <= x <= ci[1])


def hazard(n: int, sims: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    ev, acc = world(rng, 16000)  # the truth: SE of its AUC about 0.003
    big = landmark_sample(score_events(ev, P, W), acc, AS_OF, P)
    bb, bd = big["balance"].to_numpy(), big["defected"].to_numpy()
    true_auc = delong_auc(-bb[bd], -bb[~bd])[0]
    rows = []
    for _ in range(sims):
        ev, acc = world(rng, n)
        seen = ev[ev["timestamp"] <= AS_OF]
        known = acc.assign(defected_at=acc["defected_at"].where(acc["defected_at"] <= AS_OF))
        r = ledger_report(seen, P, W, AS_OF, accounts=known)
        t, v = r.threshold_detail, r.threshold_detail.validation
        assert v is not None
        sens = float(np.mean(bb[bd] < t.threshold))
        spec = float(np.mean(bb[~bd] >= t.threshold))
        row = {
            "learned": float(t.method == "youden"),
            "defected_accounts": float(t.defected_accounts or 0),
            "cov_auc": inside(v.auc_ci, true_auc),
            "cov_auc_in_obuchowski": inside(
                (t.auc_ci_low, t.auc_ci_high) if t.auc_ci_low is not None else None,  # type: ignore[arg-type]
                true_auc,
            ),
            "cov_sens": inside(v.sensitivity_ci, sens),
            "cov_spec": inside(v.specificity_ci, spec),
            "cov_j": inside(v.youden_j_ci, sens + spec - 1),
        }
        rar, model = r.revenue_at_risk, r.model
        if rar is not None and rar.revenue_lost_interval is not None:
            left = acc["defected_at"].between(AS_OF, AS_OF + pd.Timedelta(days=P.horizon_days))
            stay = ~(acc["defected_at"] <= AS_OF)
            lost = float(acc.loc[left & stay, "annual_revenue"].sum())
            row["cov_revenue_lost"] = inside(rar.revenue_lost_interval, lost)
            row["expected_over_lost"] = (rar.expected_revenue_loss or 0.0) / max(lost, 1.0)
        if model is not None and model.calibration is not None:
            c = model.calibration
            row["brier_skill"] = c.brier_skill
            row["cox_slope"] = c.calibration_slope if c.calibration_slope is not None else np.nan
            row["cov_cox_slope_1"] = inside(c.calibration_slope_ci, 1.0)
        rows.append(row)
    keys = sorted({k for row in rows for k in row})
    out = {k: float(np.nanmean([row.get(k, np.nan) for row in rows])) for k in keys}
    out["true_auc"] = true_auc
    return out


def drift(n: int, sims: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(sims):
        ev, acc = world(rng, n, drift=True)
        seen = ev[ev["timestamp"] <= AS_OF]
        known = acc.assign(defected_at=acc["defected_at"].where(acc["defected_at"] <= AS_OF))
        old = threshold_sample(score_events(seen, P, W), known, AS_OF, P)
        d, b = old["defected"].to_numpy(), old["balance"].to_numpy()
        auc_old, se_old = delong_auc(-b[d], -b[~d])
        r = ledger_report(seen, P, W, AS_OF, accounts=known)
        t = r.threshold_detail
        rows.append(
            {
                "auc_old": auc_old,
                "old_ci_excludes_half": float(abs(auc_old - 0.5) > 1.96 * (se_old or np.inf)),
                "auc_landmark": t.auc if t.auc is not None else np.nan,
                "landmark_ci_excludes_half": float(
                    t.auc_ci_low is not None
                    and t.auc_ci_high is not None
                    and not t.auc_ci_low <= 0.5 <= t.auc_ci_high
                ),
                "landmark_newcombe_excludes_half": float(
                    t.validation is not None
                    and t.validation.auc_ci is not None
                    and not t.validation.auc_ci[0] <= 0.5 <= t.validation.auc_ci[1]
                ),
                "landmark_learned": float(t.method == "youden"),
            }
        )
    return {k: float(np.nanmean([row[k] for row in rows])) for k in rows[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sims", type=int, default=100)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--only", choices=["hazard", "drift"], default=None)
    args = ap.parse_args()
    for name, fn in (("hazard", hazard), ("drift", drift)):
        if args.only and name != args.only:
            continue
        t0 = time.perf_counter()
        out = fn(args.accounts, args.sims, args.seed)
        print(
            f"\n{name}: {args.accounts} accounts, {args.sims} simulations "
            f"({time.perf_counter() - t0:.0f} s)"
        )
        for k, val in out.items():
            print(f"  {k:26s} {val:.3f}")


if __name__ == "__main__":
    main()
