"""``cxgap report``: the insight report (HTML, PDF, XLSX, PPTX) or a team
briefing, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, console, err_console, settings_from
from cxgap.errors import NotFoundError

if TYPE_CHECKING:
    from cxgap.report import ReportData
    from cxgap.store.db import Database

# Parts the progress bar counts: loading, the analysis steps, timelines, charts, writing.
_STEPS = 30


def build(
    url: str | None,
    slug: str,
    out: Path,
    *,
    wave: str | None = None,
    team: str | None = None,
    bootstrap: int = 1000,
) -> ReportData:
    """Analyse ``slug`` and write its report to ``out``, showing progress.

    Returns what the report shows, so a caller can print its headline.
    """
    from cxgap.report import report_format
    from cxgap.report.pdf import load_weasyprint
    from cxgap.store.db import Database

    if report_format(out, team=team) == ".pdf":
        load_weasyprint()
    with Database.open(settings_from(url)) as database:
        _check(database, slug, wave, team)
        out.parent.mkdir(parents=True, exist_ok=True)
        return _build(database, slug, out, wave=wave, team=team, bootstrap=bootstrap)


def _check(database: Database, slug: str, wave: str | None, team: str | None) -> None:
    """Refuse an unknown study, wave or team before any work starts."""
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import load_study

    ensure_schema(database, create=False)
    study = load_study(database, slug)
    if wave is not None and wave not in study.wave_keys():
        raise NotFoundError(
            f"study {slug!r} has no wave {wave!r} (waves: {', '.join(study.wave_keys())})"
        )
    teams = [t.key for t in study.touchpoints]
    if team is not None and team not in teams:
        raise NotFoundError(f"no team {team!r} in study {slug!r} (teams: {', '.join(teams)})")


def _build(
    database: Database,
    slug: str,
    out: Path,
    *,
    wave: str | None,
    team: str | None,
    bootstrap: int,
) -> ReportData:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cxgap.report import load_report_data, write_report

    with (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("Analysing", total=_STEPS)

        def step(what: str) -> None:
            progress.update(task, description=what, advance=1)

        data = load_report_data(database, slug, wave=wave, bootstrap=bootstrap, step=step)
        write_report(data, out, team=team, step=step)
        progress.update(task, completed=_STEPS)
    return data


@app.command()
def report(
    slug: Annotated[str, typer.Argument(help="The study to report.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output file; its extension picks the format: .html, .pdf, .xlsx or .pptx.",
        ),
    ],
    wave: Annotated[str | None, typer.Option(help="Wave key (default: the latest).")] = None,
    team: Annotated[
        str | None,
        typer.Option(help="Write this touchpoint team's briefing instead (.html or .pdf)."),
    ] = None,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples of the driver intervals.")
    ] = 1000,
    db: DbOption = None,
) -> None:
    """The insight report of a study (or a team briefing), ready to share."""
    build(db, slug, out, wave=wave, team=team, bootstrap=bootstrap)
    console.print(f"Report written: {out.resolve()}")
