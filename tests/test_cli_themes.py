"""``cxgap themes FILE --text-column C``: themes of any CSV from the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.demo.texts import open_answer

runner = CliRunner()


@pytest.fixture(scope="module")
def answers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(5)
    path = tmp_path_factory.mktemp("themes") / "answers.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "audience", "answer", "score"])
        i = 0
        for audience in ("customer", "staff"):
            for _ in range(80):
                text, _ = open_answer(
                    rng,
                    question="barriers" if audience == "staff" else "future_needs",
                    audience=audience,
                    segment="top",
                    team="support",
                    wave="w1",
                )
                w.writerow([i, audience, text or "", i % 10])
                i += 1
        w.writerow([i, "customer", "<b>Integrations</b> with our ERP &amp; finance systems", 1])
    return path


def test_json_output_has_the_documented_shape(answers_csv: Path) -> None:
    result = runner.invoke(
        app, ["themes", str(answers_csv), "--text-column", "answer", "--themes", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"n", "themes"} <= set(data)
    assert "divergence" not in data and "assignments_file" not in data
    # k topics; a topic pooling complaints with praise is split in two (a note says so)
    split = [n for n in data["notes"] if "complaints and praise" in n]
    n_split = int(split[0].split()[0]) if split else 0
    assert data["k"] == 4 and len(data["themes"]) == 4 + n_split
    theme = data["themes"][0]
    keys = {"id", "label", "polarity", "keywords", "size", "sentiment", "quotes"}
    assert keys | {"share_by_group"} <= set(theme)
    assert sum(t["size"] for t in data["themes"]) + data["n_unassigned"] == data["n"]


def test_group_option_adds_shares_and_divergence(answers_csv: Path) -> None:
    result = runner.invoke(
        app,
        ["themes", str(answers_csv), "--text-column", "answer", "--group", "audience", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["themes"][0]["share_by_group"]) == {"customer", "staff"}
    assert data["divergence"]["p_value"] < 0.05
    assert data["k_chosen_by"] == "stability"


def test_assignments_file_gives_each_rows_theme(answers_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "assign.csv"
    result = runner.invoke(
        app,
        [
            "themes",
            str(answers_csv),
            "--text-column",
            "answer",
            "--themes",
            "3",
            "--assignments",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["assignments_file"] == str(out)
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 161
    assert rows[0]["row"] == "2"  # spreadsheet row of the first answer
    themes = json.loads(result.stdout)["themes"]
    assert {r["theme"] for r in rows} - {""} == {t["id"] for t in themes}
    for t in themes:
        assert sum(r["theme"] == t["id"] for r in rows) == t["size"]


def test_table_output_shows_themes_quotes_and_divergence(answers_csv: Path) -> None:
    result = runner.invoke(
        app,
        [
            "themes",
            str(answers_csv),
            "--text-column",
            "answer",
            "--group",
            "audience",
            "--seed",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Themes of" in result.stdout and "Divergence between groups" in result.stdout
    assert "“" in result.stdout  # quotes


def test_html_in_answers_is_shown_as_text(answers_csv: Path) -> None:
    result = runner.invoke(
        app, ["themes", str(answers_csv), "--text-column", "answer", "--themes", "3", "--json"]
    )
    data = json.loads(result.stdout)
    assert data["n"] + data["n_empty"] == 161
    assert not any("&amp;" in q["text"] for t in data["themes"] for q in t["quotes"])


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("score", "a column of text answers (100% of its cells are numbers)"),
        ("nope", "a column named 'nope'"),
    ],
)
def test_bad_columns_are_one_line_errors(answers_csv: Path, column: str, message: str) -> None:
    result = runner.invoke(app, ["themes", str(answers_csv), "--text-column", column])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_empty_column_and_missing_file_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("id,answer\n1,\n2,\n", encoding="utf-8")
    result = runner.invoke(app, ["themes", str(empty), "--text-column", "answer"])
    assert result.exit_code == 2 and "it is empty" in result.output
    result = runner.invoke(app, ["themes", str(tmp_path / "none.csv"), "--text-column", "a"])
    assert result.exit_code == 2 and "an existing file" in result.output


def test_too_few_answers_is_a_clear_error(tmp_path: Path) -> None:
    few = tmp_path / "few.csv"
    few.write_text("answer\nslow support\ngreat team\n", encoding="utf-8")
    result = runner.invoke(app, ["themes", str(few), "--text-column", "answer"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: themes need at least 10 non-empty answers")


def test_numeric_group_values_are_named_after_their_column(answers_csv: Path) -> None:
    result = runner.invoke(
        app,
        [
            "themes",
            str(answers_csv),
            "--text-column",
            "answer",
            "--group",
            "score",
            "--themes",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    groups = set(json.loads(result.stdout)["themes"][0]["share_by_group"])
    assert groups == {f"score {i}" for i in range(10)}
