"""The action plan: items tied to evidence, with owner, due date and status."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, insert, select, update

from cxgap.contracts.choices import STATUSES, Status
from cxgap.errors import InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.db import Database, inserted_id
from cxgap.store.studies import load_study, study_id
from cxgap.study.model import StudyDefinition


class ActionItem(BaseModel):
    """One item of a study's action plan."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    factor: str | None = None
    touchpoint: str | None = None
    baseline_wave: str | None = None
    priority: float | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    owner: str | None = None
    due_on: date | None = None
    status: Status = "proposed"


#: Optional text fields a form sends as "" when left empty.
_OPTIONAL = ("factor", "touchpoint", "baseline_wave", "owner", "due_on", "priority")


def _expected(field: str, message: str) -> str:
    """What a field takes, in words a user understands."""
    if field == "title":
        return "a title of 1 to 300 characters"
    if field == "due_on":
        return "a date YYYY-MM-DD"
    if field == "status":
        return f"one of {', '.join(STATUSES)}"
    if field == "priority":
        return "a number"
    return message


def _ref_problems(study: StudyDefinition, item: ActionItem) -> list[Problem]:
    problems = []
    factors = [f.key for f in study.factors]
    touchpoints = [x.key for x in study.touchpoints]
    if item.factor and item.factor not in factors:
        problems.append(
            Problem("action", None, "factor", item.factor, f"one of {', '.join(factors)}")
        )
    if item.touchpoint and item.touchpoint not in touchpoints:
        problems.append(
            Problem(
                "action", None, "touchpoint", item.touchpoint, f"one of {', '.join(touchpoints)}"
            )
        )
    if item.baseline_wave and item.baseline_wave not in study.wave_keys():
        problems.append(
            Problem(
                "action",
                None,
                "baseline_wave",
                item.baseline_wave,
                f"one of {', '.join(study.wave_keys())}",
            )
        )
    return problems


def parse_action(data: dict[str, Any], study: StudyDefinition | None = None) -> ActionItem:
    """Validate an action item (and, given ``study``, its factor, touchpoint and
    baseline wave).

    Text is stripped and an empty optional field (as a form sends it) is no
    value. Every problem is raised at once as :class:`InputError`, one
    :class:`Problem` per field (``column`` is the field's name).

    Examples
    --------
    >>> parse_action({"title": " Call back within a day ", "owner": ""}).owner is None
    True
    >>> parse_action({"title": "x", "due_on": "31/03"})
    Traceback (most recent call last):
    ...
    cxgap.errors.InputError: action, column 'due_on': got '31/03', expected a date YYYY-MM-DD
    """
    clean = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    for key in _OPTIONAL:
        if clean.get(key) == "":
            clean[key] = None
    try:
        item = ActionItem.model_validate(clean)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(x) for x in err["loc"])
            problems.append(
                Problem("action", None, field, err.get("input"), _expected(field, err["msg"]))
            )
        raise InputError(problems) from None
    if study is not None:
        problems = _ref_problems(study, item)
        if problems:
            raise InputError(problems)
    return item


def _check_refs(db: Database, slug: str, item: ActionItem) -> None:
    problems = _ref_problems(load_study(db, slug), item)
    if problems:
        raise InputError(problems)


def add_action(db: Database, slug: str, item: ActionItem) -> ActionItem:
    """Add an item to the plan; return it with its id."""
    _check_refs(db, slug, item)
    with db.begin() as conn:
        sid = study_id(conn, slug)
        new_id = inserted_id(
            conn.execute(
                insert(t.action_item).values(
                    study_id=sid,
                    title=item.title,
                    description=item.description,
                    factor_key=item.factor,
                    touchpoint_key=item.touchpoint,
                    baseline_wave=item.baseline_wave,
                    priority=item.priority,
                    evidence=item.evidence,
                    owner=item.owner,
                    due_on=item.due_on,
                    status=item.status,
                )
            )
        )
    return item.model_copy(update={"id": int(new_id)})


def list_actions(db: Database, slug: str) -> list[ActionItem]:
    """The study's plan, highest priority first."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        rows = conn.execute(
            select(t.action_item)
            .where(t.action_item.c.study_id == sid)
            .order_by(t.action_item.c.priority.desc().nulls_last(), t.action_item.c.id)
        ).all()
    return [
        ActionItem(
            id=r.id,
            title=r.title,
            description=r.description,
            factor=r.factor_key,
            touchpoint=r.touchpoint_key,
            baseline_wave=r.baseline_wave,
            priority=r.priority,
            evidence=r.evidence or {},
            owner=r.owner,
            due_on=r.due_on,
            status=r.status,
        )
        for r in rows
    ]


def update_action(db: Database, slug: str, action_id: int, **changes: Any) -> ActionItem:
    """Change fields of one item (owner, due_on, status, title, ...)."""
    current = {a.id: a for a in list_actions(db, slug)}.get(action_id)
    if current is None:
        raise NotFoundError(f"study {slug!r} has no action {action_id}")
    merged = parse_action({**current.model_dump(), **changes})
    _check_refs(db, slug, merged)
    with db.begin() as conn:
        conn.execute(
            update(t.action_item)
            .where(t.action_item.c.id == action_id)
            .values(
                title=merged.title,
                description=merged.description,
                factor_key=merged.factor,
                touchpoint_key=merged.touchpoint,
                baseline_wave=merged.baseline_wave,
                priority=merged.priority,
                evidence=merged.evidence,
                owner=merged.owner,
                due_on=merged.due_on,
                status=merged.status,
                updated_at=func.now(),
            )
        )
    return merged
