"""Answering a survey from a link: partial answers saved and resumed, submit once.

A personal link (one invitation token) owns exactly one response per
respondent and wave, keyed ``<respondent_id>:<wave>``, the same key an import
of that respondent uses. An anonymous personal link is one person's too, but
its response is stored without them, keyed one-way from the token
(:mod:`cxgap.store.anonymous`). An open team link is shared, so each browser
(or API client) answers under its own random *draft key*; the response is
keyed by a hash of it. Neither anonymous kind stores a name, e-mail, IP
address or user agent with the response.

Answers are saved as a response with status ``partial`` and become part of
the analysis (status ``complete``) only when submitted. The response key is
unique in the database and a response is created with ``INSERT ... ON
CONFLICT DO NOTHING``, so only one request ever creates it; submitting a saved
response is one conditional ``UPDATE ... WHERE status = 'partial'`` inside the
transaction that writes the last answers, and a survey answered in one
request inserts its response as complete. A double click, a retried POST or
two tabs racing therefore never create a second response: the second
submission sees ``already_answered``. On SQLite every write transaction starts
with a write, taking the write lock before anything it decides on is read
(:meth:`cxgap.store.db.Database.writing`).

The study definition comes from the process's copy
(:mod:`cxgap.store.definitions`), checked against the study's revision by the
one query that reads the link. How the instrument reads for the link's
audience (its framing, the questions' wording, the sections) is
:mod:`cxgap.study.wording`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, insert, select, update

from cxgap.contracts.disclosure import OPEN_LINK
from cxgap.errors import CxgapError, InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.anonymous import LinkKind, claim_answer, link_kind, response_key
from cxgap.store.db import Database, inserted_id
from cxgap.store.studies import load_definition
from cxgap.study.answers import (
    AnswerValue,
    RawAnswers,
    has_answer,
    parse_answers,
    required_problems,
)
from cxgap.study.model import Audience, Question, StudyDefinition
from cxgap.study.wording import Section, framing, question_json, sections_for

_DRAFT = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


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
class Link:
    """What an invitation token opens.

    ``revision`` and ``study_created`` (the study's ``created_at``) are read
    with the link so that, with ``study_id``, they name the stored definition
    in the process's copy (:mod:`cxgap.store.definitions`). On an anonymous
    personal link, ``respondent_pk`` is the contact, whose invitations are
    marked answered; their response belongs to a fresh pseudonym.
    """

    invitation_id: int
    study_id: int
    slug: str
    wave_id: int
    wave: str
    audience: Audience
    kind: LinkKind
    team: str | None
    segment: str | None
    respondent_pk: int | None
    respondent_id: str | None
    account_pk: int | None
    revision: int
    study_created: datetime

    @property
    def anonymous(self) -> bool:
        """Whether the answers are stored without the person (anonymous or open)."""
        return self.kind != "personal"

    @property
    def shared(self) -> bool:
        """Whether a whole team shares the link (open): each respondent then
        answers under a draft key of their own."""
        return self.kind == "open"


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
            if any(has_answer(self.answers, q) for q in s.questions):
                last = i
        return min(last + 1, len(self.sections) - 1)

    def missing_required(self) -> list[Question]:
        return [
            q
            for s in self.sections
            for q in s.questions
            if q.required and not has_answer(self.answers, q)
        ]

    def to_json_dict(self) -> dict[str, Any]:
        """The instrument and saved answers as the JSON API returns them."""
        return {
            "study": self.study.slug,
            "wave": self.link.wave,
            "audience": self.link.audience,
            "anonymous": self.link.anonymous,
            "link": self.link.kind,
            "team": self.link.team,
            "status": self.status,
            "framing": framing(self.link.audience),
            "resume_section": self.resume_section(),
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "questions": [question_json(q, self.link.audience) for q in s.questions],
                }
                for s in self.sections
            ],
            "answers": dict(self.answers),
        }


# --- reading -----------------------------------------------------------------


@functools.cache
def _link_statement() -> Select[Any]:
    """The one query behind a link: invitation, wave, study (with the
    revision of its definition), respondent and, for a personal link, the
    response already stored under its key (never for an anonymous one,
    whose response is not the contact's)."""
    inv, wave, study, person, resp = t.invitation, t.wave, t.study, t.respondent, t.response
    personal_key = person.c.external_id + ":" + wave.c.key
    return (
        select(
            inv.c.id,
            inv.c.study_id,
            study.c.slug,
            study.c.revision,
            study.c.created_at.label("study_created"),
            inv.c.wave_id,
            wave.c.key.label("wave"),
            inv.c.audience,
            inv.c.anonymous,
            inv.c.state.label("invitation_state"),
            inv.c.team,
            inv.c.respondent_id,
            person.c.external_id,
            person.c.segment,
            person.c.team.label("respondent_team"),
            person.c.account_id,
            resp.c.id.label("response_id"),
            resp.c.status.label("response_status"),
        )
        .join(wave, wave.c.id == inv.c.wave_id)
        .join(study, study.c.id == inv.c.study_id)
        .outerjoin(person, person.c.id == inv.c.respondent_id)
        .outerjoin(
            resp,
            and_(
                inv.c.anonymous.is_(False),
                resp.c.study_id == inv.c.study_id,
                resp.c.source_key == personal_key,
            ),
        )
        .where(inv.c.token_hash == bindparam("token_hash"))
    )


@dataclass(frozen=True)
class _Found:
    """A link, the key its response is stored under (``None`` for an open
    link opened without a draft key) and that response, if any."""

    link: Link
    key: str | None
    response_id: int | None
    status: str  # new | partial | complete


def _find(conn: Connection, token: str, draft: str | None) -> _Found:
    row = conn.execute(_link_statement(), {"token_hash": token_hash(token)}).first()
    if row is None:
        raise NotFoundError("this survey link is not valid: check that it was copied whole")
    kind = link_kind(bool(row.anonymous), row.respondent_id)
    personal = kind == "personal"
    link = Link(
        invitation_id=row.id,
        study_id=row.study_id,
        slug=row.slug,
        wave_id=row.wave_id,
        wave=row.wave,
        audience=row.audience,
        kind=kind,
        team=(row.respondent_team or row.team) if personal else row.team,
        segment=row.segment if personal else None,
        respondent_pk=row.respondent_id,
        respondent_id=row.external_id if personal else None,
        account_pk=row.account_id if personal else None,
        revision=int(row.revision),
        study_created=row.study_created,
    )
    if personal:
        status = "new" if row.response_id is None else str(row.response_status)
        return _Found(link, _response_key(link, None), row.response_id, status)
    if kind == "open" and draft is None:
        return _Found(link, None, None, "new")
    key = response_key(token) if kind == "anonymous" else _response_key(link, draft)
    rid, status = _response_row(conn, link, key)
    if kind == "anonymous" and row.invitation_state == "answered":
        status = "complete"  # perhaps through another of the contact's links
    return _Found(link, key, rid, status)


# The statements of the submit path are built once: building a SQLAlchemy
# expression costs more than executing its cached compiled form.


@functools.cache
def _response_statement() -> Select[Any]:
    return select(t.response.c.id, t.response.c.status).where(
        t.response.c.study_id == bindparam("study_id"),
        t.response.c.source_key == bindparam("source_key"),
    )


def _response_row(conn: Connection, link: Link, key: str) -> tuple[int | None, str]:
    found = conn.execute(
        _response_statement(), {"study_id": link.study_id, "source_key": key}
    ).first()
    return (None, "new") if found is None else (int(found.id), str(found.status))


def _response_key(link: Link, draft: str | None) -> str:
    """The key of a personal link's response, or of an open link's under ``draft``."""
    if not link.shared:
        return f"{link.respondent_id}:{link.wave}"
    if draft is None or not _DRAFT.match(draft):
        raise InputError(
            [Problem("survey", None, "draft", draft, "the draft key of this anonymous survey")]
        )
    return "anon:" + token_hash(f"{link.invitation_id}:{draft}")[:40]


def _instrument(
    db: Database, conn: Connection, link: Link
) -> tuple[StudyDefinition, list[Section]]:
    """The study definition and the audience's sections, from this process's
    copy while the study is at the revision the link query read."""
    entry = db.definitions.get(
        (link.study_id, link.revision, link.study_created),
        lambda: load_definition(conn, link.study_id),
    )
    audience = link.audience
    sections = entry.derived(("sections", audience), lambda s: sections_for(s, audience))
    if not sections:
        raise NotFoundError(f"study {link.slug!r} has no questions for the {audience} audience")
    return entry.study, sections


@functools.cache
def _answers_statement() -> Select[Any]:
    a = t.answer
    return (
        select(a.c.question_key, a.c.item, a.c.value_num, a.c.value_text)
        .where(a.c.response_id == bindparam("response_id"))
        .order_by(a.c.id)
    )


def _load_answers(conn: Connection, response_id: int) -> dict[str, AnswerValue]:
    rows = conn.execute(_answers_statement(), {"response_id": response_id}).all()
    out: dict[str, AnswerValue] = {}
    for key, item, num, text in rows:
        name = f"{key}.{item}" if item else key
        out[name] = float(num) if num is not None else str(text)
    return out


def _state(
    db: Database, conn: Connection, token: str, draft: str | None
) -> tuple[_Found, SurveyState]:
    found = _find(conn, token, draft)
    study, sections = _instrument(db, conn, found.link)
    return found, SurveyState(link=found.link, study=study, sections=sections, status=found.status)


def open_survey(db: Database, token: str, *, draft: str | None = None) -> SurveyState:
    """The survey behind ``token`` with the answers saved so far.

    ``draft`` is the respondent's draft key on an open link (ignored on the
    others). :class:`NotFoundError` for an unknown token.
    """
    with db.connect() as conn:
        found, state = _state(db, conn, token, draft)
        if found.response_id is not None:
            state.answers = _load_answers(conn, found.response_id)
    return state


# --- writing -----------------------------------------------------------------


def _insert_response(
    conn: Connection, link: Link, key: str, status: str, day: date | None
) -> int | None:
    """Create the response under ``key``; ``None`` when one exists already
    (another request created it a moment ago: the unique key let one win)."""
    respondent_pk = link.respondent_pk
    if link.anonymous:
        # A pseudonym that cannot be traced back to the link, the contact or
        # the browser.
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
    rid = conn.execute(
        _insert_response_statement(conn.dialect.name),
        {
            "study_id": link.study_id,
            "wave_id": link.wave_id,
            "respondent_id": respondent_pk,
            # An anonymous personal link is the contact's: not on the response.
            "invitation_id": None if link.kind == "anonymous" else link.invitation_id,
            "audience": link.audience,
            "segment": link.segment,
            "team": link.team,
            "account_id": link.account_pk,
            # An open link's answers never count toward the anonymity threshold.
            "source": OPEN_LINK if link.shared else "individual",
            "source_key": key,
            "status": status,
            "submitted_on": day,
        },
    ).scalar()
    if rid is None and link.anonymous:
        conn.execute(delete(t.respondent).where(t.respondent.c.id == respondent_pk))
    return None if rid is None else int(rid)


@functools.cache
def _insert_response_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (study_id, source_key) DO NOTHING RETURNING id``."""
    from sqlalchemy.dialects import postgresql, sqlite

    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        make(t.response)
        .on_conflict_do_nothing(index_elements=["study_id", "source_key"])
        .returning(t.response.c.id)
    )


#: Answers per INSERT statement on SQLite (5 parameters each).
_ROWS_PER_INSERT = 200
_ANSWER_COLUMNS = ("response_id", "question_key", "item", "value_num", "value_text")


@functools.lru_cache(maxsize=64)
def _answers_sql(rows: int) -> str:
    """SQLite: ``INSERT INTO answer (...) VALUES (?, ...), (?, ...)`` for
    ``rows`` rows, built once per row count (SQLAlchemy's multi-row
    ``insert().values([...])`` compiles the statement again on every call,
    which cost more than all the rest of a submission)."""
    one = "(" + ", ".join(["?"] * len(_ANSWER_COLUMNS)) + ")"
    return f"INSERT INTO {t.answer.name} ({', '.join(_ANSWER_COLUMNS)}) VALUES " + ", ".join(
        [one] * rows
    )


#: PostgreSQL: every row in one statement of two parameters, the rows as one
#: JSON text (one C call to encode; psycopg parses a VALUES list of more than
#: 50 parameters again on every call, and dumps arrays in Python).
_ANSWERS_JSON = (
    f"INSERT INTO {t.answer.name} ({', '.join(_ANSWER_COLUMNS)}) "
    "SELECT %s, r.k, r.i, r.n, r.v FROM json_to_recordset(%s::json) "
    "AS r(k text, i text, n double precision, v text)"
)


def _answer_rows(
    response_id: int, values: dict[str, AnswerValue | None], question_keys: frozenset[str]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The questions touched by ``values`` and the answer rows to store."""
    keys: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    for name, value in values.items():
        if name in question_keys:
            qkey, item = name, ""
        else:
            qkey, _, item = name.rpartition(".")
        keys.add(qkey)
        if value is not None:
            num = value if isinstance(value, float) else None
            rows.append((response_id, qkey, item, num, value if num is None else None))
    return sorted(keys), rows


def _insert_answers(conn: Connection, response_id: int, rows: list[tuple[Any, ...]]) -> None:
    """The answer rows of one response in one multi-row ``INSERT``."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        data = [{"k": k, "i": i, "n": n, "v": v} for _, k, i, n, v in rows]
        conn.exec_driver_sql(_ANSWERS_JSON, (response_id, json.dumps(data)))
        return
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        conn.exec_driver_sql(_answers_sql(len(chunk)), tuple(v for r in chunk for v in r))


def _write_answers(
    conn: Connection,
    response_id: int,
    values: dict[str, AnswerValue | None],
    study: StudyDefinition,
    *,
    fresh: bool = False,
) -> None:
    if not values:
        return
    keys, rows = _answer_rows(response_id, values, _question_keys(study))
    if not fresh:
        # A question's values are always written whole (every item of a rank
        # or multi question), so replacing them is one DELETE of those questions.
        conn.execute(
            delete(t.answer).where(
                t.answer.c.response_id == response_id, t.answer.c.question_key.in_(keys)
            )
        )
    _insert_answers(conn, response_id, rows)


def _question_keys(study: StudyDefinition) -> frozenset[str]:
    return frozenset(q.key for q in study.questions)


def _lock_partial(conn: Connection, response_id: int) -> bool:
    """Touch the response row while it is partial (a row lock on PostgreSQL,
    the write lock on SQLite); ``False`` when it was already submitted."""
    done = conn.execute(_partial_statement("partial"), {"response_id": response_id})
    return bool(done.rowcount)


@functools.cache
def _partial_statement(status: str) -> Any:
    """``UPDATE response SET status = :status WHERE id = :id AND status = 'partial'``."""
    values: dict[str, Any] = {"status": status}
    if status == "complete":
        values["submitted_on"] = bindparam("day")
    return (
        update(t.response)
        .where(t.response.c.id == bindparam("response_id"), t.response.c.status == "partial")
        .values(**values)
    )


def _complete(conn: Connection, response_id: int, day: date) -> bool:
    """The conditional ``UPDATE ... WHERE status = 'partial'`` that submits a
    saved response; ``False`` when an earlier submission won."""
    done = conn.execute(_partial_statement("complete"), {"response_id": response_id, "day": day})
    return bool(done.rowcount)


def _mark_answered(conn: Connection, link: Link, now: datetime) -> None:
    """The personal invitation used is answered (found by its primary key);
    an anonymous one was claimed first (:func:`_claimed`), an open one never is.

    A reminder's earlier token keeps its own ``state``: marking every
    invitation of the respondent and wave would scan the invitation table on
    each submission (``invitation.respondent_id`` has no index), and whether a
    respondent answered is read from the response everywhere (``cxgap
    status``, reminders).
    """
    if link.kind != "personal":
        return
    conn.execute(_answered_statement(), {"b_id": link.invitation_id, "b_now": now})


def _claimed(conn: Connection, link: Link) -> bool:
    """``False`` when the contact of an anonymous personal link has answered
    already (through this link or another of theirs); always ``True`` for
    the other kinds. The first write of a submission."""
    if link.kind != "anonymous" or link.respondent_pk is None:
        return True
    return claim_answer(
        conn, wave_id=link.wave_id, respondent_pk=link.respondent_pk, team=link.team
    )


@functools.cache
def _answered_statement() -> Any:
    inv = t.invitation
    return (
        update(inv)
        .where(inv.c.id == bindparam("b_id"))
        .values(state="answered", answered_at=bindparam("b_now"))
    )


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
    with db.connect() as conn:
        found, state = _state(db, conn, token, draft)
        if state.answered:
            raise AlreadyAnsweredError("this survey was already answered: thank you")
        questions = _questions(state, section)
        values = parse_answers(questions, raw)
        key = found.key or _response_key(state.link, draft)
        rid = found.response_id
        saved = _load_answers(conn, rid) if rid is not None else {}
        if require:
            missing = required_problems(questions, _merge(saved, values))
            if missing:
                raise InputError(missing)
        with db.writing(conn):
            fresh = False
            if rid is None:
                rid = _insert_response(conn, state.link, key, "partial", None)
                fresh = rid is not None
                if rid is None:
                    rid, _ = _response_row(conn, state.link, key)
            if rid is None or not (fresh or _lock_partial(conn, rid)):
                raise AlreadyAnsweredError("this survey was already answered: thank you")
            _write_answers(conn, rid, values, state.study, fresh=fresh)
    state.answers = _merge(saved, values)
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
    #: The stored response (``None`` only when nothing was stored).
    response_id: int | None = None


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

    A survey answered in one request (nothing saved before) costs one query
    and three writes in one transaction: the response inserted as complete
    (``ON CONFLICT DO NOTHING`` on its unique key), its answers in one
    multi-row insert, and the invitation marked answered. On an anonymous
    personal link, the contact's invitations are claimed first instead
    (:func:`cxgap.store.anonymous.claim_answer`): a contact answers once,
    whichever of their links they use.
    """
    with db.connect() as conn:
        found, state = _state(db, conn, token, draft)
        if state.answered:
            return _already(conn, state, found.response_id)
        values = parse_answers(_questions(state, section), raw or {})
        everything = [q for s in state.sections for q in s.questions]
        key = found.key or _response_key(state.link, draft)
        now = datetime.now(UTC)
        day = today or now.date()
        if found.response_id is None:
            missing = required_problems(everything, _merge({}, values))
            if missing:
                raise InputError(missing)
        with db.writing(conn):
            if not _claimed(conn, state.link):
                return _already(conn, state, found.response_id)
            rid = found.response_id
            if rid is None:
                rid = _insert_response(conn, state.link, key, "complete", day)
                if rid is not None:
                    _write_answers(conn, rid, values, state.study, fresh=True)
                    _mark_answered(conn, state.link, now)
                    state.answers = _merge({}, values)
                    state.status = "complete"
                    return Submission(False, state, rid)
                rid, _ = _response_row(conn, state.link, key)  # created a moment ago
            if rid is None or not _complete(conn, rid, day):
                return _already(conn, state, rid)
            # The row is locked (the write lock on SQLite): these answers are final.
            merged = _merge(_load_answers(conn, rid), values)
            missing = required_problems(everything, merged)
            if missing:
                raise InputError(missing)  # rolled back: the response stays partial
            _write_answers(conn, rid, values, state.study)
            _mark_answered(conn, state.link, now)
    state.answers = merged
    state.status = "complete"
    return Submission(False, state, rid)


def _already(conn: Connection, state: SurveyState, response_id: int | None) -> Submission:
    state.answers = _load_answers(conn, response_id) if response_id is not None else {}
    state.status = "complete"
    return Submission(True, state, response_id)
