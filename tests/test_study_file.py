"""The study definition as a YAML file: round trip and precise errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cxgap.errors import StudyFileError
from cxgap.study import default_study
from cxgap.study.wording import question_text
from cxgap.study.yamlio import read_yaml, to_yaml, write_yaml


@pytest.fixture
def study_file(tmp_path: Path) -> Path:
    path = tmp_path / "acme.yaml"
    write_yaml(default_study("acme", organisation="Acme"), path)
    return path


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_export_then_read_gives_the_same_definition(study_file: Path) -> None:
    assert read_yaml(study_file) == default_study("acme", organisation="Acme")


def test_a_questions_inside_wording_survives_export_and_apply(study_file: Path) -> None:
    def reword(data: dict[str, Any]) -> None:
        asked = next(q for q in data["questions"] if q["key"] == "expected_promoters")
        asked["internal_text"] = "How many of our customers would be promoters (%)?"

    _edit(study_file, reword)
    study = read_yaml(study_file)
    assert study.question("expected_promoters").internal_text == (
        "How many of our customers would be promoters (%)?"
    )
    again = study_file.with_name("again.yaml")
    write_yaml(study, again)
    assert read_yaml(again) == study
    assert "internal_text: How important is empathy to our customers?" in again.read_text()


def test_a_study_file_without_inside_wording_still_loads(study_file: Path) -> None:
    def older(data: dict[str, Any]) -> None:
        for q in data["questions"]:
            q.pop("internal_text", None)

    _edit(study_file, older)
    study = read_yaml(study_file)
    imp = study.question("imp.empathy")
    assert imp.internal_text is None
    assert question_text(imp, "staff") == "How important is empathy to our customers?"


def test_yaml_starts_with_a_comment_on_how_to_apply_it() -> None:
    text = to_yaml(default_study("acme", organisation="Acme"), file="acme.yaml")
    assert text.startswith("# cxgap study definition")
    assert "cxgap study apply acme.yaml" in text


def test_default_instrument_holds_the_issue_items() -> None:
    s = default_study("acme", organisation="Acme")
    assert [f.label for f in s.factors] == [
        "Personalisation",
        "Integrity",
        "Expectations",
        "Resolution",
        "Time and effort",
        "Empathy",
    ]
    keys = {q.key for q in s.questions}
    for f in s.factors:
        assert {f"perf.{f.key}", f"imp.{f.key}"} <= keys
    for t in s.touchpoints:
        assert f"tp.{t.key}" in keys
    assert {
        "excellent",
        "ltr",
        "expected_promoters",
        "expected_detractors",
        "leave",
        "rank",
    } <= keys
    assert s.question("ltr").audiences == ["customer"]
    assert s.question("open.barriers").audiences == ["staff"]
    assert s.question("open.future_needs").audiences == ["customer"]
    assert [x.key for x in s.segments] == ["top", "new", "defected", "other"]
    assert s.anonymity_threshold == 5


@pytest.mark.parametrize(
    ("change", "path", "expected"),
    [
        (lambda d: d["factors"][2].__setitem__("key", "Bad Key"), "factors[2].key", "lower-case"),
        (lambda d: d["touchpoints"][0].pop("label"), "touchpoints[0].label", "required"),
        (
            lambda d: d.__setitem__("anonymity_threshold", 0),
            "anonymity_threshold",
            "greater than or equal to 1",
        ),
        (lambda d: d.__setitem__("colour", "blue"), "colour", "unknown key"),
        (
            lambda d: d["questions"][0].__setitem__("factor", "nope"),
            "questions[0]",
            "unknown factor 'nope'",
        ),
        (lambda d: d["factors"].append(dict(d["factors"][0])), "factors", "duplicate key"),
        (
            lambda d: d["questions"][0].__setitem__("scale_max", 0),
            "questions[0]",
            "scale_min must be below",
        ),
    ],
)
def test_invalid_study_file_names_file_path_and_expectation(
    study_file: Path,
    change,
    path: str,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    _edit(study_file, change)
    with pytest.raises(StudyFileError) as err:
        read_yaml(study_file)
    message = str(err.value)
    assert message.startswith(str(study_file))
    assert err.value.path == path
    assert expected in message


def test_broken_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("slug: x\nfactors: [\n  - a\n")
    with pytest.raises(StudyFileError) as err:
        read_yaml(path)
    assert "line" in err.value.path and "column" in err.value.path


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StudyFileError, match="an existing YAML file"):
        read_yaml(tmp_path / "nope.yaml")
