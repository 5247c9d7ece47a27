"""``cxgap ledger FILE.csv``: balances, threshold, detail, alerts and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.demo.events import generate_events
from cxgap.study import default_study

runner = CliRunner()

HEADER = "account,timestamp,touchpoint,moment,outcome,severity\n"
SMALL = HEADER + (
    "acme,2025-01-01,support,routine,met,\n"
    "acme,2025-01-31,support,problem_resolution,failed,2\n"
    "zen,2025-03-01 09:30,billing,routine,exceeded,\n"
)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_has_the_documented_shape_and_hand_computed_balances(tmp_path: Path) -> None:
    code, out, err = run("ledger", str(write(tmp_path, SMALL)), "--as-of", "2025-03-01", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"as_of", "threshold", "threshold_method", "accounts"} <= set(data)
    assert data["threshold_method"] == "default"
    assert data["threshold"] == -10.0
    acme = next(a for a in data["accounts"] if a["account"] == "acme")
    assert {"account", "balance", "events", "below_threshold"} <= set(acme)
    # as of 2025-03-01 23:59:59: routine met 0.5 * 0.5^(age/90);
    # failure 2.5 * -2 * 2 * 0.5^(age/365); ages in days
    end = pd.Timestamp("2025-03-01 23:59:59")
    age1 = (end - pd.Timestamp("2025-01-01")).total_seconds() / 86400
    age2 = (end - pd.Timestamp("2025-01-31")).total_seconds() / 86400
    assert acme["balance"] == pytest.approx(0.5 * 0.5 ** (age1 / 90) - 10 * 0.5 ** (age2 / 365))
    assert acme["events"] == 2
    assert acme["below_threshold"] is False


def test_table_output_names_the_threshold_and_accounts(tmp_path: Path) -> None:
    code, out, _ = run("ledger", str(write(tmp_path, SMALL)), "--as-of", "2025-03-01")
    assert code == 0
    assert "Threshold -10.00 (default" in out
    assert "acme" in out
    assert "zen" in out


def test_a_learned_threshold_and_revenue_at_risk_with_an_accounts_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 80
    start, end = pd.Timestamp("2025-01-01"), pd.Timestamp("2026-06-30")
    defected = np.arange(n) < 16
    accounts = pd.DataFrame(
        {
            "account_id": [f"C{i:03d}" for i in range(n)],
            "segment": np.where(defected, "defected", "other"),
            "acquired_at": pd.Timestamp("2022-01-01"),
            "defected_at": pd.Series(
                start + pd.to_timedelta(rng.integers(250, 500, n), unit="D")
            ).where(defected),
        }
    )
    ev = generate_events(rng, accounts, default_study("d", organisation="X"), start=start, end=end)
    ev.rename(columns={"account_id": "account"}).to_csv(tmp_path / "ev.csv", index=False)
    pd.DataFrame(
        {
            "account": accounts["account_id"],
            "defected_at": accounts["defected_at"].dt.strftime("%Y-%m-%d"),
            "revenue": 50_000,
            "owner": "Sam",
        }
    ).to_csv(tmp_path / "acc.csv", index=False)
    args = ["ledger", str(tmp_path / "ev.csv"), "--accounts", str(tmp_path / "acc.csv")]
    code, out, err = run(*args, "--as-of", "2026-06-30", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["threshold_method"] == "youden"
    detail = data["threshold_detail"]
    assert detail["defected_accounts"] == 16
    sample = detail["sample"]
    assert sample["method"] == "landmark"
    assert (sample["step_days"], sample["horizon_days"]) == (30.0, 90.0)
    assert sample["accounts"] == n and sample["defected_accounts"] == 16
    assert sample["defections"] == detail["n_defected"]
    assert sample["rows"] == detail["n_defected"] + detail["n_retained"]
    assert sample["last_landmark"].startswith("2026-04-01")  # as-of minus the horizon
    v = data["threshold_detail"]["validation"]
    assert v["sample"] == "out"
    assert data["threshold_detail"]["rates_sample"] == "in"
    assert (v["folds"], v["repeats"]) == (5, 20)
    assert v["youden_j_ci"][0] <= v["youden_j"] <= v["youden_j_ci"][1]
    assert v["auc"] == data["threshold_detail"]["auc"]
    assert len(data["accounts"]) == n - 16
    below = [a for a in data["accounts"] if a["below_threshold"]]
    assert data["revenue_at_risk"]["revenue_below_threshold"] == 50_000 * len(below)
    code, out, _ = run(*args, "--as-of", "2026-06-30")
    assert code == 0
    assert "Revenue at risk" in out
    assert "Out of sample (5-fold cross-validation, 20 repeats)" in out


def test_one_accounts_detail(tmp_path: Path) -> None:
    code, out, err = run(
        "ledger",
        str(write(tmp_path, SMALL)),
        "--as-of",
        "2025-03-01",
        "--account",
        "acme",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["account"] == "acme"
    assert [e["outcome"] for e in data["events"]] == ["met", "failed"]
    assert data["events"][1]["contribution"] == -10.0
    code, out, _ = run("ledger", str(write(tmp_path, SMALL)), "--account", "acme")
    assert code == 0
    assert "acme: balance" in out


def test_alerts_since_a_previous_date(tmp_path: Path) -> None:
    text = HEADER + (
        "acme,2025-01-01,support,routine,met,\n"
        "acme,2025-02-10,implementation,implementation,failed,3\n"
        "zen,2025-01-01,billing,routine,met,\n"
    )
    path = write(tmp_path, text)
    code, out, err = run(
        "ledger", str(path), "--as-of", "2025-02-15", "--since", "2025-02-01", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert [a["account"] for a in data["crossed_below"]] == ["acme"]  # -18 < -10
    assert data["recovered"] == []


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("acme,2025-01-02,support,routine,meh,", "row 3, column 'outcome': got 'meh'"),
        ("acme,2025-02-30,support,routine,met,", "row 3, column 'timestamp': got '2025-02-30'"),
        ("acme,2025-09-01,support,routine,met,", "expected a date on or before 2025-03-01"),
        ("acme,2025-01-02,support,routine,failed,5", "row 3, column 'severity': got '5'"),
        ("acme,2025-01-02,support,routine,failed,", "row 3, column 'severity'"),
        ("acme,2025-01-02,support,lunch,met,", "row 3, column 'moment': got 'lunch'"),
    ],
)
def test_bad_rows_are_reported_with_row_and_column(tmp_path: Path, row: str, expected: str) -> None:
    text = HEADER + "acme,2025-01-01,support,routine,met,\n" + row + "\n"
    code, out, err = run("ledger", str(write(tmp_path, text)), "--as-of", "2025-03-01", "--json")
    assert code == 2
    assert err.startswith("Error: ")
    assert expected in err
    assert out == ""  # nothing partial


def test_every_bad_row_is_reported_at_once(tmp_path: Path) -> None:
    text = HEADER + "a,x,support,routine,met,\nb,2025-01-01,support,routine,nope,\n"
    code, _, err = run("ledger", str(write(tmp_path, text)), "--as-of", "2025-03-01")
    assert code == 2
    assert "row 2, column 'timestamp'" in err
    assert "row 3, column 'outcome'" in err


def test_unknown_accounts_are_reported_when_an_accounts_file_is_given(tmp_path: Path) -> None:
    accounts = write(tmp_path, "account,defected_at,revenue\nacme,,1000\n", "acc.csv")
    code, _, err = run(
        "ledger", str(write(tmp_path, SMALL)), "--accounts", str(accounts), "--as-of", "2025-03-01"
    )
    assert code == 2
    assert "row 4, column 'account': got 'zen'" in err


def test_bad_accounts_file_values_are_reported(tmp_path: Path) -> None:
    accounts = write(
        tmp_path, "account,defected_at,revenue\nacme,soon,1000\nzen,,lots\n", "acc.csv"
    )
    code, _, err = run(
        "ledger", str(write(tmp_path, SMALL)), "--accounts", str(accounts), "--as-of", "2025-03-01"
    )
    assert code == 2
    assert "row 2, column 'defected_at': got 'soon'" in err
    assert "row 3, column 'revenue': got 'lots'" in err


def test_a_mapping_file_renames_columns_and_maps_ticket_words(tmp_path: Path) -> None:
    events = write(
        tmp_path,
        "Customer,Closed,Team,Moment,Status\n"
        "acme,01/02/2025 10:00,support,problem_resolution,SLA breached\n"
        "acme,03/02/2025 10:00,support,problem_resolution,SLA met\n",
    )
    mapping = write(
        tmp_path,
        "columns:\n  account_id: Customer\n  timestamp: Closed\n  touchpoint: Team\n"
        "  outcome: Status\n"
        "outcomes:\n  SLA breached: {outcome: failed, severity: 2}\n  SLA met: met\n"
        'timestamp_format: "%d/%m/%Y %H:%M"\n',
        "map.yaml",
    )
    code, out, err = run(
        "ledger", str(events), "--mapping", str(mapping), "--as-of", "2025-02-03", "--json"
    )
    assert code == 0, err
    [acme] = json.loads(out)["accounts"]
    assert acme["events"] == 2
    assert acme["failures"] == 1


def test_a_bad_mapping_file_or_missing_file_or_bad_date_is_one_line(tmp_path: Path) -> None:
    mapping = write(tmp_path, "columns:\n  nonsense: X\n", "map.yaml")
    code, _, err = run("ledger", str(write(tmp_path, SMALL)), "--mapping", str(mapping))
    assert code == 2
    assert "columns.nonsense" in err
    code, _, err = run("ledger", str(tmp_path / "missing.csv"))
    assert code == 2
    assert "missing.csv" in err
    code, _, err = run("ledger", str(write(tmp_path, SMALL)), "--as-of", "March")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    text = "account,timestamp,touchpoint,outcome\nacme,2025-01-01,support,met\n"
    code, _, err = run("ledger", str(write(tmp_path, text)), "--as-of", "2025-03-01")
    assert code == 2
    assert "'moment'" in err


def test_a_defection_after_the_as_of_date_counts_as_retained(tmp_path: Path) -> None:
    accounts = write(
        tmp_path, "account,defected_at,revenue\nacme,2025-06-01,1000\nzen,,2000\n", "acc.csv"
    )
    code, out, err = run(
        "ledger",
        str(write(tmp_path, SMALL)),
        "--accounts",
        str(accounts),
        "--as-of",
        "2025-03-01",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert {a["account"] for a in data["accounts"]} == {"acme", "zen"}
    assert data["threshold_detail"]["n_defected"] == 0


def test_a_defection_date_in_the_future_is_refused(tmp_path: Path) -> None:
    accounts = write(tmp_path, "account,defected_at,revenue\nacme,2999-01-01,1\n", "acc.csv")
    code, _, err = run("ledger", str(write(tmp_path, HEADER)), "--accounts", str(accounts))
    assert code == 2
    assert "row 2, column 'defected_at': got '2999-01-01'" in err


def test_study_account_and_alerts_work_on_stored_events(demo_copy_url: str) -> None:
    # a copy: the alerts command records its run
    demo_db_url = demo_copy_url
    from typer.testing import CliRunner as _Runner

    from cxgap.cli import app as _app

    run = _Runner()
    alerts = run.invoke(
        _app, ["ledger", "alerts", "demo", "--since", "2026-06-01", "--json", "--db", demo_db_url]
    )
    assert alerts.exit_code == 0, alerts.stderr
    data = json.loads(alerts.stdout)
    assert data["crossed_below"], "the demo plants accounts that drift below the threshold"
    worst = data["crossed_below"][0]["account"]
    detail = run.invoke(_app, ["ledger", "account", "demo", worst, "--json", "--db", demo_db_url])
    assert detail.exit_code == 0, detail.stderr
    d = json.loads(detail.stdout)
    assert d["account"] == worst
    assert d["balance"] < d["threshold"]
    missing = run.invoke(_app, ["ledger", "account", "demo", "NOPE", "--db", demo_db_url])
    assert missing.exit_code == 2
    assert "no account 'NOPE'" in missing.stderr
