"""``cxgap sentiment``: the sentiment of a text column of any CSV/TSV/XLSX file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from cxgap.cli._app import app
from cxgap.cli._common import JsonOption, console, fmt, print_json
from cxgap.cli.themes_cmd import _check_text_column, _is_number

if TYPE_CHECKING:
    from cxgap.analysis.voice.aspects import GroupSentiment


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _print_groups(groups: list[GroupSentiment], group: str | None, rows: int) -> None:
    from rich.table import Table

    title = f"Sentiment of {sum(g.n for g in groups)} answers"
    if rows:
        title += f" ({rows} empty left out)"
    table = Table(title=title)
    table.add_column(group or "answers")
    table.add_column("n", justify="right")
    table.add_column("mean score (95% CI)", justify="right")
    for lab in ("negative", "neutral", "positive"):
        table.add_column(f"{lab} (95% CI)", justify="right")
    for g in groups:
        s = g.sentiment
        cells = [
            "all" if g.group is None and group is None else str(g.group or "(none)"),
            str(g.n),
            f"{fmt(s.mean)} ({fmt(s.ci_low)}, {fmt(s.ci_high)})",
        ]
        for lab in ("negative", "neutral", "positive"):
            x = g.labels[lab]
            cells.append(f"{_pct(x.share)} ({_pct(x.ci_low)}–{_pct(x.ci_high)})")
        table.add_row(*cells)
    console.print(table)


@app.command()
def sentiment(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or XLSX file with one answer per row.")],
    text_column: Annotated[str, typer.Option("--text-column", help="Column holding the answers.")],
    group: Annotated[
        str | None,
        typer.Option("--group", help="Column of groups (e.g. audience) to summarise by."),
    ] = None,
    competitor: Annotated[
        list[str] | None,
        typer.Option("--competitor", help="A competitor's name (repeatable): an aspect."),
    ] = None,
    rows: Annotated[
        int,
        typer.Option("--rows", min=0, help="Answers listed in the table output (JSON has all)."),
    ] = 10,
    json_output: JsonOption = False,
) -> None:
    """Score each answer (negative, neutral, positive and a score from -1 to +1),
    each sentence and each aspect (factor, touchpoint, moment, competitor), and
    summarise by group with intervals."""
    import pandas as pd
    from rich.table import Table

    from cxgap.analysis.voice.aspects import answer_sentiment, group_sentiment
    from cxgap.analysis.voice.tagging import build_lexicon
    from cxgap.ingest.tables import file_row, read_table, require_columns
    from cxgap.study import default_study

    frame = read_table(file)
    require_columns(frame, [text_column, *([group] if group else [])])
    texts = _check_text_column(frame, text_column).tolist()
    groups = None
    if group:
        groups = [None if pd.isna(g) else str(g).strip() or None for g in frame[group]]
        if all(g is None or _is_number(g) for g in groups):
            groups = [None if g is None else f"{group} {g}" for g in groups]
    lexicon = build_lexicon(default_study("sentiment", organisation="us"))
    answers = answer_sentiment(texts, lexicon=lexicon, competitors=competitor or ())
    summary = group_sentiment(answers, groups)
    n_empty = sum(a.score is None for a in answers)
    if json_output:
        print_json(
            {
                "n": len(answers) - n_empty,
                "n_empty": n_empty,
                "by": group,
                "interval": "mean: Student t, 95%; label shares: Wilson score, 95%",
                "groups": [g.to_json_dict() for g in summary],
                "rows": [
                    {
                        "row": file_row(frame, pos),
                        **({"group": groups[pos]} if groups is not None else {}),
                        **a.to_json_dict(),
                    }
                    for pos, a in enumerate(answers)
                    if a.score is not None
                ],
            }
        )
        return
    _print_groups(summary, group, n_empty)
    listed = [(pos, a) for pos, a in enumerate(answers) if a.score is not None][:rows]
    if listed:
        table = Table(title=f"First {len(listed)} answers")
        table.add_column("row", justify="right")
        table.add_column("label")
        table.add_column("score", justify="right")
        table.add_column("aspects")
        table.add_column("answer")
        for pos, a in listed:
            aspects = ", ".join(f"{x.key} {x.label[:3]}" for x in a.aspects)
            text = str(texts[pos])
            table.add_row(
                str(file_row(frame, pos)),
                str(a.label),
                fmt(a.score),
                escape(aspects),
                escape(text if len(text) <= 120 else text[:119] + "…"),
            )
        console.print(table)
