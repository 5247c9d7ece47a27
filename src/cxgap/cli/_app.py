"""The root Typer application every command module attaches to."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from cxgap.errors import CxgapError

USER_ERROR_EXIT = 2


class _Group(TyperGroup):
    """Turns every expected failure into one clear line on stderr and exit
    status 2, instead of a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CxgapError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(USER_ERROR_EXIT) from None


class DefaultCommandGroup(_Group):
    """A command group that runs its ``default_command`` when the first
    argument is not one of its sub-commands: ``cxgap ledger FILE.csv`` and
    ``cxgap ledger account SLUG ACCOUNT`` side by side."""

    default_command = "file"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        result: list[str] = super().parse_args(ctx, args)
        return result


app = typer.Typer(
    cls=_Group,
    name="cxgap",
    help="Find and close the gap between the customer experience you believe you deliver "
    "and the one your customers live.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """cxgap: surveys leadership, staff and customers with one instrument, keeps a
    relationship bank account per account, and turns it all into a gap analysis,
    priorities, defection risks and an action plan."""
