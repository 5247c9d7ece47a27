"""The dashboard of a study's admins: server-rendered pages behind sign-in.

Every route takes :data:`~cxgap.web.auth.CurrentUser`; every study route
looks the study up *within the user's organisations*, so a study of another
organisation is a 404 that names nothing. The overview is the HTML report of
:mod:`cxgap.report` (same sections, same numbers, same charts), computed in a
background thread and cached per (study, wave, filters) for
:data:`CACHE_SECONDS`; while it runs the page says so and refreshes itself.

Filters narrow the *input* and then run the same analysis, which suppresses
small staff groups itself: a filter can never reveal a suppressed group.

- ``segment``: customers of that segment only (leadership and staff kept);
  accounts and interaction events of that segment only.
- ``team``: leadership and staff of that team only (customers kept).
- ``touchpoint``: interaction events at that touchpoint only (ledger, hot spots).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select

from cxgap.analysis.study import analyze_study
from cxgap.errors import CxgapError, InputError, NotFoundError
from cxgap.ingest.workshop import MAX_ANSWER, MAX_GROUP, WORKSHOP_QUESTIONS, store_workshop_sheet
from cxgap.report.charts import svg_data_uri, timeline_chart, to_svg
from cxgap.report.data import build_report_data, labels_of
from cxgap.report.html import render_html
from cxgap.service import account_ledger
from cxgap.store import schema as t
from cxgap.store.accounts import load_accounts, load_events, load_interviews
from cxgap.store.actions import STATUSES, list_actions, update_action
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.invitations import response_status
from cxgap.store.studies import load_study
from cxgap.store.users import User
from cxgap.study.model import StudyDefinition
from cxgap.web import auth
from cxgap.web.auth import CurrentUser, check_csrf, keep_session, session_of
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = ["CACHE_SECONDS", "Filters", "filter_inputs", "router"]

#: How long a computed overview is reused.
CACHE_SECONDS = 300.0
#: Bootstrap resamples of the driver intervals on the dashboard (the CLI uses 1000).
BOOTSTRAP = 200
REPORT_CSS = Path(__file__).resolve().parents[1] / "report" / "templates" / "report.css"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Wait for running overview computations when the app stops, so none
    outlives the database it reads."""
    yield
    jobs: Jobs | None = getattr(app.state, "dashboard_jobs", None)
    if jobs is not None:
        jobs.pool.shutdown(wait=True, cancel_futures=True)


router = APIRouter(include_in_schema=False, lifespan=_lifespan)
router.include_router(auth.router)


# --- scoping -----------------------------------------------------------------


@dataclass(frozen=True)
class StudyRef:
    id: int
    slug: str
    name: str
    organisation_id: int
    organisation: str


def _studies_of(db: Database, user: User) -> list[StudyRef]:
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
            .where(t.study.c.organisation_id.in_(list(user.roles)))
            .order_by(t.organisation.c.name, t.study.c.slug)
        ).all()
    return [StudyRef(r.id, r.slug, r.name, r.organisation_id, r.org) for r in rows]


def _study(db: Database, user: User, slug: str) -> StudyRef:
    """The study ``slug`` if the user is a member of its organisation, else 404."""
    for ref in _studies_of(db, user):
        if ref.slug == slug:
            return ref
    raise NotFoundError(f"no study {slug!r} in your organisations")


# --- filters and the background analysis -------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the overview is narrowed to (``None``: everything)."""

    wave: str | None = None
    segment: str | None = None
    team: str | None = None
    touchpoint: str | None = None

    def query(self) -> str:
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v]
        return "&".join(parts)


