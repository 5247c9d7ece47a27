"""``cxgap drivers FILE --outcome C``: key drivers of any CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from tests.realdata import AIRLINE_RATINGS, real_data_path

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


def test_text_outcome_of_more_than_two_values_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "three.csv"
    f.write_text("speed,verdict\n" + "".join(f"{i % 5 + 1},{'abc'[i % 3]}\n" for i in range(30)))
    code, out, err = _run(str(f), "-o", "verdict")
    assert code == 2
    assert out == ""
    assert "column 'verdict' is not numeric and has 3 distinct text value(s)" in err
    assert "Traceback" not in err


AIRLINE = "airline_passenger_satisfaction_test.csv"


@pytest.fixture(scope="module")
def airline() -> tuple[Path, pd.DataFrame]:
    path = real_data_path(AIRLINE)
    df = pd.read_csv(path)
    df["y"] = (df["satisfaction"] == "satisfied").astype(float)
    return path, df


def _r2(x: np.ndarray, y: np.ndarray) -> float:
    """R² of an OLS fit with intercept (numpy least squares, not cxgap)."""
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    return float(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))


def test_airline_id_and_index_are_never_drivers_and_the_two_level_outcome_is_coded(
    airline: tuple[Path, pd.DataFrame],
) -> None:
    path, df = airline
    code, out, err = _run(str(path), "-o", "satisfaction", "-b", "0", "--json")
    assert code == 0, err
    data = json.loads(out)
    factors = {d["factor"] for d in data["drivers"]}
    numeric = set(AIRLINE_RATINGS) | {"Age", "Flight Distance"}
    numeric |= {"Departure Delay in Minutes", "Arrival Delay in Minutes"}
    assert factors == numeric
    left = {x["column"]: x["reason"] for x in data["left_out"]}
    assert left["id"] == "an identifier (its name says so)"
    assert left["Unnamed: 0"] == "no header (a row index)"
    assert {c for c, r in left.items() if r == "text, not numbers"} == {
        "Gender",
        "Customer Type",
        "Type of Travel",
        "Class",
    }
    assert data["outcome_coding"]["1"] == "satisfied"
    assert data["outcome_coding"]["0"] == "neutral or dissatisfied"
    assert "coded 1 = 'satisfied' (11,403 rows), 0 = 'neutral or dissatisfied' (14,573" in err
    assert "Left out 6 column(s)" in err
    # Independent check: the importances sum to the R² of one numpy OLS fit
    # of the 0/1 outcome on the 18 columns kept (83 rows lack a delay).
    cols = [d["factor"] for d in data["drivers"]]
    used = df[[*cols, "y"]].dropna()
    assert (data["n"], data["dropped"]) == (len(used), 83)
    r2 = _r2(used[cols].to_numpy(float), used["y"].to_numpy(float))
    assert data["r2"] == pytest.approx(r2, abs=1e-9)
    assert sum(d["importance"] for d in data["drivers"]) == pytest.approx(r2, abs=1e-9)
    assert data["drivers"][0]["factor"] == "Online boarding"


def test_airline_shapley_matches_averaging_statsmodels_fits_over_every_order(
    airline: tuple[Path, pd.DataFrame],
) -> None:
    """LMG by its definition: the R² a factor adds, averaged over the 24
    orders of entry of four factors, each R² from a statsmodels OLS fit."""
    import itertools

    import statsmodels.api as sm

    path, df = airline
    four = ["Online boarding", "Seat comfort", "Inflight wifi service", "Cleanliness"]
    code, out, err = _run(
        str(path), "-o", "satisfaction", "-f", ",".join(four), "-b", "0", "--json"
    )
    assert code == 0, err
    got = {d["factor"]: d["importance"] for d in json.loads(out)["drivers"]}
    y = df["y"].to_numpy(float)

    def r2(subset: tuple[str, ...]) -> float:
        if not subset:
            return 0.0
        return float(sm.OLS(y, sm.add_constant(df[list(subset)].to_numpy(float))).fit().rsquared)

    cache: dict[frozenset[str], float] = {}
    want = dict.fromkeys(four, 0.0)
    orders = list(itertools.permutations(four))
    for order in orders:
        for k, f in enumerate(order):
            before, after = frozenset(order[:k]), frozenset(order[: k + 1])
            for s in (before, after):
                if s not in cache:
                    cache[s] = r2(tuple(sorted(s)))
            want[f] += (cache[after] - cache[before]) / len(orders)
    for f in four:
        assert got[f] == pytest.approx(want[f], abs=1e-9)


def test_airline_relative_weights_match_johnsons_formula_by_svd(
    airline: tuple[Path, pd.DataFrame],
) -> None:
    """Johnson (2000) computed another way: the SVD of the standardised
    factors gives their orthogonal counterparts Z = U V'; regress y on Z, and
    share each Z's R² back by the squared loadings of X on Z."""
    path, df = airline
    code, out, err = _run(
        str(path), "-o", "satisfaction", "-f", ",".join(AIRLINE_RATINGS), "-m", "relative-weights",
        "-b", "0", "--json",
    )  # fmt: skip
    assert code == 0, err
    got = {d["factor"]: d["importance"] for d in json.loads(out)["drivers"]}
    x = df[AIRLINE_RATINGS].to_numpy(float)
    x = (x - x.mean(0)) / x.std(0)
    y = (df["y"] - df["y"].mean()) / df["y"].std(ddof=0)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    z = u @ vt * np.sqrt(len(y))  # standardised orthogonal counterparts
    beta = z.T @ y.to_numpy() / len(y)
    lam = (vt.T * s) @ vt / np.sqrt(len(y))  # loadings of X on Z
    eps = (lam**2) @ (beta**2)
    for j, f in enumerate(AIRLINE_RATINGS):
        assert got[f] == pytest.approx(eps[j], abs=1e-9)


