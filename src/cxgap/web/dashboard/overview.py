"""The studies list and a study's overview: the HTML report of
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from cxgap.analysis.study import analyze_study
from cxgap.errors import CxgapError
from cxgap.report.data import build_report_data, labels_of
from cxgap.report.html import render_html
from cxgap.store.accounts import load_accounts, load_events, load_interviews
from cxgap.store.actions import list_actions
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.studies import load_study
from cxgap.web.auth import CurrentUser
from cxgap.web.dashboard._common import choice, page, studies_of, study_of
from cxgap.web.deps import DbDep, TemplatesDep

__all__ = [
    "CACHE_SECONDS",
    "Filters",
    "Jobs",
    "build_overview",
    "check_team_filter",
    "filter_inputs",
    "router",
]

#: How long a computed overview is reused.
CACHE_SECONDS = 300.0
#: Bootstrap resamples of the driver intervals on the dashboard (the CLI uses 1000).
BOOTSTRAP = 200
REPORT_CSS = Path(__file__).resolve().parents[2] / "report" / "templates" / "report.css"

router = APIRouter(include_in_schema=False)
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
    studies = studies_of(db, user)
    return page(request, templates, "studies.html", user, {"title": "Studies", "studies": studies})


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
    ref = study_of(db, user, slug)
    study = load_study(db, slug)
    touchpoints = [x.key for x in study.touchpoints]
    filters = Filters(
        wave=choice(wave, study.wave_keys(), "wave"),
        segment=choice(segment, [s.key for s in study.segments], "segment"),
        team=choice(team, touchpoints, "team"),
        touchpoint=choice(touchpoint, touchpoints, "touchpoint"),
    )
    job = _jobs(request).get(db, slug, filters)
    return page(
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
