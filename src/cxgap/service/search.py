"""Keyword in context over a stored study: its open answers and its
discovery-interview notes (``cxgap search``).

The answers are loaded from the database and handed, with the interview
notes as one more open question named ``interview``, to
:func:`cxgap.analysis.voice.search.search_answers`, which applies the study's
anonymity threshold (staff teams below it are never quoted) and masks names,
e-mail addresses and phone numbers. Interview notes are customers' (their
account and segment), and have no wave and no team: a search limited to a
wave, a team or another audience leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cxgap.analysis.voice.search import SearchResult, search_answers, small_team_mask
from cxgap.errors import CxgapError, NotFoundError
from cxgap.store.accounts import load_interviews
from cxgap.store.db import Database
from cxgap.store.frames import META_COLUMNS, load_frame
from cxgap.store.migrate import ensure_schema
from cxgap.store.studies import load_study
from cxgap.study.model import AUDIENCES, StudyDefinition

__all__ = ["INTERVIEWS", "open_questions", "search_study"]

#: The name interview notes are searched under (``--question interview``).
INTERVIEWS = "interview"


def open_questions(study: StudyDefinition) -> list[str]:
    """Names of the study's open questions (``open.<name>``), in order."""
    return [
        q.key.removeprefix("open.")
        for q in study.questions
        if q.kind == "text" and q.key.startswith("open.")
    ]


def _check(name: str, value: str | None, known: Sequence[str], slug: str) -> None:
    if value is not None and value not in known:
        raise NotFoundError(f"study {slug!r} has no {name} {value!r} ({name}s: {', '.join(known)})")


def _check_team(frame: pd.DataFrame, team: str, threshold: int) -> None:
    """Refuse a search of one staff team that is below the anonymity threshold
    in a wave searched: its answers are not shown, and a count of them would
    give its size."""
    small = small_team_mask(frame, threshold) & frame["team"].eq(team)
    if small.any():
        found = sorted(frame.loc[small, "wave"].dropna().unique())
        waves = ("wave " if len(found) == 1 else "waves ") + ", ".join(found)
        raise CxgapError(
            f"team {team!r} has fewer than {threshold} staff respondents in {waves}: "
            "its answers are not shown, to protect their anonymity"
        )


def _interview_rows(db: Database, slug: str) -> pd.DataFrame:
    notes = load_interviews(db, slug)

    def cells(name: str) -> pd.Series:
        return notes[name].astype(object).where(notes[name].notna(), None)

    return pd.DataFrame(
        {
            "respondent_id": None,
            "audience": "customer",
            "segment": cells("segment"),
            "team": None,
            "account_id": cells("account_id"),
            "wave": None,
            "source": INTERVIEWS,
            f"open.{INTERVIEWS}": notes["text"],
        },
        index=range(len(notes)),
    )


def search_study(
    db: Database,
    slug: str,
    query: str,
    *,
    wave: str | None = None,
    audience: str | None = None,
    questions: Sequence[str] | None = None,
    segment: str | None = None,
    team: str | None = None,
    interviews: bool = True,
    window: int = 60,
    limit: int = 50,
) -> SearchResult:
    """Find ``query`` in the open answers (and interview notes) of study ``slug``.

    ``questions`` are open-question names (``improve`` or ``open.improve``;
    ``interview`` for the notes); ``team`` is a touchpoint key and ``segment``
    a segment key. An unknown study, wave, audience, question, segment or team
    raises :class:`~cxgap.errors.NotFoundError` naming the known ones.
    """
    ensure_schema(db, create=False)
    study = load_study(db, slug)
    _check("wave", wave, study.wave_keys(), slug)
    _check("audience", audience, AUDIENCES, slug)
    _check("segment", segment, [s.key for s in study.segments], slug)
    _check("team", team, [t.key for t in study.touchpoints], slug)
    names = open_questions(study)
    wanted = None if questions is None else [q.removeprefix("open.") for q in questions]
    for q in wanted or []:
        _check("open question", q, [*names, INTERVIEWS], slug)
    notes_asked = wanted is not None and INTERVIEWS in wanted
    narrowed = [
        why
        for why, on in (
            ("a wave", wave is not None),
            ("a team", team is not None),
            (f"the {audience} audience", audience not in (None, "customer")),
        )
        if on
    ]
    if notes_asked and not interviews:
        raise CxgapError(f"the question {INTERVIEWS!r} is the interview notes, left out here")
    if notes_asked and narrowed:
        raise CxgapError(
            "interview notes are customers' and have no wave or team: they cannot be "
            f"searched within {' and '.join(narrowed)}"
        )
    frame = load_frame(db, slug, wave=wave)
    frame = frame[[*META_COLUMNS, *(f"open.{q}" for q in names if f"open.{q}" in frame)]]
    if team is not None:
        _check_team(frame, team, study.anonymity_threshold)
    if interviews and not narrowed and (wanted is None or notes_asked):
        notes = _interview_rows(db, slug)
        if len(notes):
            frame = pd.concat([frame, notes], ignore_index=True)
        else:
            frame[f"open.{INTERVIEWS}"] = None
    return search_answers(
        frame,
        query,
        questions=wanted,
        audience=audience,
        segment=segment,
        team=team,
        anonymity_threshold=study.anonymity_threshold,
        window=window,
        limit=limit,
    )
