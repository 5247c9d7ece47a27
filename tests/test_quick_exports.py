"""The quick commands read real exports as ``cxgap import responses`` does;
missing-value tokens; NPS on a column that is no 0-10 scale; the dry run of
an export that maps onto nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import InputError
from cxgap.ingest.quick import read_quick_table, resolve_columns
from cxgap.ingest.tables import MISSING_TOKENS, numeric_column, without_missing_tokens

CORPUS = Path(__file__).parent / "data" / "real-exports"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


def test_nps_of_a_qualtrics_column_skips_the_header_rows() -> None:
    # Before: rows 2 and 3 (question text, ImportId JSON) were read as two bad answers.
    path = str(CORPUS / "qualtrics_current_qualtrics_r.csv")
    code, out, err = _run("nps", path, "--column", "Q1", "--json", "--scale-checked")
    assert code == 0, err
    assert json.loads(out)["n"] == 1  # the one respondent answered 2: a detractor
    assert json.loads(out)["detractors"] == 1


def test_a_column_is_named_by_its_header_text_too() -> None:
    frame = read_quick_table(CORPUS / "qualtrics_legacy_no_basis.csv")
    assert resolve_columns(frame, ["indicate how you feel about  squash", "Q1"]) == ["Q1", "Q1"]
    with pytest.raises(InputError) as err:
        resolve_columns(frame, ["How likely are you to recommend us?"])
    assert "with that header text" in str(err.value)


def test_an_ambiguous_header_text_is_refused_naming_its_columns() -> None:
    frame = read_quick_table(CORPUS / "qualtrics_insights_text_entry.csv")
    with pytest.raises(InputError) as err:
        resolve_columns(frame, ["Click to write the question text"])
    assert "MCSA_single_text" in str(err.value) and "not several" in str(err.value)


def _year_column() -> list[str]:
    """The 'What year are you in?' answers, read with openpyxl."""
    ws = openpyxl.load_workbook(CORPUS / "google_forms_fa25.xlsx").worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    j = rows[0].index("What year are you in?")
    return [str(r[j]) for r in rows[1:] if r[j] is not None]


def test_nps_refuses_a_column_that_never_goes_above_five() -> None:
    years = _year_column()
    seen_max = max(int(v) for v in years)
    assert seen_max <= 5  # by openpyxl: a year of study 1-4, no 0-10 score
    path = str(CORPUS / "google_forms_fa25.xlsx")
    code, _, err = _run("nps", path, "--column", "What year are you in?")
    assert code == 2
    assert "not a 0-10 scale" in err and f"max {seen_max}" in err and f"n = {len(years)}" in err
    assert "--scale-checked" in err
    code, out, _ = _run(
        "nps", path, "--column", "What year are you in?", "--scale-checked", "--json"
    )
    assert code == 0 and json.loads(out)["nps"] == -100.0


def _with_r_missing(tmp_path: Path) -> Path:
    """The real LimeSurvey export as R's write.csv() writes it: NA in empty cells."""
    rows = list(csv.reader(io.StringIO((CORPUS / "limesurvey_name_face.csv").read_text())))
    out = io.StringIO()
    csv.writer(out).writerows([rows[0]] + [[c if c else "NA" for c in r] for r in rows[1:]])
    path = tmp_path / "results_from_r.csv"
    path.write_text(out.getvalue())
    return path


def test_r_style_na_is_missing_not_an_error(tmp_path: Path) -> None:
    original = read_quick_table(CORPUS / "limesurvey_name_face.csv")
    with_na = read_quick_table(_with_r_missing(tmp_path))
    assert (with_na["leeftijd"] == "NA").sum() == original["leeftijd"].isna().sum() > 0
    a, bad_a = numeric_column(original, "leeftijd", low=0, high=120)
    b, bad_b = numeric_column(with_na, "leeftijd", low=0, high=120)
    assert bad_a == bad_b == 0
    pd.testing.assert_series_equal(a, b)


def test_missing_tokens_are_only_the_documented_ones() -> None:
    cells = pd.Series(
        ["NA", "N/A", "n/a", "NaN", "#N/A", " na ", "None", "null", ".", "-99", "NAB"]
    )
    kept = without_missing_tokens(cells).dropna().tolist()
    assert kept == ["None", "null", ".", "-99", "NAB"]
    assert "None" not in MISSING_TOKENS and "." not in MISSING_TOKENS


def test_numeric_column_cell_by_cell() -> None:
    # Each cell's fate by hand: a number, empty (blank or a missing token,
    # spaces aside) or invalid (named in the error with its row).
    cells = ["4", " NA ", "N/A", None, "nan", "NaN", " ", "5 ", "ten", "11", "3.5", "#N/A", "None"]
    frame = pd.DataFrame({"x": cells})
    frame.attrs["source"] = "t.csv"
    values, dropped = numeric_column(frame, "x", low=0, high=10, drop_invalid=True)
    expected = [4.0, None, None, None, None, None, None, 5.0, None, None, 3.5, None, None]
    assert [None if np.isnan(v) else v for v in values] == expected
    assert dropped == 3  # "ten", "11", "None"
    with pytest.raises(InputError) as err:
        numeric_column(frame, "x", low=0, high=10, integer=True)
    rows = [(p.row, p.value) for p in err.value.problems]
    assert rows == [(10, "ten"), (11, "11"), (12, "3.5"), (14, "None")]


def test_themes_leave_na_answers_out(tmp_path: Path) -> None:
    path = str(CORPUS / "surveymonkey_ggwash_anc.csv")
    column = "What does family-sized housing mean to you? (Max. 1,500 characters.)"
    rows = list(csv.reader(io.StringIO((CORPUS / "surveymonkey_ggwash_anc.csv").read_text())))
    j = rows[0].index(column)
    answered = [r[j] for r in rows[2:] if r[j].strip() and r[j].strip() not in ("N/A", "n/a")]
    code, out, err = _run("themes", path, "--text-column", column, "--json", "--themes", "2")
    assert code == 0, err
    assert json.loads(out)["n"] == len(answered)


