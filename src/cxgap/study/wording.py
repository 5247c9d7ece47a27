"""How the instrument reads for each audience.

Customers answer for themselves; leadership and staff answer every question
as they believe customers experience the company. This module holds what
follows from that for the words on the page: how the survey is introduced
(:func:`framing`), how each question reads (:func:`question_text`), the
survey's pages (:func:`sections_for`) and the labels of the items a
respondent ranks or chooses (:func:`item_label`). Nothing here touches the
database; the store and the survey pages both read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cxgap.study.model import Audience, Question, StudyDefinition

__all__ = [
    "SECTION_TITLES",
    "Section",
    "about_customers",
    "framing",
    "item_label",
    "question_json",
    "question_text",
    "sections_for",
]

SECTION_TITLES = {
    "factors": "How we perform",
    "importance": "What matters most",
    "touchpoints": "The teams customers deal with",
    "overall": "Overall",
    "open": "In your own words",
    "general": "Questions",
}


@dataclass(frozen=True)
class Section:
    """A page of the survey: the questions of one ``section`` of the study."""

    key: str
    title: str
    questions: list[Question]


def framing(audience: str) -> str:
    """How the instrument is introduced to each audience."""
    if audience == "customer":
        return "Tell us how you experience working with us. There are no right answers."
    return (
        "Answer every question as you believe our customers experience us, "
        "not as you would like it to be."
    )


def question_text(q: Question, audience: str) -> str:
    """The question as this audience reads it.

    Customers read ``text``. Leadership and staff answer for the customer,
    so they read, in this order:

    1. ``internal_text``, when the study gives it (every default question
       that speaks to the customer as "you" does);
    2. ``text`` as it is, when customers are not asked the question: it is
       written to the person answering ("What stops you meeting customers'
       expectations?");
    3. otherwise ``text`` spoken of the customers (:func:`about_customers`),
       a rule for the plain second person of a question written to
       customers. It cannot know every sentence; a question it words badly
       takes an ``internal_text``.

    >>> from cxgap.study.model import Question
    >>> q = Question(key="imp.time", text="How important is time to you?", kind="rating",
    ...              audiences=["customer", "staff"], scale_min=1, scale_max=5)
    >>> question_text(q, "customer")
    'How important is time to you?'
    >>> question_text(q, "staff")
    'How important is time to our customers?'
    >>> mine = q.model_copy(update={"internal_text": "How much do customers value time?"})
    >>> question_text(mine, "leadership")
    'How much do customers value time?'
    """
    if audience == "customer":
        return q.text
    if q.internal_text is not None:
        return q.internal_text
    if "customer" not in q.audiences:
        return q.text
    return about_customers(q.text)


# The second person a question addresses customers with, and what it becomes
# when leadership and staff answer for them. "you" is plural here, so every
# verb after it agrees with "our customers" as it stands ("are you" -> "are
# our customers"); the contractions are spelled out for the same reason.
_FOR_CUSTOMERS = {
    "you": "our customers",
    "you're": "our customers are",
    "you've": "our customers have",
    "you'd": "our customers would",
    "you'll": "our customers will",
    "your": "our customers'",
    "yours": "our customers'",
    "yourself": "themselves",
    "yourselves": "themselves",
}
_SECOND_PERSON = re.compile(
    r"\b(?:you(?:['\u2019](?:re|ve|d|ll))?|your(?:s|self|selves)?)\b", re.IGNORECASE
)


def about_customers(text: str) -> str:
    """``text`` with its second person ("you", "your", "you're", ...) turned
    into "our customers": how a question written to customers reads for
    leadership and staff, who answer for them. Whole words only ("youth"
    stays); a capital stays a capital.

    >>> about_customers("Would you describe the service as excellent?")
    'Would our customers describe the service as excellent?'
    >>> about_customers("How quickly does your team get answers from us?")
    "How quickly does our customers' team get answers from us?"
    >>> about_customers("You're kept informed as well as you'd like?")
    'Our customers are kept informed as well as our customers would like?'
    >>> about_customers("Do we know youth clubs like yours?")
    "Do we know youth clubs like our customers'?"
    """

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        said = _FOR_CUSTOMERS[found.lower().replace("\u2019", "'")]
        return said[0].upper() + said[1:] if found[0].isupper() else said

    return _SECOND_PERSON.sub(replace, text)


def question_json(q: Question, audience: str) -> dict[str, Any]:
    """One question as the survey API describes it to this audience."""
    return {
        "key": q.key,
        "text": question_text(q, audience),
        "kind": q.kind,
        "required": q.required,
        "scale_min": q.scale_min,
        "scale_max": q.scale_max,
        "items": q.items,
    }


def sections_for(study: StudyDefinition, audience: Audience) -> list[Section]:
    """The audience's questions grouped by ``section``, in instrument order.

    >>> from cxgap.study.defaults import default_study
    >>> sections = sections_for(default_study("a", organisation="A"), "customer")
    >>> [s.key for s in sections]
    ['factors', 'importance', 'touchpoints', 'overall', 'open']
    >>> sections[0].title
    'How we perform'
    """
    groups: dict[str, list[Question]] = {}
    for q in study.questions_for(audience):
        groups.setdefault(q.section, []).append(q)
    return [
        Section(key=k, title=SECTION_TITLES.get(k, k.replace("_", " ").capitalize()), questions=qs)
        for k, qs in groups.items()
    ]


def item_label(study: StudyDefinition, item: str) -> str:
    """A readable label for a rank or multi item (factor or defection reason).

    >>> from cxgap.study.defaults import default_study
    >>> study = default_study("a", organisation="A")
    >>> item_label(study, "time_effort"), item_label(study, "not_a_key")
    ('Time and effort', 'Not a key')
    """
    for group in (study.factors, study.defection_reasons, study.touchpoints):
        for x in group:
            if x.key == item:
                return x.label
    return item.replace("_", " ").capitalize()
