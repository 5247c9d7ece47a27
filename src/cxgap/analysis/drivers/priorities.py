"""Priorities: stated vs derived importance and the importance–performance map.

* **Stated importance** is the customers' mean answer to ``imp.<factor>``;
  **derived importance** is each factor's share of the R² of likelihood to
  recommend (``ltr``) regressed on the customers' ``perf.<factor>`` ratings
  (exact Shapley / LMG decomposition, :mod:`cxgap.analysis.drivers.keydrivers`).
  A *hidden driver* is above the average factor on derived importance and
  below it on stated importance; an *overrated* factor is the reverse.
* The **importance–performance map** (Martilla and James 1977) places each
  factor by importance and customer performance; the cross-hairs sit at the
  means of the factors (default) or at the scale midpoints, giving the four
  quadrants "Concentrate here", "Keep up the good work", "Low priority" and
  "Possible overkill". The **gap ranking** orders factors by importance minus
  performance.

The small helpers here (wave selection, an audience's rows, a numeric column)
are shared with :mod:`cxgap.analysis.drivers.defection` and :mod:`cxgap.analysis.plan.actions`;
means and their intervals come from :mod:`cxgap.analysis.perception.means`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from cxgap.analysis._base import Result, finite
from cxgap.analysis.drivers.keydrivers import DriversResult, Method, key_drivers
from cxgap.analysis.perception.means import MeanEstimate, mean_estimate
from cxgap.errors import AnalysisError
from cxgap.study.model import StudyDefinition

ImportanceBasis = Literal["stated", "derived"]
StudyOutcome = Literal["ltr", "excellent", "stay"]
QuadrantAt = Literal["means", "midpoints"]
Quadrant = Literal["Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"]
Verdict = Literal["hidden driver", "overrated", "consistent"]

__all__ = [
    "PrioritiesResult",
    "PriorityFactor",
    "StatedDerived",
    "analyze_drivers",
    "analyze_priorities",
    "audience_rows",
    "column_values",
    "quadrant",
    "select_wave",
]


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def select_wave(study: StudyDefinition, frame: pd.DataFrame, wave: str | None) -> str:
    """The wave to analyse: ``wave`` if given, else the study's latest wave
    with answers in ``frame``. Raises :class:`AnalysisError` when there is none.
    """
    missing = [c for c in ("audience", "wave") if c not in frame.columns]
    if missing:
        raise AnalysisError(f"the answers frame has no column {missing[0]!r}")
    keys = study.wave_keys()
    present = set(frame["wave"].dropna().astype(str).unique())  # unique() in C: 165k rows
    if wave is not None:
        if wave not in keys:
            raise AnalysisError(f"wave {wave!r} is not in study {study.slug!r} ({', '.join(keys)})")
        if wave not in present:
            raise AnalysisError(f"no answers in wave {wave!r}")
        return wave
    for key in reversed(keys):
        if key in present:
            return key
    raise AnalysisError(f"no answers in any wave of study {study.slug!r} ({', '.join(keys)})")


def audience_rows(frame: pd.DataFrame, audience: str, wave: str) -> pd.DataFrame:
    """Individual answers (not workshop sheets) of one audience in one wave."""
    rows = frame[(frame["audience"] == audience) & (frame["wave"] == wave)]
    if "source" in rows.columns:
        rows = rows[rows["source"].fillna("individual") != "workshop"]
    return rows


def column_values(rows: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
    """A numeric column as floats (all NaN when the column is absent)."""
    if column not in rows.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)


def item_scale(study: StudyDefinition, key: str) -> tuple[float, float] | None:
    """The (min, max) of a rating question's scale; ``None`` when it has none."""
    try:
        q = study.question(key)
    except KeyError:
        return None
    if q.scale_min is None or q.scale_max is None:
        return None
    return float(q.scale_min), float(q.scale_max)


def scale_of(study: StudyDefinition, key: str, default: tuple[float, float]) -> tuple[float, float]:
    """The (min, max) of a rating question's scale, ``default`` when it has none."""
    scale = item_scale(study, key)
    return default if scale is None else scale


