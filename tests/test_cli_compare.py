"""``cxgap compare``: the gap matrix of any export, on the real data sets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from cxgap.cli import app
from tests.realdata import real_data_path

runner = CliRunner()
AIRLINE = "airline_passenger_satisfaction_test.csv"


def test_airline_customer_types_with_not_applicable_zero() -> None:
    path = real_data_path(AIRLINE)
    result = runner.invoke(
        app,
        [
            "compare",
            str(path),
            "--group",
            "Customer Type",
            "--items",
            "Seat comfort,Inflight wifi service",
            "--na-value",
            "0",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["groups"] == ["Loyal Customer", "disloyal Customer"]
    assert data["holm_family"] == "item"
    assert {c["holm_family_size"] for c in data["comparisons"]} == {1}
    assert all(c["ci_method"] == "mover-wilson-effective-n" for c in data["comparisons"])
    assert all(1 <= c["ci_low"] <= c["ci_high"] <= 5 for c in data["cells"])
    frame = pd.read_csv(path)
    wifi = frame[frame["Inflight wifi service"] > 0]
    loyal = wifi.loc[wifi["Customer Type"] == "Loyal Customer", "Inflight wifi service"]
    disloyal = wifi.loc[wifi["Customer Type"] == "disloyal Customer", "Inflight wifi service"]
    comp = next(c for c in data["comparisons"] if c["item"] == "Inflight wifi service")
    ref = stats.ttest_ind(loyal, disloyal, equal_var=False)
    assert comp["p_welch"] == pytest.approx(ref.pvalue)
    assert comp["n_a"] == len(loyal)
    assert data["dropped_invalid"] == {"Seat comfort": 0, "Inflight wifi service": 0}


def test_zero_outside_the_scale_is_an_error_naming_row_and_column() -> None:
    result = runner.invoke(
        app,
        [
            "compare",
            str(real_data_path(AIRLINE)),
            "--group",
            "Class",
            "--items",
            "Inflight wifi service",
        ],
    )
    assert result.exit_code == 2
    assert "column 'Inflight wifi service'" in result.output
    assert "expected a number from 1 to 5" in result.output
    assert "more problem(s)" in result.output


def test_drop_invalid_drops_and_counts() -> None:
    result = runner.invoke(
        app,
        [
            "compare",
            str(real_data_path(AIRLINE)),
            "--group",
            "Class",
            "--items",
            "Inflight wifi service",
            "--drop-invalid",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    frame = pd.read_csv(real_data_path(AIRLINE))
    assert data["dropped_invalid"]["Inflight wifi service"] == int(
        (frame["Inflight wifi service"] == 0).sum()
    )
    assert len(data["comparisons"]) == 3  # three classes, every pair


def test_alexa_ratings_by_variation_table() -> None:
    result = runner.invoke(
        app,
        [
            "compare",
            str(real_data_path("amazon_alexa_reviews.tsv")),
            "--group",
            "variation",
            "--items",
            "rating",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "Charcoal Fabric" in result.stdout
    assert "Holm adjustment over the 120 pair(s) compared on each item" in result.stdout


def test_group_with_one_answer_says_so(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("team,q\na,3\nb,4\nb,5\nb,4\n", encoding="utf-8")
    result = runner.invoke(
        app, ["compare", str(path), "-g", "team", "-i", "q"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "too few answers (n=1) for an interval" in result.stdout
    assert "too few answers in a (n=1) to compare" in result.stdout


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("team,q\na,3\n", encoding="utf-8")
    result = runner.invoke(app, ["compare", str(path), "-g", "group", "-i", "q,r"])
    assert result.exit_code == 2
    assert "'group'" in result.output
    assert "'r'" in result.output
