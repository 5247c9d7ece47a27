"""Simulate the coverage of every interval cxgap reports on a bounded scale.

Usage::

    .venv/bin/python benchmarks/bench_interval_coverage.py --sims 2000
    .venv/bin/python benchmarks/bench_interval_coverage.py --sims 500 --sizes 5,10

Issue 18: no interval may leave its scale, and each must still cover. For
1-5 items drawn from fixed answer distributions (centred, skewed, near the
ceiling, bimodal) at n = 5, 10, 30 and 100 this prints, for each interval
method, the share of ``--sims`` simulated samples whose interval holds the
true mean (or true difference of means, or true NPS), the share of
intervals that leave the scale, and the share of zero width. The methods:

* one mean: ``t`` (Student, the old default) and ``wilson-effective-n``
  (:func:`cxgap.analysis.perception.means.bounded_mean_interval`);
* a difference of two means (the second group drawn from the centred
  distribution): ``welch`` and ``mover-wilson-effective-n``
  (:func:`cxgap.analysis.perception.means.mover_difference`);
* NPS: ``adjusted-wald``, ``wilson-effective-n``, ``wald`` and ``bootstrap``
  (:func:`cxgap.analysis.perception.nps.nps_from_counts`), on groups from
  evenly split to nearly all promoters. An interval the method declines to
  give (``None``, "too few to estimate") is counted apart (``none``), not as
  a hit;
* sentiment scores on -1..1 (``summarise_sentiment``: the bounded mean on
  -1..1), drawn from mixtures like the model's scores (mostly positive,
  mixed, mostly negative, all near +1);
* the change of a leadership-customer gap between two waves
  (``action_progress``: MOVER over the two waves' MOVER gap intervals, four
  independent groups).

The goal is at least 94% for a 95% interval. The Monte Carlo standard error
is about 0.5 points at 2000 simulations. No timing is asserted.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from cxgap.analysis.perception.means import (
    bounded_mean_interval,
    mean_estimate,
    mover_combination,
    mover_difference,
    welch,
)
from cxgap.analysis.perception.nps import nps_from_counts
from cxgap.analysis.voice.sentiment import summarise_sentiment

SCALE = (1.0, 5.0)
LEVELS = np.arange(1, 6, dtype=float)
ITEMS: dict[str, list[float]] = {
    "centred": [0.10, 0.20, 0.40, 0.20, 0.10],
    "skewed-high": [0.02, 0.03, 0.10, 0.35, 0.50],
    "near-ceiling": [0.00, 0.00, 0.02, 0.13, 0.85],
    "at-ceiling": [0.00, 0.00, 0.00, 0.05, 0.95],
    "bimodal": [0.30, 0.05, 0.05, 0.10, 0.50],
}
#: Sentiment-like scores: (weight, beta a, beta b) components on -1..1.
SENTIMENT: dict[str, list[tuple[float, float, float]]] = {
    "mostly-positive": [(0.8, 6.0, 1.5), (0.2, 1.5, 4.0)],
    "mixed": [(0.5, 5.0, 1.5), (0.5, 1.5, 5.0)],
    "mostly-negative": [(0.85, 1.2, 5.0), (0.15, 3.0, 3.0)],
    "near-plus-one": [(1.0, 30.0, 0.6)],
}
NPS_GROUPS: dict[str, tuple[float, float, float]] = {
    "even": (0.30, 0.40, 0.30),
    "positive": (0.60, 0.30, 0.10),
    "near-ceiling": (0.90, 0.08, 0.02),
    "at-ceiling": (0.97, 0.03, 0.00),
    "negative": (0.10, 0.30, 0.60),
}


class Tally:
    """Counts of hits, misses outside the scale, zero widths and refusals."""

    def __init__(self) -> None:
        self.hit = self.outside = self.zero = self.none = self.total = 0

    def add(self, ci: tuple[float, float] | None, truth: float, low: float, high: float) -> None:
        self.total += 1
        if ci is None:
            self.none += 1
            return
        lo, hi = ci
        self.hit += int(lo - 1e-12 <= truth <= hi + 1e-12)
        self.outside += int(lo < low - 1e-9 or hi > high + 1e-9)
        self.zero += int(hi - lo <= 1e-12)

    def row(self) -> str:
        given = self.total - self.none
        cov = 100 * self.hit / given if given else float("nan")
        pct = 100 / self.total
        return (
            f"{cov:6.1f}%  outside {pct * self.outside:5.1f}%  zero-width "
            f"{pct * self.zero:5.1f}%  none {pct * self.none:5.1f}%"
        )


def _pair(est: tuple[float | None, float | None]) -> tuple[float, float] | None:
    low, high = est
    return None if low is None or high is None else (low, high)


def items(sims: int, sizes: list[int], seed: int, confidence: float) -> list[float]:
    """Print the coverage of the mean and difference intervals; return every coverage."""
    rng = np.random.default_rng(seed)
    reference = np.asarray(ITEMS["centred"])
    ref_mean = float(LEVELS @ reference)
    worst: list[float] = []
    print(f"1-5 items, {sims} simulations, {100 * confidence:g}% intervals")
    for name, probs in ITEMS.items():
        p = np.asarray(probs)
        true_mean = float(LEVELS @ p)
        for n in sizes:
            tallies = {k: Tally() for k in ("t", "wilson-effective-n", "welch", "mover")}
            for _ in range(sims):
                x = rng.choice(LEVELS, size=n, p=p)
                y = rng.choice(LEVELS, size=n, p=reference)
                t = mean_estimate(x, confidence)
                tallies["t"].add(_pair((t.ci_low, t.ci_high)), true_mean, *SCALE)
                tallies["wilson-effective-n"].add(
                    bounded_mean_interval(x, SCALE, confidence), true_mean, *SCALE
                )
                w = welch(x, y, confidence)
                d = true_mean - ref_mean
                tallies["welch"].add(_pair((w.ci_low, w.ci_high)), d, -4.0, 4.0)
                tallies["mover"].add(mover_difference(x, y, SCALE, confidence), d, -4.0, 4.0)
            for method, tally in tallies.items():
                print(f"  {name:13s} n={n:<4d} {method:19s} {tally.row()}")
                if method in ("wilson-effective-n", "mover") and tally.hit:
                    worst.append(100 * tally.hit / (tally.total - tally.none))
    return worst


def nps(
    sims: int, sizes: list[int], seed: int, confidence: float, n_boot: int
) -> dict[str, list[float]]:
    """Print the coverage of each NPS interval method; return the bounded methods' coverages."""
    rng = np.random.default_rng(seed + 1)
    worst: dict[str, list[float]] = {}
    print(f"NPS groups, {sims} simulations, {100 * confidence:g}% intervals")
    for name, probs in NPS_GROUPS.items():
        truth = 100 * (probs[0] - probs[2])
        for n in sizes:
            tallies = {
                k: Tally() for k in ("adjusted-wald", "wilson-effective-n", "wald", "bootstrap")
            }
            for s in range(sims):
                pro, pas, det = (int(v) for v in rng.multinomial(n, probs))
                for method, tally in tallies.items():
                    est = nps_from_counts(
                        pro,
                        pas,
                        det,
                        method=method,  # type: ignore[arg-type]
                        confidence=confidence,
                        n_boot=n_boot,
                        seed=s,
                    )
                    tally.add(_pair((est.ci_low, est.ci_high)), truth, -100.0, 100.0)
            for method, tally in tallies.items():
                print(f"  {name:13s} n={n:<4d} {method:19s} {tally.row()}")
            for k in ("adjusted-wald", "wilson-effective-n"):
                worst.setdefault(k, []).append(100 * tallies[k].hit / tallies[k].total)
    return worst


