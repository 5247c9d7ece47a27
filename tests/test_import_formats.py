"""Recognising other tools' exports: layouts, header rows, encodings, XLSX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxgap.errors import InputError
from cxgap.ingest.formats import detect_format, read_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.mark.parametrize(
    ("name", "fmt", "first_row", "id_column"),
    [
        ("qualtrics_customers.csv", "qualtrics", 4, "ResponseId"),
        ("surveymonkey_staff.csv", "surveymonkey", 3, "Respondent ID"),
        ("surveymonkey_staff.xlsx", "surveymonkey", 3, "Respondent ID"),
        ("google_forms_customers.csv", "google_forms", 2, None),
        ("typeform_leadership.csv", "typeform", 2, "#"),
        ("typeform_leadership.xlsx", "typeform", 2, "#"),
        ("cxgap_mixed.csv", "cxgap", 2, None),
        ("crm_accounts.csv", "generic", 2, None),
    ],
)
def test_each_tool_layout_is_recognised(
    name: str, fmt: str, first_row: int, id_column: str | None
) -> None:
    export = read_export(EXPORTS / name)
    assert export.format == fmt
    assert export.frame.attrs["first_data_row"] == first_row
    assert export.id_column == id_column


def test_qualtrics_keeps_question_text_of_second_header_row() -> None:
    export = read_export(EXPORTS / "qualtrics_customers.csv")
    assert len(export.frame) == 5  # the two extra header rows are not data
    assert export.header("Q1_4") == "How would you rate us on each of the following? - Resolution"
    assert export.frame["ResponseId"].iloc[0] == "R_1ABCdefGHIjkl01"


def test_surveymonkey_joins_question_and_option_rows() -> None:
    export = read_export(EXPORTS / "surveymonkey_staff.csv")
    cols = list(export.frame.columns)
    assert "What would make a customer leave? (choose any) - Price" in cols
    # "Response" and "Open-Ended Response" sub-headers add nothing to the name
    assert "What could we improve?" in cols
    assert len(export.frame) == 6


def test_excel_encodings_read_the_same_table() -> None:
    base = read_export(EXPORTS / "google_forms_customers.csv").frame
    for name in (
        "google_forms_customers_utf16.txt",  # UTF-16 LE with BOM, tab-separated
        "google_forms_customers_cp1252.csv",  # Windows-1252
        "google_forms_customers_semicolon.csv",  # ; as in decimal-comma locales
    ):
        other = read_export(EXPORTS / name).frame
        pd.testing.assert_frame_equal(other, base, check_like=False)
    assert base["What do we do well?"].iloc[0] == "Café-style friendliness – always"


def test_xlsx_reads_like_the_csv() -> None:
    csv = read_export(EXPORTS / "typeform_leadership.csv").frame
    xlsx = read_export(EXPORTS / "typeform_leadership.xlsx").frame
    assert list(csv.columns) == list(xlsx.columns)
    assert csv.fillna("").to_numpy().tolist() == xlsx.fillna("").to_numpy().tolist()


def test_rows_without_an_id_get_stable_distinct_hash_ids(tmp_path: Path) -> None:
    f = tmp_path / "gf.csv"
    f.write_text("Timestamp,Q\n2026/01/01 10:00:00,4\n2026/01/01 10:00:00,4\n2026/01/02,5\n")
    ids = read_export(f).response_ids()
    assert ids.nunique() == 3  # identical rows are counted apart
    assert list(read_export(f).response_ids()) == list(ids)


def test_missing_and_empty_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="an existing file"):
        read_export(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="a header row"):
        read_export(empty)


def test_detect_format_on_plain_frames() -> None:
    assert detect_format(pd.DataFrame({"#": ["x"], "Q": ["1"]})) == "typeform"
    assert detect_format(pd.DataFrame({"a": ["1"]})) == "generic"


def test_committed_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_exports", EXPORTS.parent / "make_exports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(EXPORTS) for p in EXPORTS.rglob("*") if p.is_file())
    assert written == committed
    for rel in written:
        if rel.suffix != ".xlsx":  # XLSX files carry their creation time
            assert (tmp_path / rel).read_bytes() == (EXPORTS / rel).read_bytes(), rel


def test_a_damaged_xlsx_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    f = tmp_path / "export.xlsx"
    f.write_bytes(b"this is not a zip file at all")
    with pytest.raises(InputError, match=r"export\.xlsx: a readable XLSX file"):
        read_export(f)
    f.write_bytes((EXPORTS / "typeform_leadership.xlsx").read_bytes()[:900])  # truncated
    with pytest.raises(InputError, match="a readable XLSX file"):
        read_export(f)


def test_utf16_with_a_truncated_last_character_is_named(tmp_path: Path) -> None:
    f = tmp_path / "export.txt"
    f.write_bytes("Timestamp\tQ\n1\t2\n".encode("utf-16") + b"\x00")
    with pytest.raises(InputError, match=r"export\.txt: text in UTF-16"):
        read_export(f)


def test_utf16_without_its_byte_order_mark_is_read(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_bytes("respondent_id,perf.empathy\nr1,4\n".encode("utf-16-le"))
    assert read_export(f).frame.to_dict("records") == [{"respondent_id": "r1", "perf.empathy": "4"}]


def test_a_nul_character_is_refused_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_bytes(b"a,b\n1,2\n3,4\x00\n")
    with pytest.raises(InputError, match=r"export\.csv: text without NUL characters \(line 3"):
        read_export(f)


def test_a_row_longer_than_the_header_is_refused_not_shifted(tmp_path: Path) -> None:
    # pandas would take the first cell as an index and move every value one column left.
    f = tmp_path / "export.csv"
    f.write_text("respondent_id,ltr\nr1,9,7\nr2,3,1\n")
    with pytest.raises(InputError) as err:
        read_export(f)
    [problem] = err.value.problems
    assert problem.row == 2
    assert problem.expected == "at most 2 cells, as many as the header row (this row has 3)"


def test_empty_cells_past_the_header_are_dropped(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text("respondent_id,ltr\nr1,9,\nr2,3,\n")
    frame = read_export(f).frame
    assert frame.to_dict("records") == [
        {"respondent_id": "r1", "ltr": "9"},
        {"respondent_id": "r2", "ltr": "3"},
    ]
