"""``cxgap demo``: a realistic demo company, stored and summarised."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, console, settings_from

_STEPS = 10


@app.command()
def demo(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    scale: Annotated[
        int, typer.Option(min=1, help="Multiply respondents, accounts and events by N.")
    ] = 1,
    out: Annotated[
        Path, typer.Option(help="Folder for the demo report and its planted truth.")
    ] = Path("cxgap-demo"),
) -> None:
    """Create the demo company Brightwell Systems (study slug `demo`) and
    summarise what was created. Writes the report and the planted truth
    (`demo-truth.json`, docs/DEMO.md) to the `--out` folder."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from cxgap.demo.install import install_demo
    from cxgap.demo.truth import TRUTH_FILE, write_truth
    from cxgap.store.db import Database

    settings = settings_from(db)
    with (
        Database.open(settings) as database,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("Creating the demo company", total=_STEPS)

        def step(what: str, n: int) -> None:
            progress.update(task, description=what, advance=n)

        folder = out / "notifications"
        data = install_demo(
            database,
            seed=seed,
            scale=scale,
            step=step,
            base_url=settings.base_url,
            notify_folder=str(folder.resolve()),
        )
        url = database.url
        progress.update(task, description="Notifications")
        from cxgap.notify.outbox import deliver_outbox

        sent = deliver_outbox(database, settings, slug="demo", digests=False)
        cases = _cases_summary(database)
    table = Table(title=f"Demo company {data.study.organisation} — study 'demo'", show_header=True)
    table.add_column("created")
    table.add_column("count", justify="right")
    for what, n in data.counts().items():
        table.add_row(what, f"{n:,}")
    console.print(table)
    console.print(f"Database: {url}")
    console.print(cases)
    if sent.delivered:
        console.print(f"Notified: {sent.delivered} e-mails in {folder}")
    for error in sent.errors[:3]:
        console.print(f"Not notified: {error}")
    truth = write_truth(data, out / TRUTH_FILE)
    _after_demo(url, out, truth)


def _cases_summary(database: object) -> str:
    """One line on the demo's cases as of its "today" (the last event, so the
    line is the same whenever the demo runs): open, overdue, the latest alert."""
    from datetime import UTC

    from cxgap.demo.generator import EVENTS_END
    from cxgap.store.cases import list_cases

    today = EVENTS_END.to_pydatetime().replace(hour=23, minute=59, tzinfo=UTC)
    cases = list_cases(database, "demo", now=today)  # type: ignore[arg-type]
    open_ = [c for c in cases if c.status != "closed"]
    late = sum(c.overdue for c in open_)
    below = [c for c in open_ if c.trigger == "below_threshold"]
    names = ", ".join(c.account_name or c.account or "?" for c in below[:3])
    more = ", ..." if len(below) > 3 else ""
    alert = (
        f"\nAlert: {len(below)} accounts below their threshold ({names}{more})." if below else ""
    )
    return (
        f"Cases on {today:%Y-%m-%d}: {len(open_)} open ({late} overdue), "
        f"{len(cases) - len(open_)} closed with their outcome in the ledger "
        f"(cxgap cases list demo --open).{alert}"
    )


def _after_demo(url: str, out: Path, truth: Path) -> None:
    """Write the demo report to ``<out>/report.html``, print its headline, say what next."""
    from cxgap.cli.analyze_cmd import print_headline
    from cxgap.cli.report_cmd import build

    path = out / "report.html"
    data = build(url, "demo", path)
    print_headline(data.analysis)
    console.print(f"Report: {path.resolve()}")
    console.print(f"Planted truth: {truth.resolve()}")
    console.print("Next: cxgap studies list · cxgap study show demo · cxgap analyze demo")
