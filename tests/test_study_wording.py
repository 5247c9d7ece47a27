"""How the instrument reads for each audience: customers read a question as
written; leadership and staff, who answer for the customer, read it about
"our customers", from the study's own wording or, where it has none, from a
rule for the second person."""

from __future__ import annotations

import re

import pytest

from cxgap.study.defaults import default_study
from cxgap.study.model import Question
from cxgap.study.wording import about_customers, question_text

STUDY = default_study("acme", organisation="Acme")
SECOND_PERSON = re.compile(r"\b(you|your|yours|yourself|yourselves)\b", re.IGNORECASE)
ANSWERED_FOR_CUSTOMERS = [
    q for q in STUDY.questions if "customer" in q.audiences and len(q.audiences) > 1
]


def _question(text: str, audiences: list[str] | None = None, **extra: object) -> Question:
    return Question.model_validate(
        {
            "key": "open.mine",
            "text": text,
            "kind": "text",
            "audiences": audiences or ["customer", "staff"],
            **extra,
        }
    )


@pytest.mark.parametrize("audience", ["leadership", "staff"])
@pytest.mark.parametrize("q", ANSWERED_FOR_CUSTOMERS, ids=lambda q: q.key)
def test_default_questions_read_as_questions_about_customers_inside(
    q: Question, audience: str
) -> None:
    text = question_text(q, audience)
    assert not SECOND_PERSON.search(text), text
    assert question_text(q, "customer") == q.text


@pytest.mark.parametrize(
    "q", [q for q in ANSWERED_FOR_CUSTOMERS if SECOND_PERSON.search(q.text)], ids=lambda q: q.key
)
def test_default_questions_that_say_you_carry_their_inside_wording(q: Question) -> None:
    assert q.internal_text is not None and "our customers" in q.internal_text
    assert question_text(q, "staff") == q.internal_text


def test_the_default_study_asks_customers_something_in_the_second_person() -> None:
    # Else the two tests above would check nothing they could fail on.
    said = {q.key for q in ANSWERED_FOR_CUSTOMERS if SECOND_PERSON.search(q.text)}
    assert {"imp.empathy", "excellent"} <= said


def test_a_question_asked_only_inside_speaks_to_the_person_answering() -> None:
    barriers = STUDY.question("open.barriers")
    assert question_text(barriers, "staff") == "What stops you meeting customers' expectations?"
    asked_inside = _question("What would help you most?", ["staff", "leadership"])
    assert question_text(asked_inside, "leadership") == "What would help you most?"


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("How important is speed to you?", "How important is speed to our customers?"),
        (
            "How likely are you to recommend us to a colleague?",
            "How likely are our customers to recommend us to a colleague?",
        ),
        (
            "How well does your team get the answers it needs from us?",
            "How well does our customers' team get the answers it needs from us?",
        ),
        (
            "Your account manager: does she know your business?",
            "Our customers' account manager: does she know our customers' business?",
        ),
        ("Did we do what you'd expect?", "Did we do what our customers would expect?"),
        ("Did we do what you’d expect?", "Did we do what our customers would expect?"),
        ("You're kept informed, then?", "Our customers are kept informed, then?"),
        (
            "Are you told when you've asked for help?",
            "Are our customers told when our customers have asked for help?",
        ),
        (
            "Have you ever fixed a fault yourself?",
            "Have our customers ever fixed a fault themselves?",
        ),
        ("Do we serve youth clubs like yours?", "Do we serve youth clubs like our customers'?"),
        ("What do we do well?", "What do we do well?"),
    ],
)
def test_second_person_reads_as_our_customers(text: str, inside: str) -> None:
    assert about_customers(text) == inside


def test_a_users_question_about_your_team_reads_right_for_staff() -> None:
    q = _question("How quickly does your team hear back from our support?")
    assert question_text(q, "staff") == (
        "How quickly does our customers' team hear back from our support?"
    )
    assert question_text(q, "customer") == q.text


def test_a_studys_own_inside_wording_wins_over_the_rule() -> None:
    q = _question("Are you happy with us?", internal_text="Are our clients happy with us?")
    assert question_text(q, "leadership") == "Are our clients happy with us?"
    assert question_text(q, "customer") == "Are you happy with us?"


def test_a_blank_inside_wording_means_derive_it() -> None:
    q = _question("Are you happy with us?", internal_text="   ")
    assert q.internal_text is None
    assert question_text(q, "staff") == "Are our customers happy with us?"
