"""Saving and loading study definitions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from cxgap.errors import ConflictError, CxgapError, NotFoundError, StudyInUseError
from cxgap.store import schema as t
from cxgap.store.db import Database, inserted_id
from cxgap.study.defaults import default_cases
from cxgap.study.model import (
    Attribute,
    CaseSettings,
    DefectionReason,
    Factor,
    Item,
    LedgerParameters,
    Moment,
    Question,
    StudyDefinition,
    Wave,
)


@dataclass(frozen=True)
class StudySummary:
    """One line of ``cxgap studies list``."""

    slug: str
    name: str
    organisation: str
    waves: list[str]
    responses: int
    accounts: int

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "organisation": self.organisation,
            "waves": self.waves,
            "responses": self.responses,
            "accounts": self.accounts,
        }


def _organisation_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(t.organisation.c.id).where(t.organisation.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return inserted_id(conn.execute(insert(t.organisation).values(name=name)))


def study_id(conn: Connection, slug: str) -> int:
    """The id of study ``slug``; :class:`NotFoundError` naming the known slugs."""
    found = conn.execute(select(t.study.c.id).where(t.study.c.slug == slug)).scalar()
    if found is None:
        known = conn.execute(select(t.study.c.slug).order_by(t.study.c.slug)).scalars().all()
        hint = f" (known: {', '.join(known)})" if known else " (there are no studies yet)"
        raise NotFoundError(f"no study {slug!r}{hint}")
    return int(found)


def organisation_of(conn: Connection, sid: int) -> int:
    return int(
        conn.execute(select(t.study.c.organisation_id).where(t.study.c.id == sid)).scalar_one()
    )


def organisation_accounts(conn: Connection, organisation_id: int) -> dict[str, int]:
    """External account id -> database id, for every account of an organisation."""
    rows = conn.execute(
        select(t.account.c.external_id, t.account.c.id).where(
            t.account.c.organisation_id == organisation_id
        )
    ).all()
    return {str(ext): int(i) for ext, i in rows}


def _rows(items: list[Any], **fields: Any) -> list[dict[str, Any]]:
    return [{"position": i, **fields, **item} for i, item in enumerate(items)]


def _write_elements(conn: Connection, sid: int, definition: StudyDefinition) -> None:
    for table in (
        t.factor,
        t.touchpoint,
        t.moment,
        t.segment,
        t.defection_reason,
        t.attribute,
        t.promise_statement,
        t.question,
    ):
        conn.execute(delete(table).where(table.c.study_id == sid))
    element_rows: list[tuple[Any, list[dict[str, Any]]]] = [
        (t.factor, [f.model_dump() for f in definition.factors]),
        (t.touchpoint, [x.model_dump() for x in definition.touchpoints]),
        (t.moment, [m.model_dump() for m in definition.moments]),
        (t.segment, [s.model_dump() for s in definition.segments]),
        (
            t.defection_reason,
            [
                {**r.model_dump(exclude={"factor"}), "factor_key": r.factor}
                for r in definition.defection_reasons
            ],
        ),
        (t.attribute, [a.model_dump() for a in definition.attributes]),
        (t.promise_statement, [{"text": p} for p in definition.promise]),
        (
            t.question,
            [
                {
                    **q.model_dump(exclude={"factor", "touchpoint"}),
                    "factor_key": q.factor,
                    "touchpoint_key": q.touchpoint,
                }
                for q in definition.questions
            ],
        ),
    ]
    for table, items in element_rows:
        if items:
            conn.execute(insert(table), _rows(items, study_id=sid))


def _write_waves(conn: Connection, sid: int, definition: StudyDefinition, file: str) -> None:
    existing = {
        row.key: row.id
        for row in conn.execute(select(t.wave.c.key, t.wave.c.id).where(t.wave.c.study_id == sid))
    }
    wanted = {w.key for w in definition.waves}
    for key, wid in existing.items():
        if key in wanted:
            continue
        n = conn.execute(
            select(func.count()).select_from(t.response).where(t.response.c.wave_id == wid)
        ).scalar_one()
        if n:
            raise StudyInUseError(
                file,
                "waves",
                key,
                int(n),
                f"wave {key!r} (it holds {n} response(s) and cannot be removed)",
            )
        conn.execute(delete(t.wave).where(t.wave.c.id == wid))
    for position, w in enumerate(definition.waves):
        values = {"label": w.label, "opens": w.opens, "closes": w.closes, "position": position}
        if w.key in existing:
            conn.execute(update(t.wave).where(t.wave.c.id == existing[w.key]).values(**values))
        else:
            conn.execute(insert(t.wave).values(study_id=sid, key=w.key, **values))


def _check_answered_questions(
    conn: Connection, sid: int, definition: StudyDefinition, file: str
) -> None:
    keys = {q.key for q in definition.questions}
    answered = conn.execute(
        select(t.answer.c.question_key, func.count())
        .join(t.response, t.response.c.id == t.answer.c.response_id)
        .where(t.response.c.study_id == sid)
        .group_by(t.answer.c.question_key)
    ).all()
    for key, n in answered:
        if key not in keys:
            raise StudyInUseError(
                file,
                "questions",
                key,
                int(n),
                f"question {key!r} (it holds {n} answer(s) and cannot be removed)",
            )


def save_study(
    db: Database,
    definition: StudyDefinition,
    *,
    file: str = "<study>",
    create_only: bool = False,
    expected_revision: int | None = None,
) -> bool:
    """Create the study or replace its definition, in one transaction.

    Returns ``True`` when the study was created. Waves and questions that
    already hold responses cannot be removed (:class:`StudyInUseError`, a
    :class:`StudyFileError`): no answer is ever lost by editing a study.
    With ``expected_revision``, the study is only replaced while it is still
    at that revision (:func:`study_revision`); else :class:`ConflictError`
    and nothing is written (someone else saved it in the meantime).
    """
    with db.begin() as conn:
        found = conn.execute(select(t.study.c.id).where(t.study.c.slug == definition.slug)).scalar()
        values = {
            "name": definition.name,
            "description": definition.description,
            "anonymity_threshold": definition.anonymity_threshold,
            "competitors": list(definition.competitors),
            "ledger": definition.ledger.model_dump(),
            "cases": definition.cases.model_dump(),
        }
        org = _organisation_id(conn, definition.organisation)
        if found is None:
            # created_at to the microsecond (the database default is to the
            # second on SQLite): with the id and revision it tells a process's
            # cached definition from a study deleted and created again.
            now = datetime.now(UTC)
            sid = inserted_id(
                conn.execute(
                    insert(t.study).values(
                        slug=definition.slug,
                        organisation_id=org,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
            )
            created = True
        else:
            if create_only:
                raise CxgapError(
                    f"study {definition.slug!r} already exists: edit it with "
                    f"`cxgap study export {definition.slug} FILE.yaml` and `cxgap study apply`"
                )
            sid = int(found)
            _check_answered_questions(conn, sid, definition, file)
            where = [t.study.c.id == sid]
            if expected_revision is not None:
                where.append(t.study.c.revision == expected_revision)
            changed = conn.execute(
                update(t.study)
                .where(*where)
                .values(
                    organisation_id=org,
                    updated_at=func.now(),
                    revision=t.study.c.revision + 1,
                    **values,
                )
            ).rowcount
            if not changed:
                raise ConflictError(
                    f"study {definition.slug!r} was changed by someone else since it was read "
                    "(nothing was saved): reload it and make the change again"
                )
            created = False
        _write_elements(conn, sid, definition)
        _write_waves(conn, sid, definition, file)
    # Other processes see the new revision; this one need not wait for that.
    db.definitions.clear()
    return created


def study_revision(db: Database, slug: str) -> int:
    """The study's revision: 1 when created, one more at every save."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        return int(conn.execute(select(t.study.c.revision).where(t.study.c.id == sid)).scalar_one())


