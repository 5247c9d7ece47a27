"""``cxgap themes``: the themes of a text column of any CSV/TSV/XLSX file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import JsonOption, console, err_console, fmt, print_json
from cxgap.contracts.choices import Engine
from cxgap.contracts.numbers import p_text
from cxgap.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from cxgap.analysis.voice.themes import ThemeAnalysis


def _check_text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    import pandas as pd

    from cxgap.ingest.tables import without_missing_tokens

    source = str(frame.attrs.get("source", "<data>"))
    values = without_missing_tokens(frame[column])
    filled = values.dropna().astype(str).str.strip()
    filled = filled[filled != ""]
    if filled.empty:
        raise InputError(
            [Problem(source, None, column, None, "a column of text answers (it is empty)")]
        )
    numeric = pd.to_numeric(filled, errors="coerce").notna().mean()
    if numeric >= 0.9:
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    column,
                    filled.iloc[0],
                    f"a column of text answers ({numeric:.0%} of its cells are numbers)",
                )
            ]
        )
    return values


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _write_assignments(path: Path, frame: pd.DataFrame, result: ThemeAnalysis) -> None:
    from cxgap.contracts.cells import write_safe_csv
    from cxgap.ingest.tables import file_row

    labels = {t.id: t.label for t in result.themes}
    rows = (
        [file_row(frame, pos), theme or "", labels.get(theme or "", "")]
        for pos, theme in enumerate(result.assignments)
    )
    write_safe_csv(path, ["row", "theme", "label"], rows)


def _print_table(result: ThemeAnalysis, group: str | None) -> None:
    from rich.table import Table

    title = f"Themes of {result.n} answers (k = {result.k} topics, {result.k_chosen_by}"
    if len(result.themes) > result.k:
        title += f"; {len(result.themes) - result.k} split into complaints and the rest"
    table = Table(title=title + ")")
    table.add_column("id")
    table.add_column("theme")
    table.add_column("answers", justify="right")
    table.add_column("share (95% CI)", justify="right")
    table.add_column("sentiment", justify="right")
    groups = sorted(result.themes[0].share_by_group) if result.themes and group else []
    for g in groups:
        table.add_column(g, justify="right")
    for t in result.themes:
        share = t.share
        cells = [
            t.id,
            t.label,
            str(t.size),
            f"{fmt(100 * (share.share or 0), 0)}% ({fmt(100 * (share.ci_low or 0), 0)}–"
            f"{fmt(100 * (share.ci_high or 0), 0)})",
            fmt(t.sentiment.mean if t.sentiment else None),
        ]
        for g in groups:
            s = t.share_by_group[g]
            cells.append("–" if s.share is None else f"{100 * s.share:.0f}% of {s.n}")
        table.add_row(*cells)
    console.print(table)
    for t in result.themes:
        for q in t.quotes:
            who = f" ({q.group})" if q.group else ""
            console.print(f"  {t.id}{who}: “{q.text}”")
    if result.divergence is not None:
        d = result.divergence
        console.print(
            f"Divergence between groups: JSD {d.jsd:.3f} bits, permutation {p_text(d.p_value)}"
        )
        for sentence in d.disparities[:8]:
            console.print(f"  • {sentence}")
    for note in result.notes:
        console.print(f"Note: {note}")


@app.command()
def themes(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or XLSX file with one answer per row.")],
    text_column: Annotated[str, typer.Option("--text-column", help="Column holding the answers.")],
    group: Annotated[
        str | None,
        typer.Option("--group", help="Column of groups (e.g. audience) to compare."),
    ] = None,
    n_themes: Annotated[
        int | None,
        typer.Option(
            "--themes", min=1, max=50, help="Number of themes (default: chosen by stability)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (results repeat).")] = 0,
    assignments: Annotated[
        Path | None,
        typer.Option("--assignments", help="Write each row's theme to this CSV file."),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="tfidf-nmf (default) or embeddings (needs pip install 'cxgap[embeddings]').",
        ),
    ] = "tfidf-nmf",
    json_output: JsonOption = False,
) -> None:
    """Find the themes of a column of open answers: labels, sizes, sentiment,
    representative quotes, and how groups differ."""
    import pandas as pd
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cxgap.analysis.voice.themes import find_themes
    from cxgap.ingest.quick import read_quick_table, resolve_columns

    frame = read_quick_table(file)
    text_column = resolve_columns(frame, [text_column])[0]
    if group:
        group = resolve_columns(frame, [group])[0]
    texts = _check_text_column(frame, text_column)
    groups = None
    if group:
        groups = [None if pd.isna(g) else str(g).strip() or None for g in frame[group]]
        if all(g is None or _is_number(g) for g in groups):
            # "rating 5 raise ..." reads better than "5 raise ..."
            groups = [None if g is None else f"{group} {g}" for g in groups]
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=json_output or not err_console.is_terminal,
    ) as progress:
        progress.add_task(f"Theming {len(frame)} answers", total=None)
        result = find_themes(
            texts.tolist(), groups=groups, n_themes=n_themes, seed=seed, engine=engine
        )
    if assignments is not None:
        _write_assignments(assignments, frame, result)
    if json_output:
        out = result.to_json_dict()
        if out.get("divergence") is None:
            out.pop("divergence", None)
        if assignments is not None:
            out["assignments_file"] = str(assignments)
        print_json(out)
        return
    _print_table(result, group)
    if assignments is not None:
        console.print(f"Wrote the theme of each row to {assignments}")
