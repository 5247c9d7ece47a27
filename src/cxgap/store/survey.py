"""Answering a survey from a link: partial answers saved and resumed, submit once.

A personal link (one invitation token) owns exactly one response per
respondent and wave, keyed ``<respondent_id>:<wave>``, the same key an import
of that respondent uses. An anonymous team link is shared, so each browser (or
API client) answers under its own random *draft key*; the response is keyed by
a hash of it and carries no name, e-mail, IP address or user agent.

Answers are saved as a response with status ``partial`` and become part of
the analysis (status ``complete``) only when submitted. Submitting is one
conditional ``UPDATE ... WHERE status = 'partial'`` inside a transaction and
the response key is unique in the database, so a double click, a retried POST
or two tabs racing never create a second response: the second submission sees
``already_answered``.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from cxgap.errors import CxgapError, InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.db import Database, inserted_id
from cxgap.store.studies import load_study
from cxgap.study.model import Audience, Question, StudyDefinition

MAX_TEXT = 5_000
_DRAFT = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

SECTION_TITLES = {
    "factors": "How we perform",
    "importance": "What matters most",
    "touchpoints": "The teams customers deal with",
    "overall": "Overall",
    "open": "In your own words",
    "general": "Questions",
}

AnswerValue = float | str
RawAnswers = dict[str, Any]


class AlreadyAnsweredError(CxgapError):
    """The survey behind this link was already submitted; nothing was changed."""


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored in ``invitation.token_hash``.

    >>> len(token_hash("abc"))
    64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_draft_key() -> str:
    """A random key (192 bits) under which one anonymous respondent answers."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Section:
    """A page of the survey: the questions of one ``section`` of the study."""

    key: str
    title: str
    questions: list[Question]


@dataclass(frozen=True)
class Link:
    """What an invitation token opens."""

    invitation_id: int
    study_id: int
    slug: str
    wave_id: int
    wave: str
    audience: Audience
    anonymous: bool
    team: str | None
    segment: str | None
    respondent_pk: int | None
    respondent_id: str | None
    account_pk: int | None


@dataclass
class SurveyState:
    """One respondent's survey: the instrument, the saved answers, the status."""

    link: Link
    study: StudyDefinition
    sections: list[Section]
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    status: str = "new"  # new | partial | complete

    @property
    def answered(self) -> bool:
        return self.status == "complete"

    def resume_section(self) -> int:
        """The section to show when the link is opened again: the one after
        the last section holding an answer (the last section at most)."""
        last = -1
        for i, s in enumerate(self.sections):
            if any(_has_answer(self.answers, q) for q in s.questions):
                last = i
        return min(last + 1, len(self.sections) - 1)

    def missing_required(self) -> list[Question]:
        return [
            q
            for s in self.sections
            for q in s.questions
            if q.required and not _has_answer(self.answers, q)
        ]

    def to_json_dict(self) -> dict[str, Any]:
        """The instrument and saved answers as the JSON API returns them."""
        return {
            "study": self.study.slug,
            "wave": self.link.wave,
            "audience": self.link.audience,
            "anonymous": self.link.anonymous,
            "team": self.link.team,
            "status": self.status,
            "framing": framing(self.link.audience),
            "resume_section": self.resume_section(),
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "questions": [_question_json(q, self.link.audience) for q in s.questions],
                }
                for s in self.sections
            ],
            "answers": dict(self.answers),
        }


def framing(audience: str) -> str:
    """How the instrument is introduced to each audience."""
    if audience == "customer":
        return "Tell us how you experience working with us. There are no right answers."
    return (
        "Answer every question as you believe our customers experience us, "
        "not as you would like it to be."
    )


def question_text(q: Question, audience: str) -> str:
    """The question as this audience reads it: leadership and staff answer
    for the customer, so "to you" becomes "to our customers".

    >>> from cxgap.study.model import Question
    >>> q = Question(key="imp.time", text="How important is time to you?", kind="rating",
    ...              audiences=["staff"], scale_min=1, scale_max=5)
    >>> question_text(q, "staff")
    'How important is time to our customers?'
    """
    if audience == "customer":
        return q.text
    return q.text.replace(" to you?", " to our customers?")


