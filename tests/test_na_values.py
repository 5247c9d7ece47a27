"""``--na-value``: one meaning ("no answer", in every column) for ``compare``,
``drivers``, ``nps`` and ``import responses``, the same as a mapping file's
``missing:`` for all columns. Checked on the real airline file, whose 1-5
service items use 0 for "not applicable", against pandas on the raw file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.cli._common import mask_na
from cxgap.ingest.mapping import with_na_values
from tests.realdata import real_data_path

runner = CliRunner()
WIFI = "Inflight wifi service"


@pytest.fixture(scope="module")
def airline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 rows of the airline export, unchanged."""
    lines = real_data_path("airline_passenger_satisfaction_test.csv").read_text().splitlines(True)
    out = tmp_path_factory.mktemp("na") / "air.csv"
    out.write_text("".join(lines[:301]), encoding="utf-8")
    return out


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_compare_means_leave_the_na_value_out(airline: Path) -> None:
    got = _json("compare", str(airline), "--group", "Class", "--items", WIFI, "--na-value", "0",
                "--json")  # fmt: skip
    raw = pd.read_csv(airline)
    rated = raw[raw[WIFI] != 0]
    for cell in got["cells"]:
        values = rated.loc[rated["Class"] == cell["group"], WIFI]
        assert cell["n"] == len(values)
        assert cell["mean"] == pytest.approx(values.mean())


def test_drivers_drop_the_rows_with_an_na_value(airline: Path) -> None:
    cols = [WIFI, "Cleanliness", "Seat comfort"]
    got = _json("drivers", str(airline), "--outcome", "Seat comfort", "--factors",
                f"{WIFI},Cleanliness", "--na-value", "0", "--bootstrap", "0", "--json")  # fmt: skip
    raw = pd.read_csv(airline)[cols]
    complete = raw[(raw != 0).all(axis=1)]
    assert got["n"] == len(complete) and got["dropped"] == len(raw) - len(complete)
    # R² of the OLS fit, by numpy's least squares on the same rows.
    import numpy as np

    x = np.column_stack([np.ones(len(complete)), complete[[WIFI, "Cleanliness"]].to_numpy(float)])
    y = complete["Seat comfort"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    r2 = 1 - ((y - x @ beta) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert got["r2"] == pytest.approx(r2)


def test_nps_leaves_a_dont_know_code_out(tmp_path: Path) -> None:
    path = tmp_path / "ltr.csv"
    # 4 promoters, 2 passives, 2 detractors, and two "99 = don't know".
    path.write_text("ltr\n10\n9\n9\n10\n7\n8\n3\n0\n99\n99\n", encoding="utf-8")
    got = _json("nps", str(path), "--column", "ltr", "--na-value", "99", "--json")
    assert got["n"] == 8
    assert got["nps"] == pytest.approx(100 * (4 - 2) / 8)
    refused = runner.invoke(app, ["nps", str(path), "--column", "ltr"])
    assert refused.exit_code == 2 and "99" in refused.stderr


def test_mask_na_compares_text_normalised_and_numbers_by_value() -> None:
    frame = pd.DataFrame({"a": ["0", "0.0", "3", "n/a", None], "b": ["N/A", "1", "2", "0", "x"]})
    out = mask_na(frame, ["a"], ["0", "N/A"])
    assert out["a"].isna().tolist() == [True, True, False, True, True]
    assert out["b"].tolist() == frame["b"].tolist()  # only the columns named


def test_na_value_is_the_mappings_missing_for_every_column() -> None:
    m = with_na_values(None, ["0"])
    assert m.missing == {"*": ["0"]}
    assert m.missing_for("perf.anything") == {"0"} == m.missing_for("ltr")
