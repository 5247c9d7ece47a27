"""Simulate the defection threshold: optimism, out-of-sample J and coverage.

Usage::

    .venv/bin/python benchmarks/bench_threshold_coverage.py --sims 300
    .venv/bin/python benchmarks/bench_threshold_coverage.py --sims 200 \
        --settings 5x200,7x200,10x200,15x200 --min-defections 1

Issue 18's setting: balances of defected accounts ~ N(-15, 10), of retained
ones ~ N(0, 10) (separation 1.5 SD: true AUC 0.856, best possible J 0.547).
Each simulation draws a data set, learns the threshold as cxgap does
(:func:`cxgap.analysis.ledger.threshold.learn_threshold`, with its
cross-validated ``validation``) and compares it with the truth, computed
exactly from the normal distributions (an infinite set of fresh accounts):

* the J, sensitivity and specificity the learned cut-off achieves on fresh
  accounts, against the in-sample figures and the out-of-sample estimates;
* the coverage of each 95% interval: the AUC (DeLong normal as reported
  in-sample, Newcombe score as in ``validation``), sensitivity, specificity and
  J (in-sample Wilson vs the bootstrap of the cross-validation), each against
  the true rate of the cut-off actually learned;
* how often the out-of-sample J's interval excludes 0 (the minimum rule).

Coverage is from one run of ``--sims`` simulations (Monte Carlo SE about
1.3 points at 300); no timing is asserted.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import norm

from cxgap.analysis.ledger.threshold import learn_threshold
from cxgap.study.model import LedgerParameters

MU_D, MU_R, SD = -15.0, 0.0, 10.0
TRUE_AUC = float(norm.cdf((MU_R - MU_D) / (SD * np.sqrt(2))))
BEST_J = float(2 * norm.cdf((MU_R - MU_D) / (2 * SD)) - 1)


def true_rates(threshold: float) -> tuple[float, float]:
    """Sensitivity and specificity of ``balance < threshold`` on fresh accounts."""
    return float(norm.cdf((threshold - MU_D) / SD)), float(norm.sf((threshold - MU_R) / SD))


def inside(ci: tuple[float, float] | None, x: float) -> float:
    return float("nan") if ci is None else float(ci[0] <= x <= ci[1])


def run(m: int, n: int, sims: int, seed: int, params: LedgerParameters) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(sims):
        b = np.r_[rng.normal(MU_D, SD, m), rng.normal(MU_R, SD, n)]
        d = np.r_[np.ones(m, bool), np.zeros(n, bool)]
        r = learn_threshold(b, d, params, validation_options={"seed": s})
        v = r.validation
        assert v is not None
        sens, spec = true_rates(r.threshold)
        j = sens + spec - 1
        # the Youden rule's cut-off, whatever the minimum rule reported
        ry = learn_threshold(
            b, d, params.model_copy(update={"min_defections": 1}), validation_options={"n_boot": 0}
        )
        sy, py = true_rates(ry.threshold)
        jy = sy + py - 1
        rows.append(
            {
                "learned": float(r.method == "youden"),
                "j_in": ry.youden_j if ry.youden_j is not None else np.nan,
                "sens_in": ry.sensitivity,
                "j_out": v.youden_j,
                "sens_out": v.sensitivity,
                "j_true_youden": jy,
                "sens_true_youden": sy,
                "j_true_reported": j,
                "cov_auc_delong": float(
                    r.auc_ci_low is not None and r.auc_ci_low <= TRUE_AUC <= r.auc_ci_high
                ),
                "cov_auc_newcombe": inside(v.auc_ci, TRUE_AUC),
                "cov_sens_wilson_in": inside(ry.sensitivity_ci, sy),
                "cov_spec_wilson_in": inside(ry.specificity_ci, py),
                "cov_sens_out": inside(v.sensitivity_ci, sy),
                "cov_spec_out": inside(v.specificity_ci, py),
                "cov_j_out": inside(v.youden_j_ci, jy),
                "j_ci_excludes_0": float(v.youden_j_ci is not None and v.youden_j_ci[0] > 0),
            }
        )
    keys = rows[0].keys()
    return {k: float(np.nanmean([row[k] for row in rows])) for k in keys}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sims", type=int, default=300)
    ap.add_argument("--settings", default="10x200,30x300", help="defectedxretained,...")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument(
        "--min-defections", type=int, default=None, help="LedgerParameters.min_defections"
    )
    args = ap.parse_args()
    params = LedgerParameters()
    if args.min_defections is not None:
        params = params.model_copy(update={"min_defections": args.min_defections})
    print(f"true AUC {TRUE_AUC:.3f}, best possible J {BEST_J:.3f}, {args.sims} simulations")
    for setting in args.settings.split(","):
        m, n = (int(x) for x in setting.split("x"))
        t0 = time.perf_counter()
        out = run(m, n, args.sims, args.seed, params)
        took = time.perf_counter() - t0
        print(f"\n{m} defected / {n} retained ({took:.0f} s)")
        for k, val in out.items():
            print(f"  {k:22s} {val:.3f}")


if __name__ == "__main__":
    main()
