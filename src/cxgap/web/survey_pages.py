"""Respondent pages: ``/s/{token}``, one section per page, server-rendered.

A section shown again with its problems, and the "already answered" page,
are ordinary pages (200): the browser shows them, it does not report a
failed load. The JSON API answers the same cases with 422 and 409.

The pages work without JavaScript: every step is a form POST answered by a
redirect (post/redirect/get), so reloading never re-sends answers. A small
script of our own only prevents double clicks and moves focus to the first
problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cxgap.errors import InputError
from cxgap.store.survey import (
    AlreadyAnsweredError,
    SurveyState,
    new_draft_key,
    open_survey,
    save_answers,
    submit,
)
from cxgap.study.answers import RawAnswers
from cxgap.study.model import Question
from cxgap.study.wording import framing, item_label, question_text
from cxgap.web.closed_loop import open_cases_later
from cxgap.web.deps import DbDep, TemplatesDep
from cxgap.web.limits import guard_survey_token

router = APIRouter(include_in_schema=False, dependencies=[Depends(guard_survey_token)])

DRAFT_COOKIE = "cxgap_draft"
#: Fields a survey form may post (questions, rank items, buttons); no files.
MAX_FORM_FIELDS = 1000


def raw_from_form(state: SurveyState, section: int, form: FormData) -> RawAnswers:
    """The answers of one section as posted by the page's form."""
    raw: RawAnswers = {}
    for q in state.sections[section].questions:
        if q.kind == "rank":
            for item in q.items:
                raw[f"{q.key}.{item}"] = form.get(f"{q.key}.{item}")
        elif q.kind == "multi":
            raw[q.key] = [str(v) for v in form.getlist(q.key)]
        else:
            raw[q.key] = form.get(q.key)
    return raw


def _draft(request: Request, shared: bool, form: FormData | None = None) -> str | None:
    """The draft key of an open (shared) link's respondent; none on the
    others, whose token is one person's."""
    if not shared:
        return None
    posted = form.get("draft") if form is not None else None
    return str(posted) if posted else request.cookies.get(DRAFT_COOKIE)


