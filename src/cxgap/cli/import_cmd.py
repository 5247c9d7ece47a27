"""``cxgap import``: survey exports, accounts, contacts, interviews, workshop
sheets and interaction events into the database, one transaction per file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, print_json, settings_from
from cxgap.errors import InputError, Problem
from cxgap.ingest._rows import RowsImport
from cxgap.ingest.formats import FORMATS
from cxgap.ingest.responses import ResponsesImport, import_responses, write_problem_report
from cxgap.store.db import Database
from cxgap.store.migrate import ensure_schema

import_app = typer.Typer(
    help="Import survey exports, accounts, contacts, interview notes, workshop sheets "
    "and interaction events (each file whole, or not at all).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

StudyOption = Annotated[str, typer.Option("--study", help="Slug of the study to import into.")]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="YAML mapping file (see docs/IMPORT.md).")
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Check the file and show what would happen; write nothing."),
]
SkipOption = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Import the valid rows; list the others (see --report)."),
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write the problems found to this CSV file.")
]


@contextmanager
def _database(db: str | None) -> Iterator[Database]:
    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        yield database


@contextmanager
def _bar(
    what: str, *, show: bool = True
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A Rich progress bar: (start(total), advance(n)); silent when not ``show``."""
    if not show:
        yield (lambda _n: None), (lambda _n: None)
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=None)

        def start(total: int) -> None:
            progress.update(task, total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)

        yield start, advance


def _problems_table(problems: list[Any], limit: int = 200) -> None:
    if not problems:
        return
    table = Table("row", "column", "value", "expected", title=f"{len(problems)} problem(s)")
    for p in problems[:limit]:
        table.add_row(
            "" if p.row is None else str(p.row), p.column or "", p.value or "", p.expected
        )
    console.print(table)
    if len(problems) > limit:
        console.print(f"... and {len(problems) - limit} more (use --report FILE for all)")


def _finish(
    result: ResponsesImport | RowsImport,
    *,
    json: bool,
    report: Path | None,
    dry_run: bool,
    done: str,
) -> None:
    problems = [Problem(p.file, p.row, p.column, p.value, p.expected) for p in result.problems]
    if report is not None and problems:
        write_problem_report(problems, report)
    if json:
        print_json(result.to_json_dict())
    else:
        _problems_table(result.problems)
        if report is not None and problems:
            console.print(f"Wrote {len(problems)} problem(s) to {report}.")
        console.print(done)
    if dry_run and problems:
        raise typer.Exit(1)


