"""``cxgap invite``: personal and anonymous survey links, open team links, reminders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from typer.core import TyperGroup

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, err_console, settings_from
from cxgap.errors import ConfigError
from cxgap.invite.contacts import read_contacts
from cxgap.invite.links import links_csv
from cxgap.invite.mail import send_links
from cxgap.settings import Settings, env_var, option_help
from cxgap.store.db import Database
from cxgap.store.invitations import (
    IssuedLink,
    create_anonymous_link,
    create_invitations,
    reissue_unanswered,
)
from cxgap.store.migrate import ensure_schema
from cxgap.store.studies import load_study


class _InviteGroup(TyperGroup):
    """``cxgap invite SLUG ...`` runs ``invite create SLUG ...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["create", *args]
        return super().parse_args(ctx, args)


invite_app = typer.Typer(
    cls=_InviteGroup,
    help="Create survey links, one per person (cxgap invite SLUG ...; --anonymous "
    "stores the answers without the person), open team links, and reminders.",
    no_args_is_help=True,
)
app.add_typer(invite_app, name="invite")

BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help=option_help("base_url"),
        show_default=False,
    ),
]
#: What sending e-mail needs, as the messages name it.
_SMTP_NEEDED = f"{env_var('smtp_host')} and {env_var('smtp_from')}"
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write the links as CSV for a mail merge (default: print them)."),
]


def _settings(db: str | None, base_url: str | None) -> Settings:
    settings = settings_from(db)
    if base_url:
        settings = settings.model_copy(update={"base_url": base_url.rstrip("/")})
    return settings


def _write_links(links: list[IssuedLink], base_url: str, out: Path | None) -> None:
    text = links_csv(links, base_url)
    if out is None:
        typer.echo(text, nl=False)
    else:
        # UTF-8 with a BOM: Excel and mail-merge tools open it with the right accents.
        out.write_text(text, encoding="utf-8-sig")
        err_console.print(f"Wrote {len(links)} link(s) to {out} (keep it private).")


def _send(
    settings: Settings, database: Database, slug: str, links: list[IssuedLink], reminder: bool
) -> None:
    study = load_study(database, slug)
    total = sum(1 for link in links if link.email)
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("Sending", total=total)
        sent = send_links(
            settings,
            database,
            links,
            study_name=study.name,
            reminder=reminder,
            on_sent=lambda _: progress.advance(task),
        )
    err_console.print(f"Sent {sent} e-mail(s) through {settings.smtp_host}.")


@invite_app.command("create")
def invite_create(
    slug: Annotated[str, typer.Argument(help="The study.")],
    audience: Annotated[str, typer.Option(help="customer, staff or leadership.")],
    wave: Annotated[str, typer.Option(help="The wave these links answer.")],
    contacts: Annotated[
        Path,
        typer.Option(
            help="CSV/XLSX with an email column and optionally name, respondent_id, "
            "segment (customers), team (staff, leadership), account_id."
        ),
    ],
    out: OutOption = None,
    send: Annotated[bool, typer.Option("--send", help="E-mail each link (SMTP settings).")] = False,
    anonymous: Annotated[
        bool,
        typer.Option(
            "--anonymous",
            help="Staff and leadership: store each answer without the person (only "
            "audience and team); each link still answers once and counts toward the "
            "anonymity threshold.",
        ),
    ] = False,
    base_url: BaseUrlOption = None,
    db: DbOption = None,
) -> None:
    """One private, unguessable link per contact (the same as `cxgap invite SLUG ...`)."""
    settings = _settings(db, base_url)
    people = read_contacts(contacts)
    if send and not (settings.smtp_host and settings.smtp_from):
        raise ConfigError(f"--send needs {_SMTP_NEEDED}")
    with Database.open(settings) as database:
        ensure_schema(database, create=False)
        batch = create_invitations(
            database,
            slug,
            audience=audience,
            wave=wave,
            contacts=people,
            file=str(contacts),
            anonymous=anonymous,
        )
        kind = "anonymous " if anonymous else ""
        err_console.print(f"Created {len(batch.links)} {kind}{audience} link(s) for wave {wave}.")
        if anonymous:
            err_console.print(
                "One per person; the answers are stored without the person (only audience "
                "and team)."
            )
        if batch.skipped:
            err_console.print(
                f"Skipped {len(batch.skipped)} contact(s) already invited to wave {wave} "
                "(their link cannot be shown again; `cxgap invite remind` issues a new one)."
            )
        _write_links(batch.links, settings.base_url, out)
        if send and batch.links:
            _send(settings, database, slug, batch.links, reminder=False)


@invite_app.command("remind")
def invite_remind(
    slug: Annotated[str, typer.Argument(help="The study.")],
    wave: Annotated[str, typer.Option(help="The wave to remind about.")],
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="E-mail the reminders (default).")
    ] = True,
    out: OutOption = None,
    base_url: BaseUrlOption = None,
    db: DbOption = None,
) -> None:
    """A fresh link for everyone invited who has not submitted yet (earlier
    links keep working), e-mailed unless --no-send."""
    settings = _settings(db, base_url)
    if send and not (settings.smtp_host and settings.smtp_from):
        raise ConfigError(
            f"reminders are e-mailed: set {_SMTP_NEEDED}, or use --no-send --out FILE"
        )
    with Database.open(settings) as database:
        ensure_schema(database, create=False)
        links = reissue_unanswered(database, slug, wave=wave)
        err_console.print(f"{len(links)} invited respondent(s) have not answered wave {wave}.")
        if out is not None or not send:
            _write_links(links, settings.base_url, out)
        if send and links:
            _send(settings, database, slug, links, reminder=True)


@invite_app.command("anonymous")
def invite_anonymous(
    slug: Annotated[str, typer.Argument(help="The study.")],
    wave: Annotated[str, typer.Option(help="The wave.")],
    team: Annotated[str, typer.Option(help="The team (a touchpoint key, e.g. support).")],
    audience: Annotated[str, typer.Option(help="staff or leadership.")] = "staff",
    base_url: BaseUrlOption = None,
    db: DbOption = None,
) -> None:
    """One open link shared by a whole team: no name, e-mail, IP address or
    user agent is stored with the answers. Anyone with it can answer, as often
    as they like, so its answers never count toward the anonymity threshold
    (`cxgap invite SLUG --anonymous` gives each person their own)."""
    settings = _settings(db, base_url)
    with Database.open(settings) as database:
        ensure_schema(database, create=False)
        link = create_anonymous_link(database, slug, wave=wave, team=team, audience=audience)
    err_console.print(
        f"Open link for {audience} team {team}, wave {wave} (shared by the team: its "
        "answers never count toward the anonymity threshold):"
    )
    typer.echo(link.url(settings.base_url))
