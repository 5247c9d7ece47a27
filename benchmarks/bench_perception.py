"""Benchmark: ``analyze_perception`` on a large synthetic study, against a
straightforward pandas/SciPy script computing the same audience gap matrix.

The script builds the wide frame of ``--respondents`` respondents answering
two waves (5% leadership, 25% staff in six teams, 70% customers in four
segments; every perf/imp/rank/tp/excellent/ltr/expected/leave column of the
default study), then times the whole ``analyze_perception`` (gaps, teams,
excellent, NPS, segments, waves, importance, defection factors) and, for
scale, the part a plain script would do for the audience gap matrix alone:
per item and audience ``ttest_1samp`` intervals and Wilson shares, and per
pair ``ttest_ind(equal_var=False)``, ``mannwhitneyu``, Newcombe and Holm.

    .venv/bin/python benchmarks/bench_perception.py                   # 100,000
    .venv/bin/python benchmarks/bench_perception.py --respondents 10000
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cxgap.analysis.perception.assembly import AUDIENCE_PAIRS, analyze_perception
from cxgap.study import StudyDefinition, default_study
from cxgap.study.model import Wave


def make_study() -> StudyDefinition:
    study = default_study("bench", organisation="Bench")
    return study.model_copy(
        update={"waves": [Wave(key="w1", label="Wave 1"), Wave(key="w2", label="Wave 2")]}
    )


def make_frame(study: StudyDefinition, respondents: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    aud = rng.choice(["leadership", "staff", "customer"], respondents, p=[0.05, 0.25, 0.70])
    teams = [t.key for t in study.touchpoints]
    segs = [s.key for s in study.segments]
    uplift = np.select([aud == "leadership", aud == "staff"], [1.2, 0.6], 0.0)
    frames = []
    for w, wave in enumerate(("w1", "w2")):
        n = respondents
        data: dict[str, object] = {
            "respondent_id": [f"R{i}" for i in range(n)],
            "audience": aud,
            "segment": np.where(aud == "customer", rng.choice(segs, n), None),
            "team": np.where(aud != "customer", rng.choice(teams, n), None),
            "account_id": np.where(aud == "customer", rng.integers(0, n // 3 + 1, n), None),
            "wave": wave,
            "source": "individual",
        }

        def rating(mean: float | np.ndarray, sd: float = 1.0, n: int = n) -> np.ndarray:
            return np.clip(np.rint(rng.normal(mean, sd, n)), 1, 5)

        for f in study.factors:
            data[f"perf.{f.key}"] = rating(3.0 + uplift + 0.2 * w)
        for f in study.factors:
            data[f"imp.{f.key}"] = rating(4.0)
        ranks = np.argsort(rng.random((n, len(study.factors))), axis=1) + 1.0
        for j, f in enumerate(study.factors):
            data[f"rank.{f.key}"] = ranks[:, j]
        for t in study.touchpoints:
            data[f"tp.{t.key}"] = rating(3.2 + uplift)
        data["excellent"] = rating(3.0 + uplift, 1.2)
        data["ltr"] = np.where(
            aud == "customer", np.clip(np.rint(rng.normal(7, 2, n)), 0, 10), np.nan
        )
        inside = aud != "customer"
        data["expected_promoters"] = np.where(
            inside, np.clip(rng.normal(45, 10, n), 0, 100), np.nan
        )
        data["expected_detractors"] = np.where(
            inside, np.clip(rng.normal(15, 6, n), 0, 100), np.nan
        )
        for r in study.defection_reasons:
            data[f"leave.{r.key}"] = (rng.random(n) < 0.3).astype(float)
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


def baseline_gap_matrix(frame: pd.DataFrame, items: list[str]) -> list[float]:
    cur = frame[frame["wave"] == "w2"]
    p_values = []
    groups = ("leadership", "staff", "customer")
    for item in items:
        cols = {g: cur.loc[cur["audience"] == g, item].dropna() for g in groups}
        for x in cols.values():
            stats.ttest_1samp(x, 0).confidence_interval()
            proportion_confint(int((x >= 4).sum()), len(x), method="wilson")
        for a, b in AUDIENCE_PAIRS:
            x, y = cols[a], cols[b]
            t = stats.ttest_ind(x, y, equal_var=False)
            t.confidence_interval()
            stats.mannwhitneyu(x, y, method="asymptotic")
            confint_proportions_2indep(
                int((x >= 4).sum()), len(x), int((y >= 4).sum()), len(y), method="newcomb"
            )
            p_values.append(float(t.pvalue))
    multipletests(p_values, method="holm")
    return p_values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    study = make_study()
    start = time.perf_counter()
    frame = make_frame(study, args.respondents)
    print(
        f"frame: {len(frame):,} responses x {frame.shape[1]} columns "
        f"(built in {time.perf_counter() - start:.1f} s)"
    )
    items = [f"perf.{f.key}" for f in study.factors] + [f"tp.{t.key}" for t in study.touchpoints]
    best = math.inf
    result = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = analyze_perception(study, frame)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    base = math.inf
    p_ref: list[float] = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        p_ref = baseline_gap_matrix(frame, items)
        base = min(base, time.perf_counter() - start)
    got = [c.p_welch for c in result.gaps.comparisons]  # type: ignore[union-attr]
    assert np.allclose(got, p_ref, rtol=1e-6, atol=1e-300)
    print(f"analyze_perception (everything):          {best:6.2f} s")
    print(f"pandas/SciPy script, audience gap matrix: {base:6.2f} s ({len(items)} items x 3 pairs)")
    print(f"(best of {args.repeat})")


if __name__ == "__main__":
    main()
