"""``cxgap ledger``: the relationship bank account.

``cxgap ledger FILE.csv`` scores any events file; ``cxgap ledger account SLUG
ACCOUNT`` and ``cxgap ledger alerts SLUG`` work on a study's stored events.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

if TYPE_CHECKING:
    import pandas as pd
import typer

from cxgap.cli._app import DefaultCommandGroup, app
from cxgap.cli._common import DbOption, JsonOption, console, fmt, print_json, settings_from
from cxgap.errors import CxgapError, InputError, Problem

if TYPE_CHECKING:  # the analysis is imported only by the command that runs it
    from cxgap.analysis.ledger.alerts import AlertsResult
    from cxgap.analysis.ledger.risk import AccountDetail, LedgerReport
    from cxgap.store.alerts import AlertRun


def _date(value: str | None, option: str) -> pd.Timestamp | None:
    """A YYYY-MM-DD option as the end of that day (the day counts in full)."""
    import pandas as pd

    if value is None:
        return None
    try:
        day = pd.Timestamp(pd.to_datetime(value, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        raise InputError([Problem(option, None, None, value, "a date YYYY-MM-DD")]) from None
    return day + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def _report_table(report: LedgerReport, limit: int) -> None:
    from rich.table import Table

    t = report.threshold_detail
    auc = (
        f"AUC {fmt(t.auc)} [{fmt(t.auc_ci_low)}, {fmt(t.auc_ci_high)}]"
        if t.auc is not None
        else "no AUC"
    )
    console.print(
        f"As of {report.as_of:%Y-%m-%d}: {report.n_accounts} accounts, {report.n_events} events. "
        f"Threshold {fmt(report.threshold, 2)} ({report.threshold_method}: {t.reason}; {auc})."
    )
    if t.sample is not None:
        console.print(f"Read at landmark dates: {t.sample.description}.")
    v = t.validation
    if v is not None and v.youden_j is not None:

        def ci(x: tuple[float, float] | None) -> str:
            return f" [{fmt(x[0])}, {fmt(x[1])}]" if x is not None else ""

        console.print(
            f"Out of sample ({v.folds}-fold cross-validation, {v.repeats} repeats): "
            f"J {fmt(v.youden_j)}{ci(v.youden_j_ci)}, "
            f"sensitivity {fmt(v.sensitivity)}{ci(v.sensitivity_ci)}, "
            f"specificity {fmt(v.specificity)}{ci(v.specificity_ci)}; "
            f"in sample J {fmt(t.youden_j)}."
        )
    table = Table(title="Accounts, lowest balance first")
    horizon = (
        f"P(leave {report.model.horizon_days:g}d)"
        if report.model and report.model.horizon_days
        else "P(leave)"
    )
    for name in (
        "Account",
        "Balance",
        "Events",
        "Failures",
        "Distance",
        "Below",
        horizon,
        "Revenue",
    ):
        table.add_column(name, justify="left" if name in ("Account", "Below") else "right")
    for a in report.accounts[:limit]:
        table.add_row(
            a.account,
            fmt(a.balance),
            str(a.events),
            str(a.failures),
            fmt(a.distance),
            "yes" if a.below_threshold else "",
            f"{a.probability:.0%}" if a.probability is not None else "–",
            fmt(a.revenue, 0),
        )
    console.print(table)
    if len(report.accounts) > limit:
        console.print(f"... {len(report.accounts) - limit} more (use --limit or --json).")
    m = report.model
    if m is not None and m.fitted and m.calibration is not None:
        c = m.calibration
        slope = (
            f", calibration slope {fmt(c.calibration_slope)}"
            f" [{fmt(c.calibration_slope_ci[0])}, {fmt(c.calibration_slope_ci[1])}]"
            if c.calibration_slope_ci is not None
            else ""
        )
        console.print(
            f"Chance of leaving within {m.horizon_days or 0:g} days: logistic on balance "
            f"({m.reason}); out of sample Brier {c.brier:.4f} "
            f"(base rate {c.brier_base_rate:.4f}){slope}."
        )
    r = report.revenue_at_risk
    if r is not None:
        expected = f"{r.expected_revenue_loss:,.0f}" if r.expected_revenue_loss is not None else "–"
        within = f" within {r.horizon_days:g} days" if r.horizon_days else ""
        spread = (
            f" [{r.expected_revenue_loss_ci[0]:,.0f}, {r.expected_revenue_loss_ci[1]:,.0f}]"
            if r.expected_revenue_loss_ci is not None
            else ""
        )
        lost = (
            f"; revenue actually lost 95% between {r.revenue_lost_interval[0]:,.0f} "
            f"and {r.revenue_lost_interval[1]:,.0f}"
            if r.revenue_lost_interval is not None
            else ""
        )
        console.print(
            f"Revenue at risk: {r.revenue_below_threshold:,.0f} from {r.n_below} account(s) "
            f"below the threshold; expected loss{within} {expected}{spread}{lost} "
            f"({r.expected_reason})."
        )


def _detail_table(d: AccountDetail) -> None:
    from rich.table import Table

    console.print(
        f"{d.account}: balance {fmt(d.balance, 2)}, threshold {fmt(d.threshold, 2)}, "
        f"distance {fmt(d.distance, 2)}{' (below)' if d.below_threshold else ''}."
    )
    table = Table(title="Events")
    for name in ("When", "Touchpoint", "Moment", "Outcome", "Sev", "k", "Contribution", "Now"):
        table.add_column(name)
    for e in d.events:
        table.add_row(
            f"{e.timestamp:%Y-%m-%d}",
            e.touchpoint or "",
            e.moment,
            e.outcome,
            fmt(e.severity, 0),
            str(e.prior_failures),
            fmt(e.contribution),
            fmt(e.weight_now),
        )
    console.print(table)
    for r in d.compounding_runs:
        console.print(
            f"Compounding run {r.start:%Y-%m-%d} to {r.end:%Y-%m-%d}: {r.failures} failures, "
            f"debit {fmt(r.debit, 2)} ({fmt(r.debit_now, 2)} now)."
        )


def _alerts_lines(alerts: AlertsResult, period: str) -> None:
    """What crossed the threshold in ``period``, then one line per account that fell."""
    console.print(
        f"{period}: {len(alerts.crossed_below)} account(s) crossed below the threshold "
        f"{fmt(alerts.threshold, 2)}, {len(alerts.recovered)} recovered."
    )
    for a in alerts.crossed_below:
        console.print(f"  {a.account}: {fmt(a.balance_before, 2)} -> {fmt(a.balance_now, 2)}")


ledger_app = typer.Typer(
    cls=DefaultCommandGroup,
    help="The relationship bank account: `cxgap ledger FILE.csv` for any events file, "
    "`cxgap ledger account SLUG ACCOUNT` and `cxgap ledger alerts SLUG` for a study.",
    no_args_is_help=True,
)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("file")
def ledger(
    file: Annotated[
        Path,
        typer.Argument(
            help="Events CSV/XLSX: account, timestamp, touchpoint, moment, outcome, severity."
        ),
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Balance date YYYY-MM-DD (default: now).")
    ] = None,
    accounts_file: Annotated[
        Path | None,
        typer.Option("--accounts", help="Accounts CSV: account, defected_at, revenue[, owner]."),
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping", help="YAML mapping of columns and outcome words.")
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Show one account's events and history.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Alerts: accounts that crossed the threshold since YYYY-MM-DD."
        ),
    ] = None,
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST the alerts (with --since) as JSON here.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows in the table.")] = 20,
    json_: JsonOption = False,
) -> None:
    """The relationship bank account of every account in an events file: balances,
    the defection threshold, accounts at risk and revenue at risk."""
    import pandas as pd

    from cxgap.service.ledger import file_account, file_alerts, file_ledger, read_ledger_files

    as_of_ts = _date(as_of, "--as-of") or pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")
    since_ts = _date(since, "--since")
    inputs = read_ledger_files(
        file, as_of=as_of_ts, accounts_file=accounts_file, mapping_file=mapping_file
    )
    if account is not None:
        detail = file_account(inputs, account)
        if json_:
            print_json(detail.to_json_dict())
        else:
            _detail_table(detail)
        return
    if since_ts is not None:
        alerts = file_alerts(inputs, since_ts)
        if webhook:
            from cxgap.notify.webhook import post_json

            post_json(webhook, alerts.to_json_dict())
        if json_:
            print_json(alerts.to_json_dict())
        else:
            _alerts_lines(alerts, f"Since {alerts.since:%Y-%m-%d}")
        return
    report = file_ledger(inputs)
    if json_:
        print_json(report.to_json_dict())
    else:
        _report_table(report, limit)


@ledger_app.command("account")
def ledger_account(
    slug: Annotated[str, typer.Argument(help="The study.")],
    account: Annotated[str, typer.Argument(help="The account id.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Balance date YYYY-MM-DD (default: last event).")
    ] = None,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """One account of a study: balance, distance to the threshold, every event with its
    contribution, the largest debits, compounding runs and the balance over time."""
    from cxgap.service.ledger import account_ledger
    from cxgap.store.db import Database

    with Database.open(settings_from(db)) as database:
        detail = account_ledger(database, slug, account, as_of=_date(as_of, "--as-of"))
    if json_:
        print_json(detail.to_json_dict())
    else:
        _detail_table(detail)


def _history_table(runs: list[AlertRun]) -> None:
    from rich import box
    from rich.table import Table

    table = Table(
        title="Alert runs, most recent first",
        caption="Down: accounts that crossed below the threshold; up: that recovered.",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for name in ("Run", "Ran (UTC)", "Since", "As of", "Threshold", "Down", "Up"):
        table.add_column(name, justify="left" if name == "Ran (UTC)" else "right")
    table.add_column("Webhook")
    for r in runs:
        table.add_row(
            str(r.id),
            f"{r.ran_at:%Y-%m-%d %H:%M}",
            f"{r.since:%Y-%m-%d}",
            f"{r.as_of:%Y-%m-%d}",
            fmt(r.threshold),
            str(r.crossed_below),
            str(r.recovered),
            {True: "delivered", False: "failed", None: "–"}[r.delivered],
        )
    console.print(table)


@ledger_app.command("alerts")
def ledger_alerts(
    slug: Annotated[str, typer.Argument(help="The study.")],
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Start date YYYY-MM-DD (default: the last recorded run's as-of date; "
            "with --webhook, the last delivered run's; 30 days before --as-of when none).",
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="This run's date (default: last event).")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST the alerts as JSON to this URL.")
    ] = None,
    no_record: Annotated[
        bool, typer.Option("--no-record", help="A look only: record no run.")
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="List the recorded runs instead.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Runs listed by --history.")] = 20,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Accounts of a study that crossed below the defection threshold since the last
    run; each run is recorded (--history lists them) so the next one starts where it
    ended. A failed webhook post is reported (exit status 2) and its alerts come
    again in the next run with --webhook."""
    from cxgap.notify.alerting import run_alerts
    from cxgap.store.alerts import alert_runs
    from cxgap.store.db import Database
    from cxgap.store.migrate import ensure_schema

    with Database.open(settings_from(db)) as database:
        ensure_schema(database, create=False)
        if history:
            runs = alert_runs(database, slug, limit=limit)
            if json_:
                print_json([r.to_json_dict() for r in runs])
            elif runs:
                _history_table(runs)
            else:
                console.print(f"No alert run recorded for {slug} yet.")
            return
        run = run_alerts(
            database,
            slug,
            since=_date(since, "--since"),
            as_of=_date(as_of, "--as-of"),
            webhook=webhook,
            record=not no_record,
        )
    if json_:
        print_json(run.to_json_dict())
    else:
        alerts = run.alerts
        _alerts_lines(
            alerts, f"{alerts.since:%Y-%m-%d} to {alerts.as_of:%Y-%m-%d} ({run.start_note})"
        )
        if run.delivered:
            console.print("Posted to the webhook.")
        if run.recorded is not None:
            console.print(f"Recorded as run {run.recorded.id}.")
    if run.delivery_error is not None:
        raise CxgapError(
            f"{run.delivery_error} (not delivered: the next run with --webhook "
            "starts again from the last delivered run)"
        )