def _page(
    request: Request,
    templates: Any,
    state: SurveyState,
    section: int,
    *,
    draft: str | None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    s = state.sections[section]
    shown = dict(state.answers)
    if values is not None:
        shown.update(values)
    context = {
        "state": state,
        "section": s,
        "index": section,
        "total": len(state.sections),
        "answers": shown,
        "errors": errors or {},
        "draft": draft,
        "framing": framing(state.link.audience),
        "label": lambda item: item_label(state.study, item),
        "val": lambda key: _fmt(shown.get(key)),
        "anchors": _anchors,
        "qtext": lambda q: question_text(q, state.link.audience),
        "error_list": [
            (q.key, _short(question_text(q, state.link.audience)), (errors or {})[q.key])
            for sec in state.sections
            for q in sec.questions
            if q.key in (errors or {})
        ],
        "title": state.study.name,
    }
    return templates.TemplateResponse(request, "survey.html", context, status_code=status_code)


def _answered(request: Request, templates: Any, state: SurveyState, status: int) -> Response:
    return templates.TemplateResponse(
        request,
        "answered.html",
        {"state": state, "title": "Already answered", "brand": state.study.name},
        status_code=status,
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(
    request: Request, token: str, db: DbDep, templates: TemplatesDep, section: str | None = None
) -> Response:
    """Show the section asked for, or where the respondent left off."""
    probe = open_survey(db, token)
    new_cookie = None
    draft = _draft(request, probe.link.shared)
    if probe.link.shared and draft is None:
        draft = new_cookie = new_draft_key()
    state = open_survey(db, token, draft=draft) if probe.link.shared else probe
    if state.answered:
        return _answered(request, templates, state, 200)
    index = _section_index(section, len(state.sections), state.resume_section())
    response = _page(request, templates, state, index, draft=draft)
    if new_cookie is not None:
        response.set_cookie(
            DRAFT_COOKIE,
            new_cookie,
            max_age=60 * 60 * 24 * 60,
            path=f"/s/{token}",
            httponly=True,
            samesite="lax",
        )
    return response


@router.post("/s/{token}", response_class=HTMLResponse)
async def survey_post(
    request: Request,
    token: str,
    db: DbDep,
    templates: TemplatesDep,
    background: BackgroundTasks,
) -> Response:
    """Save one section; go back, go on, or submit."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    probe = open_survey(db, token)
    draft = _draft(request, probe.link.shared, form)
    state = open_survey(db, token, draft=draft) if probe.link.shared else probe
    index = _section_index(str(form.get("section", "0")), len(state.sections), 0)
    action = str(form.get("action", "next"))
    if state.answered:
        return _answered(request, templates, state, 200)
    raw = raw_from_form(state, index, form)
    try:
        if action == "submit":
            result = submit(db, token, raw, draft=draft, section=index)
            if result.already_answered:
                return _answered(request, templates, result.state, 200)
            open_cases_later(request, background, state.link.slug, result.response_id)
            return RedirectResponse(f"/s/{token}/thanks", status_code=303)
        save_answers(db, token, raw, draft=draft, section=index, require=action == "next")
    except AlreadyAnsweredError:
        return _answered(request, templates, state, 200)
    except InputError as exc:
        errors = {p.column or "": _message(p.expected) for p in exc.problems}
        # A required question of another section: show that section.
        target = index
        for i, s in enumerate(state.sections):
            if any(q.key in errors for q in s.questions):
                target = i
                break
        values = raw if target == index else {}
        return _page(
            request,
            templates,
            state,
            target,
            draft=draft,
            errors=errors,
            values=_display(values),
            status_code=200,  # a form shown again, not a failed load
        )
    nxt = index - 1 if action == "back" else index + 1 if action == "next" else index
    nxt = max(0, min(nxt, len(state.sections) - 1))
    return RedirectResponse(f"/s/{token}?section={nxt}", status_code=303)


def _section_index(raw: str | None, n: int, default: int) -> int:
    """The section a page asks for, within ``0..n-1``; ``default`` when the
    value is not a plain number (``"²"``, ``"1e9"``, 5,000 digits).

    >>> _section_index("2", 5, 0), _section_index("99", 5, 0), _section_index("²", 5, 1)
    (2, 4, 1)
    """
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return max(0, min(default, n - 1))
    return n - 1 if len(text) > 6 else max(0, min(int(text), n - 1))


def _anchors(q: Question) -> tuple[str, str] | None:
    """What the ends of a rating scale mean (none when the text says it)."""
    if "=" in q.text:
        return None
    if q.kind == "nps":
        return ("not at all likely", "extremely likely")
    if q.key.startswith("imp."):
        return ("not important", "very important")
    return ("very poor", "excellent")


def _short(text: str, limit: int = 60) -> str:
    """The start of a question, for the list of problems at the top."""
    head = text.split(" (", 1)[0]
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def _fmt(value: Any) -> str:
    """An answer as the form shows it: ``4.0`` as ``4``, nothing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _message(expected: str) -> str:
    if expected.startswith("an answer"):
        return "Please answer this question."
    return f"Please give {expected}."


def _display(raw: RawAnswers) -> dict[str, Any]:
    """Posted values to show again beside their error messages."""
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, list):
            for item in v:
                out[f"{k}.{item}"] = 1.0
        elif v is not None:
            out[k] = v
    return out


@router.get("/s/{token}/thanks", response_class=HTMLResponse)
def thanks_page(request: Request, token: str, db: DbDep, templates: TemplatesDep) -> Response:
    probe = open_survey(db, token)
    draft = _draft(request, probe.link.shared)
    state = open_survey(db, token, draft=draft) if probe.link.shared and draft else probe
    if not state.answered and not probe.link.shared:
        return RedirectResponse(f"/s/{token}", status_code=303)
    return templates.TemplateResponse(
        request, "thanks.html", {"state": state, "title": "Thank you", "brand": state.study.name}
    )