# --------------------------------------------------------------------------
# Priorities
# --------------------------------------------------------------------------


class PriorityFactor(Result):
    """One factor on the importance–performance map."""

    factor: str
    label: str
    importance: float | None
    importance_n: int
    importance_ci_low: float | None = None
    importance_ci_high: float | None = None
    performance: MeanEstimate
    quadrant: Quadrant | None
    gap: float | None
    gap_ci_low: float | None = None
    gap_ci_high: float | None = None
    gap_n: int
    gap_rank: int | None


class StatedDerived(Result):
    """Stated and derived importance of one factor side by side."""

    factor: str
    label: str
    stated: MeanEstimate
    stated_rank: int | None
    derived_importance: float
    derived_share: float | None
    derived_ci_low: float | None = None
    derived_ci_high: float | None = None
    derived_rank: int
    verdict: Verdict | None


class PrioritiesResult(Result):
    """Priorities of one study wave (customers' answers)."""

    study: str
    wave: str
    importance: ImportanceBasis
    quadrant_at: QuadrantAt
    importance_cut: float | None
    performance_cut: float | None
    n_customers: int
    factors: list[PriorityFactor]
    stated_vs_derived: list[StatedDerived] | None
    derived: DriversResult | None
    derived_note: str | None = None


def quadrant(
    importance: float, performance: float, importance_cut: float, performance_cut: float
) -> Quadrant:
    """The Martilla–James quadrant of a point (on a cut counts as high).

    References
    ----------
    Martilla, J. A. and James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing* 41(1), 77-79.

    Examples
    --------
    >>> quadrant(4.5, 2.5, 4.0, 3.0)
    'Concentrate here'
    >>> quadrant(3.0, 4.0, 4.0, 3.0)
    'Possible overkill'
    """
    high_i = importance >= importance_cut
    high_p = performance >= performance_cut
    if high_i:
        return "Keep up the good work" if high_p else "Concentrate here"
    return "Possible overkill" if high_p else "Low priority"


def _ranks(values: list[float | None]) -> list[int | None]:
    """Rank 1 = largest; None stays None."""
    order = sorted(
        (i for i, v in enumerate(values) if v is not None),
        key=lambda i: -float(values[i]),  # type: ignore[arg-type]
    )
    out: list[int | None] = [None] * len(values)
    for r, i in enumerate(order, start=1):
        out[i] = r
    return out


def derived_importance(
    study: StudyDefinition,
    customers: pd.DataFrame,
    *,
    outcome: str = "ltr",
    method: Method = "shapley",
    bootstrap: int = 1000,
    seed: int | None = 0,
) -> DriversResult:
    """Drivers of an outcome on the customers' ``perf.<factor>`` ratings.

    ``outcome`` is ``ltr``, ``excellent``, any other numeric column, or
    ``stay`` (1 for a customer not in segment ``defected``, 0 for one who is).
    """
    cols = [f"perf.{f.key}" for f in study.factors]
    data = pd.DataFrame({c: column_values(customers, c) for c in cols})
    if outcome == "stay":
        if "segment" not in customers.columns:
            raise AnalysisError("the answers frame has no column 'segment'")
        data["stay"] = (customers["segment"] != "defected").to_numpy(dtype=float)
    else:
        data[outcome] = column_values(customers, outcome)
    return key_drivers(data, outcome, cols, method=method, bootstrap=bootstrap, seed=seed)