@import_app.command("responses")
def import_responses_cmd(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/XLSX export of a survey tool.")],
    study: StudyOption,
    audience: Annotated[
        str | None,
        typer.Option(
            help="customer, staff or leadership (unless the file has an audience column)."
        ),
    ] = None,
    wave: Annotated[
        str | None, typer.Option(help="Wave key (unless the file has a wave column).")
    ] = None,
    mapping: MappingOption = None,
    format: Annotated[
        str | None, typer.Option("--format", help="Force a format: " + ", ".join(FORMATS) + ".")
    ] = None,
    dry_run: DryRunOption = False,
    skip_invalid: SkipOption = False,
    report: ReportOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import a survey export (Qualtrics, SurveyMonkey, Google Forms, Typeform or
    cxgap's own format): detect the format, map columns to questions, check every
    cell, and store all rows in one transaction, or none. Re-importing the same
    export adds nothing."""
    if audience is not None and audience not in ("customer", "staff", "leadership"):
        raise InputError(
            [Problem("--audience", None, None, audience, "customer, staff or leadership")]
        )
    if format is not None and format not in FORMATS:
        raise InputError([Problem("--format", None, None, format, "one of " + ", ".join(FORMATS))])
    with (
        _database(db) as database,
        _bar(f"Importing {file.name}", show=not json) as (start, advance),
    ):
        result = import_responses(
            database,
            study,
            file,
            audience=audience,  # type: ignore[arg-type]
            wave=wave,
            mapping=mapping,
            format=format,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            progress=advance,
            on_parsed=start,
        )
    if not json:
        table = Table("column", "→ question", "how", title=f"{file.name}: {result.format} export")
        for c in result.columns:
            if c.target is not None:
                table.add_row(c.column[:70], c.target, c.how)
        console.print(table)
        left = [c for c in result.columns if c.target is None]
        if left:
            console.print("Not imported: " + "; ".join(f"{c.column[:50]} ({c.how})" for c in left))
    if dry_run:
        done = f"Dry run: {result.valid} of {result.rows} row(s) valid; nothing written."
    else:
        done = (
            f"Imported {result.written} new response(s) into {study} "
            f"({result.already_stored} already stored, {result.skipped} skipped)."
        )
    _finish(result, json=json, report=report, dry_run=dry_run, done=done)


def _rows_done(result: RowsImport, what: str, study: str) -> str:
    if result.dry_run:
        return f"Dry run: {result.valid} of {result.rows} {what} valid; nothing written."
    updated = f", {result.updated} updated" if result.updated is not None else ""
    return (
        f"{what.capitalize()}: {result.inserted} new{updated} in {study}"
        f" ({result.skipped} skipped)."
    )


@import_app.command("accounts")
def import_accounts_cmd(
    file: Annotated[Path, typer.Argument(help="CRM export of accounts (CSV/XLSX).")],
    study: StudyOption,
    mapping: MappingOption = None,
    dry_run: DryRunOption = False,
    skip_invalid: SkipOption = False,
    report: ReportOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import accounts (id, name, segment, annual revenue, owner, acquired and
    defected dates); known accounts are updated."""
    from cxgap.ingest.accounts import import_accounts

    with _database(db) as database:
        result = import_accounts(
            database, study, file, mapping=mapping, dry_run=dry_run, skip_invalid=skip_invalid
        )
    _finish(
        result,
        json=json,
        report=report,
        dry_run=dry_run,
        done=_rows_done(result, "accounts", study),
    )


@import_app.command("contacts")
def import_contacts_cmd(
    file: Annotated[Path, typer.Argument(help="Contacts (CSV/XLSX).")],
    study: StudyOption,
    audience: Annotated[
        str | None, typer.Option(help="Audience of every contact, if the file has no column.")
    ] = None,
    mapping: MappingOption = None,
    dry_run: DryRunOption = False,
    skip_invalid: SkipOption = False,
    report: ReportOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import contacts (respondent id, name, e-mail, audience, segment, team,
    account) as the study's respondents."""
    from cxgap.ingest.contacts import import_contacts

    if audience is not None and audience not in ("customer", "staff", "leadership"):
        raise InputError(
            [Problem("--audience", None, None, audience, "customer, staff or leadership")]
        )
    with _database(db) as database:
        result = import_contacts(
            database,
            study,
            file,
            audience=audience,  # type: ignore[arg-type]
            mapping=mapping,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
    _finish(
        result,
        json=json,
        report=report,
        dry_run=dry_run,
        done=_rows_done(result, "contacts", study),
    )


@import_app.command("interviews")
def import_interviews_cmd(
    path: Annotated[Path, typer.Argument(help="A CSV/XLSX of notes, or a folder of *.md notes.")],
    study: StudyOption,
    date_format: Annotated[
        str | None, typer.Option(help="strftime format of the dates (default ISO 8601).")
    ] = None,
    dry_run: DryRunOption = False,
    skip_invalid: SkipOption = False,
    report: ReportOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import discovery-interview notes (account, segment, date, interviewer,
    text, tags)."""
    from cxgap.ingest.interviews import import_interviews

    with _database(db) as database:
        result = import_interviews(
            database,
            study,
            path,
            date_format=date_format,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
    _finish(
        result,
        json=json,
        report=report,
        dry_run=dry_run,
        done=_rows_done(result, "interview notes", study),
    )


@import_app.command("workshop")
def import_workshop_cmd(
    file: Annotated[Path, typer.Argument(help="Workshop sheets: one row per group (CSV/XLSX).")],
    study: StudyOption,
    wave: Annotated[
        str | None, typer.Option(help="Wave key (unless the file has a wave column).")
    ] = None,
    dry_run: DryRunOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import leadership workshop sheets: each group's answers to the four open
    questions, stored as one group answer (source "workshop")."""
    from cxgap.ingest.workshop import import_workshop

    with _database(db) as database:
        result = import_workshop(database, study, file, wave=wave, dry_run=dry_run)
    if dry_run:
        done = f"Dry run: {result.valid} of {result.rows} group sheet(s) valid; nothing written."
    else:
        done = (
            f"Imported {result.written} workshop group answer(s) into {study} "
            f"({result.already_stored} already stored)."
        )
    _finish(result, json=json, report=None, dry_run=dry_run, done=done)


@import_app.command("events")
def import_events_cmd(
    file: Annotated[Path, typer.Argument(help="CRM or help-desk export of interactions.")],
    study: StudyOption,
    mapping: MappingOption = None,
    dry_run: DryRunOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import interaction events for the relationship bank account; events
    already stored (same account and source id) are skipped."""
    from cxgap.ingest.events_import import import_events

    with (
        _database(db) as database,
        _bar(f"Importing {file.name}", show=not json) as (start, advance),
    ):
        result = import_events(
            database,
            study,
            file,
            mapping=mapping,
            dry_run=dry_run,
            progress=advance,
            on_parsed=start,
        )
    _finish(
        result, json=json, report=None, dry_run=dry_run, done=_rows_done(result, "events", study)
    )
