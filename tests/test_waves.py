"""Change between waves and whether the gap is closing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxgap.analysis.perception.waves import (
    GapChange,
    SuppressedChange,
    WaveChange,
    gap_change_from_stats,
    wave_changes,
)


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for wave, cust_mean in (("w1", 2.5), ("w2", 3.5)):
        for aud, n, mean in (("leadership", 8, 4.5), ("customer", 40, cust_mean)):
            for v in np.clip(np.rint(rng.normal(mean, 0.8, n)), 1, 5):
                rows.append({"wave": wave, "audience": aud, "q": v})
    rows.append({"wave": "w1", "audience": "staff", "q": 4.0})
    rows.append({"wave": "w2", "audience": "staff", "q": 4.0})
    return pd.DataFrame(rows)


def test_change_in_one_audience_matches_scipy_welch() -> None:
    frame = _frame()
    res = wave_changes(frame, waves=["w1", "w2", "w3"], items=["q"])
    assert res.waves == ["w1", "w2"]
    pair = res.pairs[0]
    ch = next(c for c in pair.changes if c.audience == "customer")
    assert isinstance(ch, WaveChange)
    w1 = frame.query("wave == 'w1' and audience == 'customer'")["q"]
    w2 = frame.query("wave == 'w2' and audience == 'customer'")["q"]
    ref = stats.ttest_ind(w2, w1, equal_var=False)
    assert ch.change == pytest.approx(w2.mean() - w1.mean())
    assert ch.p_value == pytest.approx(ref.pvalue)
    assert (ch.ci_low, ch.ci_high) == pytest.approx(tuple(ref.confidence_interval()))


def test_gap_closes_when_customers_catch_up_and_staff_stay_hidden() -> None:
    res = wave_changes(_frame(), waves=["w1", "w2"], items=["q"])
    gaps = {g.audience: g for g in res.pairs[0].gaps}
    lead = gaps["leadership"]
    assert isinstance(lead, GapChange)
    assert lead.closing is True
    assert lead.change is not None
    assert lead.change < 0
    assert lead.ci_high is not None
    assert lead.ci_high < 0
    assert isinstance(gaps["staff"], SuppressedChange)


def test_gap_change_interval_by_hand() -> None:
    # se² = Σ s²/n over four cells; Welch–Satterthwaite df (Satterthwaite 1946).
    cells = [(4.5, 0.5, 10), (3.0, 1.0, 40), (4.4, 0.5, 10), (3.6, 1.0, 40)]
    change, lo, hi, df, p = gap_change_from_stats(*cells)
    parts = [v / n for _, v, n in cells]
    se = math.sqrt(sum(parts))
    dof = sum(parts) ** 2 / sum(q**2 / (n - 1) for q, (_, _, n) in zip(parts, cells, strict=True))
    assert change == pytest.approx(-0.7)
    assert df == pytest.approx(dof)
    q = stats.t.ppf(0.975, dof)
    assert (lo, hi) == pytest.approx((-0.7 - q * se, -0.7 + q * se))
    assert p == pytest.approx(2 * stats.t.sf(0.7 / se, dof))
