"""Which of two answers reads as *yes*: the words shared by ``cxgap drivers``
(a two-value text outcome, :mod:`cxgap.ingest.driver_columns`) and the study
analysis (a two-option outcome question, :mod:`cxgap.analysis.drivers.outcome`),
so both code ``satisfied`` / ``neutral or dissatisfied`` the same way."""

from __future__ import annotations

import re

__all__ = ["NO_WORDS", "YES_WORDS", "reads_as_no", "reads_as_yes", "words"]

NO_WORDS = frozenset(
    {
        "no",
        "not",
        "non",
        "none",
        "n",
        "false",
        "neutral",
        "negative",
        "dissatisfied",
        "unsatisfied",
        "unhappy",
        "detractor",
        "bad",
        "poor",
        "fail",
        "failed",
    }
)
YES_WORDS = frozenset(
    {"yes", "y", "true", "satisfied", "positive", "happy", "promoter", "good", "pass", "success"}
)


def words(text: str) -> set[str]:
    """Lower-case words of ``text``, camelCase split (``ResponseId`` → response, id).

    Examples
    --------
    >>> sorted(words("ResponseId")), sorted(words("Neutral or dissatisfied"))
    (['id', 'response'], ['dissatisfied', 'neutral', 'or'])
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w}


def reads_as_no(text: str) -> bool:
    """Whether an answer has a word of refusal or dissatisfaction.

    >>> reads_as_no("neutral or dissatisfied"), reads_as_no("satisfied")
    (True, False)
    """
    return bool(NO_WORDS & words(text))


def reads_as_yes(text: str) -> bool:
    """Whether an answer has a word of assent or satisfaction.

    >>> reads_as_yes("Yes"), reads_as_yes("stayed")
    (True, False)
    """
    return bool(YES_WORDS & words(text))
