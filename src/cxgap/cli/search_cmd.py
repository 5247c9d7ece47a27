"""``cxgap search``: keyword in context over a study's open answers and
discovery-interview notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, print_json, settings_from

if TYPE_CHECKING:
    from cxgap.analysis.voice.search import Hit, SearchResult


def _who(h: Hit) -> str:
    if h.source == "interview":
        parts = ["interview", h.segment, h.account_id]
    elif h.audience == "customer":
        parts = ["customer", h.segment, h.account_id]
    elif h.source == "workshop":
        parts = ["leadership workshop"]
    else:
        parts = [h.audience, h.team]
    return " · ".join(p for p in parts if p)


def _context(h: Hit, window: int) -> Text:
    """The hit in context, the match highlighted; text from the answers is
    never read as markup."""
    left = " ".join(h.left.split())
    right = " ".join(h.right.split())
    return Text.assemble(
        "…" if len(h.left) >= window else "",
        left + (" " if h.left[-1:].isspace() else ""),
        (h.match, "bold reverse"),
        (" " if h.right[:1].isspace() else "") + right,
        "…" if len(h.right) >= window else "",
    )


def _print(slug: str, r: SearchResult, window: int) -> None:
    from rich.table import Table

    console.print(
        f"{', '.join(r.terms)} in {slug}: {r.n_hits:,} hit(s) in {r.n_answers_matched:,} of "
        f"{r.n_answers_searched:,} answer(s) searched."
    )
    if r.suppressed_reason:
        console.print(r.suppressed_reason + ".")
    if not r.hits:
        return
    table = Table("who", "wave", "question", "in context")
    for h in r.hits:
        table.add_row(_who(h), h.wave or "–", h.question, _context(h, window))
    console.print(table)
    if r.truncated:
        console.print(f"Showing the first {len(r.hits)} hits: --limit N for more, or --json.")


@app.command()
def search(
    slug: Annotated[str, typer.Argument(help="The study.")],
    query: Annotated[
        str,
        typer.Argument(
            help='Words that must all occur, each at a word start ("resolv" finds '
            '"resolved"); "a phrase" in double quotes.'
        ),
    ],
    wave: Annotated[str | None, typer.Option(help="Only this wave (default: all).")] = None,
    audience: Annotated[
        str | None, typer.Option(help="Only customer, staff or leadership answers.")
    ] = None,
    question: Annotated[
        list[str] | None,
        typer.Option(
            "--question",
            "-q",
            help="Only this open question (e.g. improve; `interview` for the notes); "
            "repeat for more.",
        ),
    ] = None,
    segment: Annotated[str | None, typer.Option(help="Only this customer segment.")] = None,
    team: Annotated[str | None, typer.Option(help="Only this staff team (touchpoint key).")] = None,
    interviews: Annotated[
        bool,
        typer.Option(
            "--interviews/--no-interviews", help="Search the discovery-interview notes too."
        ),
    ] = True,
    window: Annotated[
        int, typer.Option(min=10, max=500, help="Characters of context on each side.")
    ] = 60,
    limit: Annotated[int, typer.Option(min=1, help="Most hits shown.")] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Keyword in context over a study's open answers and interview notes.

    Staff teams below the study's anonymity threshold are never quoted (they
    are counted); names, e-mail addresses and phone numbers are masked."""
    from cxgap.service.search import search_study
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database:
        result = search_study(
            database,
            slug,
            query,
            wave=wave,
            audience=audience,
            questions=question,
            segment=segment,
            team=team,
            interviews=interviews,
            window=window,
            limit=limit,
        )
    if json:
        print_json(result.to_json_dict())
    else:
        _print(slug, result, window)
