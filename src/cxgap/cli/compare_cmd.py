"""``cxgap compare FILE.csv --group G --items C1,C2``: the gap matrix of any export."""

from __future__ import annotations

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
from cxgap.cli.nps_cmd import group_labels
from cxgap.errors import AnalysisError, InputError

if TYPE_CHECKING:
    from cxgap.analysis.perception.gaps import GapMatrix


def _p(p: float | None, adjusted: float | None) -> str:
    from cxgap.contracts.numbers import pval

    if p is None:
        return "–"
    return f"{pval(p)} ({pval(adjusted)})" if adjusted is not None else pval(p)


def _render(m: GapMatrix, dropped: dict[str, int]) -> None:
    from rich.table import Table

    from cxgap.analysis.perception.gaps import GapComparison, GroupCell

    level = f"{100 * m.confidence:g}%"
    for item in m.items:
        table = Table(title=item, title_justify="left")
        for name in ("group", "n", "mean", "SD", f"{level} CI"):
            table.add_column(name, justify="left" if name == "group" else "right")
        if m.top_box_min is not None:
            table.add_column(f"top box (≥{m.top_box_min:g}) [{level} CI]", justify="right")
        for cell in m.cells:
            if cell.item != item:
                continue
            if not isinstance(cell, GroupCell):
                table.add_row(cell.group, cell.reason)
                continue
            ci = cell.note or f"{fmt(cell.ci_low)} to {fmt(cell.ci_high)}"
            row = [cell.group, str(cell.n), fmt(cell.mean), fmt(cell.sd), ci]
            tb = cell.top_box
            if tb is not None and tb.share is not None:
                low, high = tb.ci_low or 0.0, tb.ci_high or 0.0
                row.append(f"{100 * tb.share:.0f}% [{100 * low:.0f}–{100 * high:.0f}%]")
            elif m.top_box_min is not None:
                row.append("–")
            table.add_row(*row)
        console.print(table)
        comp = Table(show_header=True, title_justify="left")
        for name in (
            "difference",
            "mean diff",
            f"{level} CI",
            "p Welch (Holm)",
            "p Mann–Whitney (Holm)",
            "Hedges' g",
            "Cliff's δ",
        ):
            comp.add_column(name, justify="left" if name == "difference" else "right")
        for c in m.comparisons:
            if c.item != item:
                continue
            label = f"{c.a} − {c.b}"
            if not isinstance(c, GapComparison):
                comp.add_row(label, c.reason)
                continue
            if c.note:
                comp.add_row(label, fmt(c.difference), c.note)
                continue
            comp.add_row(
                label,
                fmt(c.difference),
                f"{fmt(c.ci_low)} to {fmt(c.ci_high)}",
                _p(c.p_welch, c.p_welch_holm),
                _p(c.p_mann_whitney, c.p_mann_whitney_holm),
                fmt(c.hedges_g),
                fmt(c.cliffs_delta),
            )
        if comp.row_count:
            console.print(comp)
    sizes = sorted({c.holm_family_size for c in m.comparisons if isinstance(c, GapComparison)})
    family = "/".join(str(s) for s in sizes) or "0"
    console.print(
        f"Holm adjustment over the {family} pair(s) compared on each item, item by item. "
        "Intervals stay on the scale (Wilson at the effective sample size; differences "
        "by MOVER).",
        style="dim",
    )
    for col, n in dropped.items():
        if n:
            err_console.print(f"Dropped {n} invalid value(s) in column {col!r}.")


@app.command()
def compare(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or XLSX export.")],
    group: Annotated[str, typer.Option("--group", "-g", help="Column holding the groups.")],
    items: Annotated[
        str, typer.Option("--items", "-i", help="Comma-separated rating columns to compare.")
    ],
    scale_min: Annotated[float, typer.Option(help="Lowest valid rating.")] = 1,
    scale_max: Annotated[float, typer.Option(help="Highest valid rating.")] = 5,
    top_box: Annotated[
        float | None,
        typer.Option(help="Ratings at or above this are 'top box' (default: top two)."),
    ] = None,
    na_value: NaValueOption = None,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence level of the intervals.")
    ] = 0.95,
    drop_invalid: Annotated[
        bool,
        typer.Option("--drop-invalid", help="Drop non-numeric or out-of-scale values (counted)."),
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Compare the groups of one column on rating items: means with intervals,
    top-box shares, Welch and Mann–Whitney tests (Holm-adjusted), Hedges' g and
    Cliff's delta."""
    import numpy as np
    import pandas as pd

    from cxgap.analysis.perception.gaps import gap_matrix
    from cxgap.ingest.quick import read_quick_table, resolve_columns
    from cxgap.ingest.tables import numeric_column

    names = [c.strip() for c in items.split(",") if c.strip()]
    if not names:
        raise AnalysisError("--items needs at least one column name")
    if scale_min >= scale_max:
        raise AnalysisError("--scale-min must be below --scale-max")
    frame = read_quick_table(file)
    actual = dict(zip([group, *names], resolve_columns(frame, [group, *names]), strict=True))
    frame = mask_na(frame, [actual[c] for c in names], na_value)
    data = pd.DataFrame({group: group_labels(frame[actual[group]])})
    dropped: dict[str, int] = {}
    problems = []
    for col in names:
        try:
            values, n_bad = numeric_column(
                frame, actual[col], low=scale_min, high=scale_max, drop_invalid=drop_invalid
            )
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        data[col] = values.to_numpy(dtype=float, na_value=np.nan)
        dropped[col] = n_bad
    if problems:
        raise InputError(problems)
    result = gap_matrix(
        data,
        group=group,
        items=names,
        confidence=confidence,
        top_box_min=scale_max - 1 if top_box is None else top_box,
        scale=(scale_min, scale_max),
    )
    if json_:
        print_json({**result.to_json_dict(), "dropped_invalid": dropped})
        return
    _render(result, dropped)