def _scores(
    rng: np.random.Generator, parts: list[tuple[float, float, float]], n: int
) -> np.ndarray:
    weights = np.array([w for w, _, _ in parts])
    pick = rng.choice(len(parts), size=n, p=weights / weights.sum())
    a = np.array([parts[i][1] for i in pick])
    b = np.array([parts[i][2] for i in pick])
    return 2 * rng.beta(a, b) - 1


def sentiment(sims: int, sizes: list[int], seed: int) -> list[float]:
    """Print the coverage of the sentiment summary's interval (beside Student's t,
    its former method); return the bounded interval's coverages."""
    rng = np.random.default_rng(seed + 2)
    cover: list[float] = []
    print(f"sentiment scores on -1..1, {sims} simulations, 95% intervals")
    for name, parts in SENTIMENT.items():
        truth = float(np.mean(_scores(np.random.default_rng(0), parts, 2_000_000)))
        for n in sizes:
            tallies = {"t": Tally(), "bounded-mean": Tally()}
            for _ in range(sims):
                x = _scores(rng, parts, n)
                t = mean_estimate(x)
                tallies["t"].add(_pair((t.ci_low, t.ci_high)), truth, -1.0, 1.0)
                s = summarise_sentiment(x)
                tallies["bounded-mean"].add(_pair((s.ci_low, s.ci_high)), truth, -1.0, 1.0)
            for method, tally in tallies.items():
                print(f"  {name:15s} n={n:<4d} {method:19s} {tally.row()}")
            b = tallies["bounded-mean"]
            cover.append(100 * b.hit / (b.total - b.none))
    return cover