def analyze_drivers(
    study: StudyDefinition,
    frame: pd.DataFrame,
    *,
    outcome: StudyOutcome = "ltr",
    wave: str | None = None,
    method: Method = "shapley",
    bootstrap: int = 1000,
    seed: int | None = 0,
) -> DriversResult:
    """Key drivers of recommendation, excellence or staying in one study wave.

    Parameters
    ----------
    study : StudyDefinition
        Gives the factors.
    frame : pandas.DataFrame
        The wide answers frame; customers' individual answers are used.
    outcome : {"ltr", "excellent", "stay"}
        Likelihood to recommend, the "excellent" rating, or staying (segment
        other than ``defected``; a linear probability model).
    wave : str, optional
        Default the latest wave with answers.
    method : {"shapley", "relative-weights"}
        See :func:`cxgap.analysis.drivers.keydrivers.key_drivers`.
    bootstrap, seed : int
        Resamples and seed of the intervals.

    Returns
    -------
    DriversResult
        Factors named ``perf.<factor>``, strongest first.

    References
    ----------
    Grömping, U. (2006). *Journal of Statistical Software* 17(1), 1-27.
    Johnson, J. W. (2000). *Multivariate Behavioral Research* 35(1), 1-19.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxgap.study import default_study
    >>> study = default_study("demo", organisation="Acme")
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({f"perf.{f.key}": rng.integers(1, 6, 80).astype(float)
    ...                       for f in study.factors}).assign(audience="customer", wave="w1")
    >>> frame["excellent"] = frame["perf.empathy"]
    >>> analyze_drivers(study, frame, outcome="excellent", bootstrap=0).drivers[0].factor
    'perf.empathy'
    """
    if outcome not in ("ltr", "excellent", "stay"):
        raise AnalysisError(f"outcome must be ltr, excellent or stay, not {outcome!r}")
    wave_key = select_wave(study, frame, wave)
    customers = audience_rows(frame, "customer", wave_key)
    if customers.empty:
        raise AnalysisError(f"no customer answers in wave {wave_key!r}")
    return derived_importance(
        study, customers, outcome=outcome, method=method, bootstrap=bootstrap, seed=seed
    )


