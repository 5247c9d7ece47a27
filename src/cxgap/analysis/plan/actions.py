"""The action plan: candidate actions per factor × touchpoint, and their progress.

Each candidate action targets one factor at one touchpoint ("Resolution at
Support"). Its **priority score**, from 0 to 100, is

    priority = 100 · I · S · (1 + G) / 2

* ``I``, importance in [0, 1]: the customers' stated importance of the factor
  rescaled from its scale, ``(mean imp − min)/(max − min)``; or with derived
  importance, the factor's share of the R² of ``ltr`` divided by the largest
  share.
* ``S``, shortfall in [0, 1]: how far customers' ratings fall below the top
  of the scale, ``(max − mean)/(max − min)``, averaged over the factor
  (``perf.<factor>``) and the touchpoint (``tp.<touchpoint>``).
* ``G``, blind spot in [0, 1]: how much higher leadership rates the action's
  item than customers do, ``max(0, leadership − customers)/(max − min)``,
  on the per-respondent mean of the factor and touchpoint ratings. A gap
  leadership does not see doubles the weight of a shortfall at most.

This is the importance-weighted performance gap of importance–performance
analysis (Martilla and James 1977) multiplied by the perception gap of the
gaps model (Parasuraman, Zeithaml and Berry 1985, gap 1: management's
perception of customers' experience).

Each action carries its evidence: the numbers above with their n and
intervals, up to three quotes from staff (``open.barriers`` / ``open.levers``)
and up to three customer suggestions (``open.improve``), each tagged with the
action's factor and with its touchpoint (or with no other touchpoint), those
naming the touchpoint first, then the most negative
(:func:`cxgap.analysis.voice.evidence.rank_evidence`); staff quotes only from
teams with at least the study's anonymity threshold of respondents.

:func:`action_progress` re-measures an action's leadership–customer gap in a
later wave and says whether it closed.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from cxgap.analysis._base import Result, Suppressed, finite
from cxgap.analysis.drivers.priorities import (
    ImportanceBasis,
    audience_rows,
    column_values,
    derived_importance,
    item_scale,
    scale_of,
    select_wave,
)
from cxgap.analysis.perception.means import (
    MeanEstimate,
    WelchComparison,
    bounded_welch,
    mean_estimate,
    mover_combination,
)
from cxgap.analysis.voice.evidence import Tagged, rank_evidence
from cxgap.analysis.voice.sentiment import SentimentCache
from cxgap.analysis.voice.tagging import build_lexicon
from cxgap.analysis.voice.text import quote_text
from cxgap.contracts.disclosure import counted_rows
from cxgap.errors import AnalysisError
from cxgap.study.model import StudyDefinition

QuoteQuestion = Literal["barriers", "levers", "improve"]
Status = Literal[
    "closed", "narrowed", "unchanged", "widened", "no gap at baseline", "insufficient data"
]
MAX_QUOTES = 3

__all__ = [
    "ActionEvidence",
    "ActionPlan",
    "ActionProgress",
    "AudienceGap",
    "CandidateAction",
    "Quote",
    "SuppressedTeam",
    "action_progress",
    "candidate_actions",
    "leadership_customer_gap",
    "priority_score",
]


class AudienceGap(Result):
    """Leadership's mean minus customers' mean on an item (Welch interval).

    Positive: leadership believes customers experience it better than they do.
    """

    items: list[str]
    leadership: MeanEstimate
    customers: MeanEstimate
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    ci_method: str = "welch"


class Quote(Result):
    """An open answer quoted as evidence (no respondent id)."""

    text: str
    question: QuoteQuestion
    audience: Literal["staff", "customer"]
    team: str | None = None
    segment: str | None = None


class SuppressedTeam(Suppressed):
    """A staff team whose answers are withheld (below the anonymity threshold)."""

    team: str


class ActionEvidence(Result):
    """The numbers and quotes behind one candidate action."""

    importance: float | None
    importance_n: int
    customer_factor: MeanEstimate
    customer_touchpoint: MeanEstimate
    leadership_factor: MeanEstimate
    leadership_touchpoint: MeanEstimate
    gap: AudienceGap
    staff_quotes: list[Quote]
    customer_quotes: list[Quote]


class CandidateAction(Result):
    """One candidate action, factor × touchpoint, with its priority and evidence."""

    key: str
    title: str
    factor: str
    factor_label: str
    touchpoint: str
    touchpoint_label: str
    priority: float | None
    rank: int | None
    importance_score: float | None
    shortfall: float | None
    blind_spot: float
    evidence: ActionEvidence


class ActionPlan(Result):
    """Candidate actions of one wave, highest priority first."""

    study: str
    wave: str
    importance: ImportanceBasis
    anonymity_threshold: int
    n_customers: int
    n_leadership: int
    n_staff: int
    actions: list[CandidateAction]
    suppressed_teams: list[SuppressedTeam]
    notes: list[str]


class ActionProgress(Result):
    """Whether one action's leadership–customer gap closed between two waves."""

    factor: str
    touchpoint: str | None
    baseline_wave: str
    followup_wave: str
    baseline: AudienceGap
    followup: AudienceGap
    gap_change: float | None
    gap_change_ci_low: float | None
    gap_change_ci_high: float | None
    customer_change: WelchComparison
    status: Status
    explanation: str


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _composite(rows: pd.DataFrame, items: list[str]) -> npt.NDArray[np.float64]:
    """Per-respondent mean of ``items``; NaN unless every item was answered."""
    if not len(rows):
        return np.array([], dtype=float)
    stacked = np.column_stack([column_values(rows, c) for c in items])
    out = np.full(len(rows), np.nan)
    ok = np.isfinite(stacked).all(axis=1)
    out[ok] = stacked[ok].mean(axis=1)
    return out