def gap_change(sims: int, sizes: list[int], seed: int, confidence: float) -> list[float]:
    """Print the coverage of a gap's change between waves (four groups); return each."""
    rng = np.random.default_rng(seed + 3)
    cover: list[float] = []
    print(f"change of a leadership-customer gap, {sims} simulations")
    cases = {
        "closing": ("near-ceiling", "centred", "skewed-high", "skewed-high"),
        "steady": ("skewed-high", "centred", "skewed-high", "centred"),
        "at-ceiling": ("at-ceiling", "bimodal", "at-ceiling", "centred"),
    }
    for name, (lead1, cust1, lead2, cust2) in cases.items():
        means = {k: float(LEVELS @ np.asarray(ITEMS[k])) for k in ITEMS}
        truth = (means[lead2] - means[cust2]) - (means[lead1] - means[cust1])
        for n in sizes:
            tally = Tally()
            for _ in range(sims):
                groups = [
                    rng.choice(LEVELS, size=n, p=ITEMS[k]) for k in (lead1, cust1, lead2, cust2)
                ]
                g1 = mover_difference(groups[0], groups[1], SCALE, confidence)
                g2 = mover_difference(groups[2], groups[3], SCALE, confidence)
                if g1 is None or g2 is None:
                    tally.add(None, truth, -8.0, 8.0)
                    continue
                d1 = groups[0].mean() - groups[1].mean()
                d2 = groups[2].mean() - groups[3].mean()
                ci = mover_combination([(1, d2, *g2), (-1, d1, *g1)])
                tally.add(ci, truth, -8.0, 8.0)
            print(f"  {name:13s} n={n:<4d} mover-of-movers     {tally.row()}")
            cover.append(100 * tally.hit / (tally.total - tally.none))
    return cover


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--sizes", default="5,10,30,100")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap draws per NPS")
    parser.add_argument("--skip-nps", action="store_true")
    parser.add_argument("--skip-items", action="store_true")
    parser.add_argument("--skip-sentiment", action="store_true")
    parser.add_argument("--skip-gap-change", action="store_true")
    args = parser.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    start = time.perf_counter()
    if not args.skip_items:
        bounded = items(args.sims, sizes, args.seed, args.confidence)
        print(f"lowest coverage of the bounded mean and MOVER intervals: {min(bounded):.1f}%")
    if not args.skip_nps:
        for method, cover in nps(args.sims, sizes, args.seed, args.confidence, args.n_boot).items():
            print(f"lowest coverage of {method}: {min(cover):.1f}%")
    if not args.skip_sentiment:
        cover = sentiment(args.sims, sizes, args.seed)
        print(f"lowest coverage of the sentiment interval: {min(cover):.1f}%")
    if not args.skip_gap_change:
        cover = gap_change(args.sims, sizes, args.seed, args.confidence)
        print(f"lowest coverage of the gap-change interval: {min(cover):.1f}%")
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
