"""``cxgap drivers``: key-driver analysis of any CSV/XLSX file."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cxgap.cli._app import app
from cxgap.cli._common import (
    JsonOption,
    NaValueOption,
    console,
    err_console,
    fmt,
    mask_na,
    print_json,
)
from cxgap.errors import AnalysisError

if TYPE_CHECKING:
    import pandas as pd

    from cxgap.analysis.drivers.keydrivers import DriversResult


class MethodChoice(StrEnum):
    shapley = "shapley"
    relative_weights = "relative-weights"


_UNNAMED = re.compile(r"^Unnamed: \d+$")  # pandas' name for an empty header


def _require_numbers(table: pd.DataFrame, name: str) -> None:
    """One clear line when a column holds no numbers at all (a text outcome)."""
    from cxgap.ingest.tables import numeric_column

    values, invalid = numeric_column(table, name, drop_invalid=True)
    if invalid and values.notna().sum() == 0:
        first = table[name].dropna().iloc[0]
        raise AnalysisError(
            f"{table.attrs.get('source', '<data>')}: column {name!r} is not numeric "
            f"({invalid} cell(s) are not numbers, e.g. {first!r}); code it as numbers first"
        )


def _numeric_frame(
    path: Path, outcome: str, factors: list[str] | None, na_values: list[str] | None = None
) -> pd.DataFrame:
    """The outcome and factor columns of ``path`` as floats (NaN when empty),
    under the names given (an export name such as Q1, or a header text).

    Without ``factors``, every other column whose cells are all numbers (and
    that has a header: an unnamed first column is a row index; and that is
    not the survey tool's own, such as a duration) is a factor.
    """
    import pandas as pd

    from cxgap.ingest.quick import read_quick_table, resolve_columns
    from cxgap.ingest.tables import numeric_column

    table = read_quick_table(path)
    given = [outcome, *(factors or [])]
    actual = dict(zip(given, resolve_columns(table, given), strict=True))
    table = mask_na(table, list(table.columns), na_values)
    for name in given:
        _require_numbers(table, actual[name])
    system = set(table.attrs.get("system", []))
    columns: dict[str, pd.Series] = {}
    if factors is None:
        for name in table.columns:
            if name == actual[outcome] or not name or _UNNAMED.match(name) or name in system:
                continue
            values, invalid = numeric_column(table, name, drop_invalid=True)
            if invalid == 0 and values.notna().any():
                columns[name] = values
        if not columns:
            raise AnalysisError(f"{path}: no numeric columns besides {outcome!r} to use as factors")
    else:
        for name in factors:
            columns[name] = numeric_column(table, actual[name])[0]
    columns[outcome] = numeric_column(table, actual[outcome])[0]
    return pd.DataFrame(columns)


def _table(res: DriversResult) -> Table:
    r2 = fmt(res.r2, 3)
    if res.r2_ci_low is not None:
        r2 += f" [{fmt(res.r2_ci_low, 3)}, {fmt(res.r2_ci_high, 3)}]"
    method = "Shapley (LMG)" if res.method == "shapley" else "Johnson's relative weights"
    table = Table(
        title=f"Drivers of {res.outcome}: {method}",
        caption=f"n = {res.n} (dropped {res.dropped} with a missing value), R² = {r2}, "
        f"{res.bootstrap} bootstrap resamples",
    )
    table.add_column("#", justify="right")
    table.add_column("Factor")
    table.add_column("Importance (part of R²)", justify="right")
    table.add_column("Share", justify="right")
    table.add_column(f"{res.confidence:.0%} CI", justify="right")
    for d in res.drivers:
        ci = "–" if d.ci_low is None else f"{fmt(d.ci_low, 3)} – {fmt(d.ci_high, 3)}"
        share = "–" if d.share is None else f"{100 * d.share:.1f}%"
        table.add_row(str(d.rank), d.factor, fmt(d.importance, 3), share, ci)
    return table


@app.command()
def drivers(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or XLSX file, one row per respondent.")],
    outcome: Annotated[str, typer.Option("--outcome", "-o", help="Column to explain (e.g. ltr).")],
    factors: Annotated[
        str | None,
        typer.Option(
            "--factors",
            "-f",
            help="Comma-separated factor columns (default: every other numeric column).",
        ),
    ] = None,
    method: Annotated[
        MethodChoice, typer.Option("--method", "-m", help="Decomposition of R².")
    ] = MethodChoice.shapley,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", "-b", min=0, help="Bootstrap resamples (0: none).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    na_value: NaValueOption = None,
    as_json: JsonOption = False,
) -> None:
    """Key drivers: each factor's part of the R² of OUTCOME, with bootstrap intervals.

    Rows with a missing value are dropped and counted.
    """
    from cxgap.analysis.drivers.keydrivers import key_drivers

    names = None if factors is None else [c.strip() for c in factors.split(",") if c.strip()]
    frame = _numeric_frame(file, outcome, names, na_value)
    with Progress(
        TextColumn("Bootstrap"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=bootstrap == 0 or not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("bootstrap", total=bootstrap)
        res = key_drivers(
            frame,
            outcome,
            list(frame.columns.drop(outcome)),
            method=method.value,
            bootstrap=bootstrap,
            seed=seed,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    if as_json:
        print_json(res.to_json_dict())
    else:
        console.print(_table(res))