def leadership_customer_gap(
    leadership: pd.DataFrame,
    customers: pd.DataFrame,
    items: list[str],
    confidence: float = 0.95,
    *,
    scale: tuple[float, float] | None = None,
) -> AudienceGap:
    """Leadership minus customers on the per-respondent mean of ``items``.

    Parameters
    ----------
    leadership, customers : pandas.DataFrame
        The two audiences' rows of the wide answers frame.
    items : list of str
        Rating columns on one scale (e.g. ``["perf.resolution",
        "tp.support"]``); a respondent counts when they answered all of them.
    confidence : float
        Level of the intervals.
    scale : (float, float), optional
        The lowest and highest possible value of the per-respondent mean.
        With it the means get the bounded interval and the difference the
        MOVER interval (method ``mover-wilson-effective-n``), which never
        leave the scale; without it, Student's t and Welch's intervals.

    Returns
    -------
    AudienceGap
        Both means with their n and intervals, and the difference with its
        interval (``ci_method``) and Welch's p-value.

    References
    ----------
    Welch, B. L. (1947). *Biometrika* 34, 28-35. Zou, G. Y. and Donner, A.
    (2008). *Statistics in Medicine* 27(10), 1693-1702 (MOVER). Parasuraman, A., Zeithaml,
    V. A. and Berry, L. L. (1985). A conceptual model of service quality.
    *Journal of Marketing* 49(4), 41-50 (gap 1).

    Examples
    --------
    >>> import pandas as pd
    >>> lead = pd.DataFrame({"perf.time_effort": [4.0, 5, 4, 5]})
    >>> cust = pd.DataFrame({"perf.time_effort": [2.0, 3, 2, 3, 2]})
    >>> g = leadership_customer_gap(lead, cust, ["perf.time_effort"])
    >>> round(g.difference, 3), g.leadership.n, g.customers.n
    (2.1, 4, 5)
    """
    a, b = _composite(leadership, items), _composite(customers, items)
    w = bounded_welch(a, b, scale, confidence)
    return AudienceGap(
        items=items,
        leadership=mean_estimate(a, confidence, scale=scale),
        customers=mean_estimate(b, confidence, scale=scale),
        difference=w.difference,
        ci_low=w.ci_low,
        ci_high=w.ci_high,
        p_value=w.p_value,
        ci_method=w.ci_method,
    )


def composite_scale(study: StudyDefinition, items: list[str]) -> tuple[float, float] | None:
    """Bounds of the per-respondent mean of ``items``: the means of their scales' ends.

    ``None`` when an item has no stated scale.
    """
    scales = [item_scale(study, i) for i in items]
    if not scales or any(s is None for s in scales):
        return None
    known = [s for s in scales if s is not None]
    return float(np.mean([s[0] for s in known])), float(np.mean([s[1] for s in known]))


