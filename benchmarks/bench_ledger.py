"""Benchmark the ledger scoring against a straightforward pandas implementation.

Usage::

    .venv/bin/python benchmarks/bench_ledger.py --events 1000000 --accounts 10000
    .venv/bin/python benchmarks/bench_ledger.py --events 10000000 --accounts 100000

Prints the time and peak memory of the vectorised path (score every event,
then every account's balance at one date) and of a baseline that groups by
account and applies a Python function per account (a loop over its events).
The baseline runs on a sample of accounts and is extrapolated by event count
when the sample is smaller than the whole (said in the output). Both give the
same balances on the sample (checked).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections import deque

import numpy as np
import pandas as pd

from cxgap.analysis.ledger.balance import balances_at, score_events
from cxgap.study.defaults import MOMENTS
from cxgap.study.model import LedgerParameters

WEIGHTS = {m.key: m.weight for m in MOMENTS}
PARAMS = LedgerParameters()
START = pd.Timestamp("2025-01-01")
AS_OF = pd.Timestamp("2026-07-01")


def make_events(n_events: int, n_accounts: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = pd.Index([f"ACC-{i:07d}" for i in range(n_accounts)])
    codes = rng.integers(0, n_accounts, n_events).astype(np.int32)
    span_s = int((AS_OF - START).total_seconds())
    seconds = rng.integers(0, span_s, n_events)
    outcome_codes = rng.choice(3, n_events, p=[0.15, 0.7, 0.15]).astype(np.int8)
    moments = list(WEIGHTS)
    return pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(codes, categories=names),
            "timestamp": START + pd.to_timedelta(seconds, unit="s"),
            "moment": pd.Categorical.from_codes(
                rng.integers(0, len(moments), n_events).astype(np.int8), categories=moments
            ),
            "outcome": pd.Categorical.from_codes(
                outcome_codes, categories=["exceeded", "met", "failed"]
            ),
            "severity": np.where(outcome_codes == 2, rng.integers(1, 4, n_events), np.nan),
        }
    )


def baseline_account(group: pd.DataFrame) -> float:
    """The straightforward way: sort one account's events and walk them."""
    g = group.sort_values("timestamp", kind="stable")
    window = pd.Timedelta(days=PARAMS.compounding_window_days)
    recent: deque[pd.Timestamp] = deque()
    total = 0.0
    for ts, moment, outcome, severity in zip(
        g["timestamp"], g["moment"], g["outcome"], g["severity"], strict=True
    ):
        if ts > AS_OF:
            continue
        w = WEIGHTS[moment]
        if outcome == "failed":
            while recent and ts - recent[0] > window:
                recent.popleft()
            k = len(recent)
            c = -w * PARAMS.loss_aversion * severity
            c *= 1 + PARAMS.compounding_step * min(k, PARAMS.compounding_cap)
            recent.append(ts)
            half = PARAMS.debit_half_life_days
        else:
            c = w * (PARAMS.exceeded if outcome == "exceeded" else PARAMS.met)
            half = PARAMS.credit_half_life_days
        age = (AS_OF - ts).total_seconds() / 86400
        total += c * 0.5 ** (age / half)
    return total


def vectorised(events: pd.DataFrame) -> pd.Series:
    scored = score_events(events, PARAMS, WEIGHTS)
    return balances_at(scored, AS_OF)["balance"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument(
        "--baseline-accounts", type=int, default=1_000, help="accounts timed for the baseline"
    )
    args = parser.parse_args()

    t = time.perf_counter()
    events = make_events(args.events, args.accounts)
    print(
        f"generated {len(events):,} events over {args.accounts:,} accounts "
        f"in {time.perf_counter() - t:.1f} s "
        f"({events.memory_usage(deep=True).sum() / 2**20:.0f} MiB as a DataFrame)"
    )

    t = time.perf_counter()
    balances = vectorised(events)
    fast_s = time.perf_counter() - t
    tracemalloc.start()  # a second run for memory: tracing slows allocations down
    vectorised(events)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"vectorised: {fast_s:.2f} s for {len(events):,} events "
        f"({len(events) / fast_s / 1e6:.2f} M events/s); peak traced memory during scoring "
        f"{peak / 2**20:.0f} MiB; process max RSS {rss:.0f} MiB"
    )

    sample_ids = events["account_id"].cat.categories[: args.baseline_accounts]
    sample = events[events["account_id"].isin(sample_ids)].copy()
    sample["account_id"] = sample["account_id"].astype(str)
    sample["moment"] = sample["moment"].astype(str)
    sample["outcome"] = sample["outcome"].astype(str)
    t = time.perf_counter()
    slow = sample.groupby("account_id", sort=False)[
        ["timestamp", "moment", "outcome", "severity"]
    ].apply(baseline_account)
    slow_s = time.perf_counter() - t
    fast_sample = balances.reindex(slow.index)
    assert np.allclose(slow.to_numpy(), fast_sample.to_numpy(), rtol=1e-9, atol=1e-9)
    extrapolated = slow_s * len(events) / max(len(sample), 1)
    how = (
        "measured"
        if len(sample) == len(events)
        else (
            f"extrapolated from {len(sample):,} events of {len(sample_ids):,} accounts "
            f"({slow_s:.2f} s)"
        )
    )
    print(
        f"pandas groupby-apply baseline: {extrapolated:.1f} s for all events ({how}); "
        f"same balances on the sample"
    )
    print(f"speed-up: {extrapolated / fast_s:.0f}x")


if __name__ == "__main__":
    main()
