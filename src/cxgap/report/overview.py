"""The dashboard overview: the HTML report's content for a filtered view of a
study (same sections, same numbers, same charts as ``cxgap report``)."""

from __future__ import annotations

from cxgap.report.data import build_report_data
from cxgap.report.html import render_body
from cxgap.service.overview import Filters, filtered_analysis
from cxgap.store.db import Database

__all__ = ["BOOTSTRAP", "overview_html"]

#: Bootstrap resamples of the driver intervals on the dashboard (the CLI uses 1000).
BOOTSTRAP = 200


def overview_html(db: Database, slug: str, filters: Filters) -> str:
    """The overview's HTML fragment: the report of the filtered inputs."""
    inputs, analysis = filtered_analysis(db, slug, filters, bootstrap=BOOTSTRAP)
    events = inputs.events if len(inputs.events) else None
    data = build_report_data(inputs.study, analysis, events, accounts=inputs.accounts)
    return render_body(data)