@dataclass(frozen=True)
class AnswerCounts:
    """How much each wave and question of a study holds: what cannot be removed."""

    responses_per_wave: dict[str, int]
    answers_per_question: dict[str, int]


def answer_counts(db: Database, slug: str) -> AnswerCounts:
    """Responses per wave key and answers per question key of study ``slug``."""
    with db.connect() as conn:
        sid = study_id(conn, slug)
        waves = conn.execute(
            select(t.wave.c.key, func.count(t.response.c.id))
            .outerjoin(t.response, t.response.c.wave_id == t.wave.c.id)
            .where(t.wave.c.study_id == sid)
            .group_by(t.wave.c.key)
        ).all()
        answers = conn.execute(
            select(t.answer.c.question_key, func.count())
            .join(t.response, t.response.c.id == t.answer.c.response_id)
            .where(t.response.c.study_id == sid)
            .group_by(t.answer.c.question_key)
        ).all()
    return AnswerCounts(
        responses_per_wave={str(k): int(n) for k, n in waves},
        answers_per_question={str(k): int(n) for k, n in answers},
    )


def edit_study(
    db: Database,
    slug: str,
    edit: Callable[[StudyDefinition], StudyDefinition],
    *,
    revision: int | None = None,
    file: str = "<set-up>",
) -> StudyDefinition:
    """Apply one edit (a pure function, see :mod:`cxgap.study.edits`) to the
    stored study and save it with :func:`save_study`: all of it or nothing.

    With ``revision`` (the one the user's page showed), a study saved by
    someone else since then is refused (:class:`ConflictError`) instead of
    overwriting their change; a save that lands while this edit runs is
    refused the same way.
    """
    # Read the revision first: a save between here and the write is refused.
    seen = study_revision(db, slug)
    if revision is not None and seen != revision:
        raise ConflictError(
            f"study {slug!r} was changed by someone else since this page was loaded "
            "(nothing was saved): reload it and make the change again"
        )
    changed = edit(load_study(db, slug))
    if changed.slug != slug:
        raise CxgapError("an edit cannot change the study's slug")
    save_study(db, changed, file=file, expected_revision=seen)
    return changed


