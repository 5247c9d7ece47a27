"""``cxgap cases``: close the loop — open cases by the study's rules, work
them, close them with the outcome, tell the customer, notify the owners."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from cxgap.cli._app import app
from cxgap.cli._common import DbOption, JsonOption, console, print_json, settings_from
from cxgap.errors import FieldError

if TYPE_CHECKING:
    from cxgap.store.cases import Case

cases_app = typer.Typer(
    help="Close the loop: cases opened by the study's rules for the account's owner "
    "(list, show, update, close, tell the customer, scan, notify, subscribe).",
    no_args_is_help=True,
)
app.add_typer(cases_app, name="cases")

SlugArg = Annotated[str, typer.Argument(help="The study.")]
NumberArg = Annotated[int, typer.Argument(help="The case number (see `cases list`).")]
AuthorOption = Annotated[
    str, typer.Option(help="Who makes the change (recorded in the case's history).")
]


def _day(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise FieldError(option, f"{option} {value!r}: expected a date YYYY-MM-DD") from None
    return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)


def _table(cases: list[Case]) -> None:
    from rich.table import Table

    t = Table("#", "priority", "status", "due", "owner", "title")
    for c in cases:
        due = f"{c.due_at:%Y-%m-%d}" + (" OVERDUE" if c.overdue else "")
        t.add_row(
            str(c.number),
            c.priority,
            c.status,
            due,
            c.owner or "–",
            c.title,
        )
    console.print(t)


def _open_db(db: str | None):  # type: ignore[no-untyped-def]
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    database = Database.open(settings_from(db))
    ensure_schema(database, create=False)
    return database


@cases_app.command("list")
def cases_list(
    slug: SlugArg,
    status: Annotated[
        list[str] | None,
        typer.Option(help="Only these statuses (new, acknowledged, in_progress, closed)."),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's cases.")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account's (its id).")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only cases not closed.")] = False,
    overdue: Annotated[bool, typer.Option(help="Only overdue cases.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The study's cases: overdue first, then by due date."""
    from cxgap.store.cases import list_cases

    with _open_db(db) as database:
        cases = list_cases(
            database,
            slug,
            status=status,
            owner=owner,
            account=account,
            open_only=open_only,
            overdue=overdue,
        )
    if json:
        print_json([c.model_dump(mode="json", exclude={"contact_email"}) for c in cases])
    elif not cases:
        console.print("No cases. `cxgap cases scan SLUG` opens those the study's rules call for.")
    else:
        _table(cases)
        late = sum(c.overdue for c in cases)
        console.print(f"{len(cases)} cases, {late} overdue.")


@cases_app.command("show")
def cases_show(
    slug: SlugArg, number: NumberArg, db: DbOption = None, json: JsonOption = False
) -> None:
    """One case: trigger, evidence, owner, root cause, history and notifications."""
    from cxgap.store.cases import get_case

    with _open_db(db) as database:
        case = get_case(database, slug, number)
    if json:
        print_json(case.model_dump(mode="json"))
        return
    console.print(f"Case #{case.number} [{case.priority}] {case.status}: {case.title}")
    console.print(
        f"Account {case.account_name or case.account or '–'} · contact {case.contact} · "
        f"owner {case.owner or 'nobody'} · rule {case.rule_key}"
    )
    due = f"{case.due_at:%Y-%m-%d %H:%M} UTC" + (" (OVERDUE)" if case.overdue else "")
    console.print(f"Opened {case.opened_at:%Y-%m-%d}, due {due}")
    ev = case.evidence
    if "text" in ev:
        console.print(f'They wrote: "{ev["text"]}" (sentiment {ev.get("sentiment")})')
    if "ltr" in ev:
        console.print(f"Likelihood to recommend: {ev['ltr']:g}")
    if "reason_labels" in ev:
        console.print("Reasons to leave: " + ", ".join(ev["reason_labels"]))
    for other in ev.get("also", []):
        console.print(f"Also: {other['title']}")
    led = ev.get("ledger")
    if led:
        console.print(
            f"Balance {led['balance']:.1f} (threshold {led['threshold']:.1f}, "
            f"{'below' if led['below_threshold'] else 'above'}) on {led['balance_as_of'][:10]}"
        )
        for d in led.get("largest_debits", []):
            console.print(
                f"  debit {d['timestamp'][:10]} {d['touchpoint'] or '–'} / {d['moment']}: "
                f"{d['contribution']:.2f}, {d['weight_now']:.2f} today"
                + (" (compounded)" if d["compounded"] else "")
            )
    root = [x for x in (case.root_factor, case.root_touchpoint, case.root_moment) if x]
    console.print("Root cause: " + (" / ".join(root) if root else "not coded yet"))
    if case.resolution:
        console.print(f"Outcome: {case.resolution}, closed {case.closed_at:%Y-%m-%d}")
    if case.loop_closed_at:
        console.print(f"Customer heard back on {case.loop_closed_at:%Y-%m-%d}")
    for e in case.entries:
        console.print(f"  {e.at:%Y-%m-%d %H:%M} {e.author}: {e.text.splitlines()[0]}")
    for n in case.notifications:
        console.print(
            f"  notified {n.channel} {n.target}: {n.status}" + (f" ({n.error})" if n.error else "")
        )


