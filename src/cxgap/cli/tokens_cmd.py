"""``cxgap tokens``: API tokens for the REST API (shown once, stored hashed)."""

from __future__ import annotations

from typing import Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, print_json, settings_from

tokens_app = typer.Typer(help="API tokens for the REST API.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def tokens_create(
    email: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'helpdesk feed'.")],
    db: DbOption = None,
) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    from cxgap.store.api_tokens import create_token
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        token_id, token = create_token(database, email, name)
    console.print(f"Token {token_id} for {email} ({name}). Copy it now; it is not stored:")
    typer.echo(token)


@tokens_app.command("list")
def tokens_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Every token: its id, user, name and last use (never the secret)."""
    from rich.table import Table

    from cxgap.store.api_tokens import list_tokens
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        tokens = list_tokens(database)
    if json:
        print_json(
            [
                {
                    "id": x.id,
                    "email": x.email,
                    "name": x.name,
                    "created_at": x.created_at,
                    "last_used_at": x.last_used_at,
                    "revoked": x.revoked,
                }
                for x in tokens
            ]
        )
        return
    table = Table("id", "user", "name", "created", "last used", "revoked")
    for x in tokens:
        table.add_row(
            str(x.id),
            x.email,
            x.name,
            f"{x.created_at:%Y-%m-%d}",
            f"{x.last_used_at:%Y-%m-%d %H:%M}" if x.last_used_at else "never",
            "yes" if x.revoked else "",
        )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `tokens list`).")],
    db: DbOption = None,
) -> None:
    """Revoke a token: it stops working at once."""
    from cxgap.store.api_tokens import revoke_token
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        revoke_token(database, token_id)
    console.print(f"Revoked token {token_id}.")