def _ordered(conn: Connection, table: Any, sid: int) -> list[Any]:
    return list(
        conn.execute(select(table).where(table.c.study_id == sid).order_by(table.c.position))
    )


def load_study(db: Database, slug: str) -> StudyDefinition:
    """The definition of study ``slug``."""
    with db.connect() as conn:
        return load_definition(conn, study_id(conn, slug))[0]


def _revision(conn: Connection, sid: int) -> int | None:
    found = conn.execute(select(t.study.c.revision).where(t.study.c.id == sid)).scalar()
    return None if found is None else int(found)


def load_definition(conn: Connection, sid: int) -> tuple[StudyDefinition, int]:
    """The definition of study ``sid`` and the revision it is at.

    The rows are read with several queries; the revision is read again after
    them and the load repeated if an edit committed in between, so the
    definition is never half of one revision and half of the next.
    """
    while True:
        row = conn.execute(select(t.study).where(t.study.c.id == sid)).first()
        if row is None:
            raise NotFoundError(f"no study with id {sid}")
        definition = _definition(conn, row)
        if _revision(conn, sid) == row.revision:
            return definition, int(row.revision)


def _definition(conn: Connection, row: Any) -> StudyDefinition:
    sid = int(row.id)
    org = conn.execute(
        select(t.organisation.c.name).where(t.organisation.c.id == row.organisation_id)
    ).scalar_one()

    def items(table: Any) -> list[dict[str, Any]]:
        return [
            {"key": r.key, "label": r.label, "description": r.description}
            for r in _ordered(conn, table, sid)
        ]

    return StudyDefinition(
        slug=row.slug,
        name=row.name,
        organisation=org,
        description=row.description,
        anonymity_threshold=row.anonymity_threshold,
        promise=[r.text for r in _ordered(conn, t.promise_statement, sid)],
        factors=[
            Factor(key=r.key, label=r.label, description=r.description, lexicon=r.lexicon)
            for r in _ordered(conn, t.factor, sid)
        ],
        touchpoints=[Item(**d) for d in items(t.touchpoint)],
        moments=[
            Moment(key=r.key, label=r.label, description=r.description, weight=r.weight)
            for r in _ordered(conn, t.moment, sid)
        ],
        segments=[Item(**d) for d in items(t.segment)],
        waves=[
            Wave(key=r.key, label=r.label, opens=r.opens, closes=r.closes)
            for r in _ordered(conn, t.wave, sid)
        ],
        defection_reasons=[
            DefectionReason(
                key=r.key, label=r.label, description=r.description, factor=r.factor_key
            )
            for r in _ordered(conn, t.defection_reason, sid)
        ],
        attributes=[
            Attribute(
                key=r.key, label=r.label, description=r.description, values=list(r.values or [])
            )
            for r in _ordered(conn, t.attribute, sid)
        ],
        competitors=list(row.competitors or []),
        questions=[
            Question(
                key=r.key,
                text=r.text,
                internal_text=r.internal_text,
                kind=r.kind,
                audiences=r.audiences,
                section=r.section,
                scale_min=r.scale_min,
                scale_max=r.scale_max,
                factor=r.factor_key,
                touchpoint=r.touchpoint_key,
                items=r.items,
                required=r.required,
            )
            for r in _ordered(conn, t.question, sid)
        ],
        ledger=LedgerParameters(**(row.ledger or {})),
        # '{}' (a study from before cases): the default rules.
        cases=CaseSettings(**row.cases) if row.cases else default_cases(),
    )


