"""Benchmark: exact Shapley/LMG key drivers against refitting OLS per subset.

The straightforward approach fits one statsmodels OLS model on the rows for
every one of the 2**p subsets of factors, then averages the R² gains. cxgap
computes every subset's R² from the covariance matrix in one vectorised pass.
For 15 and 20 factors the baseline is timed on a stratified sample of subsets
(``--sample`` per subset size) and extrapolated to all 2**p subsets; the
output says so, and for the fully refitted sizes it prints what the
extrapolation would have said, as a check. Run with one BLAS thread
(``OPENBLAS_NUM_THREADS=1``) on a shared machine: threaded BLAS in many small
statsmodels fits is slowed badly by other load.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_drivers.py   # 10k rows
    .venv/bin/python benchmarks/bench_drivers.py --rows 2000 --factors 6,8 --bootstrap 200
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm

from cxgap.analysis.drivers.keydrivers import key_drivers, lmg_from_r2


def make_data(rows: int, p: int, seed: int = 0) -> pd.DataFrame:
    """Correlated 1-5 style ratings and an outcome that depends on them."""
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(p, p)) * 0.4 + np.eye(p)
    x = rng.normal(size=(rows, p)) @ mix
    y = x @ rng.uniform(0, 1, p) + rng.normal(scale=2.0, size=rows)
    df = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(p)])
    df["y"] = y
    return df


def _fit_r2(x: np.ndarray, y: np.ndarray, subset: tuple[int, ...]) -> float:
    return float(sm.OLS(y, sm.add_constant(x[:, list(subset)])).fit().rsquared)


def baseline_full(df: pd.DataFrame) -> tuple[float, np.ndarray]:
    """Refit every subset with statsmodels; returns (seconds, LMG)."""
    x = df.drop(columns="y").to_numpy(float)
    y = df["y"].to_numpy(float)
    p = x.shape[1]
    start = time.perf_counter()
    r2 = np.zeros(2**p)
    for mask in range(1, 2**p):
        subset = tuple(j for j in range(p) if mask >> j & 1)
        r2[mask] = _fit_r2(x, y, subset)
    lmg = lmg_from_r2(r2)
    return time.perf_counter() - start, lmg


def baseline_estimate(df: pd.DataFrame, sample: int, seed: int = 0) -> float:
    """Seconds the full refit would take: mean fit time per subset size x count."""
    x = df.drop(columns="y").to_numpy(float)
    y = df["y"].to_numpy(float)
    p = x.shape[1]
    rng = np.random.default_rng(seed)
    total = 0.0
    for k in range(1, p + 1):
        count = math.comb(p, k)
        draws = min(sample, count)
        subsets = [tuple(sorted(rng.choice(p, size=k, replace=False))) for _ in range(draws)]
        start = time.perf_counter()
        for s in subsets:
            _fit_r2(x, y, s)
        total += (time.perf_counter() - start) / draws * count
    return total


def best_of(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--factors", default="6,12,15,20", help="comma-separated factor counts")
    ap.add_argument("--bootstrap", type=int, default=1000, help="resamples for the bootstrap run")
    ap.add_argument(
        "--full-up-to", type=int, default=12, help="refit every subset up to this many factors"
    )
    ap.add_argument("--sample", type=int, default=20, help="subsets timed per size beyond that")
    ap.add_argument(
        "--bootstrap-up-to", type=int, default=15, help="largest p for the bootstrap run"
    )
    args = ap.parse_args()

    print(f"rows = {args.rows}")
    header = (
        f"{'p':>3} {'subsets':>9} {'cxgap s':>9} {'statsmodels s':>14} "
        f"{'speed-up':>9} {'boot s':>8} {'note'}"
    )
    print(header)
    for p in (int(v) for v in args.factors.split(",")):
        df = make_data(args.rows, p)
        ours = best_of(lambda df=df: key_drivers(df, "y", bootstrap=0), 3)
        note = ""
        if p <= args.full_up_to:
            base, base_lmg = baseline_full(df)
            ref = key_drivers(df, "y", bootstrap=0)
            got = np.array([ref.importance_of(c) for c in df.columns.drop("y")])
            est = baseline_estimate(df, args.sample)
            note = (
                f"full refit (extrapolation from {args.sample}/size would say {est:.2f} s); "
                f"max |LMG diff| {np.abs(got - base_lmg).max():.1e}"
            )
        else:
            base = baseline_estimate(df, args.sample)
            note = f"statsmodels extrapolated from {args.sample} subsets per size"
        boot = ""
        if p <= args.bootstrap_up_to and args.bootstrap > 0:
            start = time.perf_counter()
            key_drivers(df, "y", bootstrap=args.bootstrap, seed=1)
            boot = f"{time.perf_counter() - start:8.2f}"
            note += f"; bootstrap {args.bootstrap}"
        elif args.bootstrap > 0:
            few = 10
            start = time.perf_counter()
            key_drivers(df, "y", bootstrap=few, seed=1)
            per = (time.perf_counter() - start - ours) / few
            boot = f"{ours + per * args.bootstrap:8.0f}"
            note += f"; bootstrap {args.bootstrap} extrapolated from {few}"
        print(f"{p:>3} {2**p:>9} {ours:>9.4f} {base:>14.2f} {base / ours:>8.0f}x {boot:>8} {note}")
    for name, method in (("relative weights", "relative-weights"),):
        df = make_data(args.rows, 20)
        t = best_of(lambda df=df, m=method: key_drivers(df, "y", method=m, bootstrap=0), 3)
        start = time.perf_counter()
        key_drivers(df, "y", method=method, bootstrap=args.bootstrap, seed=1)
        tb = time.perf_counter() - start
        print(f"{name}, p = 20: {t:.4f} s; with {args.bootstrap} bootstrap resamples {tb:.2f} s")


if __name__ == "__main__":
    main()
