"""``cxgap import``: survey exports, accounts, contacts, interviews, workshop
sheets and interaction events into the database, one transaction per file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from cxgap.cli._app import app
from cxgap.cli._common import (
    DbOption,
    JsonOption,
    NaValueOption,
    console,
    na_codes,
    print_json,
    settings_from,
)
from cxgap.contracts.choices import EVENT_PRESETS, FORMATS
from cxgap.errors import InputError, Problem

if TYPE_CHECKING:
    from cxgap.ingest._rows import RowsImport
    from cxgap.ingest.responses import ResponsesImport
    from cxgap.store.db import Database

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


AudienceOption = Annotated[
    str | None,
    typer.Option(help="customer, staff or leadership (unless the file has an audience column)."),
]
# Constraints by name: the import classes load only when a command runs.
T = TypeVar("T", "ResponsesImport", "RowsImport")


def _check_audience(audience: str | None) -> None:
    if audience is not None and audience not in ("customer", "staff", "leadership"):
        raise InputError(
            [Problem("--audience", None, None, audience, "customer, staff or leadership")]
        )


@contextmanager
def _bar(
    what: str, *, show: bool = True
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A Rich progress bar: (start(total), advance(n)); silent when not ``show``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


#: Up to this many problems are listed one by one; more are summarised by kind.
_LIST_UP_TO = 20


def _problems_table(problems: list[Any], *, all_problems: bool = False) -> None:
    """The problems, one per line when few (or with ``all_problems``); else
    grouped by kind with their counts and first rows."""
    from rich.table import Table

    from cxgap.ingest.problem_summary import summarise_problems

    if not problems:
        return
    if all_problems or len(problems) <= _LIST_UP_TO:
        table = Table("row", "column", "value", "expected", title=f"{len(problems)} problem(s)")
        for p in problems:
            table.add_row(
                "" if p.row is None else str(p.row), p.column or "", p.value or "", p.expected
            )
        console.print(table)
        return
    kinds = summarise_problems(problems)
    table = Table(
        "problems",
        "column",
        "expected",
        "first rows",
        "e.g.",
        title=f"{len(problems)} problem(s) of {len(kinds)} kind(s)",
    )
    for k in kinds[:_LIST_UP_TO]:
        table.add_row(
            f"{k.count:,}",
            (k.column or "")[:50],
            k.expected,
            ", ".join(map(str, k.rows)),
            "; ".join(v[:30] for v in k.values),
        )
    console.print(table)
    more = f" ({len(kinds) - _LIST_UP_TO} more kinds)" if len(kinds) > _LIST_UP_TO else ""
    console.print(
        f"Every problem{more}: --all-problems, --json, or --report FILE (a CSV of them all)."
    )


def _run_import(
    db: str | None,
    load: Callable[[Database, Callable[[int], None], Callable[[int], None]], T],
    *,
    done: Callable[[T], str],
    json: bool,
    report: Path | None,
    dry_run: bool,
    bar: str | None = None,
    preface: Callable[[T], None] | None = None,
    all_problems: bool = False,
) -> None:
    """The body of every import command: open the database at its schema,
    run ``load(database, start, advance)`` (with a progress bar titled
    ``bar``, if any), then print ``preface``, the problems (and write them to
    ``report``; summarised by kind unless ``all_problems``), and the ``done``
    line; or the result as JSON (every problem). A dry run that found
    problems exits with status 1."""
    from cxgap.ingest.responses import write_problem_report
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    with (
        Database.open(settings_from(db)) as database,
        _bar(bar or "", show=bar is not None and not json) as (start, advance),
    ):
        ensure_schema(database, create=False)
        result = load(database, start, advance)
    problems = [Problem(p.file, p.row, p.column, p.value, p.expected) for p in result.problems]
    if report is not None and problems:
        write_problem_report(problems, report)
    if json:
        print_json(result.to_json_dict())
    else:
        if preface is not None:
            preface(result)
        _problems_table(result.problems, all_problems=all_problems)
        if report is not None and problems:
            console.print(f"Wrote {len(problems)} problem(s) to {report}.")
        console.print(done(result))
    if dry_run and problems:
        raise typer.Exit(1)


def _dry_done(result: ResponsesImport | RowsImport, what: str) -> str:
    return f"Dry run: {result.valid} of {result.rows} {what} valid; nothing written."


def _rows_done(result: RowsImport, what: str, study: str) -> str:
    if result.dry_run:
        return _dry_done(result, what)
    updated = f", {result.updated} updated" if result.updated is not None else ""
    return (
        f"{what.capitalize()}: {result.inserted} new{updated} in {study}"
        f" ({result.skipped} skipped)."
    )


def _mapping_table(result: ResponsesImport) -> None:
    from rich.table import Table

    if result.mapping is not None:
        console.print(f"Mapping: {result.mapping}.")
    file = Path(result.file).name
    table = Table("column", "→ question", "how", title=f"{file}: {result.format} export")
    for c in result.columns:
        if c.target is not None:
            table.add_row(c.column[:70], c.target, c.how)
    console.print(table)
    left = [c for c in result.columns if c.target is None]
    if left:
        console.print("Not imported: " + "; ".join(f"{c.column[:50]} ({c.how})" for c in left))
    if any(p.expected.startswith("at least one column matching") for p in result.problems):
        shown = ", ".join(repr(c[:40]) for c in result.unmapped[:8])
        more = f" and {len(result.unmapped) - 8} more" if len(result.unmapped) > 8 else ""
        console.print(
            f"No column matches a question of {result.study}. Unmatched: {shown}{more}.\n"
            "Map them to question keys in a --mapping file (docs/IMPORT.md), or start a "
            f"study from this export: cxgap init SLUG --from {result.file}"
        )


@import_app.command("responses")
def import_responses_cmd(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/XLSX export of a survey tool.")],
    study: StudyOption,
    audience: AudienceOption = None,
    wave: Annotated[
        str | None, typer.Option(help="Wave key (unless the file has a wave column).")
    ] = None,
    mapping: MappingOption = None,
    format: Annotated[
        str | None, typer.Option("--format", help="Force a format: " + ", ".join(FORMATS) + ".")
    ] = None,
    dry_run: DryRunOption = False,
    skip_invalid: SkipOption = False,
    na_value: NaValueOption = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Replace the stored answers of responses already imported (same response "
            "id) that now read differently, e.g. after editing the mapping.",
        ),
    ] = False,
    report: ReportOption = None,
    all_problems: Annotated[
        bool,
        typer.Option(
            "--all-problems", help="List every problem (else, past 20, a summary by kind)."
        ),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import a survey export (Qualtrics, SurveyMonkey, Google Forms, Typeform,
    LimeSurvey, Microsoft Forms or cxgap's own format): detect the format, map
    columns to questions, check every cell, and store all rows in one
    transaction, or none. Without --mapping, the mapping stored with the study
    by `cxgap init --from` is used. Re-importing the same export adds nothing;
    if its rows now read differently (a changed mapping), the import stops and
    says so, and --update applies the change."""
    from cxgap.ingest.responses import import_responses

    _check_audience(audience)
    if format is not None and format not in FORMATS:
        raise InputError([Problem("--format", None, None, format, "one of " + ", ".join(FORMATS))])

    def done(result: ResponsesImport) -> str:
        if dry_run:
            return _dry_done(result, "row(s)")
        updated = f", {result.updated} of them updated" if result.updated else ""
        return (
            f"Imported {result.written} new response(s) into {study} "
            f"({result.already_stored} already stored{updated}, {result.skipped} skipped)."
        )

    _run_import(
        db,
        lambda database, start, advance: import_responses(
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
            na_values=na_codes(na_value),
            update=update,
        ),
        done=done,
        json=json,
        report=report,
        dry_run=dry_run,
        bar=f"Importing {file.name}",
        preface=_mapping_table,
        all_problems=all_problems,
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

    _run_import(
        db,
        lambda database, _start, _advance: import_accounts(
            database, study, file, mapping=mapping, dry_run=dry_run, skip_invalid=skip_invalid
        ),
        done=lambda result: _rows_done(result, "accounts", study),
        json=json,
        report=report,
        dry_run=dry_run,
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

    _check_audience(audience)
    _run_import(
        db,
        lambda database, _start, _advance: import_contacts(
            database,
            study,
            file,
            audience=audience,  # type: ignore[arg-type]
            mapping=mapping,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        ),
        done=lambda result: _rows_done(result, "contacts", study),
        json=json,
        report=report,
        dry_run=dry_run,
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

    _run_import(
        db,
        lambda database, _start, _advance: import_interviews(
            database,
            study,
            path,
            date_format=date_format,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        ),
        done=lambda result: _rows_done(result, "interview notes", study),
        json=json,
        report=report,
        dry_run=dry_run,
    )


@import_app.command("workshop")
def import_workshop_cmd(
    file: Annotated[Path, typer.Argument(help="Workshop sheets: one row per group (CSV/XLSX).")],
    study: StudyOption,
    wave: Annotated[
        str | None, typer.Option(help="Wave key (unless the file has a wave column).")
    ] = None,
    dry_run: DryRunOption = False,
    skip_invalid: SkipOption = False,
    report: ReportOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import leadership workshop sheets: each group's answers to the four open
    questions, stored as one group answer (source "workshop")."""
    from cxgap.ingest.workshop import import_workshop

    def done(result: ResponsesImport) -> str:
        if dry_run:
            return _dry_done(result, "group sheet(s)")
        return (
            f"Imported {result.written} workshop group answer(s) into {study} "
            f"({result.already_stored} already stored, {result.skipped} skipped)."
        )

    _run_import(
        db,
        lambda database, _start, _advance: import_workshop(
            database, study, file, wave=wave, dry_run=dry_run, skip_invalid=skip_invalid
        ),
        done=done,
        json=json,
        report=report,
        dry_run=dry_run,
    )


@import_app.command("events")
def import_events_cmd(
    file: Annotated[Path, typer.Argument(help="CRM or help-desk export of interactions.")],
    study: StudyOption,
    mapping: MappingOption = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="Read a tool's own export: " + ", ".join(EVENT_PRESETS) + " (see docs/IMPORT.md).",
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(help="Account of every row, for an export without an account column."),
    ] = None,
    dry_run: DryRunOption = False,
    skip_invalid: SkipOption = False,
    report: ReportOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import interaction events for the relationship bank account; events
    already stored (same account and source id) are skipped. With --preset, a
    Zendesk, Freshdesk, HubSpot or Salesforce export is read by its own column
    names, and tickets not yet solved are left out."""
    from cxgap.ingest.events_import import import_events

    if preset is not None and preset not in EVENT_PRESETS:
        raise InputError(
            [Problem("--preset", None, None, preset, "one of " + ", ".join(EVENT_PRESETS))]
        )

    def done(result: RowsImport) -> str:
        line = _rows_done(result, "events", study)
        if result.open:
            line += f" {result.open} ticket(s) still open were left out."
        return line

    _run_import(
        db,
        lambda database, start, advance: import_events(
            database,
            study,
            file,
            mapping=mapping,
            preset=preset,
            account=account,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            progress=advance,
            on_parsed=start,
        ),
        done=done,
        json=json,
        report=report,
        dry_run=dry_run,
        bar=f"Importing {file.name}",
    )
