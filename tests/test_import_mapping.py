"""Mapping export columns to questions: keys, text, fuzzy text, mapping files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxgap.errors import InputError
from cxgap.ingest.mapping import (
    ResponseMapping,
    load_response_mapping,
    match_columns,
    normalise,
)
from cxgap.study import default_study

STUDY = default_study("acme", organisation="Acme")


def _match(cols: list[str], **kw: object) -> dict[str, str | None]:
    mapping = kw.pop("mapping", ResponseMapping())
    out = match_columns(cols, {}, STUDY, audience="customer", mapping=mapping, **kw)  # type: ignore[arg-type]
    return {m.column: m.target for m in out}


def test_columns_match_by_key_text_and_near_text() -> None:
    got = _match(
        [
            "perf.resolution",
            "HOW LIKELY are you to recommend us to a colleague (0-10)?",
            "How well does support serve the customer?",
            "Shoe size",
        ]
    )
    assert got["perf.resolution"] == "perf.resolution"
    assert got["HOW LIKELY are you to recommend us to a colleague (0-10)?"] == "ltr"
    assert got["How well does support serve the customer?"] == "tp.support"
    assert got["Shoe size"] is None


def test_fuzzy_match_reports_its_score() -> None:
    out = match_columns(
        ["How well does suport serve the customer"],
        {},
        STUDY,
        audience="customer",
        mapping=ResponseMapping(),
    )
    assert out[0].target == "tp.support"
    assert out[0].how.startswith("fuzzy text (0.9")


def test_item_columns_match_in_each_tool_style() -> None:
    got = _match(
        [
            "What would make a customer leave? - Price",  # Qualtrics / SurveyMonkey
            f"{STUDY.question('rank').text} [Empathy]",  # Google Forms grid
            "Promises not kept",  # Typeform option column
        ]
    )
    assert list(got.values()) == ["leave.price", "rank.empathy", "leave.broken_promises"]


def test_questions_not_asked_of_the_audience_are_not_mapped() -> None:
    out = match_columns(["ltr"], {}, STUDY, audience="staff", mapping=ResponseMapping())
    assert out[0].target is None and out[0].how == "not asked of staff"


def test_two_columns_on_one_question_is_refused() -> None:
    with pytest.raises(InputError, match="one column per target"):
        _match(["ltr", "How likely are you to recommend us to a colleague?"])


def test_mapping_file_names_unknown_targets_and_columns(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("columns:\n  Q1: perf.nothing\n  Q9: ltr\n")
    mapping = load_response_mapping(f)
    with pytest.raises(InputError) as err:
        _match(["Q1"], mapping=mapping)
    text = str(err.value)
    assert "'Q1'" in text and "perf.nothing" in text
    assert "'Q9'" in text and "a column of the export" in text


def test_bad_mapping_files_are_reported(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("columns: [1, 2\n")
    with pytest.raises(InputError, match="valid YAML"):
        load_response_mapping(f)
    f.write_text("colums: {}\n")
    with pytest.raises(InputError, match="colums"):
        load_response_mapping(f)


def test_vocabularies_apply_by_glob_with_the_target_winning() -> None:
    m = ResponseMapping(
        values={"*": {"Good": 4}, "perf.*": {"Good": 3}, "perf.empathy": {"Good": 5}}
    )
    assert m.vocabulary("perf.empathy") == {"good": 5}
    assert m.vocabulary("perf.resolution") == {"good": 3}
    assert m.vocabulary("ltr") == {"good": 4}


@given(st.text(max_size=40))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@given(
    st.sampled_from(
        [
            q
            for q in STUDY.questions
            if "customer" in q.audiences and q.kind not in ("multi", "rank")
        ]
    )
)
def test_question_text_matches_whatever_the_case_and_punctuation(q: object) -> None:
    text = q.text  # type: ignore[attr-defined]
    shouted = text.upper().replace("?", " ?!").replace(" ", "  ")
    assert _match([shouted])[shouted] == q.key  # type: ignore[attr-defined]


def test_a_mapping_can_ignore_a_column_that_would_match() -> None:
    out = match_columns(
        ["ltr", "Notes"],
        {},
        STUDY,
        audience="customer",
        mapping=ResponseMapping(columns={"ltr": None}),
    )
    assert [(m.target, m.how) for m in out] == [(None, "ignored (mapping)"), (None, "no match")]


def test_whole_and_per_option_columns_of_one_question_are_refused() -> None:
    with pytest.raises(InputError, match="either one column for the whole question"):
        _match(["What would make a customer leave?", "leave.price"])


@pytest.mark.parametrize(
    "loader", ["responses", "table", "events"], ids=["responses", "accounts", "events"]
)
def test_a_mapping_file_that_is_not_text_or_has_an_impossible_date_is_named(
    tmp_path: Path, loader: str
) -> None:
    from cxgap.ingest._rows import load_table_mapping
    from cxgap.ingest.events import load_mapping

    load = {"responses": load_response_mapping, "table": load_table_mapping, "events": load_mapping}
    m = tmp_path / "mapping.yaml"
    m.write_bytes(b"columns:\n  \xff\xfe: x\n")
    with pytest.raises(InputError, match=r"mapping\.yaml: a UTF-8 text file"):
        load[loader](m)
    m.write_text("columns:\n  a: 2026-13-01\n")  # YAML reads it as a date, month 13
    with pytest.raises(InputError, match=r"mapping\.yaml: valid YAML values \(month must be"):
        load[loader](m)