def _question_json(q: Question, audience: str) -> dict[str, Any]:
    return {
        "key": q.key,
        "text": question_text(q, audience),
        "kind": q.kind,
        "required": q.required,
        "scale_min": q.scale_min,
        "scale_max": q.scale_max,
        "items": q.items,
    }


def sections_for(study: StudyDefinition, audience: Audience) -> list[Section]:
    """The audience's questions grouped by ``section``, in instrument order."""
    groups: dict[str, list[Question]] = {}
    for q in study.questions_for(audience):
        groups.setdefault(q.section, []).append(q)
    return [
        Section(key=k, title=SECTION_TITLES.get(k, k.replace("_", " ").capitalize()), questions=qs)
        for k, qs in groups.items()
    ]


def item_label(study: StudyDefinition, item: str) -> str:
    """A readable label for a rank or multi item (factor or defection reason)."""
    for group in (study.factors, study.defection_reasons, study.touchpoints):
        for x in group:
            if x.key == item:
                return x.label
    return item.replace("_", " ").capitalize()


def _has_answer(answers: dict[str, AnswerValue], q: Question) -> bool:
    if q.kind in ("rank", "multi"):
        return any(f"{q.key}.{i}" in answers for i in q.items)
    return q.key in answers


# --- validation --------------------------------------------------------------


