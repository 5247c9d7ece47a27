"""Overview computations in a background thread, reused for
:data:`CACHE_SECONDS`: while one runs, the page says so and refreshes itself.

The cache is per process; an edit of a study drops its overviews
(:meth:`Jobs.forget`).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fastapi import Request

from cxgap.errors import CxgapError
from cxgap.report.overview import overview_html
from cxgap.service.overview import Filters
from cxgap.store.db import Database

__all__ = ["CACHE_SECONDS", "Job", "Jobs", "jobs_of"]

#: How long a computed overview is reused.
CACHE_SECONDS = 300.0
#: How long a failed computation is shown before it is tried again.
RETRY_SECONDS = 5.0


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
                and now - job.finished > (CACHE_SECONDS if job.state == "done" else RETRY_SECONDS)
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
            job.html = overview_html(db, slug, filters)
            job.state = "done"
        except CxgapError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # shown on the page (a bug), not swallowed silently
            job.error, job.state = f"unexpected error: {type(exc).__name__}: {exc}", "failed"
        job.finished = time.monotonic()


def jobs_of(request: Request) -> Jobs:
    """The overview computations of the app serving ``request``."""
    state = request.app.state
    if getattr(state, "dashboard_jobs", None) is None:
        state.dashboard_jobs = Jobs()
    jobs: Jobs = state.dashboard_jobs
    return jobs