def priority_score(importance: float, shortfall: float, blind_spot: float) -> float:
    """``100 · I · S · (1 + G) / 2``, each input clipped to [0, 1].

    References
    ----------
    Martilla, J. A. and James, J. C. (1977). *Journal of Marketing* 41(1),
    77-79 (importance-weighted shortfall).

    Examples
    --------
    >>> priority_score(1.0, 0.5, 0.0)
    25.0
    >>> priority_score(0.8, 0.5, 0.5)
    30.0
    """

    def clip(x: float) -> float:
        return min(1.0, max(0.0, x))

    return 100.0 * clip(importance) * clip(shortfall) * (1.0 + clip(blind_spot)) / 2.0


def _texts(rows: pd.DataFrame, column: str) -> list[tuple[int, str]]:
    if column not in rows.columns:
        return []
    out = []
    for pos, value in enumerate(rows[column].tolist()):
        if isinstance(value, str) and value.strip():
            out.append((pos, value.strip()))
    return out


def _team_sizes(staff: pd.DataFrame) -> dict[str, int]:
    """Distinct respondents of each staff team that count toward the
    anonymity threshold (not an open link's)."""
    if staff.empty:
        return {}
    teams = staff["team"].fillna("") if "team" in staff.columns else pd.Series("", staff.index)
    ids = (
        staff["respondent_id"]
        if "respondent_id" in staff.columns
        else pd.Series(range(len(staff)), index=staff.index)
    )
    counted = counted_rows(staff)
    sizes = ids[counted].groupby(teams.to_numpy()[counted]).nunique()
    return {str(k): int(sizes.get(k, 0)) for k in pd.unique(teams.to_numpy())}


# --------------------------------------------------------------------------
# Candidate actions
# --------------------------------------------------------------------------


