"""cxgap's analyses recover the demo's planted truth, and find nothing where
nothing was planted.

The expected values come from :mod:`cxgap.demo.truth` (the generator's
parameters and latent draws), never from running cxgap. Each planted effect
must lie inside the analysis's own stated 95% interval; each null effect
planted on purpose must not be found significant (Holm over its family, as
the analysis reports it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cxgap.analysis.drivers.keydrivers import key_drivers
from cxgap.analysis.ledger.risk import ledger_report
from cxgap.analysis.perception.assembly import analyze_perception
from cxgap.analysis.perception.gaps import GapComparison
from cxgap.analysis.perception.waves import WaveChange
from cxgap.demo import DemoData, generate_demo
from cxgap.demo import effects as fx
from cxgap.demo.generator import EVENTS_END
from cxgap.demo.truth import TRUTH_FILE, planted_truth, write_truth

FACTORS = [f"perf.{f}" for f in fx.CUSTOMER_FACTOR_MEANS]


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo(seed=7)


@pytest.fixture(scope="module")
def truth(demo: DemoData) -> dict[str, Any]:
    return planted_truth(demo)


def _holm(p: dict[str, float]) -> dict[str, float]:
    out, running = {}, 0.0
    for i, (key, value) in enumerate(sorted(p.items(), key=lambda kv: kv[1])):
        running = max(running, min(1.0, (len(p) - i) * value))
        out[key] = running
    return out


def _comparisons(matrix: Any, a: str, b: str) -> dict[str, GapComparison]:
    return {
        c.item: c
        for c in matrix.comparisons
        if isinstance(c, GapComparison) and (c.a, c.b) == (a, b)
    }


def _inside(value: float, low: float | None, high: float | None) -> bool:
    assert low is not None and high is not None
    return low <= value <= high


def test_the_truth_is_written_beside_the_demo_as_json(demo: DemoData, tmp_path: Path) -> None:
    path = write_truth(demo, tmp_path / TRUTH_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(planted_truth(demo)))
    assert {"gaps", "wave_change", "nps", "excellent_top_box", "null_effects"} <= set(data)
    kinds = {n["effect"] for n in data["null_effects"]}
    assert kinds == {"wave_change", "gap", "segment", "driver"}


def _checks(demo: DemoData, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Every interval cxgap states on the demo, beside the planted value it
    should cover: gaps, excellent shares, NPS and its predicted gap, wave
    changes and segment differences. ``null`` marks the null effects
    planted on purpose; ``holm`` is the p-value adjusted within its family
    (the item family of a gap pair, the six factors of a wave change)."""
    out: list[dict[str, Any]] = []
    nulls = truth["null_effects"]

    def is_null(effect: str, item: str, pair: list[str] | None = None) -> bool:
        return any(
            n["effect"] == effect and n.get("item") == item and n.get("pair", pair) == pair
            for n in nulls
        )

    for wave in truth["waves"]:
        res = analyze_perception(demo.study, demo.frame, wave=wave)
        for audience in ("leadership", "staff"):
            found = _comparisons(res.gaps, audience, "customer")
            for item in FACTORS:
                c, t = found[item], truth["gaps"][wave][f"{audience}-customer"][item]
                out.append(
                    {
                        "what": f"{wave} gap {audience}-customer {item}",
                        "kind": t["kind"],
                        "expected": t["expected"],
                        "low": c.ci_low,
                        "high": c.ci_high,
                        "holm": c.p_welch_holm,
                        "null": is_null("gap", item, [audience, "customer"]),
                    }
                )
        for share in res.excellent.shares:
            if hasattr(share, "estimate"):
                out.append(
                    {
                        "what": f"{wave} excellent {share.audience}",
                        "kind": "share",
                        "expected": truth["excellent_top_box"][wave][share.audience],
                        "low": share.estimate.ci_low,
                        "high": share.estimate.ci_high,
                        "holm": None,
                        "null": False,
                    }
                )
        nps = res.nps
        out.append(
            {
                "what": f"{wave} customer NPS",
                "kind": "nps",
                "expected": truth["nps"][wave]["customer_expected"],
                "low": nps.customers.ci_low,
                "high": nps.customers.ci_high,
                "holm": None,
                "null": False,
            }
        )
        for pred in nps.predicted:
            if hasattr(pred, "gap"):
                out.append(
                    {
                        "what": f"{wave} NPS {pred.audience} expect - customers give",
                        "kind": "nps gap",
                        "expected": truth["nps"][wave][f"{pred.audience}_minus_customer"],
                        "low": pred.ci_low,
                        "high": pred.ci_high,
                        "holm": None,
                        "null": False,
                    }
                )
        seg = res.segments
        assert seg is not None
        found = _comparisons(seg.gaps, "new", "top")
        for item in FACTORS:
            c = found[item]
            out.append(
                {
                    "what": f"{wave} segment new-top {item}",
                    "kind": "segment",
                    "expected": truth["segments"][wave]["differences"]["new-top"][item],
                    "low": c.ci_low,
                    "high": c.ci_high,
                    "holm": c.p_welch_holm,
                    "null": is_null("segment", item, ["new", "top"]),
                }
            )
        if wave == truth["wave_change"]["after"]:
            pair = res.waves.pairs[-1]
            changes = {
                c.item: c
                for c in pair.changes
                if isinstance(c, WaveChange) and c.audience == "customer" and c.item in FACTORS
            }
            holm = _holm({i: c.p_value for i, c in changes.items() if c.p_value is not None})
            for item in FACTORS:
                c, t = changes[item], truth["wave_change"]["customer"][item]
                out.append(
                    {
                        "what": f"wave change customer {item}",
                        "kind": "improved" if t["planted"] > 0 else "no change",
                        "expected": t["expected"],
                        "low": c.ci_low,
                        "high": c.ci_high,
                        "holm": holm[item],
                        "null": is_null("wave_change", item),
                    }
                )
    return out