@cases_app.command("update")
def cases_update(
    slug: SlugArg,
    number: NumberArg,
    status: Annotated[
        str | None, typer.Option(help="new, acknowledged, in_progress or closed.")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="New owner (name or e-mail).")] = None,
    note: Annotated[str | None, typer.Option(help="A note for the history.")] = None,
    factor: Annotated[str | None, typer.Option(help="Root cause: factor key.")] = None,
    touchpoint: Annotated[str | None, typer.Option(help="Root cause: touchpoint key.")] = None,
    moment: Annotated[str | None, typer.Option(help="Root cause: moment key.")] = None,
    outcome: Annotated[
        str | None, typer.Option(help="Closing: exceeded, met or failed for the customer.")
    ] = None,
    severity: Annotated[
        int | None, typer.Option(help="Closing as failed: severity 1-3 (default 2).")
    ] = None,
    author: AuthorOption = "cli",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Change a case: status, owner, root cause, a note; an outcome closes it
    and records it in the account's ledger."""
    from cxgap.store.cases import update_case

    with _open_db(db) as database:
        case = update_case(
            database,
            slug,
            number,
            author=author,
            status=status,
            owner=owner,
            note=note,
            root_factor=factor,
            root_touchpoint=touchpoint,
            root_moment=moment,
            resolution=outcome,
            severity=severity,
        )
    if json:
        print_json(case.model_dump(mode="json"))
    else:
        console.print(
            f"Case #{case.number}: {case.status}"
            + (f" ({case.resolution})" if case.resolution else "")
        )


@cases_app.command("close")
def cases_close(
    slug: SlugArg,
    number: NumberArg,
    outcome: Annotated[str, typer.Option(help="exceeded, met or failed for the customer.")],
    touchpoint: Annotated[str | None, typer.Option(help="Root cause: touchpoint key.")] = None,
    moment: Annotated[str | None, typer.Option(help="Root cause: moment key.")] = None,
    factor: Annotated[str | None, typer.Option(help="Root cause: factor key.")] = None,
    note: Annotated[str | None, typer.Option(help="What was done.")] = None,
    severity: Annotated[
        int | None, typer.Option(help="Outcome failed: severity 1-3 (default 2).")
    ] = None,
    author: AuthorOption = "cli",
    db: DbOption = None,
) -> None:
    """Close a case with its outcome and root cause; the ledger records the outcome."""
    from cxgap.store.cases import update_case

    with _open_db(db) as database:
        case = update_case(
            database,
            slug,
            number,
            author=author,
            status="closed",
            note=note,
            root_factor=factor,
            root_touchpoint=touchpoint,
            root_moment=moment,
            resolution=outcome,
            severity=severity,
        )
    console.print(
        f"Case #{case.number} closed ({case.resolution}); the account's ledger records it."
        if case.account
        else f"Case #{case.number} closed ({case.resolution})."
    )


@cases_app.command("tell-customer")
def cases_tell(
    slug: SlugArg,
    number: NumberArg,
    message: Annotated[
        str | None, typer.Option(help="What was done (the default says the team took it up).")
    ] = None,
    author: AuthorOption = "cli",
    db: DbOption = None,
) -> None:
    """Close the loop: e-mail the case's contact (SMTP settings of the config)
    and record it in the case."""
    from cxgap.notify.loop import close_the_loop

    settings = settings_from(db)
    with _open_db(db) as database:
        case = close_the_loop(database, settings, slug, number, author=author, message=message)
    console.print(f"E-mailed {case.contact} about case #{case.number}; recorded in its history.")


