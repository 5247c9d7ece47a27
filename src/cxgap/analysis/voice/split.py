"""Keep complaints apart from praise: split each theme by sentiment polarity.

A topic model groups answers by the words they share ("echo dot", "support
tickets"), not by what they say about them, so one theme can hold both "the
Echo Dot is great" and "my Echo Dot stopped working". After clustering, each
theme holding both negative and positive answers (by the sentiment label of
:func:`cxgap.analysis.voice.sentiment.sentiment_labels`), each with at least
``min_part`` answers and ``min_share`` of the theme, becomes two themes: its
complaints and the rest. This is the "polarity first, then
aspects" reading of opinion summaries (Hu & Liu 2004, who group features
with their positive and negative sentences apart), applied after the
clustering so the topics are still those the data support.

Labels then describe each part from its own answers (the key phrase most
over-represented in them), and a complaint part whose phrase names no
complaint gets the complaint word its answers use most ("slow", "late",
"wrong", ...) in front: "slow support tickets".

References
----------
Hu, M. & Liu, B. (2004). Mining and summarizing customer reviews. *KDD '04*,
168–177.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["COMPLAINT_WORDS", "complaint_label", "split_by_polarity", "word_sets"]

COMPLAINT_WORDS = (
    "slow",
    "late",
    "wrong",
    "delayed",
    "broken",
    "missed",
    "incorrect",
    "expensive",
    "rude",
    "unhelpful",
    "unresponsive",
    "poor",
    "bad",
    "terrible",
    "awful",
    "confusing",
    "difficult",
    "unreliable",
    "frustrating",
    "painful",
    "disappointing",
    "generic",
    "defective",
    "useless",
)
"""Adjectives of complaint a person puts before a topic ("slow support")."""

_WORD = re.compile(r"[a-z]+")


def split_by_polarity(
    assign: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    min_part: int = 3,
    min_share: float = 0.1,
) -> tuple[np.ndarray, list[int], list[bool]]:
    """Split each theme that pools complaints with praise into its negative
    answers and the rest.

    Parameters
    ----------
    assign
        Theme index of each answer (``-1``: none).
    labels
        Each answer's sentiment label (``negative``, ``neutral``, ``positive``).
    k
        Number of themes in ``assign``.
    min_part, min_share
        A theme is split only when it holds at least ``min_part`` negative and
        as many positive answers, each at least ``min_share`` of the theme (a
        theme of complaints with a few neutral answers is not praise).

    Returns
    -------
    (assign, parents, is_negative)
        The new theme of each answer, and per new theme the index of the
        theme it came from and whether it is the complaint side of a split.

    Examples
    --------
    >>> a = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    >>> lab = np.array(["negative"] * 3 + ["positive"] * 3 + ["neutral"] * 3)
    >>> new, parents, is_neg = split_by_polarity(a, lab, 2)
    >>> new.tolist(), parents, is_neg
    ([2, 2, 2, 0, 0, 0, 1, 1, 1], [0, 1, 0], [False, False, True])
    """
    out = assign.copy()
    parents = list(range(k))
    is_negative = [False] * k
    negative = labels == "negative"
    positive = labels == "positive"
    for j in range(k):
        members = assign == j
        floor = max(min_part, min_share * int(members.sum()))
        if (members & negative).sum() >= floor and (members & positive).sum() >= floor:
            out[members & negative] = len(parents)
            parents.append(j)
            is_negative.append(True)
    return out, parents, is_negative


def word_sets(docs: Sequence[str]) -> list[frozenset[str]]:
    """The lower-case words of each answer (for :func:`complaint_label`)."""
    return [frozenset(_WORD.findall(d.lower())) for d in docs]


def complaint_label(phrase: str, words_of: Sequence[frozenset[str]], inside: np.ndarray) -> str:
    """``phrase`` with the complaint adjective most over-represented in the
    theme's answers in front, unless ``phrase`` already holds one.

    Examples
    --------
    >>> docs = word_sets(["support tickets are slow", "slow support tickets", "support is great"])
    >>> complaint_label("support tickets", docs, np.array([True, True, False]))
    'slow support tickets'
    """
    words = phrase.split()
    if any(w in COMPLAINT_WORDS for w in words):
        return phrase
    n_in = max(1, int(inside.sum()))
    n_out = max(1, int((~inside).sum()))
    best, best_score = "", 0.0
    for cue in COMPLAINT_WORDS:
        has = np.array([cue in w for w in words_of], dtype=bool)
        df_in = int((has & inside).sum())
        if df_in < 2:
            continue
        score = df_in / n_in - int((has & ~inside).sum()) / n_out
        if score > best_score:
            best, best_score = cue, score
    return f"{best} {phrase}" if best else phrase
