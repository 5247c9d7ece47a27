"""``cxgap backup`` and ``cxgap restore``: the whole database, in one zip file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import (
    DbOption,
    JsonOption,
    MaxUnzippedOption,
    console,
    gib,
    print_json,
    settings_from,
)
from cxgap.contracts.limits import MAX_ARCHIVE_BYTES


@contextmanager
def _working(what: str, *, show: bool) -> Iterator[None]:
    """A Rich progress spinner with the elapsed time (nothing with --json)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn(what),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show or not console.is_terminal,
    ) as progress:
        progress.add_task(what, total=None)
        yield


@app.command("backup")
def backup_cmd(
    out: Annotated[Path, typer.Option("--out", help="Zip file to write.")],
    portable: Annotated[
        bool,
        typer.Option(
            "--portable",
            help="Write every table as JSON lines (restores into SQLite or PostgreSQL) "
            "instead of a SQLite copy or a pg_dump archive.",
        ),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Back up the whole database while it is in use: SQLite through its online
    backup API, PostgreSQL through pg_dump (or --portable JSON lines)."""
    from cxgap.operations.backup import backup_database
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database, _working("Backing up", show=not json):
        result = backup_database(database, out, portable=portable)
    if json:
        print_json(result.to_json_dict())
        return
    rows = sum(result.tables.values())
    console.print(
        f"Backed up {result.database} ({result.kind}, schema {result.schema_revision}, "
        f"{rows} rows in {len(result.tables)} tables) to {out} ({result.bytes:,} bytes)."
    )


@app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="Zip file written by `cxgap backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace everything in a database that is not empty.")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
    max_unzipped: MaxUnzippedOption = MAX_ARCHIVE_BYTES / 2**30,
) -> None:
    """Restore a backup into a database, in one transaction. Refuses a database
    that holds data unless --force, and a backup from a newer cxgap."""
    from cxgap.operations.backup import restore_database
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database, _working("Restoring", show=not json):
        result = restore_database(database, file, force=force, max_unzipped=gib(max_unzipped))
    if json:
        print_json(result.to_json_dict())
        return
    upgraded = f", upgraded from {result.upgraded_from}" if result.upgraded_from else ""
    console.print(
        f"Restored {file} ({result.kind}) into {result.database}: "
        f"{sum(result.tables.values())} rows, schema {result.schema_revision}{upgraded}."
    )
