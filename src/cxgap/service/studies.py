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

from cxgap.analysis.drivers.priorities import (
    ImportanceBasis,
    PrioritiesResult,
    QuadrantAt,
    analyze_priorities,
)
from cxgap.analysis.plan.actions import ActionPlan, CandidateAction, candidate_actions
from cxgap.analysis.study import Step, StudyAnalysis, analyze_study
from cxgap.errors import ConflictError, NotFoundError
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
    importance: ImportanceBasis = "stated",
    wave: str | None = None,
    quadrant_at: QuadrantAt = "means",
    bootstrap: int = 1000,
) -> PrioritiesResult:
    """The importance–performance map of study ``slug``."""
    ensure_schema(db, create=False)
    study = load_study(db, slug)
    frame = load_frame(db, slug)
    return analyze_priorities(
        study,
        frame,
        importance=importance,
        wave=wave,
        quadrant_at=quadrant_at,
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
    _, plan, fresh = _candidates(db, slug, wave)
    return plan, fresh


def _candidates(
    db: Database, slug: str, wave: str | None
) -> tuple[StudyDefinition, ActionPlan, list[CandidateAction]]:
    study = load_study(db, slug)
    plan = candidate_actions(study, load_frame(db, slug), wave)
    existing = {(a.factor, a.touchpoint) for a in list_actions(db, slug)}
    fresh = [c for c in plan.actions if (c.factor, c.touchpoint) not in existing]
    return study, plan, fresh


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
    study, plan, fresh = _candidates(db, slug, wave)
    found = {c.key: c for c in fresh}.get(key)
    if found is None:
        known = {c.key for c in plan.actions}
        if key in known:
            raise ConflictError(f"the plan already holds an action for {key!r}")
        raise NotFoundError(f"study {slug!r} has no candidate action {key!r}")
    computed = _item_of(found, plan.wave)
    data = {**computed, **(changes or {})}
    for fixed in ("factor", "touchpoint", "baseline_wave", "priority", "evidence"):
        data[fixed] = computed[fixed]
    return add_action(db, slug, parse_action(data, study))
