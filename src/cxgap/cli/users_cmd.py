"""``cxgap users``: dashboard users and their roles per organisation."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, print_json, settings_from
from cxgap.contracts.choices import ROLES
from cxgap.errors import CxgapError

users_app = typer.Typer(
    help="Dashboard users: add, list, remove (roles: owner, analyst, viewer).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The user's e-mail address (their login).")],
    org: Annotated[str, typer.Option("--org", help="The organisation (as its studies name it).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")] = "viewer",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a user to an organisation, or change their role there. A new user
    needs a password (prompted, or --password-stdin); it is stored only as an
    argon2id hash."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.users import MIN_PASSWORD, add_user, list_users

    password: str | None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        with Database.open(settings_from(db)) as database:
            known = any(u.email == email.strip().lower() for u in list_users(database))
        password = (
            None
            if known
            else typer.prompt(
                f"Password for {email} (at least {MIN_PASSWORD} characters)",
                hide_input=True,
                confirmation_prompt=True,
            )
        )
    if password == "":
        raise CxgapError("empty password on standard input")
    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        user = add_user(database, email, organisation=org, role=role, password=password, name=name)
    console.print(f"{user.email} is {role} of {org}.")


@users_app.command("list")
def users_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Every user with their organisations and roles (never a password hash)."""
    from rich.table import Table

    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.users import list_users

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        users = list_users(database)
    if json:
        print_json([u.to_json_dict() for u in users])
        return
    if not users:
        console.print("No users yet: add one with `cxgap users add EMAIL --org ORG --role owner`.")
        return
    table = Table("email", "name", "organisation", "role")
    for u in users:
        for m in u.to_json_dict()["memberships"] or [{"organisation": "–", "role": "–"}]:
            table.add_row(u.email, u.name or "–", m["organisation"], m["role"])
    console.print(table)


@users_app.command("remove")
def users_remove(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    db: DbOption = None,
) -> None:
    """Delete a user and all their memberships."""
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema
    from cxgap.store.users import remove_user

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        remove_user(database, email)
    console.print(f"Removed {email.strip().lower()}.")