def _number(raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None
        value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError
    return value


STORABLE = "text without NUL characters or unpaired surrogates"


def _storable(text: str) -> bool:
    """Whether a database can store ``text``: PostgreSQL refuses NUL, and
    UTF-8 (both engines) an unpaired surrogate, which a JSON body can hold."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_answers(
    questions: list[Question], raw: RawAnswers, *, file: str = "survey"
) -> dict[str, AnswerValue | None]:
    """Validate raw answers to ``questions``; return the values to store.

    ``raw`` maps a question key to its value (a number or text), or for a
    ``rank`` question ``<key>.<item>`` to each rank, and for a ``multi``
    question the key to the list of chosen items. A value of ``None`` means
    "no answer" (an answer saved earlier is cleared); a question missing from
    ``raw`` is left out of the result. Every problem found is
    raised at once as :class:`InputError`, one :class:`Problem` per question.

    >>> from cxgap.study.model import Question
    >>> q = Question(key="ltr", text="?", kind="nps", audiences=["customer"],
    ...              scale_min=0, scale_max=10)
    >>> parse_answers([q], {"ltr": "9"})
    {'ltr': 9.0}
    """
    problems: list[Problem] = []
    out: dict[str, AnswerValue | None] = {}
    for q in questions:
        if q.key not in raw and not any(f"{q.key}.{i}" in raw for i in q.items):
            continue  # not asked about: a saved answer stays as it is
        if q.kind in ("rating", "nps", "share"):
            lo, hi = float(q.scale_min or 0), float(q.scale_max or 0)
            whole = q.kind != "share"
            expected = f"a whole number from {lo:g} to {hi:g}" if whole else f"{lo:g} to {hi:g}"
            try:
                value = _number(raw.get(q.key))
            except ValueError:
                problems.append(Problem(file, None, q.key, raw.get(q.key), expected))
                continue
            if value is not None and (value < lo or value > hi or (whole and value % 1)):
                problems.append(Problem(file, None, q.key, raw.get(q.key), expected))
                continue
            out[q.key] = value
        elif q.kind == "rank":
            n = len(q.items)
            ranks: dict[str, float | None] = {}
            bad = False
            for item in q.items:
                name = f"{q.key}.{item}"
                try:
                    r = _number(raw.get(name))
                except ValueError:
                    r, bad = None, True
                if r is not None and (r % 1 or not 1 <= r <= n):
                    bad = True
                ranks[name] = r
            given = [r for r in ranks.values() if r is not None]
            if bad or len(set(given)) != len(given):
                problems.append(
                    Problem(
                        file,
                        None,
                        q.key,
                        None,
                        f"each rank from 1 to {n} used once (1 = most important)",
                    )
                )
                continue
            if given and len(given) != n:
                problems.append(Problem(file, None, q.key, None, f"a rank for all {n} items"))
                continue
            out.update(ranks)
        elif q.kind == "multi":
            chosen = raw.get(q.key)
            if chosen is None and any(f"{q.key}.{i}" in raw for i in q.items):
                chosen = [i for i in q.items if str(raw.get(f"{q.key}.{i}", "")) in ("1", "1.0")]
            if chosen is None:
                continue
            if isinstance(chosen, str):
                chosen = [chosen] if chosen else []
            unknown = [c for c in chosen if c not in q.items]
            if unknown:
                problems.append(
                    Problem(file, None, q.key, unknown[0], f"items among {', '.join(q.items)}")
                )
                continue
            for item in q.items:
                out[f"{q.key}.{item}"] = 1.0 if item in chosen else 0.0
        elif q.kind == "choice":
            value_raw = raw.get(q.key)
            text = "" if value_raw is None else str(value_raw).strip()
            if text and text not in q.items:
                problems.append(Problem(file, None, q.key, text, f"one of {', '.join(q.items)}"))
                continue
            out[q.key] = text or None
        else:  # text
            value_raw = raw.get(q.key)
            text = "" if value_raw is None else str(value_raw).strip()
            if len(text) > MAX_TEXT:
                problems.append(
                    Problem(file, None, q.key, f"{len(text)} characters", f"at most {MAX_TEXT}")
                )
                continue
            if not _storable(text):
                problems.append(Problem(file, None, q.key, None, STORABLE))
                continue
            out[q.key] = text or None
    if problems:
        raise InputError(problems)
    return out


def required_problems(questions: list[Question], answers: dict[str, AnswerValue]) -> list[Problem]:
    """A problem for each required question without an answer."""
    return [
        Problem("survey", None, q.key, None, "an answer (this question is required)")
        for q in questions
        if q.required and not _has_answer(answers, q)
    ]


# --- reading -----------------------------------------------------------------


def _link(conn: Connection, token: str) -> Link:
    inv, wave, study = t.invitation, t.wave, t.study
    row = conn.execute(
        select(
            inv.c.id,
            inv.c.study_id,
            study.c.slug,
            inv.c.wave_id,
            wave.c.key.label("wave"),
            inv.c.audience,
            inv.c.anonymous,
            inv.c.team,
            inv.c.respondent_id,
            t.respondent.c.external_id,
            t.respondent.c.segment,
            t.respondent.c.team.label("respondent_team"),
            t.respondent.c.account_id,
        )
        .join(wave, wave.c.id == inv.c.wave_id)
        .join(study, study.c.id == inv.c.study_id)
        .outerjoin(t.respondent, t.respondent.c.id == inv.c.respondent_id)
        .where(inv.c.token_hash == token_hash(token))
    ).first()
    if row is None:
        raise NotFoundError("this survey link is not valid: check that it was copied whole")
    return Link(
        invitation_id=row.id,
        study_id=row.study_id,
        slug=row.slug,
        wave_id=row.wave_id,
        wave=row.wave,
        audience=row.audience,
        anonymous=bool(row.anonymous),
        team=row.team if row.anonymous else (row.respondent_team or row.team),
        segment=None if row.anonymous else row.segment,
        respondent_pk=row.respondent_id,
        respondent_id=row.external_id,
        account_pk=None if row.anonymous else row.account_id,
    )


def _response_key(link: Link, draft: str | None) -> str:
    if not link.anonymous:
        return f"{link.respondent_id}:{link.wave}"
    if draft is None or not _DRAFT.match(draft):
        raise InputError(
            [Problem("survey", None, "draft", draft, "the draft key of this anonymous survey")]
        )
    return "anon:" + token_hash(f"{link.invitation_id}:{draft}")[:40]


def _load_answers(conn: Connection, response_id: int) -> dict[str, AnswerValue]:
    rows = conn.execute(
        select(
            t.answer.c.question_key, t.answer.c.item, t.answer.c.value_num, t.answer.c.value_text
        )
        .where(t.answer.c.response_id == response_id)
        .order_by(t.answer.c.id)
    ).all()
    out: dict[str, AnswerValue] = {}
    for key, item, num, text in rows:
        name = f"{key}.{item}" if item else key
        out[name] = float(num) if num is not None else str(text)
    return out


def open_survey(db: Database, token: str, *, draft: str | None = None) -> SurveyState:
    """The survey behind ``token`` with the answers saved so far.

    ``draft`` is the respondent's draft key on an anonymous link (ignored on a
    personal one). :class:`NotFoundError` for an unknown token.
    """
    with db.connect() as conn:
        link = _link(conn, token)
        key = None if link.anonymous and draft is None else _response_key(link, draft)
        row = None
        if key is not None:
            row = conn.execute(
                select(t.response.c.id, t.response.c.status).where(
                    t.response.c.study_id == link.study_id, t.response.c.source_key == key
                )
            ).first()
        answers = _load_answers(conn, row.id) if row is not None else {}
    study = load_study(db, link.slug)
    sections = sections_for(study, link.audience)
    if not sections:
        raise NotFoundError(
            f"study {link.slug!r} has no questions for the {link.audience} audience"
        )
    return SurveyState(
        link=link,
        study=study,
        sections=sections,
        answers=answers,
        status="new" if row is None else str(row.status),
    )


# --- writing -----------------------------------------------------------------


def _ensure_response(conn: Connection, link: Link, key: str) -> tuple[int, str]:
    """The (id, status) of this respondent's response, created as partial."""
    if conn.dialect.name == "sqlite":
        # Take SQLite's write lock first (waiting on the busy timeout), so a
        # concurrent writer can never invalidate this transaction's reads.
        conn.execute(
            update(t.invitation)
            .where(t.invitation.c.id == link.invitation_id)
            .values(state=t.invitation.c.state)
        )
    found = conn.execute(
        select(t.response.c.id, t.response.c.status).where(
            t.response.c.study_id == link.study_id, t.response.c.source_key == key
        )
    ).first()
    if found is not None:
        return int(found.id), str(found.status)
    respondent_pk = link.respondent_pk
    nested = conn.begin_nested()
    try:
        if link.anonymous:
            # A pseudonym that cannot be traced back to the link or the browser.
            respondent_pk = inserted_id(
                conn.execute(
                    insert(t.respondent).values(
                        study_id=link.study_id,
                        external_id=f"anon-{secrets.token_hex(8)}",
                        audience=link.audience,
                        team=link.team,
                    )
                )
            )
        rid = inserted_id(
            conn.execute(
                insert(t.response).values(
                    study_id=link.study_id,
                    wave_id=link.wave_id,
                    respondent_id=respondent_pk,
                    invitation_id=link.invitation_id,
                    audience=link.audience,
                    segment=link.segment,
                    team=link.team,
                    account_id=link.account_pk,
                    source="individual",
                    source_key=key,
                    status="partial",
                )
            )
        )
        nested.commit()
        return rid, "partial"
    except IntegrityError:
        # Another request created it a moment ago: use that one.
        nested.rollback()
        again = conn.execute(
            select(t.response.c.id, t.response.c.status).where(
                t.response.c.study_id == link.study_id, t.response.c.source_key == key
            )
        ).one()
        return int(again.id), str(again.status)


