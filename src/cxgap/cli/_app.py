"""The root Typer application every command module attaches to."""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

from cxgap.errors import CxgapError

USER_ERROR_EXIT = 2


class LazyGroup(TyperGroup):
    """A command group whose module is imported only when the group runs (or
    its commands are listed): its line in ``cxgap --help`` is ``help``.

    For a command module that still imports SQLAlchemy, pandas and the like
    at its top, so that ``cxgap --help`` and every other command start without
    them. Once loaded it hands over to the group exactly as Typer builds it
    when the module is imported first, so help, parsing and errors are the
    same either way (tests/test_startup.py and docs/CLI.md check it).
    """

    def __init__(self, name: str, module: str, help: str) -> None:
        super().__init__(name=name, help=help)
        self._module = module
        self._real: TyperGroup | None = None

    def load(self) -> TyperGroup:
        """The real group: import its module (which registers it on ``app``),
        then take it from the root group Typer builds from ``app``."""
        if self._real is None:
            importlib.import_module(self._module)
            root = typer.main.get_command(app)
            assert isinstance(root, TyperGroup)
            real = root.commands[self.name or ""]
            assert not isinstance(real, LazyGroup), f"{self._module} did not register {self.name}"
            assert isinstance(real, TyperGroup)
            self._real = real
        return self._real

    @property
    def commands(self) -> MutableMapping[str, Any]:
        return self.load().commands

    @commands.setter
    def commands(self, value: MutableMapping[str, Any]) -> None:
        # click.Group.__init__ assigns an empty dict: the real group's count.
        pass

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        # The context (and so everything after: parsing, --help, invoking) is the real group's.
        return self.load().make_context(info_name, args, parent=parent, **extra)


#: Groups loaded on first use, each after the command it follows in ``cxgap --help``
#: (where Typer puts it when its module is imported with the others).
_LAZY: list[tuple[str, LazyGroup]] = []


def lazy_group(name: str, module: str, *, after: str, help: str) -> None:
    """Offer ``cxgap NAME`` without importing ``module`` (see :class:`LazyGroup`)."""
    _LAZY.append((after, LazyGroup(name, module, help)))


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


class _RootGroup(_Group):
    """The ``cxgap`` group: also holds the lazy groups in their places."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for after, lazy in _LAZY:
            name = lazy.name or ""
            # The real group when its module is already imported, else the stand-in;
            # either way in the same place, so the listing never depends on import order.
            group = self.commands.pop(name, lazy)
            items = list(self.commands.items())
            at = next((i + 1 for i, (n, _) in enumerate(items) if n == after), len(items))
            items.insert(at, (name, group))
            self.commands = dict(items)


app = typer.Typer(
    cls=_RootGroup,
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