def test_positive_picks_the_level_coded_one(airline: tuple[Path, pd.DataFrame]) -> None:
    path, _ = airline
    args = [str(path), "-o", "satisfaction", "-f", "Online boarding", "-b", "0", "--json"]
    flipped = json.loads(_run(*args, "--positive", "Neutral or Dissatisfied")[1])
    assert flipped["outcome_coding"] == {
        "1": "neutral or dissatisfied",
        "0": "satisfied",
        "rule": "chosen with --positive",
    }
    code, _, err = _run(*args, "--positive", "happy")
    assert code == 2
    assert "--positive 'happy' is not a value of column 'satisfaction'" in err


def test_ids_row_counters_dates_and_tool_columns_are_left_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 60
    df = pd.DataFrame(
        {
            "ResponseId": [f"R_{i:04d}" for i in range(n)],
            "StartDate": pd.date_range("2026-01-01", periods=n, freq="h").astype(str),
            "customer_number": rng.permutation(np.arange(1000, 1000 + n)),
            "seq": np.arange(1, n + 1),
            "visited": pd.date_range("2025-03-01", periods=n, freq="D").strftime("%d/%m/%Y"),
            "Duration (in seconds)": rng.integers(60, 900, n),
            "speed": rng.integers(1, 6, n),
            "care": rng.integers(1, 6, n),
        }
    )
    df["ltr"] = (df["speed"] * 2 + rng.normal(0, 1, n)).round().clip(0, 10)
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False)
    code, out, _ = _run(str(path), "-o", "ltr", "-b", "0")
    assert code == 0
    assert "Left out 6 column(s), not used as drivers:" in out
    assert "1 an identifier (a different whole number on every row): 'customer_number'" in out
    assert "1 a row counter (whole numbers rising by one on every row): 'seq'" in out
    assert "3 a column the survey tool adds: 'ResponseId', 'StartDate', 'Duration" in out
    assert "1 dates or times: 'visited'" in out
    data = json.loads(_run(str(path), "-o", "ltr", "-b", "0", "--json")[1])
    assert {d["factor"] for d in data["drivers"]} == {"speed", "care"}
    assert len(data["left_out"]) == 6


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


def test_a_blank_cell_of_a_two_value_outcome_is_a_dropped_row(tmp_path: Path) -> None:
    rows = [f"{i % 5 + 1},{(i * 3) % 5 + 1},{'Yes' if i % 5 > 1 else 'No'}" for i in range(40)]
    rows[7] = "3,2,"
    f = tmp_path / "churn.csv"
    f.write_text("speed,care,Renewed\n" + "\n".join(rows) + "\n")
    code, out, err = _run(str(f), "-o", "Renewed", "-b", "0", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["n"], data["dropped"]) == (39, 1)
    assert data["outcome_coding"] == {"1": "Yes", "0": "No", "rule": "'No' reads as no"}
    assert "coded 1 = 'Yes' (23 rows), 0 = 'No' (16 rows)" in err


def _drivers_process(args: list[str], *, stderr_terminal: bool) -> tuple[int, str, str]:
    """``cxgap drivers ARGS`` in a fresh interpreter: (exit code, stdout, stderr),
    with stderr a pseudo-terminal (as in a user's shell) or a pipe."""
    import os
    import pty
    import subprocess
    import sys
    import threading

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORCE_", "TTY_", "NO_"))}
    env.update(TERM="xterm-256color", COLUMNS="100", PYTHONPATH=str(root / "src"))
    command = [sys.executable, "-c", "from cxgap.cli import main; main()", "drivers", *args]
    if not stderr_terminal:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # so the terminal's buffer never fills and blocks the command
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env
        ) as proc:
            os.close(slave)
            out, _ = proc.communicate(timeout=120)
        reader.join(timeout=10)
    finally:
        os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_bootstrap_progress_shows_on_a_terminal_and_leaves_the_json_unchanged() -> None:
    # Issue 19: the bootstrap shows a Rich progress bar on stderr when it is a
    # terminal (updated once per batch of resamples, not per resample); stdout
    # holds only the JSON, byte for byte what it is without a terminal.
    args = [str(real_data_path("swiss.csv")), "-o", "Fertility", "-b", "400", "--seed", "3"]
    code, plain_out, plain_err = _drivers_process([*args, "--json"], stderr_terminal=False)
    assert code == 0, plain_err
    # No bar (nor its escape codes) when stderr is not a terminal: only the notes.
    assert "Bootstrap" not in plain_err and "\x1b" not in plain_err
    code, out, err = _drivers_process([*args, "--json"], stderr_terminal=True)
    assert code == 0, err
    assert out == plain_out
    assert json.loads(out)["bootstrap"] == 400
    assert "Bootstrap" in err and "400/400" in err
    # The table output is the same with the bar on the terminal too.
    code, table_out, err = _drivers_process(args, stderr_terminal=True)
    assert code == 0, err
    assert "Drivers of Fertility" in table_out and "400 bootstrap resamples" in table_out
    assert "Bootstrap" in err
