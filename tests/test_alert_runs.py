"""The run history of ``cxgap ledger alerts``: where a run starts, what it
records, webhook delivery, ``--no-record`` and ``--history``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import CxgapError, NotFoundError
from cxgap.notify.alerting import run_alerts
from cxgap.operations.transfer import export_study, import_study
from cxgap.settings import Settings
from cxgap.store.accounts import write_accounts, write_events
from cxgap.store.alerts import alert_runs, last_alert_run, record_alert_run
from cxgap.store.db import Database
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study import default_study
from tests.records import accounts_frame
from tests.webhooks import Webhook

T0 = pd.Timestamp("2026-01-01")
DAY35 = datetime(2026, 2, 5, 23, 59, 59)  # what `--as-of 2026-02-05` means
LAST_EVENT = T0 + pd.Timedelta(days=45)
runner = CliRunner()


@pytest.fixture
def ledger_db(fresh_db: Database) -> Database:
    """Study 'acme': account 'drop' falls far below the default threshold
    (-10) between day 40 and day 45; 'steady' stays above it."""
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    write_accounts(fresh_db, "acme", accounts_frame(["drop", "steady"]))
    days = [0, 40, 41, 42, 43, 44, 45]
    write_events(
        fresh_db,
        "acme",
        pd.DataFrame(
            {
                "account_id": ["drop"] * 7 + ["steady"] * 2,
                "timestamp": [T0 + pd.Timedelta(days=d) for d in days]
                + [T0, T0 + pd.Timedelta(days=45)],
                "touchpoint": ["support"] * 9,
                "moment": ["routine"] * 9,
                "outcome": ["met"] + ["failed"] * 6 + ["met"] * 2,
                "severity": [np.nan] + [3.0] * 6 + [np.nan] * 2,
                "source_id": [f"e{i}" for i in range(9)],
                "source_system": [None] * 9,
                "cost": [np.nan] * 9,
                "note": [None] * 9,
            }
        ),
    )
    return fresh_db


def _crossed(run: Any) -> list[str]:
    return [a.account for a in run.alerts.crossed_below]


def test_a_run_starts_where_the_last_recorded_one_ended(ledger_db: Database) -> None:
    first = run_alerts(ledger_db, "acme", as_of=DAY35)
    assert first.started_from == "default" and "no earlier run recorded" in first.start_note
    assert first.alerts.since == DAY35 - pd.Timedelta(days=30)
    assert _crossed(first) == []
    assert first.recorded is not None and first.recorded.as_of == DAY35

    second = run_alerts(ledger_db, "acme")  # as of the last event
    assert second.started_from == "last run"
    assert second.previous == first.recorded
    assert second.alerts.since == DAY35
    assert second.alerts.as_of == LAST_EVENT
    assert _crossed(second) == ["drop"]

    third = run_alerts(ledger_db, "acme")
    assert third.alerts.since == LAST_EVENT and _crossed(third) == []
    history = alert_runs(ledger_db, "acme")
    assert [r.id for r in history] == [third.recorded.id, second.recorded.id, first.recorded.id]  # type: ignore[union-attr]
    assert [r.crossed_below for r in history] == [0, 1, 0]
    assert all(r.delivered is None for r in history)
    assert history[1].threshold == pytest.approx(-10.0)


def test_a_look_records_nothing(ledger_db: Database) -> None:
    look = run_alerts(ledger_db, "acme", record=False)
    assert look.recorded is None and _crossed(look) == ["drop"]
    assert alert_runs(ledger_db, "acme") == []
    assert last_alert_run(ledger_db, "acme") is None


def test_a_failed_delivery_loses_no_alert(ledger_db: Database, webhook: Webhook) -> None:
    first = run_alerts(ledger_db, "acme", as_of=DAY35, webhook=webhook.url)
    assert first.delivered is True and first.recorded.delivered is True  # type: ignore[union-attr]

    webhook.status = 500
    failed = run_alerts(ledger_db, "acme", webhook=webhook.url)
    assert _crossed(failed) == ["drop"]
    assert failed.delivered is False and "HTTP 500" in (failed.delivery_error or "")
    assert failed.recorded is not None and failed.recorded.delivered is False

    # without a webhook the next run starts after the failed one (it was shown) ...
    assert run_alerts(ledger_db, "acme", record=False).alerts.since == LAST_EVENT
    # ... with one, from the last delivered run, so 'drop' is posted again
    webhook.status = 204
    again = run_alerts(ledger_db, "acme", webhook=webhook.url)
    assert again.started_from == "last delivered run" and again.previous == first.recorded
    assert again.alerts.since == DAY35 and _crossed(again) == ["drop"]
    assert again.delivered is True
    posted = [[a["account"] for a in p["crossed_below"]] for p in webhook.received]
    assert posted == [[], ["drop"], ["drop"]]
    assert run_alerts(ledger_db, "acme", webhook=webhook.url).alerts.since == LAST_EVENT


def test_no_delivered_run_starts_30_days_back(ledger_db: Database, webhook: Webhook) -> None:
    run_alerts(ledger_db, "acme")  # recorded, but never delivered
    run = run_alerts(ledger_db, "acme", webhook=webhook.url)
    assert run.started_from == "default"
    assert "no run delivered to a webhook recorded" in run.start_note
    assert run.alerts.since == LAST_EVENT - pd.Timedelta(days=30)


def test_an_as_of_before_the_last_run_is_refused(ledger_db: Database) -> None:
    run_alerts(ledger_db, "acme")
    with pytest.raises(CxgapError, match="before the start of this run"):
        run_alerts(ledger_db, "acme", as_of=DAY35)
    # an explicit start looks back at any period
    look = run_alerts(ledger_db, "acme", since=datetime(2026, 1, 2), as_of=DAY35, record=False)
    assert look.started_from == "since" and _crossed(look) == []
    with pytest.raises(CxgapError, match="after the as-of date"):
        run_alerts(ledger_db, "acme", since=datetime(2026, 3, 1), as_of=DAY35)


def test_stored_times_come_back_as_naive_utc(fresh_db: Database) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    aware = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    run = record_alert_run(
        fresh_db,
        "acme",
        since=datetime(2026, 2, 1),
        as_of=aware,
        threshold=-4.5,
        crossed_below=2,
        recovered=1,
        delivered=False,
    )
    assert run.as_of == datetime(2026, 3, 1, 12, 0) and run.as_of.tzinfo is None
    assert last_alert_run(fresh_db, "acme") == run
    assert last_alert_run(fresh_db, "acme", delivered=True) is None
    with pytest.raises(NotFoundError, match="no study 'nope'"):
        alert_runs(fresh_db, "nope")


def test_the_history_travels_with_an_exported_study(ledger_db: Database, tmp_path: Path) -> None:
    run_alerts(ledger_db, "acme", as_of=DAY35)
    run_alerts(ledger_db, "acme")
    out = tmp_path / "acme.zip"
    export_study(ledger_db, "acme", out)
    target = Database.open(Settings.load(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    with target:
        upgrade(target)
        import_study(target, out)
        copied = alert_runs(target, "acme")
        # the next run in the other database starts where the last one ended
        assert run_alerts(target, "acme").alerts.since == LAST_EVENT

    def fields(runs: list[Any]) -> list[tuple[Any, ...]]:
        return [(r.ran_at, r.since, r.as_of, r.threshold, r.crossed_below) for r in runs]

    assert fields(copied) == fields(alert_runs(ledger_db, "acme"))


def _cli(*args: str) -> Any:
    return runner.invoke(app, ["ledger", "alerts", *args])


def test_the_command_records_lists_and_reports_a_failed_post(
    ledger_db: Database, db_url: str, webhook: Webhook
) -> None:
    first = _cli("acme", "--as-of", "2026-02-05", "--db", db_url)
    assert first.exit_code == 0, first.stderr
    assert "2026-01-06 to 2026-02-05 (from 30 days before the as-of date" in first.stdout
    assert "Recorded as run" in first.stdout

    look = _cli("acme", "--no-record", "--json", "--db", db_url)
    data = json.loads(look.stdout)
    assert data["started_from"] == "last run" and data["recorded_run"] is None
    assert [a["account"] for a in data["crossed_below"]] == ["drop"]

    webhook.status = 503
    failed = _cli("acme", "--webhook", webhook.url, "--db", db_url)
    assert failed.exit_code == 2
    assert "drop:" in failed.stdout  # the alerts are shown before the error
    assert failed.stderr.startswith("Error: webhook") and "HTTP 503" in failed.stderr
    assert "starts again from the last delivered run" in failed.stderr

    history = _cli("acme", "--history", "--json", "--db", db_url)
    runs = json.loads(history.stdout)
    assert [(r["crossed_below"], r["delivered"]) for r in runs] == [(1, False), (0, None)]
    table = runner.invoke(
        app, ["ledger", "alerts", "acme", "--history", "--db", db_url], env={"COLUMNS": "120"}
    )
    rows = [line for line in table.stdout.splitlines() if "2026-01-06" in line or "failed" in line]
    assert len(rows) == 2 and "failed" in rows[0] and "–" in rows[1]


def test_history_of_a_study_with_no_runs_says_so(fresh_db: Database, db_url: str) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    result = _cli("acme", "--history", "--db", db_url)
    assert result.exit_code == 0
    assert "No alert run recorded for acme yet." in result.stdout
    missing = _cli("zzz", "--history", "--db", db_url)
    assert missing.exit_code == 2 and "no study 'zzz'" in missing.stderr
