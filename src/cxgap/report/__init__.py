"""Reports: the insight report as HTML, PDF, XLSX or PPTX, and team briefings.

:func:`write_report` picks the format from the file extension. Every number
is rendered from :class:`cxgap.analysis.study.StudyAnalysis` (the object
``cxgap analyze --json`` prints); nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxgap.errors import CxgapError
from cxgap.report.data import ReportData, build_report_data, load_report_data

__all__ = [
    "FORMATS",
    "ReportData",
    "build_report_data",
    "load_report_data",
    "report_format",
    "write_report",
]

FORMATS = (".html", ".pdf", ".xlsx", ".pptx")


def report_format(path: Path, *, team: str | None = None) -> str:
    """The format a path asks for, checked.

    Examples
    --------
    >>> report_format(Path("out/Report.HTML"))
    '.html'
    """
    ext = path.suffix.lower()
    allowed = (".html", ".pdf") if team else FORMATS
    if ext not in allowed:
        what = "a team briefing" if team else "a report"
        raise CxgapError(f"cannot write {what} as {path.name!r}: use one of {', '.join(allowed)}")
    return ext


def write_report(
    data: ReportData,
    path: Path,
    *,
    team: str | None = None,
    step: Callable[[str], None] | None = None,
) -> Path:
    """Write the report (or ``team``'s briefing) to ``path``.

    The extension picks the format: ``.html``, ``.pdf``, ``.xlsx`` or
    ``.pptx`` (briefings: ``.html`` or ``.pdf``).
    """
    ext = report_format(path, team=team)
    if team is not None:
        from cxgap.report.team import write_team

        return write_team(data, team, path)
    if ext == ".html":
        from cxgap.report.html import write_html

        return write_html(data, path, step=step)
    if ext == ".pdf":
        from cxgap.report.html import render_html
        from cxgap.report.pdf import load_weasyprint, write_pdf

        load_weasyprint()  # fail before the charts are drawn
        return write_pdf(render_html(data, step=step), path)
    if ext == ".xlsx":
        from cxgap.report.xlsx import write_xlsx

        if step:
            step("Writing the workbook")
        return write_xlsx(data, path)
    from cxgap.report.pptx import write_pptx

    return write_pptx(data, path, step=step)
