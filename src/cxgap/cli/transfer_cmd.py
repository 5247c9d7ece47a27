"""``cxgap export SLUG`` and ``cxgap import study FILE``: a whole study, moved
between databases in one versioned zip file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from cxgap.cli.import_cmd import import_app
from cxgap.contracts.limits import MAX_ARCHIVE_BYTES

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table

    from cxgap.operations.transfer import Manifest


def _progress(show: bool) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show or not console.is_terminal,
    )


def _counts_table(title: str, counts: dict[str, int], kept: dict[str, int] | None = None) -> Table:
    from rich.table import Table

    table = Table("table", "rows", *(["kept as stored"] if kept is not None else []), title=title)
    for name, n in counts.items():
        extra = [str(kept.get(name, ""))] if kept is not None else []
        table.add_row(name, str(n), *extra)
    return table


@app.command("export")
def export_cmd(
    slug: Annotated[str, typer.Argument(help="The study to export.")],
    out: Annotated[Path, typer.Option("--out", help="Zip file to write.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Export a whole study (definition, respondents, responses and answers,
    invitations, interview notes, action items, and its organisation's accounts
    and events) to one zip file that `cxgap import study` reads."""
    from cxgap.operations.transfer import export_study
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database, _progress(not json) as bar:
        task = bar.add_task(f"Exporting {slug}", total=None)
        result = export_study(database, slug, out, progress=lambda n: bar.advance(task, n))
    if json:
        print_json(result.to_json_dict())
        return
    console.print(_counts_table(f"{slug} → {out}", result.tables))
    console.print(
        f"Exported study {slug} of {result.organisation} "
        f"(schema {result.schema_revision}) to {out}."
    )


@import_app.command("study")
def import_study_cmd(
    file: Annotated[Path, typer.Argument(help="Zip file written by `cxgap export`.")],
    db: DbOption = None,
    json: JsonOption = False,
    max_unzipped: MaxUnzippedOption = MAX_ARCHIVE_BYTES / 2**30,
) -> None:
    """Import a whole study exported with `cxgap export`, in one transaction.
    The study's slug must be new to the database; accounts of an organisation
    already present are matched by their id and kept as stored."""
    from cxgap.operations.transfer import import_study
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database, _progress(not json) as bar:
        task = bar.add_task(f"Importing {file.name}", total=None)

        def sized(manifest: Manifest) -> None:
            bar.update(task, total=sum(manifest.tables.values()))

        result = import_study(
            database,
            file,
            on_manifest=sized,
            progress=lambda n: bar.advance(task, n),
            max_unzipped=gib(max_unzipped),
        )
    if json:
        print_json(result.to_json_dict())
        return
    console.print(_counts_table(f"{file.name} → {result.study}", result.inserted, result.kept))
    console.print(
        f"Imported study {result.study} of {result.organisation} "
        f"({sum(result.inserted.values())} rows)."
    )
