"""The rules of what an answer to each kind of question may be
(cxgap.study.answers), checked kind by kind: a valid answer, one off the
scale, one of the wrong type, and an empty one. Expected values are counted
by hand from the question in each test."""

from __future__ import annotations

import math
from typing import Any, get_args

import pytest

from cxgap.errors import InputError, Problem
from cxgap.study.answers import (
    MAX_TEXT,
    RULES,
    STORABLE,
    Scale,
    has_answer,
    parse_answer,
    parse_answers,
    parse_number,
    required_problems,
    scale_of,
)
from cxgap.study.model import Question, QuestionKind

RATING = Question(
    key="perf.time", text="?", kind="rating", audiences=["customer"], scale_min=1, scale_max=5
)
NPS = Question(key="ltr", text="?", kind="nps", audiences=["customer"], scale_min=0, scale_max=10)
SHARE = Question(
    key="expected_promoters",
    text="?",
    kind="share",
    audiences=["staff"],
    scale_min=0,
    scale_max=100,
)
RANK = Question(key="rank", text="?", kind="rank", audiences=["customer"], items=["a", "b", "c"])
MULTI = Question(key="leave", text="?", kind="multi", audiences=["customer"], items=["a", "b", "c"])
CHOICE = Question(key="plan", text="?", kind="choice", audiences=["customer"], items=["a", "b"])
TEXT = Question(key="open.well", text="?", kind="text", audiences=["customer"])


def _problem(q: Question, value: object, expected: str) -> Problem:
    return Problem("survey", None, q.key, value, expected)


def test_every_question_kind_has_a_rule() -> None:
    assert set(RULES) == set(get_args(QuestionKind))


# --- rating, nps, share ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [("4", 4.0), (5, 5.0), (" 1 ", 1.0), ("3,0", 3.0), ("", None), (None, None)],
)
def test_a_rating_is_a_whole_number_on_its_scale_or_empty(given: object, stored: object) -> None:
    assert parse_answer(RATING, {"perf.time": given}) == {"perf.time": stored}


@pytest.mark.parametrize("given", ["6", "0", "4.5", 4.5, "four", True, ["4"], "inf", math.nan])
def test_a_rating_off_the_scale_or_not_a_number_is_a_problem(given: object) -> None:
    expected = _problem(RATING, given, "a whole number from 1 to 5")
    assert parse_answer(RATING, {"perf.time": given}) == expected


@pytest.mark.parametrize(("given", "stored"), [("0", 0.0), ("10", 10.0), ("", None)])
def test_nps_takes_each_end_of_its_scale(given: str, stored: float | None) -> None:
    assert parse_answer(NPS, {"ltr": given}) == {"ltr": stored}


@pytest.mark.parametrize("given", ["11", "-1", "9.5", "Extremely likely"])
def test_nps_off_the_scale_or_in_words_is_a_problem(given: str) -> None:
    assert parse_answer(NPS, {"ltr": given}) == _problem(NPS, given, "a whole number from 0 to 10")


@pytest.mark.parametrize(("given", "stored"), [("37.5", 37.5), ("37,5", 37.5), ("100", 100.0)])
def test_a_share_may_be_any_number_from_0_to_100(given: str, stored: float) -> None:
    key = SHARE.key
    assert parse_answer(SHARE, {key: given}) == {key: stored}


@pytest.mark.parametrize("given", ["100.5", "-0.1", "half", "1e400"])
def test_a_share_off_the_scale_or_not_finite_is_a_problem(given: str) -> None:
    key = SHARE.key
    assert parse_answer(SHARE, {key: given}) == _problem(SHARE, given, "0 to 100")


# --- rank -------------------------------------------------------------------------------

RANK_RULE = "each rank from 1 to 3 used once (1 = most important)"


def test_a_ranking_gives_each_item_its_rank() -> None:
    raw = {"rank.a": "2", "rank.b": 1, "rank.c": "3"}
    assert parse_answer(RANK, raw) == {"rank.a": 2.0, "rank.b": 1.0, "rank.c": 3.0}


@pytest.mark.parametrize(
    "ranks",
    [("1", "2", "4"), ("0", "1", "2"), ("1", "1", "2"), ("1", "2", "2.5"), ("first", "2", "3")],
)
def test_a_rank_off_the_scale_repeated_or_not_a_number_is_a_problem(
    ranks: tuple[str, str, str],
) -> None:
    raw = dict(zip(("rank.a", "rank.b", "rank.c"), ranks, strict=True))
    assert parse_answer(RANK, raw) == _problem(RANK, None, RANK_RULE)


def test_a_ranking_of_some_items_only_is_a_problem() -> None:
    raw = {"rank.a": "1", "rank.b": "2"}
    assert parse_answer(RANK, raw) == _problem(RANK, None, "a rank for all 3 items")


def test_an_empty_ranking_clears_every_item() -> None:
    raw = {"rank.a": "", "rank.b": None}
    assert parse_answer(RANK, raw) == {"rank.a": None, "rank.b": None, "rank.c": None}