def analyze_priorities(
    study: StudyDefinition,
    frame: pd.DataFrame,
    *,
    importance: ImportanceBasis = "stated",
    wave: str | None = None,
    quadrant_at: QuadrantAt = "means",
    outcome: str = "ltr",
    bootstrap: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> PrioritiesResult:
    """Stated vs derived importance and the importance–performance map.

    Parameters
    ----------
    study : StudyDefinition
        Gives the factors, their labels and the rating scales.
    frame : pandas.DataFrame
        The wide answers frame (one row per response).
    importance : {"stated", "derived"}
        Importance axis of the map: customers' mean ``imp.<factor>``, or the
        factor's share of the R² of ``outcome`` on ``perf.<factor>``.
    wave : str, optional
        The wave to analyse; default the latest wave with answers.
    outcome : str
        The numeric column derived importance explains (default ``ltr``;
        :func:`cxgap.analysis.study.analyze_study` passes the study's outcome).
    quadrant_at : {"means", "midpoints"}
        Cross-hairs at the mean over factors, or at the scale midpoints (for
        derived importance the midpoint is an equal share, ``1/p``).
    bootstrap, seed : int
        Resamples and seed of the derived-importance intervals.
    confidence : float
        Level of every interval.

    Returns
    -------
    PrioritiesResult
        ``factors`` in gap-rank order with quadrant, importance, performance
        and the importance − performance gap (paired per respondent for
        stated importance; the difference of the two standardised scores for
        derived); ``stated_vs_derived`` with hidden drivers and overrated
        factors when derived importance can be computed (else
        ``derived_note`` says why). Means of importance and performance have
        the bounded interval on their question's scale and the stated gap
        the bounded interval on the gap's range (``imp_min - perf_max`` to
        ``imp_max - perf_min``; see
        :func:`~cxgap.analysis.perception.means.bounded_mean_interval`).

    References
    ----------
    Martilla, J. A. and James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing* 41(1), 77-79. Grömping, U. (2006). *Journal of
    Statistical Software* 17(1) (LMG). Korn, E. L., Graubard, B. I. (1998).
    *Survey Methodology* 24(2), 193-201 (bounded intervals).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxgap.study import default_study
    >>> study = default_study("demo", organisation="Acme")
    >>> rng = np.random.default_rng(0)
    >>> rows = {f"perf.{f.key}": rng.integers(1, 6, 60).astype(float) for f in study.factors}
    >>> rows |= {f"imp.{f.key}": rng.integers(3, 6, 60).astype(float) for f in study.factors}
    >>> frame = pd.DataFrame(rows).assign(audience="customer", wave="w1")
    >>> frame["ltr"] = (2 * frame["perf.resolution"] + rng.normal(0, 1, 60)).clip(0, 10)
    >>> res = analyze_priorities(study, frame, bootstrap=0)
    >>> res.wave, res.n_customers, len(res.factors)
    ('w1', 60, 6)
    >>> [s.factor for s in res.stated_vs_derived if s.derived_rank == 1]
    ['resolution']
    """
    if importance not in ("stated", "derived"):
        raise AnalysisError(f"importance must be 'stated' or 'derived', not {importance!r}")
    if quadrant_at not in ("means", "midpoints"):
        raise AnalysisError(f"quadrant_at must be 'means' or 'midpoints', not {quadrant_at!r}")
    wave_key = select_wave(study, frame, wave)
    customers = audience_rows(frame, "customer", wave_key)
    if customers.empty:
        raise AnalysisError(f"no customer answers in wave {wave_key!r}")
    factors = study.factors
    p = len(factors)

    # Means on their question's scale: bounded intervals (issue 18)
    perf_scale = {f.key: scale_of(study, f"perf.{f.key}", (1.0, 5.0)) for f in factors}
    imp_scale = {f.key: scale_of(study, f"imp.{f.key}", (1.0, 5.0)) for f in factors}
    performance = [
        mean_estimate(
            column_values(customers, f"perf.{f.key}"), confidence, scale=perf_scale[f.key]
        )
        for f in factors
    ]
    if all(e.n == 0 for e in performance):
        raise AnalysisError(f"no customer performance ratings (perf.*) in wave {wave_key!r}")
    stated = [
        mean_estimate(column_values(customers, f"imp.{f.key}"), confidence, scale=imp_scale[f.key])
        for f in factors
    ]

    derived: DriversResult | None = None
    derived_note: str | None = None
    try:
        derived = derived_importance(
            study, customers, outcome=outcome, bootstrap=bootstrap, seed=seed
        )
    except AnalysisError as exc:
        if importance == "derived":
            raise AnalysisError(f"derived importance is not available: {exc}") from None
        derived_note = str(exc)

    # Importance axis ----------------------------------------------------
    imp_values: list[float | None]
    imp_lo: list[float | None]
    imp_hi: list[float | None]
    imp_n: list[int]
    imp_values, imp_lo, imp_hi, imp_n = [None] * p, [None] * p, [None] * p, [0] * p
    if importance == "stated":
        if all(e.n == 0 for e in stated):
            raise AnalysisError(
                f"no customer importance ratings (imp.*) in wave {wave_key!r}; "
                "use derived importance"
            )
        imp_values = [e.mean for e in stated]
        imp_lo = [e.ci_low for e in stated]
        imp_hi = [e.ci_high for e in stated]
        imp_n = [e.n for e in stated]
    elif derived is not None:  # importance == "derived" raised above when None
        by = {d.factor: d for d in derived.drivers}
        ds = [by[f"perf.{f.key}"] for f in factors]
        imp_values = [d.share for d in ds]
        imp_lo = [None if d.ci_low is None else finite(d.ci_low / derived.r2) for d in ds]
        imp_hi = [None if d.ci_high is None else finite(d.ci_high / derived.r2) for d in ds]
        imp_n = [derived.n] * p

    perf_values = [e.mean for e in performance]
    known_i = [v for v in imp_values if v is not None]
    known_p = [v for v in perf_values if v is not None]
    if quadrant_at == "means":
        imp_cut = float(np.mean(known_i)) if known_i else None
        perf_cut = float(np.mean(known_p)) if known_p else None
    else:
        if importance == "stated":
            lo, hi = scale_of(study, f"imp.{factors[0].key}", (1.0, 5.0))
            imp_cut = (lo + hi) / 2
        else:
            imp_cut = 1.0 / p
        lo, hi = scale_of(study, f"perf.{factors[0].key}", (1.0, 5.0))
        perf_cut = (lo + hi) / 2

    # Gaps ----------------------------------------------------------------
    gaps: list[float | None] = []
    gap_lo: list[float | None] = []
    gap_hi: list[float | None] = []
    gap_n: list[int] = []
    if importance == "stated":
        for f in factors:
            paired = column_values(customers, f"imp.{f.key}") - column_values(
                customers, f"perf.{f.key}"
            )
            (il, ih), (pl, ph) = imp_scale[f.key], perf_scale[f.key]
            e = mean_estimate(paired, confidence, scale=(il - ph, ih - pl))
            gaps.append(e.mean)
            gap_lo.append(e.ci_low)
            gap_hi.append(e.ci_high)
            gap_n.append(e.n)
    else:
        z_i = _standardise(imp_values)
        z_p = _standardise(perf_values)
        for j in range(p):
            zi, zp = z_i[j], z_p[j]
            gaps.append(None if zi is None or zp is None else zi - zp)
            gap_lo.append(None)
            gap_hi.append(None)
            gap_n.append(min(imp_n[j], performance[j].n))
    gap_ranks = _ranks(gaps)

    rows: list[PriorityFactor] = []
    for j, f in enumerate(factors):
        iv, pv = imp_values[j], perf_values[j]
        quad: Quadrant | None = None
        if iv is not None and pv is not None and imp_cut is not None and perf_cut is not None:
            quad = quadrant(iv, pv, imp_cut, perf_cut)
        rows.append(
            PriorityFactor(
                factor=f.key,
                label=f.label,
                importance=iv,
                importance_n=imp_n[j],
                importance_ci_low=imp_lo[j],
                importance_ci_high=imp_hi[j],
                performance=performance[j],
                quadrant=quad,
                gap=gaps[j],
                gap_ci_low=gap_lo[j],
                gap_ci_high=gap_hi[j],
                gap_n=gap_n[j],
                gap_rank=gap_ranks[j],
            )
        )
    rows.sort(key=lambda r: (r.gap_rank is None, r.gap_rank or 0))

    return PrioritiesResult(
        study=study.slug,
        wave=wave_key,
        importance=importance,
        quadrant_at=quadrant_at,
        importance_cut=imp_cut,
        performance_cut=perf_cut,
        n_customers=len(customers),
        factors=rows,
        stated_vs_derived=None
        if derived is None or all(e.n == 0 for e in stated)
        else _stated_vs_derived(study, stated, derived),
        derived=derived,
        derived_note=derived_note,
    )


def _standardise(values: list[float | None]) -> list[float | None]:
    known = np.array([v for v in values if v is not None], dtype=float)
    if len(known) < 2 or known.std() == 0:
        return [None for _ in values]
    mu, sd = known.mean(), known.std()
    return [None if v is None else float((v - mu) / sd) for v in values]


def _stated_vs_derived(
    study: StudyDefinition, stated: list[MeanEstimate], derived: DriversResult
) -> list[StatedDerived]:
    p = len(study.factors)
    by = {d.factor: d for d in derived.drivers}
    stated_means = [e.mean for e in stated]
    known = [v for v in stated_means if v is not None]
    stated_cut = float(np.mean(known)) if known else None
    stated_ranks = _ranks(stated_means)
    out: list[StatedDerived] = []
    for j, f in enumerate(study.factors):
        d = by[f"perf.{f.key}"]
        s = stated_means[j]
        verdict: Verdict | None = None
        if s is not None and stated_cut is not None and d.share is not None:
            high_derived = d.share >= 1.0 / p
            high_stated = s >= stated_cut
            if high_derived and not high_stated:
                verdict = "hidden driver"
            elif high_stated and not high_derived:
                verdict = "overrated"
            else:
                verdict = "consistent"
        out.append(
            StatedDerived(
                factor=f.key,
                label=f.label,
                stated=stated[j],
                stated_rank=stated_ranks[j],
                derived_importance=d.importance,
                derived_share=d.share,
                derived_ci_low=d.ci_low,
                derived_ci_high=d.ci_high,
                derived_rank=d.rank,
                verdict=verdict,
            )
        )
    return out