def candidate_actions(
    study: StudyDefinition,
    frame: pd.DataFrame,
    wave: str | None = None,
    *,
    importance: ImportanceBasis = "stated",
    confidence: float = 0.95,
) -> ActionPlan:
    """Candidate actions for every factor × touchpoint, ranked by priority score.

    Parameters
    ----------
    study : StudyDefinition
        Factors (with their lexicons), touchpoints, scales and the anonymity
        threshold.
    frame : pandas.DataFrame
        The wide answers frame.
    wave : str, optional
        The wave to plan from; default the latest wave with answers.
    importance : {"stated", "derived"}
        Customers' stated importance, or derived importance (LMG share of
        ``ltr`` on the factor ratings).
    confidence : float
        Level of every interval.

    Returns
    -------
    ActionPlan
        ``actions`` highest priority first (score defined in the module
        docstring) with their evidence; ``suppressed_teams`` lists staff teams
        whose quotes are withheld; ``notes`` say what could not be computed.

    References
    ----------
    Martilla, J. A. and James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing* 41(1), 77-79. Parasuraman, A., Zeithaml, V. A. and
    Berry, L. L. (1985). *Journal of Marketing* 49(4), 41-50.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study import default_study
    >>> study = default_study("demo", organisation="Acme")
    >>> frame = pd.DataFrame({
    ...     "audience": ["customer"] * 3 + ["leadership"] * 2, "wave": "w1",
    ...     "perf.resolution": [2.0, 2, 3, 5, 4], "imp.resolution": [5.0, 5, 4, None, None],
    ...     "tp.support": [2.0, 1, 2, 4, 5],
    ... })
    >>> plan = candidate_actions(study, frame)
    >>> top = plan.actions[0]
    >>> top.title, round(top.priority, 1)
    ('Resolution at Support', 55.9)
    """
    if importance not in ("stated", "derived"):
        raise AnalysisError(f"importance must be 'stated' or 'derived', not {importance!r}")
    wave_key = select_wave(study, frame, wave)
    customers = audience_rows(frame, "customer", wave_key)
    leaders = audience_rows(frame, "leadership", wave_key)
    staff = audience_rows(frame, "staff", wave_key)
    if customers.empty:
        raise AnalysisError(f"no customer answers in wave {wave_key!r}")
    notes: list[str] = []

    # Importance per factor, in [0, 1].
    imp_score: dict[str, float | None] = {}
    imp_value: dict[str, float | None] = {}
    imp_n: dict[str, int] = {}
    if importance == "stated":
        for f in study.factors:
            lo, hi = scale_of(study, f"imp.{f.key}", (1.0, 5.0))
            est = mean_estimate(
                column_values(customers, f"imp.{f.key}"), confidence, scale=(lo, hi)
            )
            imp_value[f.key] = est.mean
            imp_n[f.key] = est.n
            imp_score[f.key] = None if est.mean is None else (est.mean - lo) / (hi - lo)
        missing = [f.key for f in study.factors if imp_score[f.key] is None]
        if missing:
            notes.append(f"no stated importance for {', '.join(missing)}: not ranked")
    else:
        try:
            drivers = derived_importance(study, customers, bootstrap=0)
        except AnalysisError as exc:
            raise AnalysisError(f"derived importance is not available: {exc}") from None
        shares = {d.factor.removeprefix("perf."): d.share or 0.0 for d in drivers.drivers}
        top = max(shares.values()) if shares else 0.0
        for f in study.factors:
            imp_value[f.key] = shares[f.key]
            imp_n[f.key] = drivers.n
            imp_score[f.key] = shares[f.key] / top if top > 0 else None

    # Staff teams and their quotes.
    threshold = study.anonymity_threshold
    sizes = _team_sizes(staff)
    allowed = {t for t, n in sizes.items() if n >= threshold}
    suppressed = [
        SuppressedTeam(
            team=t or "(no team)",
            reason=f"fewer than {threshold} respondents: answers withheld for anonymity",
        )
        for t in sorted(sizes)
        if t not in allowed
    ]
    staff_team = (
        staff["team"].fillna("").astype(str).tolist()
        if "team" in staff.columns
        else [""] * len(staff)
    )
    questions: tuple[QuoteQuestion, ...] = ("barriers", "levers")
    staff_texts = [
        (q, pos, text)
        for q in questions
        for pos, text in _texts(staff, f"open.{q}")
        if staff_team[pos] in allowed
    ]
    segments = (
        customers["segment"].tolist() if "segment" in customers.columns else [None] * len(customers)
    )
    customer_texts = _texts(customers, "open.improve")
    if leaders.empty:
        notes.append(f"no leadership answers in wave {wave_key!r}: blind spot taken as 0")

    lexicon = build_lexicon(study)
    cache = SentimentCache()
    customer_tagged = Tagged([t for _, t in customer_texts], lexicon, cache)
    staff_tagged = Tagged([t for _, _, t in staff_texts], lexicon, cache)
    actions: list[CandidateAction] = []
    for f in study.factors:
        f_lo, f_hi = scale_of(study, f"perf.{f.key}", (1.0, 5.0))
        f_scale = (f_lo, f_hi)
        cust_f = mean_estimate(column_values(customers, f"perf.{f.key}"), confidence, scale=f_scale)
        lead_f = mean_estimate(column_values(leaders, f"perf.{f.key}"), confidence, scale=f_scale)
        for tp in study.touchpoints:
            # Quotes tagged with this factor at this touchpoint, complaints first.
            picked = rank_evidence(
                customer_tagged, factor=f.key, touchpoint=tp.key, limit=MAX_QUOTES
            )
            cust_quotes = [
                Quote(
                    text=quote_text(customer_texts[i][1]),
                    question="improve",
                    audience="customer",
                    segment=segments[customer_texts[i][0]],
                )
                for i in picked
            ]
            t_lo, t_hi = scale_of(study, f"tp.{tp.key}", (f_lo, f_hi))
            t_scale = (t_lo, t_hi)
            cust_t = mean_estimate(
                column_values(customers, f"tp.{tp.key}"), confidence, scale=t_scale
            )
            lead_t = mean_estimate(
                column_values(leaders, f"tp.{tp.key}"), confidence, scale=t_scale
            )
            shortfalls = [
                (hi - e.mean) / (hi - lo)
                for e, lo, hi in ((cust_f, f_lo, f_hi), (cust_t, t_lo, t_hi))
                if e.mean is not None
            ]
            shortfall = float(np.mean(shortfalls)) if shortfalls else None
            items = [f"perf.{f.key}", f"tp.{tp.key}"]
            if cust_t.n == 0 and lead_t.n == 0:
                items = [f"perf.{f.key}"]
            bounds = (f_scale, t_scale)[: len(items)]
            gap = leadership_customer_gap(
                leaders,
                customers,
                items,
                confidence,
                scale=(
                    float(np.mean([b[0] for b in bounds])),
                    float(np.mean([b[1] for b in bounds])),
                ),
            )
            blind = 0.0
            if gap.difference is not None:
                blind = min(1.0, max(0.0, gap.difference / (f_hi - f_lo)))
            i_score = imp_score[f.key]
            priority = (
                None
                if i_score is None or shortfall is None
                else priority_score(i_score, shortfall, blind)
            )
            # Staff quotes the same way, the touchpoint's own team first.
            chosen = rank_evidence(
                staff_tagged, factor=f.key, touchpoint=tp.key, limit=len(staff_texts)
            )
            ordered = sorted(
                (staff_texts[i] for i in chosen), key=lambda x: staff_team[x[1]] != tp.key
            )
            staff_quotes = [
                Quote(
                    text=quote_text(t), question=q, audience="staff", team=staff_team[pos] or None
                )
                for q, pos, t in ordered[:MAX_QUOTES]
            ]
            actions.append(
                CandidateAction(
                    key=f"{f.key}.{tp.key}",
                    title=f"{f.label} at {tp.label}",
                    factor=f.key,
                    factor_label=f.label,
                    touchpoint=tp.key,
                    touchpoint_label=tp.label,
                    priority=finite(priority),
                    rank=None,
                    importance_score=finite(i_score),
                    shortfall=finite(shortfall),
                    blind_spot=blind,
                    evidence=ActionEvidence(
                        importance=imp_value[f.key],
                        importance_n=imp_n[f.key],
                        customer_factor=cust_f,
                        customer_touchpoint=cust_t,
                        leadership_factor=lead_f,
                        leadership_touchpoint=lead_t,
                        gap=gap,
                        staff_quotes=staff_quotes,
                        customer_quotes=cust_quotes,
                    ),
                )
            )
    actions.sort(key=lambda a: (a.priority is None, -(a.priority or 0.0)))
    ranked = [
        a.model_copy(update={"rank": i + 1 if a.priority is not None else None})
        for i, a in enumerate(actions)
    ]
    return ActionPlan(
        study=study.slug,
        wave=wave_key,
        importance=importance,
        anonymity_threshold=threshold,
        n_customers=len(customers),
        n_leadership=len(leaders),
        n_staff=len(staff),
        actions=ranked,
        suppressed_teams=suppressed,
        notes=notes,
    )