def _write_answers(
    conn: Connection,
    response_id: int,
    values: dict[str, AnswerValue | None],
    study: StudyDefinition,
) -> None:
    if not values:
        return
    split: list[tuple[str, str, AnswerValue | None]] = []
    keys = {q.key: q for q in study.questions}
    for name, value in values.items():
        if name in keys:
            split.append((name, "", value))
        else:
            qkey, _, item = name.rpartition(".")
            split.append((qkey, item, value))
    # A question's values are always written whole (every item of a rank or
    # multi question), so replacing them is one DELETE of those questions.
    conn.execute(
        delete(t.answer).where(
            t.answer.c.response_id == response_id,
            t.answer.c.question_key.in_(sorted({k for k, _, _ in split})),
        )
    )
    rows = [
        {
            "response_id": response_id,
            "question_key": k,
            "item": i,
            "value_num": v if isinstance(v, float) else None,
            "value_text": v if isinstance(v, str) else None,
        }
        for k, i, v in split
        if v is not None
    ]
    if rows:
        conn.execute(insert(t.answer), rows)


def _lock_partial(conn: Connection, response_id: int) -> bool:
    """Touch the response row while it is partial (a row lock on PostgreSQL,
    the write lock on SQLite); ``False`` when it was already submitted."""
    done = conn.execute(
        update(t.response)
        .where(t.response.c.id == response_id, t.response.c.status == "partial")
        .values(status="partial")
    )
    return bool(done.rowcount)


