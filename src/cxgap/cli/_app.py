"""The root Typer application every command module attaches to."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from cxgap.errors import CxgapError


class UserError(click.ClickException):
    """A :class:`CxgapError` shown as one line; exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.message}", err=True, file=file)


class _Group(TyperGroup):
    """Turns every expected failure into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CxgapError as exc:
            raise UserError(str(exc)) from exc


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
