"""Small helpers shared by the CLI commands: consoles, options, JSON output."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cxgap.cli._settings_text import DB_OPTION_HELP
from cxgap.contracts.numbers import num

if TYPE_CHECKING:
    from cxgap.settings import Settings

# Output is never read as Rich markup: cells, names and labels come from users' files,
# and text such as "[/]" would raise MarkupError (or "[bold]" restyle the line).
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=DB_OPTION_HELP,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
#: Answers meaning "no answer" in every column: a mapping file's ``missing: {"*": [...]}``.
NaValueOption = Annotated[
    list[str] | None,
    typer.Option(
        "--na-value",
        metavar="VALUE",
        help="An answer that means 'not applicable' / no answer, in every column "
        "(repeatable; e.g. --na-value 0 --na-value N/A): the same as a mapping file's "
        "missing: for all columns.",
    ),
]
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


def na_codes(values: list[str] | None) -> list[str]:
    """The ``--na-value`` answers, stripped, empty ones left out.

    >>> na_codes([" 0", "N/A", ""]), na_codes(None)
    (['0', 'N/A'], [])
    """
    return [v.strip() for v in values or [] if v.strip()]


def mask_na(frame: Any, columns: list[str], values: list[str] | None) -> Any:
    """``frame`` with the cells of ``columns`` that are one of the ``--na-value``
    answers emptied, compared as a mapping's ``missing:`` compares them (text
    normalised; numbers by value, so ``0`` also empties ``0.0``)."""
    codes = na_codes(values)
    if not codes:
        return frame
    import pandas as pd

    from cxgap.ingest.mapping import normalise

    words = {normalise(c) for c in codes}
    numbers = pd.to_numeric(pd.Series(codes), errors="coerce").dropna().tolist()
    out = frame.copy()
    for col in columns:
        raw = out[col]
        text = raw.astype("string").str.strip()
        hits = [u for u in text.dropna().unique() if normalise(u) in words]
        hit = text.isin(hits).fillna(False)
        if numbers:
            hit = hit | pd.to_numeric(text, errors="coerce").isin(numbers)
        out[col] = raw.mask(hit.to_numpy(dtype=bool))
    return out


def settings_from(db: str | None) -> Settings:
    """The settings for one command run: ``--db`` wins over the environment.

    Imported here, not at the top: building the model is a third of
    ``cxgap --help`` (:mod:`cxgap.cli._settings_text`)."""
    from cxgap.settings import Settings

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