@pytest.fixture(scope="module")
def checks(demo: DemoData, truth: dict[str, Any]) -> list[dict[str, Any]]:
    return _checks(demo, truth)


def _coverage(checks: list[dict[str, Any]]) -> float:
    return sum(_inside(c["expected"], c["low"], c["high"]) for c in checks) / len(checks)


def test_the_stated_intervals_cover_the_planted_values(checks: list[dict[str, Any]]) -> None:
    # 95% intervals: a few of ~50 may miss by chance, many may not; the
    # intervals condition less than the truth does, so coverage runs high
    assert len(checks) > 50
    missed = [c["what"] for c in checks if not _inside(c["expected"], c["low"], c["high"])]
    assert _coverage(checks) >= 0.9, missed


def test_null_effects_planted_on_purpose_are_not_found(checks: list[dict[str, Any]]) -> None:
    nulls = [c for c in checks if c["null"]]
    assert {c["kind"] for c in nulls} == {"accurate", "segment", "no change"}
    assert len(nulls) >= 15
    found = [c["what"] for c in nulls if c["holm"] is not None and c["holm"] < 0.05]
    assert not found


def test_planted_gaps_and_changes_are_found(checks: list[dict[str, Any]]) -> None:
    by = {c["what"]: c for c in checks}
    for wave in ("w1", "w2"):
        for c in checks:
            if c["what"].startswith(f"{wave} gap") and c["kind"] == "blind":
                assert c["low"] > 0 and c["holm"] < 0.05, c["what"]
        # more critical than customers: staff on integrity, with 100 staff
        staff = by[f"{wave} gap staff-customer perf.integrity"]
        assert staff["kind"] == "more critical" and staff["high"] < 0
        lead = by[f"{wave} gap leadership-customer perf.personalisation"]
        assert lead["kind"] == "more critical" and lead["low"] < lead["expected"] < 0
        # new accounts were over-promised; otherwise as happy as top ones
        assert by[f"{wave} segment new-top perf.expectations"]["high"] < 0
        assert by[f"{wave} NPS leadership expect - customers give"]["low"] > 0
    for f in fx.WAVE2_IMPROVEMENT:
        assert by[f"wave change customer perf.{f}"]["low"] > 0, f
    # not one uplift on every item: of leadership's six gap cells, some only
    lead_sig = [
        c
        for c in checks
        if c["what"].startswith("w2 gap leadership") and c["holm"] is not None and c["holm"] < 0.05
    ]
    assert 0 < len(lead_sig) < len(FACTORS)


