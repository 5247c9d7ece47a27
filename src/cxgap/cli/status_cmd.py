"""``cxgap status``: response rates per audience, customer segment and team."""

from __future__ import annotations

from typing import Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, print_json, settings_from


@app.command()
def status(
    slug: Annotated[str, typer.Argument(help="The study.")],
    wave: Annotated[str | None, typer.Option(help="Only this wave (default: all).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Response rates per audience, customer segment and staff/leadership team.
    Teams with fewer answers than the study's anonymity threshold are shown as
    suppressed, never with their counts."""
    from rich.table import Table

    from cxgap.store.db import Database
    from cxgap.store.invitations import response_status
    from cxgap.store.migrate import ensure_schema

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        result = response_status(database, slug, wave=wave)
    if json:
        print_json(result.to_json_dict())
        return
    title = f"Responses to {slug}" + (f", wave {wave}" if wave else ", all waves")
    table = Table("audience", "group", "invited", "started", "answered", "rate", title=title)
    for r in result.rows:
        group = f"{r.group} {r.value}" if r.group else "all"
        if r.suppressed:
            table.add_row(
                r.audience, group, "suppressed", "", "", f"< {result.anonymity_threshold}"
            )
            continue
        rate = "–" if r.rate is None else f"{r.rate:.0%} ({r.answered_invited}/{r.invited})"
        table.add_row(r.audience, group, str(r.invited), str(r.started), str(r.answered), rate)
    console.print(table)
    console.print(
        "answered counts every submitted response (open team links and imports too); rate is "
        "invited respondents (personal or anonymous links) who submitted / invited. "
        "Staff and leadership groups below "
        f"{result.anonymity_threshold} answers are suppressed."
    )
