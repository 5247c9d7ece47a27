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
