"""Benchmark: ``cxgap nps`` and ``cxgap compare`` on a large CSV export,
against a straightforward pandas/SciPy script doing the same work.

The script writes a CSV of ``--rows`` survey answers (a 0-10 likelihood to
recommend, a region, a customer type and three 1-5 ratings), then times, in
the same process and run:

* ``cxgap nps FILE --column ltr --by region --json`` (through the Typer app)
  against ``pd.read_csv`` + a groupby of promoter/detractor counts + the
  adjusted-Wald formula;
* ``cxgap compare FILE --group tier --items q1,q2,q3 --json`` against
  ``pd.read_csv`` + per-group means/SD/t intervals + ``scipy.stats.ttest_ind``
  (Welch) and ``mannwhitneyu`` for every pair + Wilson/Newcombe from
  statsmodels + ``multipletests(method="holm")``.

The results of both sides are compared, so the figures are for the same
answers.

    .venv/bin/python benchmarks/bench_quick.py                # 1,000,000 rows
    .venv/bin/python benchmarks/bench_quick.py --rows 100000
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from typer.testing import CliRunner

from cxgap.cli import app


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    tier = rng.choice(["gold", "silver", "bronze"], rows, p=[0.2, 0.3, 0.5])
    shift = np.select([tier == "gold", tier == "silver"], [0.4, 0.1], 0.0)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "region": rng.choice(["EU", "US", "APAC", "LATAM", "MEA"], rows),
            "tier": tier,
            "ltr": np.clip(np.rint(rng.normal(7.2, 2.2, rows) + 2 * shift), 0, 10).astype(int),
        }
    )
    for j in range(1, 4):
        frame[f"q{j}"] = np.clip(np.rint(rng.normal(3.4 + shift, 1.0, rows)), 1, 5).astype(int)
    frame.to_csv(path, index=False)


def baseline_nps(path: Path) -> dict[str, tuple[int, float, float]]:
    df = pd.read_csv(path)
    z = stats.norm.ppf(0.975)
    out = {}
    for region, x in df.groupby("region", sort=False)["ltr"]:
        n = len(x)
        pro, det = int((x >= 9).sum()), int((x <= 6).sum())
        pa, da = (pro + 0.75) / (n + 3), (det + 0.75) / (n + 3)
        se = math.sqrt((pa + da - (pa - da) ** 2) / (n + 3))
        out[str(region)] = (n, 100 * (pa - da - z * se), 100 * (pa - da + z * se))
    return out


def baseline_compare(path: Path) -> list[float]:
    df = pd.read_csv(path)
    groups = list(pd.unique(df["tier"]))
    p_values = []
    for item in ("q1", "q2", "q3"):
        for g in groups:
            x = df.loc[df["tier"] == g, item]
            stats.ttest_1samp(x, 0).confidence_interval()
            proportion_confint(int((x >= 4).sum()), len(x), method="wilson")
        for a, b in itertools.combinations(groups, 2):
            x = df.loc[df["tier"] == a, item]
            y = df.loc[df["tier"] == b, item]
            t = stats.ttest_ind(x, y, equal_var=False)
            t.confidence_interval()
            stats.mannwhitneyu(x, y, method="asymptotic")
            confint_proportions_2indep(
                int((x >= 4).sum()), len(x), int((y >= 4).sum()), len(y), method="newcomb"
            )
            p_values.append(float(t.pvalue))
    multipletests(p_values, method="holm")
    return p_values


def timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    best, value = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        start = time.perf_counter()
        write_csv(path, args.rows)
        size = path.stat().st_size / 1e6
        print(
            f"CSV: {args.rows:,} rows, {size:.0f} MB, written in "
            f"{time.perf_counter() - start:.1f} s"
        )

        def cli(*argv: str) -> dict:  # type: ignore[type-arg]
            res = runner.invoke(app, [*argv, "--json"])
            if res.exit_code != 0:
                raise SystemExit(res.output)
            return json.loads(res.stdout)

        t_nps, ours = timed(
            lambda: cli(
                "nps", str(path), "-c", "ltr", "--by", "region", "--method", "adjusted-wald"
            ),
            args.repeat,
        )
        t_nps_base, base = timed(lambda: baseline_nps(path), args.repeat)
        for g in ours["groups"]:
            n, lo, hi = base[g["group"]]
            assert g["n"] == n and abs(g["ci_low"] - lo) < 1e-9 and abs(g["ci_high"] - hi) < 1e-9
        t_cmp, ours_cmp = timed(
            lambda: cli("compare", str(path), "-g", "tier", "-i", "q1,q2,q3"), args.repeat
        )
        t_cmp_base, base_p = timed(lambda: baseline_compare(path), args.repeat)
        got = [c["p_welch"] for c in ours_cmp["comparisons"]]
        assert np.allclose(got, base_p, rtol=1e-6, atol=1e-300)
    print(f"{'command':<44}{'cxgap':>10}{'pandas/SciPy':>14}")
    print(f"{'nps --by region (5 groups)':<44}{t_nps:>9.2f}s{t_nps_base:>13.2f}s")
    print(f"{'compare tier x q1,q2,q3 (3 groups, 9 pairs)':<44}{t_cmp:>9.2f}s{t_cmp_base:>13.2f}s")
    print(
        f"(best of {args.repeat}; both sides read the CSV; cxgap reads every cell as text "
        "and validates it)"
    )


if __name__ == "__main__":
    main()
