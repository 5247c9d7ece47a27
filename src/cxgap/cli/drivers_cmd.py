"""``cxgap drivers``: key-driver analysis of any CSV/XLSX file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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
    from rich.table import Table

    from cxgap.analysis.drivers.keydrivers import DriversResult
    from cxgap.ingest.driver_columns import LeftOut, TwoLevels


class MethodChoice(StrEnum):
    shapley = "shapley"
    relative_weights = "relative-weights"


def _require_numbers(table: pd.DataFrame, name: str) -> None:
    """One clear line when a factor column holds no numbers at all."""
    from cxgap.ingest.tables import numeric_column

    values, invalid = numeric_column(table, name, drop_invalid=True)
    if invalid and values.notna().sum() == 0:
        first = table[name].dropna().iloc[0]
        raise AnalysisError(
            f"{table.attrs.get('source', '<data>')}: column {name!r} is not numeric "
            f"({invalid} cell(s) are not numbers, e.g. {first!r}); code it as numbers first"
        )


def _outcome_values(
    table: pd.DataFrame, name: str, positive: str | None
) -> tuple[pd.Series, TwoLevels | None]:
    """The outcome as floats; a column of two text levels coded 1/0."""
    from cxgap.ingest.driver_columns import code_two_levels
    from cxgap.ingest.tables import numeric_column

    values, invalid = numeric_column(table, name, drop_invalid=True)
    if invalid and values.notna().sum() == 0:
        two = code_two_levels(
            table[name], name, table.attrs.get("source", "<data>"), positive=positive
        )
        return two.values, two
    if positive is not None:
        raise AnalysisError(
            f"{table.attrs.get('source', '<data>')}: --positive applies to a text outcome; "
            f"column {name!r} holds numbers"
        )
    return numeric_column(table, name)[0], None


def _numeric_frame(
    path: Path,
    outcome: str,
    factors: list[str] | None,
    positive: str | None = None,
    na_values: list[str] | None = None,
) -> tuple[pd.DataFrame, TwoLevels | None, list[LeftOut]]:
    """The outcome and factor columns of ``path`` as floats (NaN when empty),
    under the names given (an export name such as Q1, or a header text), how a
    text outcome was coded, and the columns left out with their reason.

    The file is read as ``cxgap import responses`` reads it (its tool's header
    rows are headers); ``--na-value`` codes are emptied first. Without
    ``factors``, the columns :func:`cxgap.ingest.driver_columns.screen_columns`
    keeps are the factors: numbers, and no identifier, row counter, date or
    survey-tool column.
    """
    import pandas as pd

    from cxgap.ingest.driver_columns import screen_columns
    from cxgap.ingest.quick import read_quick_table, resolve_columns
    from cxgap.ingest.tables import numeric_column

    table = read_quick_table(path)
    given = [outcome, *(factors or [])]
    actual = dict(zip(given, resolve_columns(table, given), strict=True))
    table = mask_na(table, list(table.columns), na_values)
    for name in factors or []:
        _require_numbers(table, actual[name])
    y, coding = _outcome_values(table, actual[outcome], positive)
    columns: dict[str, pd.Series] = {}
    left_out: list[LeftOut] = []
    if factors is None:
        screen = screen_columns(table, {actual[outcome]})
        columns, left_out = dict(screen.factors), screen.left_out
        if not columns:
            raise AnalysisError(
                f"{path}: no numeric columns besides {outcome!r} to use as factors"
                + (f" ({len(left_out)} left out: see --factors)" if left_out else "")
            )
    else:
        for name in factors:
            columns[name] = numeric_column(table, actual[name])[0]
    columns[outcome] = y
    return pd.DataFrame(columns), coding, left_out


def _left_out_lines(left_out: list[LeftOut]) -> list[str]:
    """One line per reason: how many columns and which."""
    by_reason: dict[str, list[str]] = {}
    for x in left_out:
        by_reason.setdefault(x.reason, []).append(x.column)
    lines = [f"Left out {len(left_out)} column(s), not used as drivers:"] if left_out else []
    for reason, cols in by_reason.items():
        shown = ", ".join(repr(c) for c in cols[:6]) + (", ..." if len(cols) > 6 else "")
        lines.append(f"  {len(cols)} {reason}: {shown}")
    return lines


def _coding_line(outcome: str, c: TwoLevels) -> str:
    return (
        f"Outcome {outcome!r} is text with two values: coded 1 = {c.one!r} ({c.n_one:,} rows), "
        f"0 = {c.zero!r} ({c.n_zero:,} rows), because {c.rule}; "
        "--positive VALUE picks the value coded 1."
    )


def _table(res: DriversResult) -> Table:
    from rich.table import Table

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
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive",
            help="With a two-value text outcome: the value coded 1 (default: the yes-like one).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Key drivers: each factor's part of the R² of OUTCOME, with bootstrap intervals.

    Rows with a missing value are dropped and counted. Without --factors,
    identifiers, row counters, dates, text and survey-tool columns are left
    out and listed. A text outcome with two values is coded 1/0.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from cxgap.analysis.drivers.keydrivers import key_drivers

    names = None if factors is None else [c.strip() for c in factors.split(",") if c.strip()]
    frame, coding, left_out = _numeric_frame(file, outcome, names, positive, na_value)
    notes = ([_coding_line(outcome, coding)] if coding else []) + _left_out_lines(left_out)
    if as_json:  # stdout holds only the JSON; the notes go to stderr
        for line in notes:
            err_console.print(line, highlight=False, markup=False, soft_wrap=True)
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
        print_json(
            {
                **res.to_json_dict(),
                "outcome_coding": None
                if coding is None
                else {"1": coding.one, "0": coding.zero, "rule": coding.rule},
                "left_out": [{"column": x.column, "reason": x.reason} for x in left_out],
            }
        )
    else:
        console.print(_table(res))
        for line in notes:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
