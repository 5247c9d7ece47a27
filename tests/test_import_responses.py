"""Importing survey exports: every cell checked, all rows or none, no duplicates.

Expected values are read by hand from the fixture files (written by
tests/fixtures/make_exports.py), never from the importer itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxgap.errors import InputError
from cxgap.ingest.accounts import import_accounts
from cxgap.ingest.formats import Export, read_export
from cxgap.ingest.mapping import ResponseMapping, load_response_mapping
from cxgap.ingest.responses import import_responses, parse_responses
from cxgap.store.db import Database
from cxgap.store.frames import load_frame
from cxgap.store.studies import save_study
from cxgap.study import default_study
from tests.realdata import real_data_path

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
STUDY = default_study("acme", organisation="Acme")
ACCOUNTS = {f"ACC-00{i}" for i in range(1, 6)}


@pytest.fixture
def acme(fresh_db: Database, tmp_path: Path) -> Database:
    """The default study 'acme' with the five CRM fixture accounts."""
    save_study(fresh_db, STUDY)
    m = tmp_path / "segments.yaml"
    m.write_text("segments: {Key account: top, Churned: defected}\n")
    import_accounts(fresh_db, "acme", EXPORTS / "crm_accounts.csv", mapping=m)
    return fresh_db


def _parse(name: str, audience: str, mapping: str | None = None) -> pd.DataFrame:
    parsed = parse_responses(
        read_export(EXPORTS / name),
        STUDY,
        audience=audience,  # type: ignore[arg-type]
        wave="w1",
        mapping=load_response_mapping(EXPORTS / mapping) if mapping else None,
        accounts=ACCOUNTS,
    )
    assert parsed.problems == [] and parsed.file_problems == []
    return parsed.frame


def test_qualtrics_values_land_in_the_right_columns() -> None:
    f = _parse("qualtrics_customers.csv", "customer", "qualtrics_mapping.yaml")
    row = f.iloc[1]  # R_...02: perf 3,4,3,2,2,3; excellent 3; ltr 7; two reasons
    assert row["source_key"] == "qualtrics:R_1ABCdefGHIjkl02"
    assert [row[f"perf.{k}"] for k in ("personalisation", "resolution", "empathy")] == [3, 2, 3]
    assert (row["excellent"], row["ltr"]) == (3, 7)
    assert row["leave.unresolved_problems"] == 1 and row["leave.slow_response"] == 1
    assert row["leave.price"] == 0
    assert (row["segment"], row["account_id"]) == ("top", "ACC-002")
    assert row["open.improve"] == "Tickets sit for weeks"
    # Row 4 chose no reason: the question stays unanswered, not "0 for all".
    assert np.isnan(f.iloc[3]["leave.price"])


def test_surveymonkey_words_and_option_columns() -> None:
    f = _parse("surveymonkey_staff.csv", "staff", "surveymonkey_mapping.yaml")
    # first respondent: Customer Support; Fair, Good, Fair, Good, Poor, Good; 40/20
    assert f["team"].tolist()[:3] == ["support", "support", "sales"]
    first = f.iloc[0]
    assert [first[f"perf.{k}"] for k in ("personalisation", "integrity", "time_effort")] == [
        3,
        4,
        2,
    ]
    assert (first["expected_promoters"], first["expected_detractors"]) == (40, 20)
    assert first["leave.unresolved_problems"] == 1 and first["leave.price"] == 0
    assert f["segment"].isna().all() and f["account_id"].isna().all()


def test_google_forms_checkboxes_and_rank_grid() -> None:
    f = _parse("google_forms_customers.csv", "customer", "google_forms_mapping.yaml")
    second = f.iloc[1]  # "Problems not resolved, Promises not kept"; ranks 4 3 5 1 2 6
    assert second["leave.unresolved_problems"] == 1 and second["leave.broken_promises"] == 1
    assert second["leave.price"] == 0
    assert second["rank.resolution"] == 1 and second["rank.empathy"] == 6
    assert f["source_key"].str.startswith("google_forms:").all()


def test_typeform_and_its_xlsx_give_the_same_frame() -> None:
    csv = _parse("typeform_leadership.csv", "leadership")
    xlsx = _parse("typeform_leadership.xlsx", "leadership")
    pd.testing.assert_frame_equal(csv, xlsx)
    assert csv["source_key"].iloc[0] == "typeform:k3j2h1g0f9e8d7c6"
    assert csv["expected_promoters"].tolist() == [70, 65, 80, 60, 75]


def test_every_bad_cell_is_named_with_row_column_value_and_expectation() -> None:
    parsed = parse_responses(
        read_export(EXPORTS / "google_forms_bad.csv"),
        STUDY,
        audience="customer",
        wave="w1",
        mapping=load_response_mapping(EXPORTS / "google_forms_mapping.yaml"),
        accounts=ACCOUNTS,
    )
    got = [(p.row, p.column.split(" ")[0] if p.column else None, p.value) for p in parsed.problems]
    assert got == [(2, "Would", "7"), (3, "How", "nine"), (4, "What", "Price, Weather"),
                   (5, "Rank", "1/1/2/3/4/5")]  # fmt: skip
    assert "from 1 to 5" in parsed.problems[0].expected
    assert parsed.bad.tolist() == [True, True, True, True]


def test_words_need_a_vocabulary_and_missing_codes_become_no_answer(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text(
        "respondent_id,wave,perf.empathy,imp.empathy,ltr\n"
        "r1,w1,Strongly agree,Very important,Extremely likely\n"
        "r2,w1,N/A,0,10 - Extremely likely\n"
        "r3,w1,Superb,3.5,11\n"
    )
    mapping = ResponseMapping(missing={"perf.*": ["N/A"], "imp.*": ["0"]})
    parsed = parse_responses(read_export(f), STUDY, audience="customer", mapping=mapping)
    frame = parsed.frame
    assert frame.loc[0, ["perf.empathy", "imp.empathy", "ltr"]].tolist() == [5, 4, 10]
    assert np.isnan(frame.loc[1, "perf.empathy"]) and np.isnan(frame.loc[1, "imp.empathy"])
    assert frame.loc[1, "ltr"] == 10
    assert [(p.row, p.column) for p in parsed.problems] == [
        (4, "perf.empathy"),
        (4, "imp.empathy"),
        (4, "ltr"),
    ]


def test_a_mixed_cxgap_file_keeps_questions_to_their_audience(tmp_path: Path) -> None:
    f = tmp_path / "mixed.csv"
    f.write_text("respondent_id,audience,wave,excellent,ltr\nc1,customer,w1,4,9\ns1,staff,w1,4,8\n")
    parsed = parse_responses(read_export(f), STUDY)
    assert [(p.row, p.column) for p in parsed.problems] == [(3, "ltr")]


def test_import_stores_once_and_reimport_adds_nothing(acme: Database) -> None:
    kw = {"audience": "customer", "wave": "w1", "mapping": EXPORTS / "qualtrics_mapping.yaml"}
    first = import_responses(acme, "acme", EXPORTS / "qualtrics_customers.csv", **kw)  # type: ignore[arg-type]
    again = import_responses(acme, "acme", EXPORTS / "qualtrics_customers.csv", **kw)  # type: ignore[arg-type]
    assert (first.written, again.written, again.already_stored) == (5, 0, 5)
    frame = load_frame(acme, "acme")
    assert len(frame) == 5
    assert frame["ltr"].tolist() == [9, 7, 2, 10, 8]
    assert frame["account_id"].tolist() == ["ACC-001", "ACC-002", "ACC-003", "ACC-004", "ACC-005"]


def test_a_file_with_a_bad_cell_writes_nothing(acme: Database) -> None:
    with pytest.raises(InputError) as err:
        import_responses(
            acme, "acme", EXPORTS / "google_forms_bad.csv", audience="customer", wave="w1",
            mapping=EXPORTS / "google_forms_mapping.yaml",
        )  # fmt: skip
    assert len(err.value.problems) == 4
    assert "row 2" in str(err.value)
    assert len(load_frame(acme, "acme")) == 0


def test_a_failure_while_writing_rolls_the_whole_file_back(acme: Database) -> None:
    def crash(_n: int) -> None:  # the first chunk is in; then the import dies
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_responses(
            acme, "acme", EXPORTS / "typeform_leadership.csv", audience="leadership",
            wave="w1", progress=crash,
        )  # fmt: skip
    assert len(load_frame(acme, "acme")) == 0


def test_skip_invalid_writes_the_valid_rows_and_lists_the_rest(
    acme: Database, tmp_path: Path
) -> None:
    f = tmp_path / "gf.csv"
    table = pd.read_csv(EXPORTS / "google_forms_customers.csv", dtype=str, encoding="utf-8-sig")
    table.iloc[1, 3] = "44"  # row 3 of the file: likelihood to recommend 44
    table.to_csv(f, index=False)
    result = import_responses(
        acme, "acme", f, audience="customer", wave="w1",
        mapping=EXPORTS / "google_forms_mapping.yaml", skip_invalid=True,
    )  # fmt: skip
    assert (result.rows, result.valid, result.skipped, result.written) == (4, 3, 1, 3)
    assert [(p.row, p.value) for p in result.problems] == [(3, "44")]
    assert len(load_frame(acme, "acme")) == 3


def test_unknown_accounts_are_row_problems(acme: Database, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("respondent_id,account_id,wave,ltr\nr1,ACC-001,w1,9\nr2,ACC-999,w1,3\n")
    with pytest.raises(InputError, match="row 3, column 'account_id': got 'ACC-999'"):
        import_responses(acme, "acme", f, audience="customer")


def test_dry_run_reports_mapping_and_problems_without_writing(acme: Database) -> None:
    result = import_responses(
        acme, "acme", EXPORTS / "google_forms_bad.csv", audience="customer", wave="w1",
        mapping=EXPORTS / "google_forms_mapping.yaml", dry_run=True,
    )  # fmt: skip
    assert result.written is None and len(result.problems) == 4
    assert {c.target for c in result.columns} >= {"ltr", "excellent", "leave", "account_id"}
    assert len(load_frame(acme, "acme")) == 0


def test_airline_survey_imports_with_a_mapping(acme: Database, tmp_path: Path) -> None:
    raw = pd.read_csv(real_data_path("airline_passenger_satisfaction_test.csv"), nrows=600)
    part = tmp_path / "airline.csv"
    with (real_data_path("airline_passenger_satisfaction_test.csv")).open() as src:
        part.write_text("".join(next(src) for _ in range(601)))
    mapping = tmp_path / "airline.yaml"
    mapping.write_text(
        "columns:\n"
        "  id: response_id\n"
        "  Customer Type: segment\n"
        "  Baggage handling: perf.resolution\n"
        "  On-board service: perf.empathy\n"
        "  Checkin service: perf.time_effort\n"
        "  Ease of Online booking: tp.sales\n"
        "segments: {Loyal Customer: top, disloyal Customer: other}\n"
        "missing: {'perf.*': ['0'], 'tp.*': ['0']}  # 0 = not applicable in this survey\n"
    )
    result = import_responses(acme, "acme", part, audience="customer", wave="w1", mapping=mapping)
    assert result.written == 600
    frame = load_frame(acme, "acme")
    # Reference: the same columns computed straight from the CSV with pandas.
    for col, target in (
        ("Baggage handling", "perf.resolution"),
        ("Ease of Online booking", "tp.sales"),
    ):
        expected = raw[col].replace(0, np.nan)
        assert frame[target].count() == expected.count()
        assert frame[target].mean() == pytest.approx(expected.mean(), rel=1e-12)
    assert (frame["segment"] == "top").sum() == (raw["Customer Type"] == "Loyal Customer").sum()


def test_alexa_reviews_import_as_open_answers(acme: Database) -> None:
    tsv = real_data_path("amazon_alexa_reviews.tsv")  # UTF-8 with BOM, tab-separated, no id
    mapping = ResponseMapping(columns={"verified_reviews": "open.improve", "rating": "excellent"})
    result = import_responses(acme, "acme", tsv, audience="customer", wave="w1", mapping=mapping)
    raw = pd.read_csv(tsv, sep="\t", encoding="utf-8-sig", keep_default_na=False)
    assert result.format == "generic" and result.written == len(raw) == 3150
    frame = load_frame(acme, "acme")
    texts = raw["verified_reviews"].str.strip()
    assert frame["open.improve"].notna().sum() == (texts != "").sum()
    assert frame["excellent"].value_counts().sort_index().tolist() == [161, 96, 152, 455, 2286]
    again = import_responses(acme, "acme", tsv, audience="customer", wave="w1", mapping=mapping)
    assert again.written == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 14) | st.sampled_from(["", " 7 ", "x", "8.5"]), min_size=1))
def test_nps_cells_are_kept_exactly_or_flagged(cells: list[object]) -> None:
    frame = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(len(cells))]})
    frame["ltr"] = [str(c) for c in cells]
    frame["wave"] = "w1"
    frame.attrs.update(source="x.csv", first_data_row=2)
    export = Export("x.csv", "cxgap", frame, {c: c for c in frame.columns})
    parsed = parse_responses(export, STUDY, audience="customer")
    for i, cell in enumerate(cells):
        text = str(cell).strip()
        valid = text.lstrip("-").isdigit() and 0 <= int(text) <= 10
        # invalid cell, or an empty cell leaving the row with no answer at all
        assert bool(parsed.bad[i]) == (not valid)
        if valid:
            assert parsed.frame["ltr"].iloc[i] == int(text)


def test_qualtrics_numeric_values_read_like_choice_text() -> None:
    text = _parse("qualtrics_customers.csv", "customer", "qualtrics_mapping.yaml")
    numeric = _parse("qualtrics_customers_numeric.csv", "customer", "qualtrics_mapping.yaml")
    pd.testing.assert_frame_equal(numeric, text)


def test_mapping_options_name_answers_of_multi_select_questions(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("respondent_id,wave,leave\nr1,w1,Too expensive; Bad support\nr2,w1,Weather\n")
    mapping = ResponseMapping(
        options={"leave": {"Too expensive": "price", "Bad support": "unresolved_problems"}}
    )
    parsed = parse_responses(read_export(f), STUDY, audience="customer", mapping=mapping)
    row = parsed.frame.iloc[0]
    assert (row["leave.price"], row["leave.unresolved_problems"], row["leave.slow_response"]) == (
        1,
        1,
        0,
    )
    assert [(p.row, p.value) for p in parsed.problems] == [(3, "Weather")]
    with pytest.raises(InputError, match=r"options\.leave"):
        parse_responses(
            read_export(f),
            STUDY,
            audience="customer",
            mapping=ResponseMapping(options={"leave": {"x": "nothing"}}),
        )


def test_customers_without_a_segment_take_their_accounts(acme: Database) -> None:
    # Google Forms fixture: no segment column; accounts ACC-001..004 in row order,
    # whose CRM types are Key account, Key account, Churned, New.
    import_responses(
        acme, "acme", EXPORTS / "google_forms_customers.csv", audience="customer", wave="w1",
        mapping=EXPORTS / "google_forms_mapping.yaml",
    )  # fmt: skip
    assert load_frame(acme, "acme")["segment"].tolist() == ["top", "top", "defected", "new"]


def test_a_respondent_twice_in_a_cxgap_file_names_the_respondent_column(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("respondent_id,wave,audience,ltr\nr1,w1,customer,9\nr1,w1,customer,7\n")
    parsed = parse_responses(read_export(f), STUDY)
    [problem] = parsed.problems
    assert (problem.row, problem.column, problem.value) == (3, "respondent_id", "r1:w1")