@pytest.mark.slow
def test_calibration_over_seeds() -> None:
    # Over other companies the intervals keep their coverage and the nulls
    # are rarely found: the seed-7 results above are not a lucky draw.
    covered, nulls, false_pos = 0.0, 0, 0
    seeds = range(1, 7)
    for seed in seeds:
        d = generate_demo(seed=seed)
        cs = _checks(d, planted_truth(d))
        covered += _coverage(cs)
        n = [c for c in cs if c["null"] and c["holm"] is not None]
        nulls += len(n)
        false_pos += sum(c["holm"] < 0.05 for c in n)
    assert covered / len(seeds) >= 0.93
    assert false_pos / nulls <= 0.1


def test_defected_customers_answered_before_leaving_and_score_lowest(
    demo: DemoData, truth: dict[str, Any]
) -> None:
    seg = analyze_perception(demo.study, demo.frame, wave="w1").segments
    assert seg is not None
    found = _comparisons(seg.gaps, "defected", "top")
    planted = truth["segments"]["w1"]["differences"]["defected-top"]
    for item in fx.DEFECTION_FACTORS:
        c = found[f"perf.{item}"]
        assert _inside(planted[f"perf.{item}"], c.ci_low, c.ci_high)
        assert (c.ci_high or 0) < 0
    # wave 2 still has defected customers: those who left after it closed
    assert truth["segments"]["w2"]["n"].get("defected", 0) >= 2


@pytest.mark.parametrize("wave", ["w1", "w2"])
def test_driver_analysis_finds_the_hidden_driver_and_not_the_null_one(
    demo: DemoData, truth: dict[str, Any], wave: str
) -> None:
    f = demo.frame
    customers = f[(f["source"] == "individual") & (f["audience"] == "customer")]
    customers = customers[customers["wave"] == wave]
    result = key_drivers(customers, "ltr", FACTORS, bootstrap=300, seed=0)
    drivers = {d.factor: d for d in result.drivers}
    hidden = drivers[f"perf.{truth['drivers']['hidden_driver']}"]
    null = drivers[f"perf.{truth['drivers']['null_driver']}"]
    assert hidden.rank == 1
    assert hidden.ci_low is not None and null.ci_high is not None
    assert hidden.ci_low > null.ci_high
    # weights are planted in this order at the top: empathy, then resolution
    assert drivers["perf.resolution"].importance > null.importance


def test_ledger_separates_the_accounts_that_left(demo: DemoData, truth: dict[str, Any]) -> None:
    weights = {m.key: m.weight for m in demo.study.moments}
    r = ledger_report(demo.events, demo.study.ledger, weights, EVENTS_END, accounts=demo.accounts)
    t = r.threshold_detail
    assert t.defected_accounts == truth["ledger"]["defected_accounts"]
    assert t.auc_ci_low is not None and t.auc_ci_low > 0.5
    # worse experience, more failures: accounts that left failed more often
    # before leaving than accounts that stayed (planted slope > 0)
    ev = demo.events.merge(demo.accounts[["account_id", "segment"]], on="account_id")
    ordinary = ev[ev["timestamp"] < pd.Timestamp("2025-09-01")]
    rate = ordinary.groupby("segment")["outcome"].apply(lambda s: (s == "failed").mean())
    assert truth["ledger"]["experience_slope"] > 0
    assert rate["defected"] > rate["top"]


def test_the_installed_demo_has_invitations_with_the_planted_response_rates(
    demo_db_url: str, demo: DemoData, truth: dict[str, Any]
) -> None:
    from cxgap.settings import Settings
    from cxgap.store.db import Database
    from cxgap.store.invitations import response_status

    with Database.open(Settings.load(database_url=demo_db_url)) as db:
        for wave in truth["waves"]:
            rows = {
                (r.audience, r.group, r.value): r
                for r in response_status(db, "demo", wave=wave).rows
            }
            customers = rows[("customer", None, None)]
            planted = truth["response_rates"][wave]["customer"]
            assert customers.invited == planted["invited"]
            assert customers.answered_invited == planted["answered"]
            assert customers.rate is not None and 0.2 <= customers.rate <= 0.4
            # nobody is invited to a wave that opens after their account left
            opens = pd.Timestamp(next(w.opens for w in demo.study.waves if w.key == wave))
            left = demo.accounts.set_index("account_id")["defected_at"]
            people = demo.people[demo.people["segment"] == "defected"]
            still_customers = (people["account_id"].map(left) > opens).sum()
            gone = rows[("customer", "segment", "defected")]
            assert gone.invited == still_customers
            assert gone.rate is not None and gone.rate < customers.rate
            assert gone.rate is not None and gone.rate < customers.rate
