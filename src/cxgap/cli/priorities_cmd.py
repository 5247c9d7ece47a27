"""``cxgap priorities``: the importance–performance map of a study."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, fmt, print_json, settings_from


@app.command()
def priorities(
    slug: Annotated[str, typer.Argument(help="The study.")],
    importance: Annotated[
        Literal["stated", "derived"],
        typer.Option(
            help="Importance axis: customers' stated importance, or derived "
            "(share of R² of likelihood to recommend)."
        ),
    ] = "stated",
    quadrants: Annotated[
        Literal["means", "midpoints"],
        typer.Option(help="Cross-hairs at the means over factors or at the scale midpoints."),
    ] = "means",
    wave: Annotated[str | None, typer.Option(help="Wave key (default: the latest).")] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap resamples.")] = 1000,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The importance–performance map (Martilla and James 1977): what to fix first,
    with stated vs derived importance and the hidden drivers."""
    from rich.table import Table

    from cxgap.service.studies import priorities as run_priorities
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database:
        result = run_priorities(
            database,
            slug,
            importance=importance,
            wave=wave,
            quadrant_at=quadrants,
            bootstrap=bootstrap,
        )
    if json:
        print_json(result.to_json_dict())
        return
    console.print(
        f"Priorities of {result.study}, wave {result.wave} "
        f"({result.n_customers} customers; importance: {result.importance}, "
        f"quadrants at the {result.quadrant_at})"
    )
    t = Table("factor", "importance [95% CI]", "performance [95% CI] n", "quadrant", "gap rank")
    for f in result.factors:
        p = f.performance
        t.add_row(
            f.label,
            f"{fmt(f.importance)} [{fmt(f.importance_ci_low)}, {fmt(f.importance_ci_high)}]",
            f"{fmt(p.mean)} [{fmt(p.ci_low)}, {fmt(p.ci_high)}] {p.n}",
            f.quadrant or "–",
            str(f.gap_rank or "–"),
        )
    console.print(t)
    for s in result.stated_vs_derived or []:
        if s.verdict in ("hidden driver", "overrated"):
            console.print(
                f"{s.label}: {s.verdict} (stated rank {s.stated_rank}, "
                f"derived rank {s.derived_rank})"
            )
    if result.derived_note:
        console.print(result.derived_note)
