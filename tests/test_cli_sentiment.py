"""``cxgap sentiment FILE --text-column T [--group G] [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxgap.cli import app

runner = CliRunner()

ROWS = [
    ("customer", "Support is slow, we wait 2 days for a response to a ticket"),
    ("customer", "Prices went up 20% with no warning"),
    ("customer", ""),
    ("customer", "Our account manager is proactive and really helpful"),
    ("staff", "The product is excellent. Support is painfully slow."),
    ("staff", "Northwind is faster than you"),
]


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    lines = ["audience,text"] + [f'{a},"{t}"' for a, t in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_json_rows_carry_their_file_row_label_score_and_aspects(answers: Path) -> None:
    res = runner.invoke(
        app,
        [
            "sentiment",
            str(answers),
            "--text-column",
            "text",
            "--group",
            "audience",
            "--competitor",
            "Northwind",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["n"], out["n_empty"]) == (5, 1)
    rows = {r["row"]: r for r in out["rows"]}
    assert sorted(rows) == [2, 3, 5, 6, 7]  # header is row 1; row 4 is empty
    assert rows[2]["label"] == "negative" and rows[2]["score"] < 0
    assert rows[5]["label"] == "positive"
    aspects = {(a["kind"], a["key"]): a["label"] for a in rows[6]["aspects"]}
    assert aspects[("touchpoint", "product")] == "positive"
    assert aspects[("touchpoint", "support")] == "negative"
    assert ("competitor", "Northwind") in {(a["kind"], a["key"]) for a in rows[7]["aspects"]}
    groups = {g["group"]: g for g in out["groups"]}
    assert groups["customer"]["n"] == 3 and groups["staff"]["n"] == 2
    cust = groups["customer"]
    assert sum(cust["labels"][k]["count"] for k in ("negative", "neutral", "positive")) == 3
    assert cust["labels"]["negative"]["count"] == 2
    assert cust["sentiment"]["n"] == cust["n"]
    assert "Wilson" in out["interval"]


def test_table_output_names_the_groups_and_their_n(answers: Path) -> None:
    res = runner.invoke(
        app, ["sentiment", str(answers), "--text-column", "text", "--group", "audience"]
    )
    assert res.exit_code == 0, res.output
    assert "Sentiment of 5 answers (1 empty left out)" in res.output
    assert "customer" in res.output and "staff" in res.output


def test_missing_column_is_one_error_line(answers: Path) -> None:
    res = runner.invoke(app, ["sentiment", str(answers), "--text-column", "nope"])
    assert res.exit_code == 2
    assert "nope" in res.output and "Traceback" not in res.output