# --- multi ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ({"leave": ["a", "c"]}, (1.0, 0.0, 1.0)),
        ({"leave": "b"}, (0.0, 1.0, 0.0)),
        ({"leave.a": "1", "leave.b": "0"}, (1.0, 0.0, 0.0)),
        ({"leave.c": 1.0}, (0.0, 0.0, 1.0)),
    ],
)
def test_a_multi_answer_sets_one_for_each_item_chosen(
    raw: dict[str, Any], stored: tuple[float, float, float]
) -> None:
    assert parse_answer(MULTI, raw) == dict(
        zip(("leave.a", "leave.b", "leave.c"), stored, strict=True)
    )


@pytest.mark.parametrize(("chosen", "named"), [(["a", "d"], "d"), ([1], 1), (["A"], "A")])
def test_a_multi_answer_naming_something_else_than_its_items_is_a_problem(
    chosen: list[object], named: object
) -> None:
    expected = _problem(MULTI, named, "items among a, b, c")
    assert parse_answer(MULTI, {"leave": chosen}) == expected


@pytest.mark.parametrize("chosen", [[], ""])
def test_an_empty_multi_answer_chooses_nothing(chosen: object) -> None:
    assert parse_answer(MULTI, {"leave": chosen}) == {
        "leave.a": 0.0,
        "leave.b": 0.0,
        "leave.c": 0.0,
    }


def test_a_multi_answer_of_none_leaves_the_saved_answer() -> None:
    assert parse_answer(MULTI, {"leave": None}) == {}


# --- choice -----------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "stored"), [(" b ", "b"), ("", None), (None, None)])
def test_a_choice_is_one_of_its_items_or_empty(given: object, stored: str | None) -> None:
    assert parse_answer(CHOICE, {"plan": given}) == {"plan": stored}


@pytest.mark.parametrize(("given", "shown"), [("z", "z"), ("B", "B"), (1, "1"), (["a"], "['a']")])
def test_a_choice_that_is_not_an_item_is_a_problem(given: object, shown: str) -> None:
    assert parse_answer(CHOICE, {"plan": given}) == _problem(CHOICE, shown, "one of a, b")


# --- text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [("  Quick replies. ", "Quick replies."), (42, "42"), ("x" * MAX_TEXT, "x" * 5000), ("", None)],
)
def test_text_is_kept_stripped_and_may_be_empty(given: object, stored: str | None) -> None:
    assert parse_answer(TEXT, {"open.well": given}) == {"open.well": stored}


def test_text_longer_than_the_limit_is_a_problem_naming_its_length() -> None:
    found = parse_answer(TEXT, {"open.well": "x" * 5001})
    assert found == _problem(TEXT, "5001 characters", "at most 5000")


@pytest.mark.parametrize("given", ["a\x00b", "half a pair \ud800"])
def test_text_a_database_cannot_store_is_a_problem(given: str) -> None:
    assert parse_answer(TEXT, {"open.well": given}) == _problem(TEXT, None, STORABLE)


# --- several questions -------------------------------------------------------------------


def test_every_problem_of_a_page_is_raised_at_once_and_unasked_questions_are_left_out() -> None:
    raw = {"perf.time": "6", "ltr": "9", "plan": "z"}
    with pytest.raises(InputError) as caught:
        parse_answers([RATING, NPS, CHOICE, TEXT], raw)
    assert [p.column for p in caught.value.problems] == ["perf.time", "plan"]
    assert parse_answers([RATING, NPS, TEXT], {"ltr": "9"}) == {"ltr": 9.0}


def test_a_required_question_needs_an_answer_of_its_own_kind() -> None:
    rank = RANK.model_copy(update={"required": True})
    ltr = NPS.model_copy(update={"required": True})
    answers = {"rank.a": 1.0, "ltr.a": 9.0}
    assert has_answer(answers, rank) and not has_answer(answers, ltr)
    assert [p.column for p in required_problems([rank, ltr], answers)] == ["ltr"]


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "options", "number"),
    [
        ("4,5", {}, 4.5),
        ("1e3", {}, 1000.0),
        ("5 - Very satisfied", {"with_label": True}, 5.0),
        ("4,5 = fairly", {"with_label": True}, 4.5),
        ("5) Agree", {"with_label": True}, 5.0),
        ("Agree", {"labels": {"agree": 4.0}, "label_key": str.lower}, 4.0),
        ("inf", {"finite": False}, math.inf),
    ],
)
def test_a_number_is_read_as_its_caller_asks(
    given: str, options: dict[str, Any], number: float
) -> None:
    assert parse_number(given, **options) == number


@pytest.mark.parametrize(
    ("given", "options"),
    [
        ("4,5", {"decimal_comma": False}),
        ("1e3", {"with_label": True}),
        ("Very satisfied", {"with_label": True}),
        ("inf", {}),
        (math.nan, {}),
        (False, {}),
    ],
)
def test_what_is_not_a_number_for_the_caller_raises_value_error(
    given: object, options: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"not a|could not convert"):
        parse_number(given, **options)


def test_a_rank_scale_runs_from_one_to_the_number_of_items() -> None:
    assert scale_of(RANK) == Scale(1.0, 3.0, whole=True)
    assert scale_of(SHARE) == Scale(0.0, 100.0, whole=False)
    assert not scale_of(RANK).admits(1.5) and scale_of(SHARE).admits(1.5)