def list_studies(db: Database) -> list[StudySummary]:
    """Every study with its organisation, waves and response count."""
    with db.connect() as conn:
        rows = conn.execute(
            select(
                t.study.c.id,
                t.study.c.slug,
                t.study.c.name,
                t.study.c.organisation_id,
                t.organisation.c.name.label("org"),
            )
            .join(t.organisation, t.organisation.c.id == t.study.c.organisation_id)
            .order_by(t.study.c.slug)
        ).all()
        out = []
        for r in rows:
            waves = (
                conn.execute(
                    select(t.wave.c.key)
                    .where(t.wave.c.study_id == r.id)
                    .order_by(t.wave.c.position)
                )
                .scalars()
                .all()
            )
            n = conn.execute(
                select(func.count()).select_from(t.response).where(t.response.c.study_id == r.id)
            ).scalar_one()
            accounts = conn.execute(
                select(func.count())
                .select_from(t.account)
                .where(t.account.c.organisation_id == r.organisation_id)
            ).scalar_one()
            out.append(StudySummary(r.slug, r.name, r.org, list(waves), int(n), int(accounts)))
        return out


def delete_study(db: Database, slug: str, *, with_organisation_data: bool = False) -> None:
    """Delete a study and everything recorded for it, in one transaction.

    With ``with_organisation_data``, the organisation's accounts and events go
    too when no other study of the organisation remains.
    """
    with db.begin() as conn:
        sid = study_id(conn, slug)
        org = organisation_of(conn, sid)
        responses = select(t.response.c.id).where(t.response.c.study_id == sid)
        conn.execute(delete(t.answer).where(t.answer.c.response_id.in_(responses)))
        conn.execute(
            delete(t.response_attribute).where(t.response_attribute.c.response_id.in_(responses))
        )
        conn.execute(delete(t.response).where(t.response.c.study_id == sid))
        conn.execute(delete(t.study).where(t.study.c.id == sid))
        others = conn.execute(
            select(func.count()).select_from(t.study).where(t.study.c.organisation_id == org)
        ).scalar_one()
        if with_organisation_data and not others:
            accounts = select(t.account.c.id).where(t.account.c.organisation_id == org)
            conn.execute(
                delete(t.interaction_event).where(t.interaction_event.c.account_id.in_(accounts))
            )
            conn.execute(delete(t.account).where(t.account.c.organisation_id == org))
            conn.execute(delete(t.organisation).where(t.organisation.c.id == org))
    db.definitions.clear()