def test_drivers_leave_the_tools_own_columns_out(tmp_path: Path) -> None:
    # LimeSurvey's id and lastpage are numbers, but no driver.
    path = str(CORPUS / "limesurvey_name_face.csv")
    code, out, err = _run("drivers", path, "--outcome", "leeftijd", "--json")
    assert "lastpage" not in out and "'id'" not in out
    assert code == 2 and "no numeric columns besides" in err


@pytest.fixture
def db(db_url: str) -> str:
    assert _run("init", "acme", "--org", "Acme", "--db", db_url)[0] == 0
    return db_url


def test_dry_run_of_an_export_that_maps_onto_nothing_is_summarised(db: str) -> None:
    path = str(CORPUS / "google_forms_sp24.csv")
    args = ["import", "responses", path, "--study", "acme", "--audience", "customer"]
    args += ["--wave", "w1", "--db", db, "--dry-run"]
    code, out, _ = _run(*args)
    assert code == 1
    # One line per kind, with its count, not one per row: 40 rows map onto nothing.
    assert "41 problem(s) of 2 kind(s)" in out
    assert "an answer to at least one mapped question" in out and "2, 3, 4" in out
    assert "Unmatched:" in out and "What state or country were you born in?" in out
    assert "--mapping" in out and "cxgap init SLUG --from" in out
    assert "--all-problems" in out
    code, out, _ = _run(*args, "--all-problems")
    assert out.count("an answer to at least one mapped question") == 40
    code, out, _ = _run(*args, "--json")
    assert len(json.loads(out)["problems"]) == 41


def test_na_in_an_imported_answer_is_no_answer(tmp_path: Path) -> None:
    """The real Qualtrics sample with its answers as R writes a missing value."""
    from cxgap.ingest.formats import read_export
    from cxgap.ingest.mapping import ResponseMapping
    from cxgap.ingest.responses import parse_responses
    from cxgap.study import default_study

    study = default_study("acme", organisation="Acme")
    mapping = ResponseMapping(columns={"Q1": "ltr", "Q2": "open.well"})
    src = CORPUS / "qualtrics_current_qualtrics_r.csv"
    rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    q1, q2 = rows[0].index("Q1"), rows[0].index("Q2")
    assert (rows[3][q1], rows[3][q2]) == ("2", "Hello World!")
    as_is = parse_responses(
        read_export(src), study, audience="customer", wave="w1", mapping=mapping
    )
    assert as_is.problems == [] and as_is.frame.loc[0, "ltr"] == 2
    rows.append([*rows[3]])
    rows[4][rows[0].index("ResponseId")] = "R_second"
    rows[4][q1], rows[4][q2] = "NA", "Hello again"
    rows.append([*rows[3]])
    rows[5][rows[0].index("ResponseId")] = "R_third"
    rows[5][q1], rows[5][q2] = " N/A ", "#N/A"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / "with_na.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    parsed = parse_responses(
        read_export(path), study, audience="customer", wave="w1", mapping=mapping
    )
    # Row 5 answers open.well; row 6 answers nothing: its only problem is that.
    assert [(p.row, p.expected) for p in parsed.problems] == [
        (6, "an answer to at least one mapped question")
    ]
    assert parsed.frame["ltr"].isna().tolist() == [False, True, True]
    assert parsed.frame["open.well"].tolist()[:2] == ["Hello World!", "Hello again"]


def test_tool_metadata_is_never_mapped_even_by_name(tmp_path: Path) -> None:
    """Display order, embedded data and scores added to the real Qualtrics
    sample, as Qualtrics writes them, are system columns; so are LimeSurvey's."""
    from cxgap.ingest.formats import read_export
    from cxgap.ingest.mapping import ResponseMapping, match_columns
    from cxgap.study import default_study

    src = CORPUS / "qualtrics_current_qualtrics_r.csv"
    rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    extra = {
        "Q1_DO": ("Q1 - Display Order", '{"ImportId":"QID1_DO"}', "1|2|3"),
        "Q_RecaptchaScore": ("Q_RecaptchaScore", '{"ImportId":"_recaptcha"}', "0.9"),
        "Q_TotalDuration": ("Q_TotalDuration", '{"ImportId":"Q_TotalDuration"}', "38"),
        "SC0": ("Score", '{"ImportId":"SC_0"}', "3"),
        "Q2_Page Submit": ("Timing - Page Submit", '{"ImportId":"QID9_PAGE_SUBMIT"}', "5.1"),
    }
    for name, (text, import_id, value) in extra.items():
        for r, cell in zip(rows, (name, text, import_id, value), strict=True):
            r.append(cell)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / "with_metadata.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    export = read_export(path)
    assert set(extra) <= export.system
    study = default_study("acme", organisation="Acme")
    matches = match_columns(
        list(export.frame.columns), export.headers, study, audience="customer",
        mapping=ResponseMapping(), system=export.system, file=str(path),
    )  # fmt: skip
    how = {m.column: m.how for m in matches}
    assert {how[c] for c in extra} == {"system column"}
    lime = read_export(CORPUS / "limesurvey_name_face.csv")
    lime_matches = match_columns(
        list(lime.frame.columns), lime.headers, study, audience="customer",
        mapping=ResponseMapping(), system=lime.system, file="lime",
    )  # fmt: skip
    lime_how = {m.column: m.how for m in lime_matches}
    assert {lime_how[c] for c in ("id", "submitdate", "lastpage", "startlanguage")} == {
        "system column"
    }
