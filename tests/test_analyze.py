"""`cxgap analyze` on the demo company: every section present, the planted
effects recovered, and the same result on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from cxgap.analysis.study import StudyAnalysis
from cxgap.cli import app
from cxgap.cli._common import console
from cxgap.cli.analyze_cmd import print_headline
from cxgap.demo import effects as fx
from cxgap.demo.install import install_demo
from cxgap.docs_gen import study_analysis_schema
from cxgap.settings import Settings
from cxgap.store.db import Database

runner = CliRunner()

TOP_LEVEL = [
    "study",
    "wave",
    "gaps",
    "excellent",
    "nps",
    "segments",
    "waves",
    "importance",
    "defection_factors",
    "drivers",
    "priorities",
    "defection_risks",
    "actions",
    "voice",
    "ledger",
    "hot_spots",
    "consistency",
]


@pytest.fixture(scope="module")
def demo_db(demo_db_url: str) -> str:
    return demo_db_url


@pytest.fixture(scope="module")
def analysis(demo_db: str) -> dict[str, Any]:
    result = runner.invoke(
        app, ["analyze", "demo", "--json", "--bootstrap", "200", "--db", demo_db]
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_json_has_every_section(analysis: dict[str, Any]) -> None:
    for key in TOP_LEVEL:
        assert key in analysis and analysis[key] is not None, key
    assert analysis["wave"] == "w2"
    assert analysis["study"]["slug"] == "demo"


def test_json_validates_against_the_published_schema(analysis: dict[str, Any]) -> None:
    jsonschema.validate(analysis, study_analysis_schema())


def test_excellent_headline_recovers_the_planted_gap(analysis: dict[str, Any]) -> None:
    shares = {s["audience"]: s["estimate"]["share"] for s in analysis["excellent"]["shares"]}
    assert shares["leadership"] > 0.6 > shares["staff"] > 0.2 > 0.15 > shares["customer"]
    assert "call the service excellent" in analysis["excellent"]["headline"]


def test_leaders_expect_a_higher_nps_than_customers_give(analysis: dict[str, Any]) -> None:
    customers = analysis["nps"]["customers"]
    assert customers["method"] == "wilson-effective-n"
    assert customers["ci_low"] < customers["nps"] < customers["ci_high"]
    predicted = {p["audience"]: p for p in analysis["nps"]["predicted"]}
    assert predicted["leadership"]["gap"] > 25
    assert predicted["leadership"]["ci_low"] > 0


def test_small_staff_team_is_suppressed(analysis: dict[str, Any]) -> None:
    teams = analysis["teams"]
    small = [c for c in teams["cells"] if c["group"] == fx.SMALL_TEAM]
    assert small and all(c["suppressed"] for c in small)
    assert all(c.get("mean") is None for c in small)


def test_hidden_driver_and_priorities(analysis: dict[str, Any]) -> None:
    hidden = [
        s["factor"]
        for s in analysis["priorities"]["stated_vs_derived"]
        if s["verdict"] == "hidden driver"
    ]
    assert hidden == [fx.HIDDEN_DRIVER]
    [ltr] = [d for d in analysis["drivers"] if d["outcome"] == "ltr"]
    top = max(ltr["drivers"], key=lambda d: d["importance"])
    assert top["factor"] == f"perf.{fx.HIDDEN_DRIVER}"
    # at display precision (2 decimals) the shares add up to R² within their rounding
    assert abs(sum(d["importance"] for d in ltr["drivers"]) - ltr["r2"]) <= 0.005 * (
        len(ltr["drivers"]) + 1
    )


def test_ledger_learns_a_threshold_and_finds_the_hot_spot(analysis: dict[str, Any]) -> None:
    ledger = analysis["ledger"]
    assert ledger["threshold_method"] == "youden"
    assert ledger["threshold_detail"]["auc"] > 0.75
    assert ledger["revenue_at_risk"]["revenue_below_threshold"] > 0
    top = analysis["hot_spots"][0]
    assert (top["touchpoint"], top["moment"]) == ("support", "problem_resolution")


def test_stored_actions_are_re_measured(analysis: dict[str, Any]) -> None:
    plan = {p["factor"]: p for p in analysis["actions"]["plan"]}
    assert plan["resolution"]["progress"]["baseline_wave"] == "w1"
    assert plan["resolution"]["progress"]["followup_wave"] == "w2"
    assert analysis["actions"]["candidates"]["actions"]


def test_human_summary_names_the_headline(demo_db: str) -> None:
    result = runner.invoke(app, ["analyze", "demo", "--bootstrap", "50", "--db", demo_db])
    assert result.exit_code == 0
    assert "call the service excellent" in result.stdout
    assert "Customer NPS" in result.stdout
    assert "Hidden drivers: Empathy" in result.stdout


def test_unknown_wave_is_a_clear_error(demo_db: str) -> None:
    result = runner.invoke(app, ["analyze", "demo", "--wave", "w9", "--db", demo_db])
    assert result.exit_code == 2
    assert "w9" in result.stderr


@pytest.mark.postgres
def test_postgres_gives_the_same_analysis(postgres_url: str, analysis: dict[str, Any]) -> None:
    from tests.postgres import reset_postgres

    reset_postgres(postgres_url)
    with Database.open(Settings.load(database_url=postgres_url)) as db:
        install_demo(db, seed=7)
    result = runner.invoke(
        app, ["analyze", "demo", "--json", "--bootstrap", "200", "--db", postgres_url]
    )
    assert result.exit_code == 0, result.stderr
    on_pg = json.loads(result.stdout)
    assert on_pg["gaps"] == analysis["gaps"]
    assert on_pg["nps"] == analysis["nps"]
    assert on_pg["ledger"]["threshold"] == pytest.approx(analysis["ledger"]["threshold"])


def test_summary_says_below_when_an_audience_expects_less_than_customers_give(
    analysis: dict[str, Any],
) -> None:
    staff = next(p for p in analysis["nps"]["predicted"] if p["audience"] == "staff")
    lower = {**staff, "gap": -12.4, "ci_low": -20.0, "ci_high": -4.8}
    a = StudyAnalysis.model_validate({**analysis, "nps": {**analysis["nps"], "predicted": [lower]}})
    with console.capture() as out:
        print_headline(a)
    assert "staff expect" in out.get() and "12 points below what customers give" in out.get()
    assert "(CI -20 to -5)" in out.get()
