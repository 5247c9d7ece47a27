"""What a report renders: the study analysis, the study definition, readable
labels and the balance timelines of the accounts at risk.

:func:`load_report_data` is the only part of :mod:`cxgap.report` that reads
the database; everything else renders a :class:`ReportData` and computes no
statistics of its own (the numbers are those of ``cxgap analyze --json``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd

from cxgap.analysis._base import Result
from cxgap.analysis.ledger.balance import score_events
from cxgap.analysis.ledger.risk import AccountDetail, account_detail
from cxgap.analysis.study import StudyAnalysis
from cxgap.service.studies import analyze_inputs, load_inputs
from cxgap.store.db import Database
from cxgap.study.model import StudyDefinition

__all__ = ["ReportData", "build_report_data", "for_display", "labels_of", "load_report_data"]

Step = Callable[[str], None]

AUDIENCE_LABELS = {"leadership": "Leadership", "staff": "Staff", "customer": "Customers"}
SEGMENT_LABELS = {
    "top": "Top customers",
    "new": "New customers",
    "defected": "Defected customers",
    "other": "Other customers",
    "at_risk": "At-risk customers",
}


class ReportData(Result):
    """Everything one report shows.

    ``timelines`` holds the ledger detail (balance history, largest debits)
    of the accounts at risk: those below the defection threshold, then the
    nearest to it, at most ``max_timelines`` of them.
    """

    study: StudyDefinition
    analysis: StudyAnalysis
    labels: dict[str, str]
    account_names: dict[str, str]
    timelines: list[AccountDetail]
    generated_at: datetime


def for_display(data: ReportData) -> ReportData:
    """``data`` with every number at display precision
    (:func:`cxgap.contracts.precision.display_rounded`): what the workbook and
    the deck are written from, so that neither tells more than the HTML page.
    Rounding twice changes nothing."""
    from cxgap.contracts.precision import display_rounded

    return ReportData.model_validate(display_rounded(data.to_json_dict()))


def labels_of(study: StudyDefinition) -> dict[str, str]:
    """Readable labels of every key a report shows.

    Factor, touchpoint, moment, segment and defection-reason keys map to
    their labels, and so do the analysis items ``perf.<factor>``,
    ``imp.<factor>``, ``tp.<touchpoint>`` and ``leave.<reason>``.

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> labels = labels_of(default_study("demo", organisation="X"))
    >>> labels["perf.time_effort"], labels["tp.support"], labels["customer"]
    ('Time and effort', 'Support (team)', 'Customers')
    """
    labels: dict[str, str] = {"ltr": "Likelihood to recommend", "excellent": "Excellent"}
    labels.update(AUDIENCE_LABELS)
    labels.update(SEGMENT_LABELS)
    for f in study.factors:
        labels[f.key] = f.label
        labels[f"perf.{f.key}"] = f.label
        labels[f"imp.{f.key}"] = f"{f.label} (importance)"
    for t in study.touchpoints:
        labels[t.key] = t.label
        labels[f"tp.{t.key}"] = f"{t.label} (team)"
    for m in study.moments:
        labels[m.key] = m.label
    for s in study.segments:
        labels.setdefault(s.key, s.label)
    for r in study.defection_reasons:
        labels[r.key] = r.label
        labels[f"leave.{r.key}"] = r.label
    for q in study.questions:  # an imported study's own questions (its outcome)
        labels.setdefault(q.key, q.text)
    return labels


def build_report_data(
    study: StudyDefinition,
    analysis: StudyAnalysis,
    events: pd.DataFrame | None,
    *,
    accounts: pd.DataFrame | None = None,
    max_timelines: int = 8,
    generated_at: datetime | None = None,
) -> ReportData:
    """Gather a report's data from an analysis and the interaction events.

    Parameters
    ----------
    study : StudyDefinition
        The study definition.
    analysis : StudyAnalysis
        The result of :func:`cxgap.analysis.study.analyze_study`.
    events : pandas.DataFrame or None
        The interaction events the analysis used (for balance timelines).
    accounts : pandas.DataFrame, optional
        Accounts (``account_id``, ``name``): names shown next to account ids.
    max_timelines : int
        How many accounts at risk get a balance timeline.
    generated_at : datetime, optional
        The time stamp printed on the report (default now, UTC).

    Returns
    -------
    ReportData
    """
    timelines: list[AccountDetail] = []
    ledger = analysis.ledger
    if ledger is not None and events is not None and len(events) and max_timelines > 0:
        ranked = sorted(ledger.accounts, key=lambda a: (not a.below_threshold, a.distance))
        chosen = [a.account for a in ranked[:max_timelines]]
        weights = {m.key: m.weight for m in study.moments}
        subset = events[events["account_id"].astype(str).isin(chosen)]
        scored = score_events(subset, study.ledger, weights)
        timelines = [
            account_detail(scored, account, ledger.as_of, ledger.threshold, history_points=25)
            for account in chosen
        ]
    names: dict[str, str] = {}
    if accounts is not None and {"account_id", "name"} <= set(accounts.columns):
        names = {
            str(k): str(v)
            for k, v in zip(accounts["account_id"], accounts["name"], strict=True)
            if pd.notna(v)
        }
    return ReportData(
        study=study,
        analysis=analysis,
        labels=labels_of(study),
        account_names=names,
        timelines=timelines,
        generated_at=generated_at or datetime.now(UTC).replace(microsecond=0),
    )


def load_report_data(
    db: Database,
    slug: str,
    *,
    wave: str | None = None,
    bootstrap: int = 1000,
    max_timelines: int = 8,
    step: Step | None = None,
) -> ReportData:
    """Analyse study ``slug`` and load what its report needs.

    Parameters
    ----------
    db : Database
        An open database.
    slug : str
        The study.
    wave : str, optional
        The wave to report (default the latest with responses).
    bootstrap : int
        Bootstrap resamples of the driver intervals.
    max_timelines : int
        How many accounts at risk get a balance timeline.
    step : callable, optional
        Called with the name of each part as it starts (progress display).

    Returns
    -------
    ReportData
    """
    if step:
        step("Loading answers, accounts and events")
    inputs = load_inputs(db, slug)  # once: the timelines reuse the events
    analysis = analyze_inputs(inputs, wave=wave, bootstrap=bootstrap, step=step)
    if step:
        step("Balance timelines")
    return build_report_data(
        inputs.study,
        analysis,
        inputs.events if analysis.ledger is not None else None,
        accounts=inputs.accounts,
        max_timelines=max_timelines,
    )
