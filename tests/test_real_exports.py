"""Real survey exports from public repositories (tests/data/real-exports), each
read as the table written by hand in expected.yaml says it is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from cxgap.ingest.formats import read_export

CORPUS = Path(__file__).parent / "data" / "real-exports"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())


HELD_OUT = set(re.findall(r"^- `([^`]+)`", (CORPUS / "HOLDOUT.md").read_text(), re.M))


def test_the_corpus_is_what_its_table_lists() -> None:
    # events-*: help-desk and CRM exports, tested in tests/test_event_presets.py.
    files = {
        p.name
        for p in CORPUS.iterdir()
        if p.suffix in (".csv", ".xlsx", ".txt") and not p.name.startswith("events-")
    }
    assert files == set(EXPECTED)
    assert len(HELD_OUT) >= 4
    assert {n for n, e in EXPECTED.items() if e.get("held_out")} == HELD_OUT
    tools = {
        e["format"] + ("/" + e["variant"] if e.get("variant") else "") for e in EXPECTED.values()
    }
    assert len(EXPECTED) >= 20 and len(tools - {"generic"}) >= 6


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_export_is_read_as_expected(name: str) -> None:
    want = EXPECTED[name]
    export = read_export(CORPUS / name)
    assert export.format == want["format"]
    assert export.variant == want.get("variant")
    assert len(export.frame) == want["data_rows"]
    assert export.id_column == want["id_column"]
    if "first_id" in want:
        assert export.response_ids().iloc[0] == want["first_id"]
    columns = set(export.frame.columns)
    for col in want["system"]:
        assert col in columns and col in export.system, col
    for col, text in want["questions"].items():
        assert col in columns and col not in export.system, col
        if text is not None:
            assert export.header(col) == text


def _same(a: str, b: str) -> None:
    left, right = read_export(CORPUS / a).frame, read_export(CORPUS / b).frame
    assert list(left.columns) == list(right.columns)
    assert left.fillna("").to_numpy().tolist() == right.fillna("").to_numpy().tolist()


@pytest.mark.parametrize(
    ("variant", "original"),
    [
        ("hostile_utf16_google_forms.txt", "google_forms_sp24.csv"),
        ("hostile_semicolon_cp1252_ms_forms.csv", "ms_forms_fa24.csv"),
        ("hostile_bom_surveymonkey.csv", "surveymonkey_ggwash_anc.csv"),
        ("hostile_merged_surveymonkey.xlsx", "surveymonkey_ggwash_anc.csv"),
        ("limesurvey_name_face_semicolon.csv", "limesurvey_name_face.csv"),
    ],
)
def test_hostile_variant_reads_like_its_original(variant: str, original: str) -> None:
    _same(variant, original)


def test_crlf_inside_quoted_cells_stays_inside_the_cell() -> None:
    lf = read_export(CORPUS / "google_forms_spring25_multiline.csv").frame
    crlf = read_export(CORPUS / "hostile_crlf_quoted_google_forms.csv").frame
    col = "What is the rationale behind your opinion?"
    # Row 11 of the sheet (10th respondent) answered on two lines.
    assert lf[col].iloc[9] == "Idk, seems right\nalso, 2 bread w/ stuff in it"
    assert crlf[col].iloc[9].replace("\r\n", "\n") == lf[col].iloc[9]
    assert len(crlf) == len(lf)


def test_cp1252_text_is_decoded() -> None:
    frame = read_export(CORPUS / "ms_forms_fa24.csv").frame
    text = " ".join(frame.fillna("").to_numpy().ravel().tolist())
    assert "\ufffd" not in text and "\u2019" in text  # Windows-1252 0x92, a right quote


def test_legacy_qualtrics_reads_data_from_row_three() -> None:
    export = read_export(CORPUS / "qualtrics_legacy_no_basis.csv")
    assert export.frame.attrs["first_data_row"] == 3
    assert export.header("V1") == "ResponseID"
    assert not export.frame["V1"].isin(["ResponseID"]).any()
    assert "" not in export.frame.columns and "column" not in export.frame.columns


def test_quoted_json_in_a_limesurvey_cell_is_one_cell() -> None:
    frame = read_export(CORPUS / "limesurvey_name_face.csv").frame
    assert frame["intro"].iloc[0].startswith('{ "v5":{ "group":"B"')
    assert pd.Series(frame.columns).is_unique
