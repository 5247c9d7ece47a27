"""The whole analysis of one study, as one object.

:func:`analyze_study` runs every method on the study's tidy data and gathers
the results under the top-level keys that ``cxgap analyze --json`` prints and
that the report and the dashboard render: ``study``, ``wave``, ``gaps``,
``teams``, ``excellent``, ``nps``, ``segments``, ``waves``, ``importance``,
``defection_factors``, ``drivers``, ``priorities``, ``defection_risks``,
``actions``, ``voice``, ``ledger``, ``hot_spots``, ``consistency``,
``outcome`` and ``headline``.

A section whose data is missing (no events, no open answers, too few
customers for a driver analysis) is ``None`` and ``missing`` says, for that
key, what to collect. Each method documents its own formula and source.

The analysis uses what the study's data holds (:mod:`cxgap.analysis.drivers.outcome`):

* ``outcome`` is the question the drivers explain: likelihood to recommend
  (``ltr``) when customers answered it, else a question in section
  ``outcome`` (a rating, a share or a choice of two options, coded 1/0), else
  the ``excellent`` rating, else the customers' share question with the most
  answers; ``None`` when there is none.
* ``drivers`` explain ``ltr``, that outcome and ``excellent``, each where it
  was answered; ``missing["drivers"]`` only when none could be computed.
* ``priorities`` use the customers' stated importance (``imp.*``) when they
  gave any, else importance derived from the outcome (each factor's share of
  its R², exact Shapley / LMG).
* ``headline`` holds the lead sentences: the outcome with its n and
  interval (the NPS for ``ltr``), the leadership / staff gap where they
  answered (else that the gap needs their answers), the top drivers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from cxgap.analysis._base import Result
from cxgap.analysis.drivers.defection import DefectionRisks, analyze_defection_risks
from cxgap.analysis.drivers.keydrivers import DriversResult, key_drivers
from cxgap.analysis.drivers.outcome import (
    OutcomeChoice,
    OutcomeSummary,
    choose_outcome,
    coded_outcome,
    headline,
    outcome_summary,
)
from cxgap.analysis.drivers.priorities import PrioritiesResult, analyze_priorities
from cxgap.analysis.ledger.balance import score_events
from cxgap.analysis.ledger.consistency import ConsistencyResult, HotSpot, touchpoint_consistency
from cxgap.analysis.ledger.risk import LedgerReport, ledger_report
from cxgap.analysis.perception.assembly import PerceptionNps, analyze_perception
from cxgap.analysis.perception.attributes import AttributeBreakdown
from cxgap.analysis.perception.excellent import ExcellentHeadline
from cxgap.analysis.perception.gaps import GapMatrix
from cxgap.analysis.perception.importance import DefectionFactors, StatedImportance
from cxgap.analysis.perception.segments import SegmentComparison
from cxgap.analysis.perception.waves import WaveChanges
from cxgap.analysis.plan.actions import (
    ActionPlan,
    ActionProgress,
    action_progress,
    candidate_actions,
)
from cxgap.analysis.voice.assembly import VoiceAnalysis, analyze_voice
from cxgap.analysis.voice.sentiment import SentimentCache, sentiment_scores
from cxgap.analysis.voice.tagging import build_lexicon, tag_frame
from cxgap.errors import AnalysisError
from cxgap.study.model import StudyDefinition

Step = Callable[[str], None]
_STANDARD_COLUMNS = ("ltr", "excellent", "expected_promoters", "expected_detractors")


class StudyInfo(Result):
    """What was analysed."""

    slug: str
    name: str
    organisation: str
    anonymity_threshold: int
    waves: list[str]
    confidence: float
    respondents: dict[str, int]
    promise: list[str]


class PlannedAction(Result):
    """An item of the stored action plan with its re-measurement."""

    id: int | None
    title: str
    factor: str | None
    touchpoint: str | None
    owner: str | None
    due_on: str | None
    status: str
    baseline_wave: str | None
    progress: ActionProgress | None
    progress_note: str | None = None


class ActionsSection(Result):
    """Candidate actions ranked by priority, and the plan the team adopted."""

    candidates: ActionPlan
    plan: list[PlannedAction]


class StudyAnalysis(Result):
    """Everything cxgap knows about one study wave (see ``docs/ANALYSIS.md``)."""

    study: StudyInfo
    wave: str
    gaps: GapMatrix
    teams: GapMatrix | None
    excellent: ExcellentHeadline
    nps: PerceptionNps
    segments: SegmentComparison | None
    attributes: list[AttributeBreakdown] = Field(default_factory=list)
    waves: WaveChanges
    importance: StatedImportance
    defection_factors: DefectionFactors
    drivers: list[DriversResult] | None
    priorities: PrioritiesResult | None
    defection_risks: DefectionRisks | None
    actions: ActionsSection | None
    voice: VoiceAnalysis | None
    ledger: LedgerReport | None
    hot_spots: list[HotSpot] | None
    consistency: ConsistencyResult | None
    missing: dict[str, str]
    outcome: OutcomeSummary | None = None
    headline: list[str] = Field(default_factory=list)


def _customers(frame: pd.DataFrame, wave: str) -> pd.DataFrame:
    rows = frame[(frame["audience"] == "customer") & (frame["wave"] == wave)]
    return rows[rows["source"] == "individual"] if "source" in rows else rows


def _drivers(
    study: StudyDefinition,
    frame: pd.DataFrame,
    wave: str,
    bootstrap: int,
    seed: int,
    outcome: OutcomeChoice | None = None,
) -> tuple[list[DriversResult], list[str]]:
    """Drivers of recommending (``ltr``), of the study's outcome and of calling
    the service excellent, each that customers answered (in that order)."""
    customers = _customers(frame, wave)
    factors = [f"perf.{f.key}" for f in study.factors if f"perf.{f.key}" in customers]
    results, problems = [], []
    keys = list(dict.fromkeys(["ltr", *([outcome.key] if outcome else []), "excellent"]))
    for outcome_key in keys:
        if outcome_key not in customers or customers[outcome_key].notna().sum() == 0:
            problems.append(f"{outcome_key}: no customer answers")
            continue
        try:
            results.append(
                key_drivers(customers, outcome_key, factors, bootstrap=bootstrap, seed=seed)
            )
        except AnalysisError as exc:
            problems.append(f"{outcome_key}: {exc}")
    return results, problems


def answer_sentiment(
    study: StudyDefinition,
    frame: pd.DataFrame,
    wave: str,
    *,
    sentiment_cache: SentimentCache | None = None,
) -> pd.DataFrame:
    """Customers' open answers of one wave as (touchpoint, sentiment) rows:
    the sentiment score of each answer, once for every touchpoint its text
    is tagged with (:mod:`cxgap.analysis.voice.tagging`). Feeds the hot spots.
    ``sentiment_cache`` shares the scores with the rest of the analysis."""
    customers = _customers(frame, wave)
    texts = [
        t
        for c in customers.columns
        if c.startswith("open.")
        for t in customers[c].dropna().tolist()
        if str(t).strip()
    ]
    if not texts:
        return pd.DataFrame(
            {"touchpoint": pd.Series(dtype=str), "sentiment": pd.Series(dtype=float)}
        )
    tags = tag_frame(texts, build_lexicon(study))
    compound = sentiment_scores(texts, cache=sentiment_cache)
    cols = [c for c in tags.columns if c.startswith("touchpoint.")]
    hits = [np.flatnonzero(tags[c].to_numpy(bool)) for c in cols]
    return pd.DataFrame(
        {
            "touchpoint": np.repeat(
                np.array([c.removeprefix("touchpoint.") for c in cols], dtype=object),
                [len(h) for h in hits],
            ),
            "sentiment": compound[np.concatenate(hits)] if hits else np.empty(0),
        },
        columns=["touchpoint", "sentiment"],
    )


def _plan(
    study: StudyDefinition, frame: pd.DataFrame, wave: str, stored: Sequence[dict[str, Any]]
) -> list[PlannedAction]:
    out = []
    waves = study.wave_keys()
    for item in stored:
        progress, note = None, None
        base = item.get("baseline_wave")
        if not item.get("factor"):
            note = "no factor: the next wave cannot re-measure this item"
        elif not base or base not in waves:
            note = "no baseline wave"
        elif waves.index(base) >= waves.index(wave):
            note = f"wave {wave} is not after the baseline wave {base}"
        else:
            try:
                progress = action_progress(
                    study, frame, item["factor"], item.get("touchpoint"), base, wave
                )
            except AnalysisError as exc:
                note = str(exc)
        due = item.get("due_on")
        out.append(
            PlannedAction(
                id=item.get("id"),
                title=item["title"],
                factor=item.get("factor"),
                touchpoint=item.get("touchpoint"),
                owner=item.get("owner"),
                due_on=str(due) if due else None,
                status=item.get("status", "proposed"),
                baseline_wave=base,
                progress=progress,
                progress_note=note,
            )
        )
    return out


def analyze_study(
    study: StudyDefinition,
    frame: pd.DataFrame,
    *,
    wave: str | None = None,
    accounts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    interviews: pd.DataFrame | None = None,
    actions: Sequence[dict[str, Any]] = (),
    as_of: datetime | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    step: Step | None = None,
) -> StudyAnalysis:
    """Run every analysis on one wave of a study.

    Parameters
    ----------
    study : StudyDefinition
        The study definition.
    frame : pandas.DataFrame
        The wide answers frame, every wave (see ``cxgap.store.frames``).
    wave : str, optional
        The wave to analyse; default the latest wave with responses.
    accounts, events : pandas.DataFrame, optional
        Accounts and interaction events for the relationship bank account.
    interviews : pandas.DataFrame, optional
        Discovery-interview notes (for the voice of the customer).
    actions : sequence of dict
        The stored action plan (``ActionItem.model_dump()`` of each item).
    as_of : datetime, optional
        Date of the ledger balances; default the last recorded event.
    bootstrap, seed : int
        Resamples and seed of the driver intervals.
    step : callable, optional
        Called with the name of each part as it starts (progress display).

    Returns
    -------
    StudyAnalysis
        Every section; ``missing`` names the sections that had no data and
        what to collect.

    References
    ----------
    Each part cites its method: :mod:`cxgap.analysis.perception.assembly`,
    :mod:`cxgap.analysis.drivers.keydrivers`, :mod:`cxgap.analysis.drivers.priorities`,
    :mod:`cxgap.analysis.drivers.defection`, :mod:`cxgap.analysis.plan.actions`,
    :mod:`cxgap.analysis.ledger.risk`, :mod:`cxgap.analysis.ledger.consistency`.
    """

    def report(what: str) -> None:
        if step:
            step(what)

    missing: dict[str, str] = {}
    # each distinct open answer is scored once, for the hot spots and the voice
    sentiment_cache = SentimentCache()
    report("Gaps, excellent, NPS, segments, waves")
    # A study imported from an export may not ask every standard question:
    # each such column is there, empty, so every method sees "no answers".
    absent = [c for c in _STANDARD_COLUMNS if c not in frame.columns]
    if absent:
        frame = frame.assign(**dict.fromkeys(absent, np.nan))
    perception = analyze_perception(study, frame, wave=wave)
    wave = perception.wave

    customers = _customers(frame, wave)
    choice = choose_outcome(study, customers)
    summary = outcome_summary(customers, choice, perception.confidence) if choice else None
    coded = frame
    if choice is not None and choice.kind == "two-level":
        coded = frame.copy()  # the two options as 1/0, for the regressions only
        coded[choice.key] = coded_outcome(frame, choice)

    report("Key drivers")
    drivers, problems = _drivers(study, coded, wave, bootstrap, seed, choice)
    if not drivers:
        missing["drivers"] = (
            "customers' factor ratings (perf.*) with an overall outcome: likelihood to "
            "recommend (ltr), the excellent item or a question in section 'outcome' ("
            + "; ".join(problems)
            + ")"
        )

    report("Priorities")
    priorities: PrioritiesResult | None = None
    imp_cols = [c for c in customers.columns if c.startswith("imp.")]
    stated = bool(imp_cols) and bool(customers[imp_cols].notna().any().any())
    try:
        priorities = analyze_priorities(
            study,
            coded,
            wave=wave,
            importance="stated" if stated else "derived",
            outcome=choice.key if choice else "ltr",
            bootstrap=bootstrap,
            seed=seed,
        )
    except AnalysisError as exc:
        what = (
            "customers' importance ratings (imp.*) or an overall outcome to derive importance from"
            if not stated
            else "customers' importance and performance ratings"
        )
        missing["priorities"] = f"{what} ({exc})"

    ledger: LedgerReport | None = None
    consistency: ConsistencyResult | None = None
    at_risk: list[str] | None = None
    if events is not None and len(events):
        report("Relationship bank account")
        weights = {m.key: m.weight for m in study.moments}
        when = as_of or pd.Timestamp(events["timestamp"].max()).to_pydatetime()
        ledger = ledger_report(events, study.ledger, weights, when, accounts=accounts)
        at_risk = [a.account for a in ledger.accounts if a.below_threshold]
        consistency = touchpoint_consistency(
            score_events(events, study.ledger, weights),
            sentiment=answer_sentiment(study, frame, wave, sentiment_cache=sentiment_cache),
        )
    else:
        missing["ledger"] = (
            "interaction events per account (cxgap import events) with "
            "accounts and their defection dates (cxgap import accounts)"
        )
        missing["consistency"] = missing["ledger"]

    report("Defection risks")
    risks: DefectionRisks | None = None
    try:
        risks = analyze_defection_risks(study, frame, wave, at_risk_accounts=at_risk)
    except AnalysisError as exc:
        missing["defection_risks"] = f"answers from defected and top customers ({exc})"

    report("Voice of the audiences")
    voice: VoiceAnalysis | None = None
    open_cols = [c for c in frame.columns if c.startswith("open.")]
    has_text = bool(open_cols) and bool(
        frame.loc[frame["wave"] == wave, open_cols].notna().any().any()
    )
    if has_text or (interviews is not None and len(interviews)):
        voice = analyze_voice(
            study,
            frame,
            wave=wave,
            interviews=interviews,
            seed=seed,
            sentiment_cache=sentiment_cache,
        )
    else:
        missing["voice"] = (
            "answers to the open questions (what we do well, what to "
            "improve, competitors, continue or start) or interview notes"
        )

    report("Action plan")
    actions_section: ActionsSection | None = None
    try:
        actions_section = ActionsSection(
            candidates=candidate_actions(study, frame, wave),
            plan=_plan(study, frame, wave, actions),
        )
    except AnalysisError as exc:
        missing["actions"] = f"leadership and customer ratings ({exc})"

    people = frame[frame["source"] == "individual"] if "source" in frame else frame
    in_wave = people[people["wave"] == wave]
    info = StudyInfo(
        slug=study.slug,
        name=study.name,
        organisation=study.organisation,
        anonymity_threshold=study.anonymity_threshold,
        waves=study.wave_keys(),
        confidence=perception.confidence,
        respondents={str(k): int(v) for k, v in in_wave["audience"].value_counts().items()},
        promise=list(study.promise),
    )
    top = next((d for d in drivers if choice is not None and d.outcome == choice.key), None)
    non_customer = [
        s
        for s in perception.excellent.shares
        if s.audience != "customer"
        and getattr(s, "estimate", None) is not None
        and s.estimate.n > 0  # type: ignore[union-attr]
    ]
    nps = perception.nps.customers
    lines = headline(
        outcome=summary,
        nps_sentence=(
            f"Customers give an NPS of {_signed1(nps.nps)} [{_signed1(nps.ci_low)}, "
            f"{_signed1(nps.ci_high)}] (n = {nps.n:,}, {nps.method} interval)."
            if nps.n > 0
            else None
        ),
        gap_sentence=perception.excellent.headline if non_customer else None,
        audiences={a for a, n in info.respondents.items() if n > 0},
        drivers=top,
        labels={f"perf.{f.key}": f.label for f in study.factors},
    )
    return StudyAnalysis(
        study=info,
        wave=wave,
        gaps=perception.gaps,
        teams=perception.teams,
        excellent=perception.excellent,
        nps=perception.nps,
        segments=perception.segments,
        attributes=perception.attributes,
        waves=perception.waves,
        importance=perception.importance,
        defection_factors=perception.defection_factors,
        drivers=drivers or None,
        priorities=priorities,
        defection_risks=risks,
        actions=actions_section,
        voice=voice,
        ledger=ledger,
        hot_spots=consistency.hot_spots if consistency else None,
        consistency=consistency,
        missing=missing,
        outcome=summary,
        headline=lines,
    )


def _signed1(x: float | None) -> str:
    """An NPS with its sign and one decimal; no sign on zero."""
    if x is None:
        return "–"
    r = round(x, 1)
    return f"{r:.1f}" if r == 0 else f"{r:+.1f}"