@cases_app.command("scan")
def cases_scan(
    slug: SlugArg,
    as_of: Annotated[
        str | None, typer.Option(help="Scan up to this day YYYY-MM-DD (default: now).")
    ] = None,
    lookback: Annotated[
        int | None, typer.Option(min=1, help="Days back (default: the study's lookback_days).")
    ] = None,
    deliver: Annotated[
        bool, typer.Option(help="Deliver the new cases' notifications at once.")
    ] = True,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Open the cases the study's rules call for in the last days (answers,
    accounts below their threshold, bursts of failures) and tell the people
    of cases that went past their due date. Safe to run again."""
    from cxgap.service.cases import scan_cases

    settings = settings_from(db)
    with _open_db(db) as database:
        result = scan_cases(
            database,
            slug,
            base_url=settings.base_url,
            as_of=_day(as_of, "--as-of"),
            lookback_days=lookback,
        )
        run = None
        if deliver and result.notifications:
            from cxgap.notify.outbox import deliver_outbox

            run = deliver_outbox(database, settings, slug=slug, digests=False)
    if json:
        print_json(
            {
                "since": result.since.isoformat(),
                "as_of": result.as_of.isoformat(),
                "considered": result.considered,
                "opened": result.opened,
                "overdue": result.overdue,
                "notifications": result.notifications,
                "delivered": run.delivered if run else 0,
                "failed": run.failed if run else 0,
                "errors": run.errors if run else [],
            }
        )
        return
    console.print(
        f"Scanned {result.since:%Y-%m-%d} to {result.as_of:%Y-%m-%d}: {len(result.opened)} new "
        f"case(s), {len(result.overdue)} newly overdue, {result.notifications} "
        "notification(s) queued."
    )
    if run is not None:
        console.print(f"Delivered {run.delivered}, failed {run.failed}, retrying {run.retrying}.")
        for e in run.errors[:10]:
            console.print(f"  {e}")


@cases_app.command("notify")
def cases_notify(
    slug: Annotated[str | None, typer.Argument(help="Only this study (default: all).")] = None,
    digest_now: Annotated[
        bool, typer.Option("--digest-now", help="Send the digests now, not once a day.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Put failed notifications back first.")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Deliver the notifications that are due (run it every few minutes, e.g. from cron)."""
    from cxgap.notify.outbox import deliver_outbox
    from cxgap.store.notifications import retry_failed as requeue

    settings = settings_from(db)
    with _open_db(db) as database:
        if retry_failed:
            if slug is None:
                raise FieldError(
                    "slug", "--retry-failed needs the study: cxgap cases notify SLUG --retry-failed"
                )
            requeue(database, slug, now=datetime.now(UTC))
        run = deliver_outbox(database, settings, slug=slug, force_digest=digest_now)
    if json:
        print_json(run.__dict__)
        return
    console.print(
        f"Delivered {run.delivered}, failed {run.failed}, retrying later {run.retrying}"
        f" ({run.digests} digest(s))."
    )
    for e in run.errors[:20]:
        console.print(f"  {e}")


@cases_app.command("subscribe")
def cases_subscribe(
    slug: SlugArg,
    channel: Annotated[str, typer.Option(help="email, slack, teams or webhook.")],
    target: Annotated[str, typer.Option(help="E-mail address or webhook URL.")],
    user: Annotated[
        str | None, typer.Option(help="The user (e-mail) it is for; needed for --scope mine.")
    ] = None,
    scope: Annotated[str, typer.Option(help="mine (the user's cases) or all.")] = "mine",
    rule: Annotated[
        list[str] | None, typer.Option(help="Only cases of this rule (repeatable).")
    ] = None,
    mode: Annotated[str, typer.Option(help="immediate or digest (daily).")] = "immediate",
    secret: Annotated[
        str | None, typer.Option(help="HMAC-SHA256 key to sign a generic webhook's posts.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Send a study's cases to an e-mail address, Slack, Teams or a webhook."""
    from cxgap.notify.channels import validate_channel
    from cxgap.store.notifications import add_rule
    from cxgap.store.studies import load_study

    checked = validate_channel(channel, target, secret=secret)
    with _open_db(db) as database:
        study = load_study(database, slug)
        rule_id = add_rule(
            database,
            slug,
            channel=checked.kind,
            target=checked.target,
            user_email=user,
            secret=secret,
            rule_keys=rule or [],
            scope=scope,
            mode=mode,
            known_rules=[r.key for r in study.cases.rules],
        )
    console.print(f"Subscription {rule_id}: {checked.describe()} ({scope}, {mode}).")


@cases_app.command("subscriptions")
def cases_subscriptions(slug: SlugArg, db: DbOption = None, json: JsonOption = False) -> None:
    """The study's notification subscriptions."""
    from cxgap.store.notifications import list_rules

    with _open_db(db) as database:
        rules = list_rules(database, slug)
    if json:
        print_json([r.model_dump(mode="json") for r in rules])
        return
    from rich.table import Table

    t = Table("id", "channel", "target", "user", "scope", "rules", "mode")
    for r in rules:
        t.add_row(
            str(r.id),
            r.channel,
            r.target,
            r.user or "–",
            r.scope,
            ", ".join(r.rule_keys) or "all",
            r.mode,
        )
    console.print(t)


@cases_app.command("unsubscribe")
def cases_unsubscribe(
    slug: SlugArg,
    rule_id: Annotated[int, typer.Argument(help="The subscription's id.")],
    db: DbOption = None,
) -> None:
    """Remove a subscription (its past notifications stay in the log)."""
    from cxgap.store.notifications import remove_rule

    with _open_db(db) as database:
        remove_rule(database, slug, rule_id)
    console.print(f"Removed subscription {rule_id}.")