def filter_inputs(
    frame: pd.DataFrame,
    accounts: pd.DataFrame,
    events: pd.DataFrame,
    filters: Filters,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Narrow the answers, accounts and events to ``filters``.

    Examples
    --------
    >>> frame = pd.DataFrame({"audience": ["customer", "customer", "staff", "staff"],
    ...                       "segment": ["top", "new", None, None],
    ...                       "team": [None, None, "support", "sales"]})
    >>> empty = pd.DataFrame({"account_id": [], "segment": [], "touchpoint": []})
    >>> out, _, _ = filter_inputs(frame, empty, empty, Filters(segment="top", team="sales"))
    >>> list(zip(out["audience"], out["segment"].fillna("-"), out["team"].fillna("-")))
    [('customer', 'top', '-'), ('staff', '-', 'sales')]
    """
    if filters.segment:
        customer = frame["audience"] == "customer"
        frame = frame[~customer | (frame["segment"] == filters.segment)]
        if "segment" in accounts.columns:
            accounts = accounts[accounts["segment"] == filters.segment]
            events = events[events["account_id"].isin(set(accounts["account_id"]))]
    if filters.team:
        customer = frame["audience"] == "customer"
        frame = frame[customer | (frame["team"] == filters.team)]
    if filters.touchpoint and "touchpoint" in events.columns:
        events = events[events["touchpoint"] == filters.touchpoint]
    return frame, accounts, events


def check_team_filter(frame: pd.DataFrame, team: str, threshold: int) -> None:
    """Refuse a team filter that would show a small group's size.

    Suppressed cells hide a small team's answers, but a filtered page would
    still print the number of staff respondents; so a team with fewer than
    ``threshold`` staff or leadership answers in any wave is not shown at all.
    """
    mine = frame[(frame["audience"] != "customer") & (frame["team"] == team)]
    for wave, n in mine.groupby("wave").size().items():
        if 0 < n < threshold:
            raise CxgapError(
                f"team {team!r} has fewer than {threshold} staff and leadership answers in "
                f"wave {wave}: not shown on its own, to protect their anonymity"
            )


def _extract_body(html: str) -> str:
    """The report's body without its footer (the dashboard has its own)."""
    body = html.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    return re.sub(r"<footer>.*?</footer>", "", body, flags=re.S)


def build_overview(db: Database, slug: str, filters: Filters) -> str:
    """The overview's HTML: the report of the filtered inputs."""
    study = load_study(db, slug)
    frame = load_frame(db, slug)
    if filters.team:
        check_team_filter(frame, filters.team, study.anonymity_threshold)
    frame, accounts, events = filter_inputs(
        frame, load_accounts(db, slug), load_events(db, slug), filters
    )
    analysis = analyze_study(
        study,
        frame,
        wave=filters.wave,
        accounts=accounts,
        events=events if len(events) else None,
        interviews=load_interviews(db, slug),
        actions=[a.model_dump() for a in list_actions(db, slug)],
        bootstrap=BOOTSTRAP,
    )
    data = build_report_data(study, analysis, events if len(events) else None, accounts=accounts)
    return _extract_body(render_html(data))


@dataclass
class Job:
    """One overview computation: ``running``, ``done`` or ``failed``."""

    started: float
    state: str = "running"
    html: str = ""
    error: str = ""
    finished: float = 0.0


@dataclass
class Jobs:
    """Overview computations of one app, keyed by (study, filters)."""

    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: dict[tuple[str, Filters], Job] = field(default_factory=dict)

    def get(self, db: Database, slug: str, filters: Filters) -> Job:
        key = (slug, filters)
        with self.lock:
            job = self.jobs.get(key)
            now = time.monotonic()
            stale = (
                job is not None
                and job.state != "running"
                and now - job.finished > (CACHE_SECONDS if job.state == "done" else 5.0)
            )
            if job is None or stale:
                job = Job(started=now)
                self.jobs[key] = job
                self.pool.submit(self._run, db, slug, filters, job)
            return job

    def forget(self, slug: str) -> None:
        """Drop the cached overviews of a study (after an edit)."""
        with self.lock:
            for key in [k for k, j in self.jobs.items() if k[0] == slug and j.state != "running"]:
                del self.jobs[key]

    @staticmethod
    def _run(db: Database, slug: str, filters: Filters, job: Job) -> None:
        try:
            job.html = build_overview(db, slug, filters)
            job.state = "done"
        except CxgapError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # shown on the page (a bug), not swallowed silently
            job.error, job.state = f"unexpected error: {type(exc).__name__}: {exc}", "failed"
        job.finished = time.monotonic()


def _jobs(request: Request) -> Jobs:
    state = request.app.state
    if getattr(state, "dashboard_jobs", None) is None:
        state.dashboard_jobs = Jobs()
    jobs: Jobs = state.dashboard_jobs
    return jobs


# --- pages -------------------------------------------------------------------


def _page(
    request: Request,
    templates: Any,
    name: str,
    user: User,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    response = templates.TemplateResponse(
        request,
        f"dashboard/{name}",
        {"user": user, "csrf": session_of(request).csrf, **context},
        status_code=status,
    )
    return keep_session(request, response)


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/dashboard/report.css")
def report_css(user: CurrentUser) -> Response:
    """The report's own style sheet, for the overview."""
    return PlainTextResponse(REPORT_CSS.read_text(encoding="utf-8"), media_type="text/css")


@router.get("/dashboard", response_class=HTMLResponse)
def study_list(request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser) -> Response:
    """The studies of the user's organisations."""
    studies = _studies_of(db, user)
    return _page(request, templates, "studies.html", user, {"title": "Studies", "studies": studies})


def _choice(value: str | None, allowed: list[str], name: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise HTTPException(422, f"unknown {name} {value!r}")
    return value


@router.get("/dashboard/studies/{slug}", response_class=HTMLResponse)
def overview(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    wave: str | None = None,
    segment: str | None = None,
    team: str | None = None,
    touchpoint: str | None = None,
) -> Response:
    """The study overview, filterable by wave, segment, team and touchpoint."""
    ref = _study(db, user, slug)
    study = load_study(db, slug)
    touchpoints = [x.key for x in study.touchpoints]
    filters = Filters(
        wave=_choice(wave, study.wave_keys(), "wave"),
        segment=_choice(segment, [s.key for s in study.segments], "segment"),
        team=_choice(team, touchpoints, "team"),
        touchpoint=_choice(touchpoint, touchpoints, "touchpoint"),
    )
    job = _jobs(request).get(db, slug, filters)
    return _page(
        request,
        templates,
        "overview.html",
        user,
        {
            "title": f"{ref.name}: overview",
            "ref": ref,
            "study": study,
            "labels": labels_of(study),
            "filters": filters,
            "job": job,
            "elapsed": int(time.monotonic() - job.started),
            "tab": "overview",
        },
    )


@router.get("/dashboard/studies/{slug}/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The study's accounts, each linking to its ledger."""
    ref = _study(db, user, slug)
    accounts = load_accounts(db, slug)
    rows = [
        {
            "id": str(r["account_id"]),
            "name": "" if pd.isna(r.get("name")) else str(r["name"]),
            "segment": "" if pd.isna(r.get("segment")) else str(r["segment"]),
            "defected": not pd.isna(r.get("defected_at")),
        }
        for r in accounts.to_dict("records")
    ]
    return _page(
        request,
        templates,
        "accounts.html",
        user,
        {"title": f"{ref.name}: accounts", "ref": ref, "accounts": rows, "tab": "accounts"},
    )


@router.get("/dashboard/studies/{slug}/accounts/{account}", response_class=HTMLResponse)
def account_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    account: str,
) -> Response:
    """One account's relationship bank account: balance timeline and events."""
    ref = _study(db, user, slug)
    accounts = load_accounts(db, slug)
    match = accounts[accounts["account_id"].astype(str) == account]
    if match.empty:  # before the ledger, which may fail for other reasons first
        raise NotFoundError(f"study {slug!r} has no account {account!r}")
    detail = account_ledger(db, slug, account)
    name = str(match["name"].iloc[0]) if len(match) and pd.notna(match["name"].iloc[0]) else ""
    chart = timeline_chart([detail], detail.threshold, {account: name or account})
    if chart is not None:
        chart = chart.properties(title=f"Relationship balance of {name or account}")
    study = load_study(db, slug)
    return _page(
        request,
        templates,
        "account.html",
        user,
        {
            "title": f"{name or account}: ledger",
            "ref": ref,
            "detail": detail,
            "name": name,
            "chart": svg_data_uri(to_svg(chart)) if chart is not None else None,
            "labels": labels_of(study),
            "events": sorted(detail.events, key=lambda e: e.timestamp, reverse=True)[:100],
            "tab": "accounts",
        },
    )


@router.get("/dashboard/studies/{slug}/actions", response_class=HTMLResponse)
def actions_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The action plan; owners and analysts can change status, owner and due date."""
    ref = _study(db, user, slug)
    study = load_study(db, slug)
    return _page(
        request,
        templates,
        "actions.html",
        user,
        {
            "title": f"{ref.name}: action plan",
            "ref": ref,
            "actions": list_actions(db, slug),
            "statuses": STATUSES,
            "labels": labels_of(study),
            "can_edit": user.can_edit(ref.organisation_id),
            "saved": request.query_params.get("saved"),
            "tab": "actions",
        },
    )


@router.post("/dashboard/studies/{slug}/actions/{action_id}")
def edit_action(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    action_id: int,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Change one action's status, owner and due date."""
    check_csrf(request, csrf_token)
    ref = _study(db, user, slug)
    if not user.can_edit(ref.organisation_id):
        raise HTTPException(403, "Viewers cannot change the action plan.")
    try:
        due = date.fromisoformat(due_on) if due_on.strip() else None
    except ValueError:
        raise CxgapError(f"due date {due_on!r}: expected YYYY-MM-DD") from None
    update_action(db, slug, action_id, status=status, owner=owner.strip() or None, due_on=due)
    _jobs(request).forget(slug)
    return RedirectResponse(
        f"/dashboard/studies/{slug}/actions?saved={action_id}#action-{action_id}", status_code=303
    )


@router.get("/dashboard/studies/{slug}/setup", response_class=HTMLResponse)
def setup_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The study's set-up: promise, factors, touchpoints, moments, questions."""
    ref = _study(db, user, slug)
    study: StudyDefinition = load_study(db, slug)
    return _page(
        request,
        templates,
        "setup.html",
        user,
        {"title": f"{ref.name}: set-up", "ref": ref, "study": study, "tab": "setup"},
    )


@router.get("/dashboard/studies/{slug}/responses", response_class=HTMLResponse)
def responses_page(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    wave: str | None = None,
) -> Response:
    """Invitations and response rates per audience (small teams suppressed)."""
    ref = _study(db, user, slug)
    study = load_study(db, slug)
    chosen = _choice(wave, study.wave_keys(), "wave")
    status = response_status(db, slug, wave=chosen)
    return _page(
        request,
        templates,
        "responses.html",
        user,
        {
            "title": f"{ref.name}: responses",
            "ref": ref,
            "status": status,
            "waves": study.wave_keys(),
            "wave": chosen,
            "labels": labels_of(study),
            "tab": "responses",
        },
    )


# --- leadership workshop sheets -------------------------------------------------

#: Form field of each workshop question (form names without dots).
WORKSHOP_FIELDS = {key: key.removeprefix("open.") for key in WORKSHOP_QUESTIONS}


def _workshop_sheets(db: Database, slug: str) -> list[dict[str, Any]]:
    """The study's stored workshop sheets (group, wave, the four answers)."""
    frame = load_frame(db, slug)
    if "source" not in frame.columns:
        return []
    sheets = frame[(frame["source"] == "workshop") & (frame["audience"] == "leadership")]
    rows = []
    for r in sheets.to_dict("records"):
        rows.append(
            {
                "group": str(r["respondent_id"]).removeprefix("workshop:"),
                "wave": "" if pd.isna(r.get("wave")) else str(r["wave"]),
                "answers": {
                    k: "" if k not in r or pd.isna(r[k]) else str(r[k]) for k in WORKSHOP_QUESTIONS
                },
            }
        )
    return sorted(rows, key=lambda x: (x["wave"], x["group"]))


def _workshops_page(
    request: Request,
    db: Database,
    templates: Any,
    user: User,
    ref: StudyRef,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    study = load_study(db, ref.slug)
    texts = {q.key: q.text for q in study.questions}
    return _page(
        request,
        templates,
        "workshops.html",
        user,
        {
            "title": f"{ref.name}: leadership workshops",
            "ref": ref,
            "sheets": _workshop_sheets(db, ref.slug),
            "questions": [(k, WORKSHOP_FIELDS[k], texts.get(k, k)) for k in WORKSHOP_QUESTIONS],
            "waves": study.wave_keys(),
            "can_edit": user.can_edit(ref.organisation_id),
            "values": values or {},
            "errors": errors or [],
            "saved": request.query_params.get("saved"),
            "exists": request.query_params.get("exists"),
            "max_group": MAX_GROUP,
            "max_answer": MAX_ANSWER,
            "tab": "workshops",
        },
        status=status,
    )


@router.get("/dashboard/studies/{slug}/workshops", response_class=HTMLResponse)
def workshops_page(
    request: Request, db: DbDep, templates: TemplatesDep, user: CurrentUser, slug: str
) -> Response:
    """The study's leadership workshop sheets; owners and analysts can add one."""
    ref = _study(db, user, slug)
    return _workshops_page(request, db, templates, user, ref)


#: Hard cap of a form field (the library refuses anything over MAX_ANSWER clearly).
_FIELD_CAP = 4 * MAX_ANSWER


@router.post("/dashboard/studies/{slug}/workshops")
def add_workshop_sheet(
    request: Request,
    db: DbDep,
    templates: TemplatesDep,
    user: CurrentUser,
    slug: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    group: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    wave: Annotated[str, Form(max_length=200)] = "",
    well: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    improve: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    competitors: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    continue_start: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
) -> Response:
    """Store one group's sheet, as ``cxgap import workshop`` stores a row;
    the same group and wave again stores nothing and says so."""
    check_csrf(request, csrf_token)
    ref = _study(db, user, slug)
    if not user.can_edit(ref.organisation_id):
        raise HTTPException(403, "Viewers cannot add workshop sheets.")
    study = load_study(db, slug)
    chosen = _choice(wave, study.wave_keys(), "wave")
    given = {"well": well, "improve": improve, "competitors": competitors}
    given["continue_start"] = continue_start
    answers = {k: given[f] for k, f in WORKSHOP_FIELDS.items()}
    try:
        result = store_workshop_sheet(db, slug, group, answers, wave=chosen)
    except InputError as exc:
        values = {"group": group, "wave": wave, **given}
        names = {"Group": "Group name", "wave": "Wave"}
        names |= {q.key: q.text for q in study.questions if q.key in WORKSHOP_FIELDS}
        errors = [
            f"{names.get(p.column, p.column)}: expected {p.expected}"
            if p.column
            else f"Expected {p.expected}"
            for p in exc.problems
        ]
        return _workshops_page(
            request, db, templates, user, ref, values=values, errors=errors, status=422
        )
    name = group.strip()
    if not result.written:
        return RedirectResponse(
            f"/dashboard/studies/{slug}/workshops?{urlencode({'exists': name})}", status_code=303
        )
    _jobs(request).forget(slug)
    return RedirectResponse(
        f"/dashboard/studies/{slug}/workshops?{urlencode({'saved': name})}", status_code=303
    )
