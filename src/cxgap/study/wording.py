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

from dataclasses import dataclass
from typing import Any

from cxgap.study.model import Audience, Question, StudyDefinition

__all__ = [
    "SECTION_TITLES",
    "Section",
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
    """The question as this audience reads it: leadership and staff answer
    for the customer, so "to you" becomes "to our customers".

    >>> from cxgap.study.model import Question
    >>> q = Question(key="imp.time", text="How important is time to you?", kind="rating",
    ...              audiences=["staff"], scale_min=1, scale_max=5)
    >>> question_text(q, "staff")
    'How important is time to our customers?'
    """
    if audience == "customer":
        return q.text
    return q.text.replace(" to you?", " to our customers?")


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