def save_answers(
    db: Database,
    token: str,
    raw: RawAnswers,
    *,
    draft: str | None = None,
    section: int | None = None,
    require: bool = False,
) -> SurveyState:
    """Validate and save answers without submitting; return the new state.

    Only the questions of ``section`` (an index into the sections) are taken
    when given, else every question of the audience. With ``require``, a
    required question left empty in those questions is a problem too.
    :class:`AlreadyAnsweredError` once the survey was submitted.
    """
    state = open_survey(db, token, draft=draft)
    if state.answered:
        raise AlreadyAnsweredError("this survey was already answered: thank you")
    questions = _questions(state, section)
    values = parse_answers(questions, raw)
    if require:
        missing = required_problems(questions, _merge(state.answers, values))
        if missing:
            raise InputError(missing)
    key = _response_key(state.link, draft)
    with db.begin() as conn:
        rid, status = _ensure_response(conn, state.link, key)
        if status != "partial" or not _lock_partial(conn, rid):
            raise AlreadyAnsweredError("this survey was already answered: thank you")
        _write_answers(conn, rid, values, state.study)
    state.answers = _merge(state.answers, values)
    state.status = "partial"
    return state


def _merge(
    saved: dict[str, AnswerValue], values: dict[str, AnswerValue | None]
) -> dict[str, AnswerValue]:
    merged = dict(saved)
    for k, v in values.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged


def _questions(state: SurveyState, section: int | None) -> list[Question]:
    if section is None:
        return [q for s in state.sections for q in s.questions]
    if not 0 <= section < len(state.sections):
        raise InputError(
            [Problem("survey", None, "section", section, f"0 to {len(state.sections) - 1}")]
        )
    return state.sections[section].questions


@dataclass(frozen=True)
class Submission:
    """The outcome of a submission: ``already_answered`` when an earlier one won."""

    already_answered: bool
    state: SurveyState


def submit(
    db: Database,
    token: str,
    raw: RawAnswers | None = None,
    *,
    draft: str | None = None,
    section: int | None = None,
    today: date | None = None,
) -> Submission:
    """Save the last answers (if any) and submit the survey, exactly once.

    Every required question must have an answer (:class:`InputError` listing
    them otherwise). A second call for the same link, or a retry of the same
    request, changes nothing and returns ``already_answered=True``.
    """
    state = open_survey(db, token, draft=draft)
    if state.answered:
        return Submission(True, state)
    questions = _questions(state, section)
    values = parse_answers(questions, raw or {})
    all_questions = [q for s in state.sections for q in s.questions]
    missing = required_problems(all_questions, _merge(state.answers, values))
    if missing:
        raise InputError(missing)
    key = _response_key(state.link, draft)
    now = datetime.now(UTC)
    with db.begin() as conn:
        rid, status = _ensure_response(conn, state.link, key)
        if status != "partial" or not _lock_partial(conn, rid):
            return Submission(True, open_survey(db, token, draft=draft))
        _write_answers(conn, rid, values, state.study)
        done = conn.execute(
            update(t.response)
            .where(t.response.c.id == rid, t.response.c.status == "partial")
            .values(status="complete", submitted_on=today or now.date())
        )
        if not done.rowcount:  # pragma: no cover - guarded by the row lock above
            return Submission(True, state)
        if not state.link.anonymous:
            conn.execute(
                update(t.invitation)
                .where(
                    t.invitation.c.respondent_id == state.link.respondent_pk,
                    t.invitation.c.wave_id == state.link.wave_id,
                )
                .values(state="answered", answered_at=now)
            )
    state.answers = _merge(state.answers, values)
    state.status = "complete"
    return Submission(False, state)
