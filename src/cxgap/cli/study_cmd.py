"""Study commands: ``init``, ``studies list``, ``study export|apply|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, print_json, settings_from

study_app = typer.Typer(help="Edit a study's definition as a YAML file.", no_args_is_help=True)
studies_app = typer.Typer(help="List the studies in the database.", no_args_is_help=True)
app.add_typer(study_app, name="study")
app.add_typer(studies_app, name="studies")


@app.command()
def version() -> None:
    """Print the cxgap version."""
    from cxgap import __version__

    console.print(__version__)


@app.command()
def init(
    slug: Annotated[str, typer.Argument(help="Short name of the study, e.g. acme-2026.")],
    org: Annotated[str, typer.Option("--org", help="Name of the organisation.")],
    name: Annotated[str | None, typer.Option(help="Title of the study.")] = None,
    db: DbOption = None,
) -> None:
    """Create a new study from the defaults (six pillars, touchpoints, moments,
    segments, one wave, the default instrument)."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import save_study
    from cxgap.study.defaults import default_study

    definition = default_study(slug, organisation=org, name=name)
    with Database.open(settings_from(db)) as database:
        ensure_schema(database)
        save_study(database, definition, create_only=True, file=f"study {slug!r}")
        console.print(
            f"Created study {slug} for {org} in {database.url}: "
            f"{len(definition.factors)} factors, {len(definition.touchpoints)} touchpoints, "
            f"{len(definition.questions)} questions."
        )
        console.print(f"Edit it with: cxgap study export {slug} {slug}.yaml")


@studies_app.command("list")
def studies_list(db: DbOption = None, json: JsonOption = False) -> None:
    """List every study with its organisation, waves and response count."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import list_studies

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        rows = list_studies(database)
    if json:
        print_json([r.to_json_dict() for r in rows])
        return
    if not rows:
        console.print(
            "No studies yet. Create one with `cxgap init SLUG --org NAME` or try `cxgap demo`."
        )
        return
    table = Table("slug", "name", "organisation", "waves", "responses", "accounts")
    for r in rows:
        table.add_row(
            r.slug, r.name, r.organisation, ", ".join(r.waves), str(r.responses), str(r.accounts)
        )
    console.print(table)


@study_app.command("export")
def study_export(
    slug: Annotated[str, typer.Argument(help="The study to export.")],
    file: Annotated[Path, typer.Argument(help="YAML file to write.")],
    db: DbOption = None,
) -> None:
    """Write the whole study definition to a YAML file for editing."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import load_study
    from cxgap.study.yamlio import write_yaml

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        definition = load_study(database, slug)
    write_yaml(definition, file)
    console.print(f"Wrote {file}. Edit it, then run: cxgap study apply {file}")


@study_app.command("apply")
def study_apply(
    file: Annotated[Path, typer.Argument(help="YAML study definition.")],
    db: DbOption = None,
) -> None:
    """Create or update a study from a YAML file (all of it, or nothing)."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import save_study
    from cxgap.study.yamlio import read_yaml

    definition = read_yaml(file)
    with Database.open(settings_from(db)) as database:
        ensure_schema(database)
        created = save_study(database, definition, file=str(file))
    verb = "Created" if created else "Updated"
    console.print(Text.assemble(f"{verb} study ", (definition.slug, "bold"), f" from {file}."))


@study_app.command("show")
def study_show(
    slug: Annotated[str, typer.Argument(help="The study to show.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Show a study's definition."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import load_study

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        definition = load_study(database, slug)
    if json:
        print_json(definition.model_dump(mode="json"))
        return
    console.print(
        Text.assemble(
            (definition.name, "bold"), f" ({definition.slug}) — {definition.organisation}"
        )
    )
    for title, items in (
        ("Factors", definition.factors),
        ("Touchpoints", definition.touchpoints),
        ("Moments", definition.moments),
        ("Segments", definition.segments),
        ("Waves", definition.waves),
    ):
        console.print(f"{title}: " + ", ".join(f"{i.label} ({i.key})" for i in items))
    for p in definition.promise:
        console.print(f"Promise: {p}")
    console.print(
        f"Questions: {len(definition.questions)}; anonymity threshold: "
        f"{definition.anonymity_threshold}"
    )
