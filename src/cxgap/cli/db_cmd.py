"""Database commands: ``db upgrade`` and ``db current``."""

from __future__ import annotations

from typing import Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, console, settings_from

db_app = typer.Typer(help="Create and upgrade the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    db: DbOption = None,
) -> None:
    """Create or upgrade the schema through the Alembic migrations."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import upgrade

    with Database.open(settings_from(db)) as database:
        before, after = upgrade(database, revision)
    if before == after:
        console.print(f"{database.url} is already at revision {after}.")
    else:
        console.print(f"Upgraded {database.url} from {before or 'empty'} to {after}.")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Show the schema revision of the database and the one this cxgap needs."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import current_revision, head_revision

    with Database.open(settings_from(db)) as database:
        current = current_revision(database)
    console.print(f"database: {current or 'empty'}; cxgap needs: {head_revision()}")
