"""The whole perception-gap analysis of one study wave, as one object.

``analyze_perception`` is what ``cxgap analyze SLUG`` prints with ``--json``
and what the report and the dashboard render: the gap matrix of the three
audiences, the "excellent" headline, NPS with predicted vs actual, the
customer segments, the change between waves, stated importance and what each
group says makes customers leave. Leadership workshop sheets
(``source == "workshop"``) carry only open answers and are left out here.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from cxgap.analysis._base import Result, Suppressed
from cxgap.analysis.perception.attributes import AttributeBreakdown, attribute_breakdowns
from cxgap.analysis.perception.excellent import ExcellentHeadline, excellent_headline
from cxgap.analysis.perception.gaps import GapMatrix, gap_matrix, suppression_reason
from cxgap.analysis.perception.importance import (
    DefectionFactors,
    StatedImportance,
    defection_factor_shares,
    stated_importance,
)
from cxgap.analysis.perception.nps import (
    NpsEstimate,
    NpsMethod,
    NpsPrediction,
    expected_nps,
    nps_estimate,
    predicted_vs_actual,
)
from cxgap.analysis.perception.segments import SegmentComparison, segment_comparison
from cxgap.analysis.perception.waves import WaveChanges, wave_changes
from cxgap.contracts.disclosure import team_withholding
from cxgap.errors import AnalysisError
from cxgap.study.model import AUDIENCES, StudyDefinition

__all__ = [
    "PerceptionAnalysis",
    "PerceptionNps",
    "SuppressedPrediction",
    "analyze_perception",
]

_PROTECTED = ("leadership", "staff")
AUDIENCE_PAIRS: tuple[tuple[str, str], ...] = (
    ("leadership", "customer"),
    ("staff", "customer"),
    ("leadership", "staff"),
)


class SuppressedPrediction(Suppressed):
    """An expected NPS withheld (anonymity threshold)."""

    audience: str


class PerceptionNps(Result):
    """The customers' NPS and the NPS leadership and staff expect."""

    customers: NpsEstimate
    predicted: list[NpsPrediction | SuppressedPrediction]


class PerceptionAnalysis(Result):
    """The perception-gap analysis of one wave of a study (see docs/ANALYSIS.md)."""

    kind: Literal["perception"] = "perception"
    study: str
    wave: str
    confidence: float
    anonymity_threshold: int
    respondents: dict[str, int]
    gaps: GapMatrix
    teams: GapMatrix | None
    excellent: ExcellentHeadline
    nps: PerceptionNps
    segments: SegmentComparison | None
    attributes: list[AttributeBreakdown] = Field(default_factory=list)
    waves: WaveChanges
    importance: StatedImportance
    defection_factors: DefectionFactors


def _scales(study: StudyDefinition, items: list[str]) -> dict[str, tuple[float, float]]:
    """The scale of each item whose question has one (intervals stay on it)."""
    out: dict[str, tuple[float, float]] = {}
    for item in items:
        try:
            q = study.question(item)
        except KeyError:
            continue
        if q.scale_min is not None and q.scale_max is not None:
            out[item] = (float(q.scale_min), float(q.scale_max))
    return out


def _importance_scale(study: StudyDefinition) -> tuple[float, float] | None:
    """The one scale of the ``imp.<factor>`` questions, when they share one."""
    scales = set(_scales(study, [f"imp.{f.key}" for f in study.factors]).values())
    return scales.pop() if len(scales) == 1 else None


def _top_box(study: StudyDefinition, items: list[str]) -> float:
    highs = set()
    for item in items:
        try:
            q = study.question(item)
        except KeyError:
            continue
        if q.scale_max is not None:
            highs.add(q.scale_max)
    return (max(highs) if highs else 5.0) - 1


