"""``cxgap drivers FILE --outcome C``: key drivers of any CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from tests.realdata import real_data_path

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["drivers", *args])
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    """A small survey export with an index column, blanks and a text column."""
    rng = np.random.default_rng(0)
    n = 80
    df = pd.DataFrame(
        {
            "speed": rng.integers(1, 6, n).astype(float),
            "care": rng.integers(1, 6, n).astype(float),
            "price": rng.integers(1, 6, n).astype(float),
        }
    )
    df["ltr"] = (df["speed"] * 1.5 + df["care"] * 0.5 + rng.normal(0, 1, n)).round().clip(0, 10)
    df["comment"] = "ok"
    df.loc[[3, 10], "care"] = np.nan
    df.loc[20, "ltr"] = np.nan
    path = tmp_path / "survey.csv"
    df.to_csv(path)  # writes an unnamed index column first
    return path


def test_json_has_the_documented_shape_and_sums_to_r2() -> None:
    code, out, _ = _run(str(real_data_path("swiss.csv")), "--outcome", "Fertility", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"outcome", "method", "n", "r2", "drivers", "dropped"}
    assert (data["outcome"], data["method"], data["n"], data["dropped"]) == (
        "Fertility",
        "shapley",
        47,
        0,
    )
    assert data["r2"] == pytest.approx(0.7067, abs=5e-5)
    assert {"factor", "importance", "share", "ci_low", "ci_high"} <= set(data["drivers"][0])
    assert sum(d["importance"] for d in data["drivers"]) == pytest.approx(data["r2"])
    for d in data["drivers"]:
        assert d["share"] == pytest.approx(d["importance"] / data["r2"])
        assert d["ci_low"] <= d["importance"] <= d["ci_high"]
    # Same Grömping (2006) swiss values as tests/test_drivers.py.
    assert data["drivers"][0]["factor"] == "Education"
    assert data["drivers"][0]["importance"] == pytest.approx(0.2601, abs=5e-5)


def test_factors_and_relative_weights_reproduce_the_rwa_example() -> None:
    code, out, _ = _run(
        str(real_data_path("mtcars.csv")),
        "-o",
        "mpg",
        "--factors",
        "cyl, disp,hp,gear",
        "--method",
        "relative-weights",
        "--bootstrap",
        "0",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    # rwa README: raw weights 0.2284797 0.2221469 0.2321744 0.0963886.
    got = {d["factor"]: d["importance"] for d in data["drivers"]}
    assert got == pytest.approx(
        {"cyl": 0.2284797, "disp": 0.2221469, "hp": 0.2321744, "gear": 0.0963886}, abs=1e-6
    )
    assert data["drivers"][0]["ci_low"] is None


def test_default_factors_skip_text_and_index_columns_and_count_dropped_rows(
    survey: Path,
) -> None:
    code, out, _ = _run(str(survey), "-o", "ltr", "--json", "-b", "50", "--seed", "3")
    assert code == 0
    data = json.loads(out)
    assert sorted(d["factor"] for d in data["drivers"]) == ["care", "price", "speed"]
    assert (data["n"], data["dropped"]) == (77, 3)
    assert data["drivers"][0]["factor"] == "speed"
    again = json.loads(_run(str(survey), "-o", "ltr", "--json", "-b", "50", "--seed", "3")[1])
    assert again == data


def test_table_output_names_factors_n_and_r2(survey: Path) -> None:
    code, out, _ = _run(str(survey), "-o", "ltr", "-b", "20")
    assert code == 0
    assert "Drivers of ltr" in out
    assert "speed" in out
    assert "n = 77 (dropped 3" in out
    assert "R² =" in out


def test_text_outcome_is_one_clear_error() -> None:
    code, out, err = _run(
        str(real_data_path("airline_passenger_satisfaction_test.csv")), "-o", "satisfaction"
    )
    assert code == 2
    assert out == ""
    assert "Error:" in err
    assert "column 'satisfaction' is not numeric" in err
    assert "Traceback" not in err


def test_a_bad_cell_in_a_factor_is_named_with_its_row(survey: Path, tmp_path: Path) -> None:
    df = pd.read_csv(survey)
    df["care"] = df["care"].astype(object)
    df.loc[4, "care"] = "n/a?"
    bad = tmp_path / "bad.csv"
    df.to_csv(bad, index=False)
    code, _, err = _run(str(bad), "-o", "ltr", "-f", "speed,care")
    assert code == 2
    assert "row 6, column 'care': got 'n/a?', expected a number" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.assign(price=3.0), "column 'price' is constant"),
        (lambda df: df.assign(price=df["speed"] * 2 - 1), "perfectly collinear"),
        (lambda df: df.head(5), "too few complete rows for 3 factor(s)"),
    ],
)
def test_bad_designs_are_refused_naming_the_problem(
    survey: Path, tmp_path: Path, change: object, message: str
) -> None:
    df = pd.read_csv(survey, index_col=0).drop(columns="comment")
    path = tmp_path / "x.csv"
    change(df).to_csv(path, index=False)  # type: ignore[operator]
    code, out, err = _run(str(path), "-o", "ltr", "-b", "0")
    assert code == 2
    assert out == ""
    assert message in err


def test_unknown_columns_and_missing_files_are_errors(survey: Path, tmp_path: Path) -> None:
    code, _, err = _run(str(survey), "-o", "nps")
    assert code == 2
    assert "a column named 'nps'" in err
    code, _, err = _run(str(survey), "-o", "ltr", "-f", "speed,quality")
    assert code == 2
    assert "'quality'" in err
    code, _, err = _run(str(tmp_path / "none.csv"), "-o", "ltr")
    assert code == 2
    assert "an existing file" in err


def test_an_error_is_the_only_line_on_stderr(tmp_path: Path) -> None:
    f = tmp_path / "few.csv"
    f.write_text("ltr,speed,price\n9,4,3\n7,3,2\n")
    code, _, err = _run(str(f), "--outcome", "ltr", "--bootstrap", "50")
    assert code == 2
    assert err.startswith("Error: too few complete rows") and err.count("\n") == 1
