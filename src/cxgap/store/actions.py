"""The action plan: items tied to evidence, with owner, due date and status."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, insert, select, update

from cxgap.errors import CxgapError, NotFoundError
from cxgap.store import schema as t
from cxgap.store.db import Database, inserted_id
from cxgap.store.studies import load_study, study_id

Status = Literal["proposed", "accepted", "in_progress", "done", "dropped"]
STATUSES: tuple[str, ...] = get_args(Status)


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


def parse_action(data: dict[str, Any]) -> ActionItem:
    """Validate an action item; a :class:`CxgapError` names the field and the problem."""
    try:
        return ActionItem.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise CxgapError(f"action {field}: {err['msg']} (got {err.get('input')!r})") from None


def _check_refs(db: Database, slug: str, item: ActionItem) -> None:
    study = load_study(db, slug)
    if item.factor and item.factor not in {f.key for f in study.factors}:
        raise CxgapError(
            f"unknown factor {item.factor!r} (factors: {', '.join(f.key for f in study.factors)})"
        )
    if item.touchpoint and item.touchpoint not in {x.key for x in study.touchpoints}:
        raise CxgapError(
            f"unknown touchpoint {item.touchpoint!r} (touchpoints: "
            f"{', '.join(x.key for x in study.touchpoints)})"
        )
    if item.baseline_wave and item.baseline_wave not in study.wave_keys():
        raise CxgapError(f"unknown wave {item.baseline_wave!r}")


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
