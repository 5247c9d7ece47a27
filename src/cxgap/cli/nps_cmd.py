"""``cxgap nps FILE.csv --column C``: NPS with its interval from any export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

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
    import numpy as np
    import pandas as pd

    from cxgap.analysis.perception.nps import NpsEstimate, NpsGroup, NpsMethod


def group_labels(column: pd.Series) -> np.ndarray:
    """Group labels as an object array: text stripped, empty cells ``None``.

    Strips the distinct labels only (not every cell), so a million-row column
    costs one factorisation.
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(column, sort=False)
    names = [str(u).strip() or None for u in uniques]
    return np.array([*names, None], dtype=object)[codes]


def _interval(est: NpsEstimate | NpsGroup) -> str:
    if est.nps is None:
        return "no answers"
    if est.ci_low is None or est.ci_high is None:
        return est.note or f"too few answers (n={est.n}) for an interval"
    return f"{fmt(est.ci_low, 1)} to {fmt(est.ci_high, 1)}"


@app.command()
def nps(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or XLSX export.")],
    column: Annotated[
        str, typer.Option("--column", "-c", help="Column of 0-10 likelihood-to-recommend answers.")
    ],
    by: Annotated[str | None, typer.Option("--by", help="Column to group answers by.")] = None,
    method: Annotated[
        str,
        typer.Option(
            help="Interval method: adjusted-wald (Rocks 2016), wald, bootstrap or "
            "wilson-effective-n (bounded mean of +1/0/-1)."
        ),
    ] = "wilson-effective-n",
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence level of the interval.")
    ] = 0.95,
    min_n: Annotated[
        int, typer.Option("--min-n", min=1, help="Fewest answers for which an interval is shown.")
    ] = 2,
    drop_invalid: Annotated[
        bool,
        typer.Option(
            "--drop-invalid", help="Drop values that are not whole numbers 0-10 (and count them)."
        ),
    ] = False,
    scale_checked: Annotated[
        bool,
        typer.Option(
            "--scale-checked",
            help="The column is 0-10 even though no answer is above 5 (else refused).",
        ),
    ] = False,
    na_value: NaValueOption = None,
    json_: JsonOption = False,
) -> None:
    """Net Promoter Score of a column of 0-10 answers, with its confidence
    interval (promoters 9-10, passives 7-8, detractors 0-6). The file is
    read as `cxgap import responses` reads it (Qualtrics, SurveyMonkey, ...
    header rows are headers); a column is named by its export name (Q1) or
    its header text."""
    from rich.table import Table

    from cxgap.analysis.perception.nps import (
        NPS_METHODS,
        NpsGroup,
        nps_by_group,
        nps_estimate,
        nps_scale_doubt,
    )
    from cxgap.ingest.quick import read_quick_table, resolve_columns
    from cxgap.ingest.tables import numeric_column

    if method not in NPS_METHODS:
        raise AnalysisError(f"unknown --method {method!r}; use one of {', '.join(NPS_METHODS)}")
    interval = cast("NpsMethod", method)
    frame = read_quick_table(file)
    if by is not None:
        column, by = resolve_columns(frame, [column, by])
    else:
        column = resolve_columns(frame, [column])[0]
    frame = mask_na(frame, [column], na_value)
    scores, dropped = numeric_column(
        frame, column, low=0, high=10, integer=True, drop_invalid=drop_invalid
    )
    if not scores.notna().any():
        raise AnalysisError(f"{file}: column {column!r} has no answers")
    doubt = nps_scale_doubt(scores.to_numpy())
    if doubt is not None and not scale_checked:
        raise AnalysisError(
            f"{file}: column {column!r} is not a 0-10 scale: {doubt}; "
            "pass --scale-checked if it really is 0-10"
        )
    if dropped:
        err_console.print(f"Dropped {dropped} invalid value(s) in column {column!r}.")
    if by is None:
        est = nps_estimate(scores.to_numpy(), method=interval, confidence=confidence, min_n=min_n)
        if json_:
            print_json(est.to_json_dict())
            return
        rows: list[NpsEstimate | NpsGroup] = [est]
    else:
        res = nps_by_group(
            scores.to_numpy(),
            group_labels(frame[by]),
            method=interval,
            confidence=confidence,
            min_n=min_n,
        )
        if json_:
            print_json(res.to_json_dict())
            return
        rows = list(res.groups)
    level = f"{100 * confidence:g}%"
    table = Table(title=f"NPS of {column!r}" + (f" by {by!r}" if by else ""))
    if by:
        table.add_column(by)
    for name in ("n", "promoters", "passives", "detractors", "NPS"):
        table.add_column(name, justify="right")
    table.add_column(f"{level} interval ({method})")
    for r in rows:
        cells = [str(r.n), str(r.promoters), str(r.passives), str(r.detractors), fmt(r.nps, 1)]
        if isinstance(r, NpsGroup):
            cells.insert(0, r.group)
        table.add_row(*cells, _interval(r))
    console.print(table)
