"""``cxgap nps``: NPS of any CSV column, JSON shape, groups, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxgap.analysis.perception.nps import nps_from_counts
from cxgap.cli import app

runner = CliRunner()
KEYS = {
    "n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "ci_low",
    "ci_high",
    "confidence",
    "method",
    "note",
}


@pytest.fixture
def survey_csv(tmp_path: Path) -> Path:
    """15 promoters, 13 passives, 8 detractors in two regions, one blank answer."""
    rows = ["id,ltr,region"]
    scores = [10] * 8 + [9] * 7 + [8] * 7 + [7] * 6 + [6] * 4 + [2] * 4
    for i, s in enumerate(scores):
        rows.append(f"{i},{s},{'EU' if i % 2 else 'US'}")
    rows.append("99,,EU")
    path = tmp_path / "survey.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_json_has_exactly_the_documented_keys(survey_csv: Path) -> None:
    result = runner.invoke(app, ["nps", str(survey_csv), "--column", "ltr", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    assert (data["n"], data["promoters"], data["passives"], data["detractors"]) == (36, 15, 13, 8)
    assert isinstance(data["n"], int)
    assert data["method"] == "wilson-effective-n"
    ref = nps_from_counts(15, 13, 8)
    assert data["ci_low"] == pytest.approx(ref.ci_low)
    assert data["nps"] == pytest.approx(100 * 7 / 36)


@pytest.mark.parametrize("method", ["wald", "bootstrap"])
def test_other_methods_are_named_in_the_output(survey_csv: Path, method: str) -> None:
    result = runner.invoke(app, ["nps", str(survey_csv), "-c", "ltr", "--method", method, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["method"] == method


def test_by_group_gives_one_entry_per_group(survey_csv: Path) -> None:
    result = runner.invoke(app, ["nps", str(survey_csv), "-c", "ltr", "--by", "region", "--json"])
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)["groups"]
    assert [g["group"] for g in groups] == ["US", "EU"]
    assert all(set(g) == KEYS | {"group"} for g in groups)
    assert sum(g["n"] for g in groups) == 36


def test_table_names_the_method_and_interval(survey_csv: Path) -> None:
    result = runner.invoke(app, ["nps", str(survey_csv), "-c", "ltr"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "wilson-effective-n" in result.stdout
    assert "19.4" in result.stdout  # 100 * 7/36


def test_out_of_scale_value_is_reported_with_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ltr\n9\n11\nten\n", encoding="utf-8")
    result = runner.invoke(app, ["nps", str(path), "-c", "ltr"])
    assert result.exit_code == 2
    assert "row 3" in result.output
    assert "column 'ltr'" in result.output
    assert "row 4" in result.output
    assert "Traceback" not in result.output


def test_drop_invalid_counts_what_it_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ltr\n9\n11\nten\n3\n", encoding="utf-8")
    result = runner.invoke(app, ["nps", str(path), "-c", "ltr", "--drop-invalid", "--json"])
    assert result.exit_code == 0, result.output
    assert "Dropped 2 invalid value(s)" in result.stderr
    assert json.loads(result.stdout)["n"] == 2


def test_group_with_one_answer_says_so(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text("ltr,team\n9\tx\n".replace("\t", ",") + "10,y\n3,y\n", encoding="utf-8")
    result = runner.invoke(
        app, ["nps", str(path), "-c", "ltr", "--by", "team"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "too few answers (n=1)" in result.stdout
    js = runner.invoke(app, ["nps", str(path), "-c", "ltr", "--by", "team", "--json"])
    first = json.loads(js.stdout)["groups"][0]
    assert first["ci_low"] is None


def test_all_promoters_get_a_note_not_a_zero_width_interval(tmp_path: Path) -> None:
    path = tmp_path / "fans.csv"
    path.write_text("ltr\n9\n10\n10\n9\n", encoding="utf-8")
    result = runner.invoke(
        app, ["nps", str(path), "-c", "ltr", "--method", "wald"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "every answer is a promoter" in result.stdout
    assert "100.0 to 100.0" not in result.stdout
    js = json.loads(runner.invoke(app, ["nps", str(path), "-c", "ltr", "--json"]).stdout)
    assert js["ci_high"] == 100 and js["ci_low"] < 50 and js["note"] is None


def test_unknown_column_and_method_are_one_line_errors(survey_csv: Path) -> None:
    result = runner.invoke(app, ["nps", str(survey_csv), "-c", "likely"])
    assert result.exit_code == 2
    assert "a column named 'likely'" in result.output
    result = runner.invoke(app, ["nps", str(survey_csv), "-c", "ltr", "--method", "exact"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: unknown --method")


def test_group_labels_are_trimmed_and_blank_groups_left_out(tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_text("ltr,team\n9,EU\n10, EU \n3,\n", encoding="utf-8")
    result = runner.invoke(app, ["nps", str(path), "-c", "ltr", "--by", "team", "--json"])
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)["groups"]
    assert [(g["group"], g["n"]) for g in groups] == [("EU", 2)]


def test_labels_that_look_like_markup_are_printed_as_written(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("ltr,Region\n9,[/]\n3,[bold]North\n10,[/]\n")
    res = runner.invoke(app, ["nps", str(f), "--column", "ltr", "--by", "Region"])
    assert res.exit_code == 0, res.stderr
    assert "[/]" in res.stdout and "[bold]North" in res.stdout


def test_a_column_without_one_valid_answer_is_one_error_line(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("ltr\nnine\n")
    res = runner.invoke(app, ["nps", str(f), "--column", "ltr", "--drop-invalid"])
    assert res.exit_code == 2
    assert res.stderr == f"Error: {f}: column 'ltr' has no answers\n"
