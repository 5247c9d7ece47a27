"""``cxgap actions``: the action plan — list, add, update, propose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, fmt, print_json, settings_from
from cxgap.contracts.choices import STATUSES

if TYPE_CHECKING:
    from cxgap.store.actions import ActionItem

actions_app = typer.Typer(
    help="The action plan: list, add, update and propose items.", no_args_is_help=True
)
app.add_typer(actions_app, name="actions")

StatusHelp = f"One of: {', '.join(STATUSES)}."


def _table(items: list[ActionItem]) -> None:
    from rich.table import Table

    t = Table("id", "title", "factor", "touchpoint", "priority", "owner", "due", "status")
    for a in items:
        t.add_row(
            str(a.id),
            a.title,
            a.factor or "–",
            a.touchpoint or "–",
            fmt(a.priority),
            a.owner or "–",
            str(a.due_on or "–"),
            a.status,
        )
    console.print(t)


@actions_app.command("list")
def actions_list(
    slug: Annotated[str, typer.Argument(help="The study.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The study's action plan, highest priority first."""
    from cxgap.store.actions import list_actions
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        items = list_actions(database, slug)
    if json:
        print_json([a.model_dump(mode="json") for a in items])
    elif not items:
        console.print(
            "The plan is empty: `cxgap actions propose SLUG` adds the top "
            "candidates, `cxgap actions add SLUG TITLE` your own."
        )
    else:
        _table(items)


@actions_app.command("add")
def actions_add(
    slug: Annotated[str, typer.Argument(help="The study.")],
    title: Annotated[str, typer.Argument(help="What will be done.")],
    factor: Annotated[str | None, typer.Option(help="Factor key it should move.")] = None,
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint key.")] = None,
    owner: Annotated[str | None, typer.Option(help="Who owns it.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date YYYY-MM-DD.")] = None,
    baseline_wave: Annotated[
        str | None, typer.Option(help="Wave whose gap it should close.")
    ] = None,
    status: Annotated[str, typer.Option(help=StatusHelp)] = "accepted",
    description: Annotated[str, typer.Option(help="Longer description.")] = "",
    db: DbOption = None,
) -> None:
    """Add an item to the plan."""
    from cxgap.store.actions import add_action, parse_action
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    item = parse_action(
        {
            "title": title,
            "factor": factor,
            "touchpoint": touchpoint,
            "owner": owner,
            "due_on": due,
            "baseline_wave": baseline_wave,
            "status": status,
            "description": description,
        }
    )
    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        added = add_action(database, slug, item)
    console.print(f"Added action {added.id}: {added.title}")


@actions_app.command("update")
def actions_update(
    slug: Annotated[str, typer.Argument(help="The study.")],
    action_id: Annotated[int, typer.Argument(help="The action's id (see `actions list`).")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    owner: Annotated[str | None, typer.Option(help="New owner.")] = None,
    due: Annotated[str | None, typer.Option(help="New due date YYYY-MM-DD.")] = None,
    status: Annotated[str | None, typer.Option(help=StatusHelp)] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    db: DbOption = None,
) -> None:
    """Change an item: accept or drop it, edit it, assign an owner and a due date."""
    from cxgap.store.actions import update_action
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "title": title,
            "owner": owner,
            "status": status,
            "description": description,
        }.items()
        if v is not None
    }
    if due is not None:
        changes["due_on"] = due or None
    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        updated = update_action(database, slug, action_id, **changes)
    console.print(
        f"Updated action {action_id}: {updated.title} — {updated.status}"
        + (f", owner {updated.owner}" if updated.owner else "")
        + (f", due {updated.due_on}" if updated.due_on else "")
    )


@actions_app.command("propose")
def actions_propose(
    slug: Annotated[str, typer.Argument(help="The study.")],
    top: Annotated[int, typer.Option(min=1, help="How many candidates to add.")] = 5,
    wave: Annotated[str | None, typer.Option(help="Wave key (default: the latest).")] = None,
    db: DbOption = None,
) -> None:
    """Add the highest-priority candidate actions (factor × touchpoint) to the plan
    as proposed items, each with its evidence."""
    from cxgap.service.studies import propose_actions
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database:
        added = propose_actions(database, slug, wave=wave, top=top)
    if not added:
        console.print("No new candidates: the plan already holds the top ones.")
        return
    _table(added)