def analyze_perception(
    study: StudyDefinition,
    frame: pd.DataFrame,
    *,
    wave: str | None = None,
    confidence: float = 0.95,
    nps_method: NpsMethod = "wilson-effective-n",
) -> PerceptionAnalysis:
    """The perception-gap analysis of one wave of a study.

    Parameters
    ----------
    study : StudyDefinition
        The study (factors, touchpoints, segments, waves, defection reasons,
        anonymity threshold).
    frame : pandas.DataFrame
        The wide frame of the study, every wave (one row per response; see
        ``cxgap.store.frames``).
    wave : str, optional
        The wave to analyse (default: the latest wave with responses). The
        ``waves`` part always compares every pair of consecutive waves.
    confidence : float
        Two-sided confidence level of every interval.
    nps_method : str
        NPS interval method: ``wilson-effective-n`` (default),
        ``adjusted-wald``, ``wald`` or ``bootstrap``.

    Returns
    -------
    PerceptionAnalysis
        ``gaps`` (audiences on ``perf.*`` and ``tp.*``), ``teams`` (staff by
        team), ``excellent``, ``nps``, ``segments``, ``waves``, ``importance``
        and ``defection_factors``; leadership, staff and team cells below the
        study's anonymity threshold are replaced by suppressed markers.

    References
    ----------
    See :mod:`cxgap.analysis.perception.gaps`, :mod:`cxgap.analysis.perception.nps`,
    :mod:`cxgap.analysis.perception.excellent`, :mod:`cxgap.analysis.perception.importance`,
    :mod:`cxgap.analysis.perception.waves` for the methods and their sources.

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> study = default_study("demo", organisation="X")
    >>> df = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(12)],
    ...     "audience": ["leadership"] * 6 + ["customer"] * 6, "wave": "w1",
    ...     "source": "individual", "segment": [None] * 6 + ["top"] * 6,
    ...     "perf.resolution": [5, 4, 5, 5, 4, 5, 2, 3, 2, 3, 3, 2],
    ...     "excellent": [5, 5, 5, 5, 4, 5, 3, 3, 5, 2, 3, 3]})
    >>> res = analyze_perception(study, df)
    >>> res.excellent.headline
    '83% of leadership call the service excellent; 17% of customers do.'
    """
    for col in ("audience", "wave"):
        if col not in frame.columns:
            raise AnalysisError(f"the study frame has no {col!r} column")
    threshold = study.anonymity_threshold
    individual = frame
    if "source" in frame.columns:
        individual = frame[frame["source"].astype("string").fillna("individual") != "workshop"]
    waves_present = {str(w) for w in pd.unique(individual["wave"].dropna())}
    order = study.wave_keys()
    if wave is None:
        candidates = [w for w in order if w in waves_present]
        if not candidates:
            raise AnalysisError(f"study {study.slug!r} has no responses yet")
        wave = candidates[-1]
    elif wave not in order:
        raise AnalysisError(
            f"study {study.slug!r} has no wave {wave!r} (waves: {', '.join(order)})"
        )
    current = individual[individual["wave"].astype("string") == wave]
    if current.empty:
        raise AnalysisError(f"wave {wave!r} of study {study.slug!r} has no responses")

    items = [f"perf.{f.key}" for f in study.factors] + [f"tp.{t.key}" for t in study.touchpoints]
    items = [c for c in items if c in frame.columns]
    if not items:
        raise AnalysisError("the study frame has no perf.* or tp.* columns to compare")
    top = _top_box(study, items)
    scales = _scales(study, items)
    audiences = current["audience"].astype("string")
    respondents: dict[str, int] = {a: int((audiences == a).sum()) for a in AUDIENCES}

    gaps = gap_matrix(
        current,
        group="audience",
        items=items,
        groups=list(AUDIENCES),
        pairs=list(AUDIENCE_PAIRS),
        confidence=confidence,
        top_box_min=top,
        protected=_PROTECTED,
        anonymity_threshold=threshold,
        scale=scales,
    )
    teams = None
    staff = current[audiences == "staff"]
    if "team" in current.columns and staff["team"].notna().any():
        team_keys = [t.key for t in study.touchpoints]
        seen = {str(t) for t in pd.unique(staff["team"].dropna())}
        groups = [t for t in team_keys if t in seen] + sorted(seen - set(team_keys))
        # The staff audience's cell is the total of these teams: complements
        # are withheld too, per item and per respondent, so that the total
        # minus the shown teams never gives a small team back.
        teams = gap_matrix(
            staff,
            group="team",
            items=items,
            groups=groups,
            pairs=[],
            confidence=confidence,
            top_box_min=top,
            protected=groups,
            anonymity_threshold=threshold,
            complementary=True,
            withheld=list(team_withholding(staff, threshold)),
            scale=scales,
        )

    excellent = excellent_headline(current, anonymity_threshold=threshold, confidence=confidence)

    def column_of(name: str) -> pd.Series:
        if name in current.columns:
            return current[name]
        return pd.Series(float("nan"), index=current.index)

    cust_mask = (audiences == "customer").fillna(False).to_numpy(bool)
    customers_nps = nps_estimate(
        column_of("ltr").to_numpy(dtype=float)[cust_mask], method=nps_method, confidence=confidence
    )
    predicted: list[NpsPrediction | SuppressedPrediction] = []
    for aud in _PROTECTED:
        mask = (audiences == aud).fillna(False).to_numpy(bool)
        exp = expected_nps(
            column_of("expected_promoters").to_numpy(dtype=float)[mask],
            column_of("expected_detractors").to_numpy(dtype=float)[mask],
            audience=aud,
            confidence=confidence,
        )
        if 0 < exp.n < threshold:
            predicted.append(
                SuppressedPrediction(audience=aud, reason=suppression_reason(aud, threshold))
            )
        else:
            predicted.append(predicted_vs_actual(exp, customers_nps))

    segments = None
    seg_keys = [s.key for s in study.segments]
    if "segment" in current.columns and bool(
        current.loc[cust_mask, "segment"].astype("string").isin(seg_keys).any()
    ):
        segments = segment_comparison(
            current,
            items=items,
            segments=seg_keys,
            top_box_min=top,
            nps_method=nps_method,
            confidence=confidence,
            scale=scales,
        )

    return PerceptionAnalysis(
        study=study.slug,
        wave=wave,
        confidence=confidence,
        anonymity_threshold=threshold,
        respondents=respondents,
        gaps=gaps,
        teams=teams,
        excellent=excellent,
        nps=PerceptionNps(customers=customers_nps, predicted=predicted),
        segments=segments,
        attributes=attribute_breakdowns(
            current,
            study.attributes,
            items=items,
            anonymity_threshold=threshold,
            top_box_min=top,
            nps_method=nps_method,
            confidence=confidence,
        ),
        waves=wave_changes(
            individual,
            waves=order,
            items=items,
            anonymity_threshold=threshold,
            confidence=confidence,
            nps_method=nps_method,
            scale=scales,
        ),
        importance=stated_importance(
            current,
            [f.key for f in study.factors],
            anonymity_threshold=threshold,
            confidence=confidence,
            scale=_importance_scale(study),
        ),
        defection_factors=defection_factor_shares(
            current,
            study.defection_reasons,
            segments=seg_keys,
            anonymity_threshold=threshold,
            confidence=confidence,
        ),
    )
