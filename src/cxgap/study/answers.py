"""What an answer to each kind of question may be, written once.

Every way an answer arrives is checked against these rules: the survey pages
and the JSON API (:func:`parse_answers`), survey exports
(:mod:`cxgap.ingest.responses`, through :func:`parse_number` and
:func:`scale_of`) and the set-up forms' number fields
(:mod:`cxgap.study.edits`, through :func:`parse_number`).

=========  ==================================================================
kind       an answer is
=========  ==================================================================
``rating`` a whole number from ``scale_min`` to ``scale_max``
``nps``    a whole number from ``scale_min`` to ``scale_max`` (0-10)
``share``  any number from ``scale_min`` to ``scale_max`` (a percentage)
``rank``   for each item, a whole number from 1 to the number of items,
           each used once, all items ranked or none
``multi``  the items chosen, among the question's items
``choice`` one of the question's items
``text``   text of at most :data:`MAX_TEXT` characters a database can store
=========  ==================================================================

An empty answer (``None`` or blank text) means "no answer". How an outside
file writes an answer (a label beside the number, the words "Strongly
agree", option codes 1..k) is the importer's business; what the answer then
may be is decided here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cxgap.errors import InputError, Problem
from cxgap.study.model import Question, QuestionKind

__all__ = [
    "MAX_TEXT",
    "STORABLE",
    "AnswerValue",
    "RawAnswers",
    "Scale",
    "has_answer",
    "parse_answer",
    "parse_answers",
    "parse_number",
    "required_problems",
    "scale_of",
    "storable",
]

#: The longest text answer, in characters.
MAX_TEXT = 5_000
STORABLE = "text without NUL characters or unpaired surrogates"

AnswerValue = float | str
RawAnswers = dict[str, Any]
#: An answer's stored values by column (``<key>`` or ``<key>.<item>``);
#: ``None`` clears an answer saved earlier.
Values = dict[str, AnswerValue | None]

# A number, optionally followed by its label, as exports write a scale point
# ("5 - Very satisfied", "5 = Strongly agree", "5) Agree"), with or without a
# decimal comma. Only plain decimals: no exponent, no "inf".
_LABELLED = {
    True: re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-–=:.)]\s*\S.*)?$"),
    False: re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:[-–=:.)]\s*\S.*)?$"),
}


def parse_number(
    raw: object,
    *,
    decimal_comma: bool = True,
    labels: Mapping[str, float] | None = None,
    label_key: Callable[[str], str] = str.strip,
    with_label: bool = False,
    finite: bool = True,
) -> float | None:
    """The number an answer or a form field holds; ``None`` when it is empty.

    Parameters
    ----------
    raw
        A number or text. ``None`` and blank text are empty; ``True`` and
        ``False`` are not numbers (JSON's booleans would otherwise count as 1
        and 0).
    decimal_comma
        Whether ``"4,5"`` means 4.5 (how much of Europe types it).
    labels
        Words that stand for a number (an export's vocabulary), looked up
        first by ``label_key(text)``; their number is returned as given.
    label_key
        How text is reduced before it is looked up in ``labels``.
    with_label
        Whether the number may be followed by its label (``"5 - Very
        satisfied"``); only plain decimals are read then.
    finite
        Whether infinity and NaN are refused.

    Returns
    -------
    float or None

    Raises
    ------
    ValueError
        When ``raw`` holds something that is not a number; the caller names
        the file, row and field in its :class:`~cxgap.errors.Problem`.

    Examples
    --------
    >>> parse_number(" 4,5 "), parse_number(7), parse_number(""), parse_number(None)
    (4.5, 7.0, None, None)
    >>> parse_number("5 - Very satisfied", with_label=True)
    5.0
    >>> parse_number("Agree", labels={"agree": 4.0}, label_key=str.lower)
    4.0
    >>> parse_number("4,5", decimal_comma=False)
    Traceback (most recent call last):
    ...
    ValueError: could not convert string to float: '4,5'
    >>> parse_number(True)
    Traceback (most recent call last):
    ...
    ValueError: True is not a number
    >>> parse_number("inf", finite=False)
    inf
    >>> parse_number("inf")
    Traceback (most recent call last):
    ...
    ValueError: inf is not a finite number
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None
        if labels:
            word = labels.get(label_key(text))
            if word is not None:
                return word
        if with_label:
            found = _LABELLED[decimal_comma].match(text)
            if found is None:
                raise ValueError(f"{text!r} is not a number")
            text = found.group(1)
        value = float(text.replace(",", ".") if decimal_comma else text)
    if finite and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return value


@dataclass(frozen=True)
class Scale:
    """The numbers a rating, NPS, share or rank answer may be.

    >>> Scale(1.0, 5.0, whole=True).admits(4.0), Scale(1.0, 5.0, whole=True).admits(4.5)
    (True, False)
    """

    low: float
    high: float
    whole: bool

    def admits(self, value: float) -> bool:
        """Whether ``value`` lies on the scale (and is whole, if it must be)."""
        if not self.low <= value <= self.high:
            return False
        # Infinity lies only on a scale open at that end, and counts as whole there.
        return not self.whole or math.isinf(value) or value == math.floor(value)


def scale_of(q: Question) -> Scale:
    """The scale of a rating, NPS, share or rank question.

    >>> from cxgap.study.model import Question
    >>> scale_of(Question(key="rank", text="?", kind="rank", audiences=["staff"],
    ...                   items=["a", "b", "c"]))
    Scale(low=1.0, high=3.0, whole=True)
    """
    if q.kind == "rank":
        return Scale(1.0, float(len(q.items)), whole=True)
    whole = q.kind in ("rating", "nps")
    return Scale(float(q.scale_min or 0), float(q.scale_max or 0), whole=whole)


def storable(text: str) -> bool:
    """Whether a database can store ``text``: PostgreSQL refuses NUL, and
    UTF-8 (both engines) an unpaired surrogate, which a JSON body can hold.

    >>> storable("fine"), storable("a\\x00b"), storable("\\ud800")
    (True, False, False)
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def has_answer(answers: Mapping[str, AnswerValue], q: Question) -> bool:
    """Whether ``answers`` hold an answer to ``q`` (any item of a rank or multi)."""
    if q.kind in ("rank", "multi"):
        return any(f"{q.key}.{i}" in answers for i in q.items)
    return q.key in answers


# --- the rule of each kind ---------------------------------------------------------
# Each takes the question, the raw answers and the file to name in a problem,
# and returns the values to store or the one problem of that answer.

Rule = Callable[[Question, RawAnswers, str], Values | Problem]


def _scaled(q: Question, raw: RawAnswers, file: str) -> Values | Problem:
    """Rating, NPS and share: one number on the question's scale."""
    scale = scale_of(q)
    lo, hi = scale.low, scale.high
    expected = f"a whole number from {lo:g} to {hi:g}" if scale.whole else f"{lo:g} to {hi:g}"
    given = raw.get(q.key)
    try:
        value = parse_number(given)
    except ValueError:
        return Problem(file, None, q.key, given, expected)
    if value is not None and not scale.admits(value):
        return Problem(file, None, q.key, given, expected)
    return {q.key: value}


def _ranked(q: Question, raw: RawAnswers, file: str) -> Values | Problem:
    """Rank: each item a distinct whole number from 1 to n; all or none."""
    n = len(q.items)
    scale = scale_of(q)
    ranks: Values = {}
    bad = False
    for item in q.items:
        name = f"{q.key}.{item}"
        try:
            r = parse_number(raw.get(name))
        except ValueError:
            r, bad = None, True
        if r is not None and not scale.admits(r):
            bad = True
        ranks[name] = r
    given = [r for r in ranks.values() if r is not None]
    if bad or len(set(given)) != len(given):
        expected = f"each rank from 1 to {n} used once (1 = most important)"
        return Problem(file, None, q.key, None, expected)
    if given and len(given) != n:
        return Problem(file, None, q.key, None, f"a rank for all {n} items")
    return ranks


def _chosen(q: Question, raw: RawAnswers, file: str) -> Values | Problem:
    """Multi: the items chosen (a list, one item as text, or 1 per item column)."""
    chosen = raw.get(q.key)
    if chosen is None and any(f"{q.key}.{i}" in raw for i in q.items):
        chosen = [i for i in q.items if str(raw.get(f"{q.key}.{i}", "")) in ("1", "1.0")]
    if chosen is None:
        return {}
    if isinstance(chosen, str):
        chosen = [chosen] if chosen else []
    if not isinstance(chosen, list | tuple):  # a JSON body may hold a number here
        expected = f"a list of items among {', '.join(q.items)}"
        return Problem(file, None, q.key, str(chosen)[:80], expected)
    unknown = [c for c in chosen if c not in q.items]
    if unknown:
        return Problem(file, None, q.key, unknown[0], f"items among {', '.join(q.items)}")
    return {f"{q.key}.{item}": 1.0 if item in chosen else 0.0 for item in q.items}


def _choice(q: Question, raw: RawAnswers, file: str) -> Values | Problem:
    """Choice: one of the question's items."""
    given = raw.get(q.key)
    text = "" if given is None else str(given).strip()
    if text and text not in q.items:
        return Problem(file, None, q.key, text, f"one of {', '.join(q.items)}")
    return {q.key: text or None}


def _text(q: Question, raw: RawAnswers, file: str) -> Values | Problem:
    """Text: at most MAX_TEXT characters that a database can store."""
    given = raw.get(q.key)
    text = "" if given is None else str(given).strip()
    if len(text) > MAX_TEXT:
        return Problem(file, None, q.key, f"{len(text)} characters", f"at most {MAX_TEXT}")
    if not storable(text):
        return Problem(file, None, q.key, None, STORABLE)
    return {q.key: text or None}


RULES: dict[QuestionKind, Rule] = {
    "rating": _scaled,
    "nps": _scaled,
    "share": _scaled,
    "rank": _ranked,
    "multi": _chosen,
    "choice": _choice,
    "text": _text,
}


def parse_answer(q: Question, raw: RawAnswers, *, file: str = "survey") -> Values | Problem:
    """The values to store for the answer to ``q`` in ``raw``, or its problem.

    A question ``raw`` does not mention gives no values (a saved answer stays
    as it is); ``None`` or blank text clears the answer.

    Examples
    --------
    >>> from cxgap.study.model import Question
    >>> ltr = Question(key="ltr", text="?", kind="nps", audiences=["customer"],
    ...                scale_min=0, scale_max=10)
    >>> parse_answer(ltr, {"ltr": "9"}), parse_answer(ltr, {"ltr": ""}), parse_answer(ltr, {})
    ({'ltr': 9.0}, {'ltr': None}, {})
    >>> print(parse_answer(ltr, {"ltr": "11"}))
    survey, column 'ltr': got '11', expected a whole number from 0 to 10
    >>> print(parse_answer(ltr, {"ltr": "nine"}))
    survey, column 'ltr': got 'nine', expected a whole number from 0 to 10
    """
    if q.key not in raw and not any(f"{q.key}.{i}" in raw for i in q.items):
        return {}
    return RULES[q.kind](q, raw, file)


def parse_answers(questions: list[Question], raw: RawAnswers, *, file: str = "survey") -> Values:
    """Validate raw answers to ``questions``; return the values to store.

    ``raw`` maps a question key to its value (a number or text), or for a
    ``rank`` question ``<key>.<item>`` to each rank, and for a ``multi``
    question the key to the list of chosen items. A value of ``None`` means
    "no answer" (an answer saved earlier is cleared); a question missing from
    ``raw`` is left out of the result. Every problem found is
    raised at once as :class:`InputError`, one :class:`Problem` per question.

    >>> from cxgap.study.model import Question
    >>> q = Question(key="ltr", text="?", kind="nps", audiences=["customer"],
    ...              scale_min=0, scale_max=10)
    >>> parse_answers([q], {"ltr": "9"})
    {'ltr': 9.0}
    """
    problems: list[Problem] = []
    out: Values = {}
    for q in questions:
        found = parse_answer(q, raw, file=file)
        if isinstance(found, Problem):
            problems.append(found)
        else:
            out.update(found)
    if problems:
        raise InputError(problems)
    return out


def required_problems(
    questions: list[Question], answers: Mapping[str, AnswerValue]
) -> list[Problem]:
    """A problem for each required question without an answer."""
    return [
        Problem("survey", None, q.key, None, "an answer (this question is required)")
        for q in questions
        if q.required and not has_answer(answers, q)
    ]
