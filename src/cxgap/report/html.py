"""The self-contained HTML report.

One file, no external resource: the charts are SVG documents inlined as
``data:`` URIs, the style sheet is inline, and the page has no script, so it
opens offline in any browser and prints (one section per page). Jinja2
autoescaping is on: every text that came from users (answers, account names,
action titles) is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cxgap.report import _format as f
from cxgap.report.charts import report_charts, svg_data_uri, to_svg
from cxgap.report.data import ReportData

__all__ = ["render_body", "render_html", "render_template", "report_css", "write_html"]

TEMPLATES = Path(__file__).parent / "templates"
AUDIENCES = ("leadership", "staff", "customer")
#: Accounts listed in the accounts-at-risk table (nearest the threshold first).
MAX_ACCOUNTS = 25
Step = Callable[[str], None]


def _version() -> str:
    try:
        return version("cxgap")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "dev"


def environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescape on)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        num=f.num,
        signed=f.signed,
        pct=f.pct,
        signed_pct=f.signed_pts,
        signed_pts=f.signed_pts,
        ci=f.ci,
        ci_pts=f.ci_pts,
        pval=f.pval,
        p_text=f.p_text,
        money=f.money,
        raw=f.raw,
    )
    return env


def chart_uris(data: ReportData, step: Step | None = None) -> dict[str, str]:
    """Every chart of the report as an SVG ``data:`` URI."""
    out = {}
    for key, chart in report_charts(data).items():
        if step:
            step(f"Chart: {key}")
        out[key] = svg_data_uri(to_svg(chart))
    return out


def context(data: ReportData, charts: dict[str, str]) -> dict[str, Any]:
    """The template variables of a report (lookups only, no statistics)."""
    a = data.analysis
    labels = data.labels

    def label(key: str | None) -> str:
        return "–" if key is None else labels.get(key, key)

    def account_name(account: str) -> str:
        name = data.account_names.get(account)
        return f"{name} ({account})" if name else account

    risk = sorted(a.ledger.accounts, key=lambda x: x.distance) if a.ledger else []
    present = {k for k, v in a.study.respondents.items() if v > 0}

    def answered(estimate: Any) -> bool:
        return estimate is not None and getattr(estimate, "n", 0) > 0

    risk_accounts = risk[:MAX_ACCOUNTS]
    return {
        "a": a,
        "study": data.study,
        "charts": charts,
        "label": label,
        "account_name": account_name,
        "audiences": AUDIENCES,
        "version": _version(),
        "generated": data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        "excellent_diffs": {d.audience: d for d in a.excellent.differences},
        "segment_excellent": {e.group: e for e in (a.segments.excellent if a.segments else [])},
        "gap_cells": {(c.item, c.group): c for c in a.gaps.cells},
        "gap_comparisons": {(c.item, c.a, c.b): c for c in a.gaps.comparisons},
        "team_cells": {(c.item, c.group): c for c in a.teams.cells} if a.teams else {},
        "attribute_cells": {
            b.attribute: {(c.item, c.group): c for c in b.gaps.cells} for b in a.attributes
        },
        "attribute_comparisons": {
            b.attribute: {(c.item, c.a): c for c in b.gaps.comparisons} for b in a.attributes
        },
        "risk_accounts": risk_accounts,
        "more_below": sum(x.below_threshold for x in risk[MAX_ACCOUNTS:]),
        "max_candidates": 10,
        # what the data holds: a section or table shows only what exists
        "present": present,
        "internal": bool(present & {"leadership", "staff"}),
        "gap_groups": [g for g in a.gaps.groups if g in present],
        "has_excellent": any(answered(getattr(s, "estimate", None)) for s in a.excellent.shares),
        "has_nps": a.nps.customers.n > 0,
        "has_predicted": any(answered(getattr(p, "expected", None)) for p in a.nps.predicted),
        "has_leave": any(
            answered(getattr(s, "estimate", None))
            for r in a.defection_factors.reasons
            for s in r.shares
        ),
        "outcome": a.outcome.outcome if a.outcome else None,
    }


def render_template(name: str, variables: dict[str, Any]) -> str:
    """Render one template of :mod:`cxgap.report` with the report helpers."""
    return environment().get_template(name).render(**variables)


def render_html(
    data: ReportData, *, charts: dict[str, str] | None = None, step: Step | None = None
) -> str:
    """The report as one self-contained HTML document.

    Parameters
    ----------
    data : ReportData
        What to render (see :func:`cxgap.report.data.load_report_data`).
    charts : dict, optional
        Pre-rendered chart URIs (default: render them now).
    step : callable, optional
        Called with the name of each chart as it is drawn (progress).

    Returns
    -------
    str
        The HTML document.
    """
    uris = chart_uris(data, step) if charts is None else charts
    if step:
        step("Writing the page")
    return render_template("report.html.j2", context(data, uris))


def render_body(data: ReportData, *, charts: dict[str, str] | None = None) -> str:
    """The report's content without its head and footer: what the dashboard's
    overview shows inside its own page (with :func:`report_css`)."""
    uris = chart_uris(data) if charts is None else charts
    return render_template("_body.html.j2", context(data, uris))


def report_css() -> str:
    """The report's style sheet."""
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def write_html(data: ReportData, path: Path, *, step: Step | None = None) -> Path:
    """Write the HTML report to ``path`` (UTF-8) and return the path."""
    path.write_text(render_html(data, step=step), encoding="utf-8")
    return path
