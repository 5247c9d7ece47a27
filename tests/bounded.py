"""Independent references for the bounded intervals (issue 18): statsmodels'
Wilson interval at the Korn-Graubard effective n, and MOVER by hand."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

Z = stats.norm.ppf(0.975)


def reference(x: ArrayLike, low: float, high: float) -> tuple[float, float]:
    """Wilson at the Korn-Graubard effective n, through statsmodels."""
    y = (np.asarray(x, dtype=float) - low) / (high - low)
    n = len(y)
    p = y.mean()
    s2 = y.var(ddof=1)
    n_eff = float(n)
    if s2 > 0:
        n_eff = n * p * (1 - p) / s2 * (Z / stats.t.ppf(0.975, n - 1)) ** 2
    lo, hi = proportion_confint(p * n_eff, n_eff, alpha=0.05, method="wilson")
    return low + (high - low) * lo, low + (high - low) * hi


def mover_reference(a: ArrayLike, b: ArrayLike, low: float, high: float) -> tuple[float, float]:
    """MOVER (Zou & Donner 2008) interval of mean(a) - mean(b) from :func:`reference`."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    (la, ua), (lb, ub) = reference(x, low, high), reference(y, low, high)
    d = x.mean() - y.mean()
    return (
        d - math.hypot(x.mean() - la, ub - y.mean()),
        d + math.hypot(ua - x.mean(), y.mean() - lb),
    )
