"""Study commands: ``init``, ``studies list``, ``study export|apply|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
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
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Infer the study from this survey export (CSV/TSV/XLSX): its own questions, "
            "scales, attributes and a mapping file, instead of the default instrument.",
        ),
    ] = None,
    audience: Annotated[
        str,
        typer.Option(help="With --from: who answered the export (customer, staff, leadership)."),
    ] = "customer",
    mapping_out: Annotated[
        Path | None,
        typer.Option(
            "--mapping-out",
            help="With --from: where to write the editable mapping file "
            "(default: SLUG.mapping.yaml).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="With --from: show the plan; write and save nothing."),
    ] = False,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="With --from: give a column another role than the inferred one, as "
            "'COLUMN=ROLE' (rating, nps, outcome, yes_no, attribute, text or ignored, as "
            "the column's answers fit; repeat for several columns).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a new study from the defaults (six pillars, touchpoints, moments,
    segments, one wave, the default instrument), or, with --from, from your own
    survey export: every column is classified (ratings, NPS, outcome, attributes,
    open text, metadata), the plan is shown, the mapping file written and the study
    saved with it, ready for `cxgap import responses FILE --study SLUG`."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import save_study
    from cxgap.study.defaults import default_study

    if from_file is not None:
        _init_from(slug, org, name, from_file, audience, mapping_out, dry_run, db, role or [])
        return
    if role:
        from cxgap.errors import InputError, Problem

        raise InputError([Problem("--role", None, None, role[0], "--from FILE with --role")])
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


def _init_from(
    slug: str,
    org: str,
    name: str | None,
    file: Path,
    audience: str,
    mapping_out: Path | None,
    dry_run: bool,
    db: str | None,
    role: list[str],
) -> None:
    """``cxgap init SLUG --from FILE``: infer (with the roles chosen by
    ``--role``), show the plan, write the mapping, save the study and its
    mapping."""
    from cxgap.errors import InputError, Problem
    from cxgap.ingest.formats import read_export
    from cxgap.ingest.infer import CHOOSABLE, infer_study
    from cxgap.store.db import Database
    from cxgap.store.mappings import save_mapping_text
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.studies import save_study

    if audience not in ("customer", "staff", "leadership"):
        raise InputError(
            [Problem("--audience", None, None, audience, "customer, staff or leadership")]
        )
    roles: dict[str, str] = {}
    for item in role:
        column, sep, chosen = item.rpartition("=")
        if not sep or not column or chosen.strip() not in CHOOSABLE:
            raise InputError(
                [
                    Problem(
                        "--role",
                        None,
                        None,
                        item,
                        "COLUMN=ROLE, ROLE one of " + ", ".join(CHOOSABLE),
                    )
                ]
            )
        roles[column] = chosen.strip()
    inferred = infer_study(
        read_export(file),
        slug,
        organisation=org,
        name=name,
        audience=audience,  # type: ignore[arg-type]
        roles=roles,
    )
    _plan_table(inferred)
    out = mapping_out or Path(f"{slug}.mapping.yaml")
    study = inferred.study
    summary = (
        f"{sum(p.role == 'rating' for p in inferred.plan)} rating item(s), "
        f"{len(study.questions)} question(s), "
        f"{len(study.attributes)} attribute(s)"
    )
    if dry_run:
        console.print(f"Dry run: study {slug} would have {summary}; nothing written.")
        return
    text = inferred.mapping_yaml()
    with Database.open(settings_from(db)) as database:
        ensure_schema(database)
        save_study(database, study, create_only=True, file=f"study {slug!r}")
        save_mapping_text(database, slug, text, source=file.name)
        url = database.url
    out.write_text(text, encoding="utf-8")
    console.print(f"Created study {slug} for {org} in {url}: {summary}.")
    console.print(f"Wrote the mapping to {out} (also stored with the study).")
    console.print(
        f"Next: cxgap import responses {file} --study {slug} --audience {audience} --wave w1"
    )
    console.print(f"Then: cxgap report {slug} --out {slug}.html")


def _plan_table(inferred: Any) -> None:
    from rich.table import Table

    table = Table(
        title=f"{Path(inferred.file).name}: {inferred.format} export, {len(inferred.plan)} columns",
    )
    table.add_column("column", max_width=34)
    table.add_column("role", no_wrap=True)
    table.add_column("target", max_width=34)
    table.add_column("scale", no_wrap=True)
    table.add_column("n valid", justify="right", no_wrap=True)
    table.add_column("examples", max_width=24)
    table.add_column("reason", min_width=40)
    for p in inferred.plan:
        reason = p.reason + (f"; pillar suggested: {p.suggestion}" if p.suggestion else "")
        table.add_row(
            p.column,
            p.role,
            p.target or "–",
            p.scale,
            str(p.n_valid),
            ", ".join(e[:16] for e in p.examples[:2]),
            reason,
        )
    # Piped to a file or a pager, the plan keeps (nearly) one line per column.
    wide = console if console.is_terminal else Console(width=160, highlight=False, markup=False)
    wide.print(table)


@studies_app.command("list")
def studies_list(db: DbOption = None, json: JsonOption = False) -> None:
    """List every study with its organisation, waves and response count."""
    from rich.table import Table

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
