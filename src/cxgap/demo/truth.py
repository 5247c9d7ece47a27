"""The planted truth of the demo company, for checking the analyses against.

Everything here comes from the generator's parameters and its latent draws
(:attr:`cxgap.demo.generator.DemoData.expected`: for every invited person
and wave, whether they answered and the *expected* value of each answer
given their latent experience), never from running cxgap's analyses.

Each expected value is what an analysis of the answers estimates: the mean
over the people who answered of E[answer | their latent experience], with
rounding and the 1-5 clipping taken into account. The only randomness left
between it and the estimate is the per-answer noise (and, for the interval,
the sampling of people), so an honest interval covers it.

:func:`planted_truth` returns the truth as a JSON-ready dict;
:func:`write_truth` writes it (``cxgap demo`` writes ``demo-truth.json``
beside the demo report).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxgap.demo import effects as fx
from cxgap.demo.events import EXPERIENCE_SLOPE
from cxgap.demo.generator import DemoData

__all__ = ["TRUTH_FILE", "planted_truth", "write_truth"]

TRUTH_FILE = "demo-truth.json"

#: How each leadership and staff belief is planted, by the size of its bias.
BLIND = 0.9
ACCURATE = 0.15


def _kind(bias: float) -> str:
    if bias >= BLIND:
        return "blind"
    if bias < -ACCURATE:
        return "more critical"
    if abs(bias) <= ACCURATE:
        return "accurate"
    return "overestimate"


def _r(x: float) -> float:
    return round(float(x), 4)


def _items(demo: DemoData) -> list[str]:
    study = demo.study
    return [f"perf.{f.key}" for f in study.factors] + [f"tp.{t.key}" for t in study.touchpoints]


def _means(rows: pd.DataFrame, items: list[str]) -> dict[str, float]:
    return {i: _r(rows[i].mean()) for i in items}


def planted_truth(demo: DemoData) -> dict[str, Any]:
    """The planted effects and null effects of ``demo``, with the expected
    value of what each analysis estimates (see the module docstring)."""
    e = demo.expected
    items = _items(demo)
    waves = [w for w in demo.study.wave_keys() if w in set(e["wave"])]
    answered = e[e["responded"]]
    out: dict[str, Any] = {
        "about": (
            "Planted truth of the cxgap demo (cxgap.demo.truth). 'expected' values are "
            "means over the people who answered of the expected answer given their "
            "latent experience; 'invited' values are the same over everyone invited "
            "(the difference is non-response bias)."
        ),
        "waves": waves,
    }

    rates: dict[str, Any] = {}
    invited = demo.invited()  # not the contacts of accounts that had left
    for w in waves:
        ew = invited[invited["wave"] == w]
        per: dict[str, Any] = {}
        for a, g in ew.groupby("audience"):
            per[str(a)] = {
                "invited": len(g),
                "answered": int(g["responded"].sum()),
                "rate": _r(g["responded"].mean()),
                "expected_rate": _r(g["p_response"].mean()),
            }
        c = ew[ew["audience"] == "customer"]
        likely_detractor = c["p_detractor"] > 0.5
        per["customer_by_group"] = {
            "likely detractors": _r(c.loc[likely_detractor, "p_response"].mean()),
            "others": _r(c.loc[~likely_detractor, "p_response"].mean()),
            "defected segment": _r(c.loc[c["segment"] == "defected", "p_response"].mean()),
        }
        rates[w] = per
    out["response_rates"] = rates

    means: dict[str, Any] = {}
    gaps: dict[str, Any] = {}
    for w in waves:
        aw = answered[answered["wave"] == w]
        means[w] = {str(a): {"expected": _means(g, items)} for a, g in aw.groupby("audience")}
        ew = e[e["wave"] == w]
        for a, g in ew.groupby("audience"):
            means[w][str(a)]["invited"] = _means(g, items)
        cust = means[w]["customer"]["expected"]
        gaps[w] = {}
        for a in ("leadership", "staff"):
            side = means[w][a]["expected"]
            gaps[w][f"{a}-customer"] = {
                i: {
                    "planted_bias": fx.BELIEF_BIAS[a][i],
                    "kind": _kind(fx.BELIEF_BIAS[a][i]),
                    "expected": _r(side[i] - cust[i]),
                }
                for i in items
            }
    out["means"] = means
    out["gaps"] = gaps

    excellent: dict[str, Any] = {}
    nps: dict[str, Any] = {}
    for w in waves:
        aw = answered[answered["wave"] == w]
        excellent[w] = {str(a): _r(g["excellent_top"].mean()) for a, g in aw.groupby("audience")}
        c = aw[aw["audience"] == "customer"]
        ci = e[(e["wave"] == w) & (e["audience"] == "customer")]
        nps[w] = {
            "customer_expected": _r(100 * (c["p_promoter"].mean() - c["p_detractor"].mean())),
            "customer_invited": _r(100 * (ci["p_promoter"].mean() - ci["p_detractor"].mean())),
        }
        for a, (prom, det) in fx.EXPECTED_NPS_SHARES.items():
            nps[w][f"{a}_expects"] = prom - det
            nps[w][f"{a}_minus_customer"] = _r(prom - det - nps[w]["customer_expected"])
    out["excellent_top_box"] = excellent
    out["nps"] = nps

    if len(waves) >= 2:
        before, after = waves[0], waves[1]
        b = means[before]["customer"]["expected"]
        a_ = means[after]["customer"]["expected"]
        out["wave_change"] = {
            "before": before,
            "after": after,
            "customer": {
                f"perf.{f}": {
                    "planted": fx.WAVE2_IMPROVEMENT.get(f, 0.0),
                    "expected": _r(a_[f"perf.{f}"] - b[f"perf.{f}"]),
                }
                for f in fx.CUSTOMER_FACTOR_MEANS
            },
        }

    segments: dict[str, Any] = {}
    for w in waves:
        c = answered[(answered["wave"] == w) & (answered["audience"] == "customer")]
        seg_means = {str(s): _means(g, items) for s, g in c.groupby("segment")}
        pairs: dict[str, Any] = {}
        for x, y in (("new", "top"), ("defected", "top")):
            if x in seg_means and y in seg_means:
                pairs[f"{x}-top"] = {
                    i: _r(seg_means[x][i] - seg_means[y][i]) for i in items if i.startswith("perf.")
                }
        segments[w] = {
            "n": {str(s): len(g) for s, g in c.groupby("segment")},
            "expected": seg_means,
            "differences": pairs,
        }
    out["segments"] = segments

    out["drivers"] = {
        "outcome": "ltr",
        "weights": dict(fx.LTR_WEIGHTS),
        "hidden_driver": fx.HIDDEN_DRIVER,
        "null_driver": fx.NULL_DRIVER,
        "link": (
            f"ltr = min(round(10 * expit({fx.LTR_INTERCEPT} + {fx.LTR_SLOPE} * S) "
            f"+ N(0, {fx.LTR_NOISE_SD})), ceiling); {fx.LTR_CEILING_SHARE:.0%} of "
            f"contacts never give more than {fx.LTR_CEILING}"
        ),
    }

    defected = demo.accounts["defected_at"].notna()
    out["ledger"] = {
        "hot_spot": ["support", "problem_resolution"],
        "experience_slope": EXPERIENCE_SLOPE,
        "defected_accounts": int(defected.sum()),
        "defection": (
            "the pool's accounts with the worst experience of "
            + " and ".join(fx.DEFECTION_FACTORS)
            + f" leave (log-hazard {fx.DEFECTION_HAZARD} per point); most get a "
            "cluster of failures in the 180 days before they leave"
        ),
    }

    nulls: list[dict[str, Any]] = []
    for f in fx.CUSTOMER_FACTOR_MEANS:
        if f not in fx.WAVE2_IMPROVEMENT:
            nulls.append({"effect": "wave_change", "audience": "customer", "item": f"perf.{f}"})
    for a in ("leadership", "staff"):
        for i in items:
            if i.startswith("perf.") and _kind(fx.BELIEF_BIAS[a][i]) == "accurate":
                nulls.append({"effect": "gap", "pair": [a, "customer"], "item": i})
    top, new = fx.SEGMENT_OFFSETS["top"], fx.SEGMENT_OFFSETS["new"]
    for f in fx.CUSTOMER_FACTOR_MEANS:
        if new.get(f, new.get("*", 0.0)) == top.get(f, top.get("*", 0.0)):
            nulls.append({"effect": "segment", "pair": ["new", "top"], "item": f"perf.{f}"})
    nulls.append({"effect": "driver", "outcome": "ltr", "factor": fx.NULL_DRIVER})
    out["null_effects"] = nulls
    out["parameters"] = {
        "customer_factor_means": fx.CUSTOMER_FACTOR_MEANS,
        "segment_offsets": fx.SEGMENT_OFFSETS,
        "belief_bias": fx.BELIEF_BIAS,
        "wave2_improvement": fx.WAVE2_IMPROVEMENT,
        "excellent_cuts": list(fx.EXCELLENT_CUTS),
        "excellent_pride": fx.EXCELLENT_PRIDE,
        "response": {
            "intercept": fx.RESPONSE_INTERCEPT,
            "slope": fx.RESPONSE_SLOPE,
            "person_sd": fx.RESPONSE_PERSON_SD,
            "defected": fx.RESPONSE_DEFECTED,
            "internal": fx.RESPONSE_RATES_INTERNAL,
        },
        "defection_timing": fx.DEFECTION_TIMING,
    }
    return out


def write_truth(demo: DemoData, path: Path) -> Path:
    """Write :func:`planted_truth` of ``demo`` to ``path`` as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(planted_truth(demo), indent=2, default=_json_default) + "\n", encoding="utf-8"
    )
    return path


def _json_default(x: object) -> object:
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