# --------------------------------------------------------------------------
# Progress between waves
# --------------------------------------------------------------------------


def action_progress(
    study: StudyDefinition,
    frame: pd.DataFrame,
    factor: str,
    touchpoint: str | None,
    baseline_wave: str,
    followup_wave: str,
    *,
    confidence: float = 0.95,
) -> ActionProgress:
    """Whether an action's leadership–customer gap closed by a later wave.

    The gap is leadership's mean minus customers' mean on the per-respondent
    mean of ``perf.<factor>`` and ``tp.<touchpoint>`` (the factor alone when
    ``touchpoint`` is None). Its change between waves has the normal interval
    ``Δ ± z √(se₁² + se₂²)``, treating the waves as independent samples.

    The status is, in this order: ``insufficient data`` (fewer than 2
    leaders or customers in a wave); ``no gap at baseline`` (the baseline
    interval reaches 0 or below); ``closed`` (the follow-up interval reaches
    0 or below); ``narrowed`` / ``widened`` (the change's interval is below /
    above 0); else ``unchanged``.

    Parameters
    ----------
    study : StudyDefinition
        The study (its factors, touchpoints and waves).
    frame : pandas.DataFrame
        The wide answers frame holding both waves.
    factor, touchpoint : str
        The action's factor and touchpoint keys.
    baseline_wave, followup_wave : str
        The wave the action was planned from and the wave that re-measures it.
    confidence : float
        Level of every interval.

    Returns
    -------
    ActionProgress
        Both waves' gaps, the change with its interval (on items with a
        stated scale, MOVER over the two waves' bounded gap intervals, so it
        stays within the scale's range; otherwise normal), the customers' own
        change (Welch), the status and a one-line explanation.

    References
    ----------
    Welch, B. L. (1947). *Biometrika* 34, 28-35. Zou, G. Y. and Donner, A.
    (2008). *Statistics in Medicine* 27(10), 1693-1702. Altman, D. G. and Bland,
    J. M. (2003). Interaction revisited: the difference between two
    estimates. *BMJ* 326, 219.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxgap.study import default_study
    >>> from cxgap.study.model import Wave
    >>> study = default_study("demo", organisation="Acme").model_copy(
    ...     update={"waves": [Wave(key="w1", label="1"), Wave(key="w2", label="2")]})
    >>> frame = pd.DataFrame({
    ...     "audience": (["leadership"] * 5 + ["customer"] * 5) * 2,
    ...     "wave": ["w1"] * 10 + ["w2"] * 10,
    ...     "perf.resolution": [5.0, 4, 5, 5, 4, 2, 1, 2, 1, 2, 4, 4, 3, 4, 3, 4, 3, 4, 3, 4],
    ... })
    >>> action_progress(study, frame, "resolution", None, "w1", "w2").status
    'closed'
    """
    factors = {f.key for f in study.factors}
    if factor not in factors:
        raise AnalysisError(f"unknown factor {factor!r} (factors: {', '.join(sorted(factors))})")
    if touchpoint is not None and touchpoint not in {t.key for t in study.touchpoints}:
        raise AnalysisError(f"unknown touchpoint {touchpoint!r}")
    if baseline_wave == followup_wave:
        raise AnalysisError("the baseline and follow-up waves must differ")
    for w in (baseline_wave, followup_wave):
        select_wave(study, frame, w)
    items = [f"perf.{factor}"] + ([f"tp.{touchpoint}"] if touchpoint else [])
    scale = composite_scale(study, items)

    def gap_in(wave: str) -> AudienceGap:
        return leadership_customer_gap(
            audience_rows(frame, "leadership", wave),
            audience_rows(frame, "customer", wave),
            items,
            confidence,
            scale=scale,
        )

    base, follow = gap_in(baseline_wave), gap_in(followup_wave)
    cust_change = bounded_welch(
        _composite(audience_rows(frame, "customer", followup_wave), items),
        _composite(audience_rows(frame, "customer", baseline_wave), items),
        scale,
        confidence,
    )

    def se(g: AudienceGap) -> float | None:
        if g.leadership.sd is None or g.customers.sd is None:
            return None
        return math.sqrt(g.leadership.sd**2 / g.leadership.n + g.customers.sd**2 / g.customers.n)

    change = change_lo = change_hi = None
    s1, s2 = se(base), se(follow)
    if base.difference is not None and follow.difference is not None:
        change = follow.difference - base.difference
        if s1 is not None and s2 is not None:
            if scale is not None and None not in (
                base.ci_low,
                base.ci_high,
                follow.ci_low,
                follow.ci_high,
            ):
                # MOVER over the two waves' bounded gap intervals (Zou & Donner 2008).
                change_lo, change_hi = mover_combination(
                    [
                        (1, follow.difference, follow.ci_low, follow.ci_high),  # type: ignore[list-item]
                        (-1, base.difference, base.ci_low, base.ci_high),  # type: ignore[list-item]
                    ]
                )
            else:
                half = float(stats.norm.ppf(0.5 + confidence / 2)) * math.sqrt(s1**2 + s2**2)
                change_lo, change_hi = change - half, change + half

    status: Status
    if s1 is None or s2 is None or base.ci_low is None or follow.ci_low is None:
        status = "insufficient data"
        why = "each wave needs at least 2 leaders and 2 customers who rated the action's items"
    elif base.ci_low <= 0:
        status = "no gap at baseline"
        why = f"leadership and customers did not differ clearly in {baseline_wave}"
    elif follow.ci_low <= 0:
        status = "closed"
        why = f"the gap of {baseline_wave} is no longer clear in {followup_wave}"
    elif change_hi is not None and change_hi < 0:
        status = "narrowed"
        why = "the gap is smaller but still clear"
    elif change_lo is not None and change_lo > 0:
        status = "widened"
        why = "the gap grew"
    else:
        status = "unchanged"
        why = "the change in the gap is within its uncertainty"
    return ActionProgress(
        factor=factor,
        touchpoint=touchpoint,
        baseline_wave=baseline_wave,
        followup_wave=followup_wave,
        baseline=base,
        followup=follow,
        gap_change=finite(change),
        gap_change_ci_low=finite(change_lo),
        gap_change_ci_high=finite(change_hi),
        customer_change=cust_change,
        status=status,
        explanation=why,
    )
