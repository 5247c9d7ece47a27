"""Library entry points that load a study from the database and analyse it.

The CLI, the web app and scripts call these; they hold no logic of their own
beyond loading the tidy data and handing it to :mod:`cxgap.analysis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from cxgap.analysis.drivers.priorities import PrioritiesResult, analyze_priorities
from cxgap.analysis.ledger.alerts import AlertsResult, threshold_alerts
from cxgap.analysis.ledger.balance import score_events
from cxgap.analysis.ledger.risk import AccountDetail, account_detail, ledger_report
from cxgap.analysis.plan.actions import ActionPlan, CandidateAction, candidate_actions
from cxgap.analysis.study import Step, StudyAnalysis, analyze_study
from cxgap.errors import ConflictError, CxgapError, NotFoundError
from cxgap.store.accounts import load_accounts, load_events, load_interviews
from cxgap.store.actions import ActionItem, add_action, list_actions, parse_action
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.migrate import ensure_schema
from cxgap.store.studies import load_study
from cxgap.study.model import StudyDefinition


@dataclass(frozen=True)
class StudyInputs:
    """Everything the analysis of one study reads from the database, loaded
    once (the report reuses the events and accounts for its timelines)."""

    study: StudyDefinition
    frame: pd.DataFrame
    accounts: pd.DataFrame
    events: pd.DataFrame
    interviews: pd.DataFrame
    actions: list[dict[str, Any]]


def load_inputs(db: Database, slug: str) -> StudyInputs:
    """Load study ``slug``'s definition, answers, accounts, events, interview
    notes and action plan (an unknown study fails before anything is read)."""
    ensure_schema(db, create=False)
    return StudyInputs(
        study=load_study(db, slug),
        frame=load_frame(db, slug),
        accounts=load_accounts(db, slug),
        events=load_events(db, slug),
        interviews=load_interviews(db, slug),
        actions=[a.model_dump() for a in list_actions(db, slug)],
    )


def analyze(
    db: Database,
    slug: str,
    *,
    wave: str | None = None,
    as_of: datetime | None = None,
    bootstrap: int = 1000,
    step: Step | None = None,
) -> StudyAnalysis:
    """The whole analysis of study ``slug`` (see :func:`analyze_study`)."""
    if step:
        step("Loading answers, accounts and events")
    return analyze_inputs(
        load_inputs(db, slug), wave=wave, as_of=as_of, bootstrap=bootstrap, step=step
    )


def analyze_inputs(
    inputs: StudyInputs,
    *,
    wave: str | None = None,
    as_of: datetime | None = None,
    bootstrap: int = 1000,
    step: Step | None = None,
) -> StudyAnalysis:
    """The whole analysis of inputs already loaded (see :func:`analyze_study`)."""
    return analyze_study(
        inputs.study,
        inputs.frame,
        wave=wave,
        accounts=inputs.accounts,
        events=inputs.events,
        interviews=inputs.interviews,
        actions=inputs.actions,
        as_of=as_of,
        bootstrap=bootstrap,
        step=step,
    )


def priorities(
    db: Database,
    slug: str,
    *,
    importance: str = "stated",
    wave: str | None = None,
    quadrant_at: str = "means",
    bootstrap: int = 1000,
) -> PrioritiesResult:
    """The importance–performance map of study ``slug``."""
    ensure_schema(db, create=False)
    study = load_study(db, slug)
    frame = load_frame(db, slug)
    return analyze_priorities(
        study,
        frame,
        importance=importance,  # type: ignore[arg-type]
        wave=wave,
        quadrant_at=quadrant_at,  # type: ignore[arg-type]
        bootstrap=bootstrap,
    )


def _item_of(cand: CandidateAction, wave: str) -> dict[str, Any]:
    """A candidate as the fields of a plan item (its evidence kept as JSON)."""
    return {
        "title": cand.title,
        "factor": cand.factor,
        "touchpoint": cand.touchpoint,
        "baseline_wave": wave,
        "priority": cand.priority,
        "evidence": cand.evidence.model_dump(mode="json"),
    }


def propose_actions(
    db: Database, slug: str, *, wave: str | None = None, top: int = 5
) -> list[ActionItem]:
    """Add the ``top`` highest-priority candidate actions to the plan as
    ``proposed`` items carrying their evidence; candidates already in the
    plan (same factor and touchpoint) are skipped."""
    ensure_schema(db, create=False)
    plan, fresh = open_candidates(db, slug, wave=wave)
    return [add_action(db, slug, ActionItem(**_item_of(c, plan.wave))) for c in fresh[:top]]


def open_candidates(
    db: Database, slug: str, *, wave: str | None = None
) -> tuple[ActionPlan, list[CandidateAction]]:
    """The ranked candidate actions of ``wave`` (default: the latest with
    answers), and those of them not yet in the plan (same factor and
    touchpoint), highest priority first."""
    study = load_study(db, slug)
    plan = candidate_actions(study, load_frame(db, slug), wave)
    existing = {(a.factor, a.touchpoint) for a in list_actions(db, slug)}
    fresh = [c for c in plan.actions if (c.factor, c.touchpoint) not in existing]
    return plan, fresh


def adopt_candidate(
    db: Database,
    slug: str,
    key: str,
    *,
    wave: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> ActionItem:
    """Add the candidate action ``key`` (``factor.touchpoint``) to the plan with
    its priority, baseline wave and evidence, as computed now (never as a
    form sent it); ``changes`` set the other fields (title, description,
    owner, due_on, status). Validated as :func:`~cxgap.store.actions.parse_action`
    validates every item; refused when the plan already holds that factor
    and touchpoint."""
    plan, fresh = open_candidates(db, slug, wave=wave)
    found = {c.key: c for c in fresh}.get(key)
    if found is None:
        known = {c.key for c in plan.actions}
        if key in known:
            raise ConflictError(f"the plan already holds an action for {key!r}")
        raise NotFoundError(f"study {slug!r} has no candidate action {key!r}")
    data = {**_item_of(found, plan.wave), **(changes or {})}
    for fixed in ("factor", "touchpoint", "baseline_wave", "priority", "evidence"):
        data[fixed] = _item_of(found, plan.wave)[fixed]
    return add_action(db, slug, parse_action(data, load_study(db, slug)))


def _ledger_inputs(
    db: Database, slug: str, as_of: datetime | None
) -> tuple[StudyDefinition, pd.DataFrame, pd.DataFrame, dict[str, float], pd.Timestamp]:
    ensure_schema(db, create=False)
    study = load_study(db, slug)
    events = load_events(db, slug)
    if events.empty:
        raise CxgapError(
            f"study {slug!r} has no interaction events: import them with "
            "`cxgap import events FILE --study SLUG`"
        )
    accounts = load_accounts(db, slug)
    weights = {m.key: m.weight for m in study.moments}
    when = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(events["timestamp"].max())
    return study, events, accounts, weights, when


def account_ledger(
    db: Database, slug: str, account: str, *, as_of: datetime | None = None
) -> AccountDetail:
    """One account's relationship bank account at ``as_of`` (default: the last event)."""
    study, events, accounts, weights, when = _ledger_inputs(db, slug, as_of)
    if account not in set(accounts["account_id"]):
        raise NotFoundError(f"study {slug!r} has no account {account!r}")
    report = ledger_report(events, study.ledger, weights, when, accounts=accounts)
    scored = score_events(events, study.ledger, weights)
    return account_detail(scored, account, when, report.threshold)


def ledger_alerts(
    db: Database, slug: str, *, since: datetime | None = None, as_of: datetime | None = None
) -> AlertsResult:
    """Accounts that crossed below the learned threshold between ``since``
    (default: 30 days before ``as_of``) and ``as_of`` (default: the last event)."""
    study, events, accounts, weights, when = _ledger_inputs(db, slug, as_of)
    start = pd.Timestamp(since) if since is not None else when - pd.Timedelta(days=30)
    if start > when:
        raise CxgapError(
            f"the alerts cannot start on {start:%Y-%m-%d}, after the as-of date {when:%Y-%m-%d}"
        )
    report = ledger_report(events, study.ledger, weights, when, accounts=accounts)
    return threshold_alerts(
        score_events(events, study.ledger, weights),
        report.threshold,
        since=start,
        as_of=when,
        accounts=pd.Index([a.account for a in report.accounts]),
    )
