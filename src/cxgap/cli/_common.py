"""Small helpers shared by the CLI commands: consoles, options, JSON output."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import typer
from rich.console import Console

from cxgap.contracts.numbers import num
from cxgap.settings import Settings, option_help

# Output is never read as Rich markup: cells, names and labels come from users' files,
# and text such as "[/]" would raise MarkupError (or "[bold]" restyle the line).
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=option_help("database_url"),
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
#: The bound on what an export or backup unzips to (cxgap.contracts.limits), in GiB.
MaxUnzippedOption = Annotated[
    float,
    typer.Option(
        "--max-unzipped",
        min=0.0,
        metavar="GiB",
        help="Refuse, unread, a file whose members unzip to more than this many GiB "
        "in all (raise it for a larger database).",
    ),
]


def gib(value: float) -> int:
    """``value`` GiB in bytes.

    >>> gib(10) == 10 * 2**30, gib(0.5)
    (True, 536870912)
    """
    return int(value * 2**30)


def settings_from(db: str | None) -> Settings:
    """The settings for one command run: ``--db`` wins over the environment."""
    return Settings.load(database_url=db)


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout (NaN and infinities as null)."""
    typer.echo(json.dumps(_clean(obj), indent=2, ensure_ascii=False, default=str))


def fmt(x: float | None, digits: int = 2) -> str:
    """A number for a table cell; an en dash for a missing value; never ``-0``
    (:func:`cxgap.contracts.numbers.num`)."""
    return num(x, digits)
