"""The JSON API of the survey flow (``/api/v1/surveys/...``), for systems that
embed the survey. The same rules as the pages: answers are validated, saved
as partial, and submitted exactly once."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import text

from cxgap.store.survey import (
    SurveyState,
    new_draft_key,
    open_survey,
    save_answers,
    submit,
)
from cxgap.study.answers import MAX_TEXT
from cxgap.web._errors import error_responses
from cxgap.web.closed_loop import open_cases_later
from cxgap.web.deps import DbDep
from cxgap.web.limits import guard_survey_token

router = APIRouter(prefix="/api/v1", tags=["surveys"], dependencies=[Depends(guard_survey_token)])

#: Keys one request may answer (questions and rank items; a study has far fewer).
MAX_ANSWERS = 1000
#: Items one multi-choice answer may list.
MAX_ITEMS = 200
_Key = Annotated[str, StringConstraints(max_length=200)]
# Longer than MAX_TEXT, so that a text a little too long gets its own message
# (naming the question) from the validation of answers.
_Text = Annotated[str, StringConstraints(max_length=4 * MAX_TEXT)]
AnswerIn = (
    Annotated[float, Field(allow_inf_nan=False)]
    | _Text
    | Annotated[list[_Key], Field(max_length=MAX_ITEMS)]
    | None
)


class AnswersIn(BaseModel):
    """Answers to save or submit.

    Keys are question keys; a rank question takes ``<key>.<item>`` keys with
    ranks 1..n, a multi question a list of chosen items, ``null`` clears an
    answer. ``draft`` is the draft key of an open team link (ignored on the others).
    """

    model_config = ConfigDict(extra="forbid")

    answers: dict[_Key, AnswerIn] = Field(default_factory=dict, max_length=MAX_ANSWERS)
    draft: str | None = Field(default=None, max_length=100)
    section: int | None = Field(
        default=None,
        ge=0,
        le=10_000,
        description="Only the questions of this section (0-based) are taken.",
    )


class QuestionOut(BaseModel):
    key: str
    text: str
    kind: str
    required: bool
    scale_min: float | None
    scale_max: float | None
    items: list[str]


class SectionOut(BaseModel):
    key: str
    title: str
    questions: list[QuestionOut]


class SurveyOut(BaseModel):
    """One respondent's survey: the instrument for their audience and the
    answers saved so far."""

    study: str
    wave: str
    audience: str
    anonymous: bool = Field(
        description="The answers are stored without the person (an anonymous or open link)."
    )
    link: Literal["personal", "anonymous", "open"] = Field(
        description="personal: stored with the person; anonymous: one person's link, "
        "the answers stored without them; open: shared by a team, each respondent "
        "answers under a draft key (POST .../drafts)."
    )
    team: str | None
    status: Literal["new", "partial", "complete"]
    framing: str
    resume_section: int
    sections: list[SectionOut]
    answers: dict[str, float | str]


class SubmitOut(BaseModel):
    """``already_answered`` is true when an earlier submission (or a retry of
    this one) had already completed the survey: nothing was changed."""

    status: Literal["complete"]
    already_answered: bool


class DraftOut(BaseModel):
    draft: str


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: str


def _out(state: SurveyState) -> SurveyOut:
    data: dict[str, Any] = state.to_json_dict()
    return SurveyOut.model_validate(data)


@router.get("/health", response_model=HealthOut, tags=["service"], responses=error_responses(503))
def health(db: DbDep) -> HealthOut:
    """The app runs and its database answers."""
    with db.connect() as conn:
        conn.execute(text("SELECT 1"))
    return HealthOut(status="ok", database=db.dialect)


@router.get(
    "/surveys/{token}", response_model=SurveyOut, responses=error_responses(404, 422, 429, 503)
)
def get_survey(
    token: str, db: DbDep, draft: Annotated[str | None, Query(max_length=100)] = None
) -> SurveyOut:
    """The survey behind a link, with the answers saved so far."""
    return _out(open_survey(db, token, draft=draft))


@router.post(
    "/surveys/{token}/drafts",
    response_model=DraftOut,
    status_code=201,
    responses=error_responses(404, 413, 422, 429, 503),
)
def new_draft(token: str, db: DbDep) -> DraftOut:
    """A new draft key for one respondent of an open team link; pass it as
    ``draft`` with every later call. (Personal and anonymous links, one
    person's each, need none.)"""
    open_survey(db, token)  # 404 for an unknown link
    return DraftOut(draft=new_draft_key())


@router.put(
    "/surveys/{token}/answers",
    response_model=SurveyOut,
    responses=error_responses(400, 404, 409, 413, 422, 429, 503),
)
def put_answers(token: str, body: AnswersIn, db: DbDep) -> SurveyOut:
    """Validate and save answers without submitting (422 lists each problem
    by question key; 409 once the survey was submitted)."""
    state = save_answers(db, token, dict(body.answers), draft=body.draft, section=body.section)
    return _out(state)


@router.post(
    "/surveys/{token}/submit",
    response_model=SubmitOut,
    responses=error_responses(400, 404, 409, 413, 422, 429, 503),
)
def post_submit(
    token: str, body: AnswersIn, db: DbDep, request: Request, background: BackgroundTasks
) -> SubmitOut:
    """Save the given answers and submit, exactly once: a repeated or retried
    call returns ``already_answered: true`` and creates nothing. A customer's
    answers that call for a case open it after the answer is sent."""
    result = submit(db, token, dict(body.answers), draft=body.draft, section=body.section)
    if not result.already_answered:
        open_cases_later(request, background, result.state.link.slug, result.response_id)
    return SubmitOut(status="complete", already_answered=result.already_answered)
