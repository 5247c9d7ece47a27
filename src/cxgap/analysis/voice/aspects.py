"""Sentiment per answer, per sentence and per aspect, and its summary per group.

Each answer is scored whole (:func:`cxgap.analysis.voice.sentiment.sentiment_scores`)
and sentence by sentence (:func:`cxgap.analysis.voice.polarity.sentences`).
An **aspect** is what a clause is about: a factor, touchpoint or moment of
the tagging lexicon (:mod:`cxgap.analysis.voice.tagging`), or a competitor it
names. Clauses are the sentences cut at contrast words
(:func:`cxgap.analysis.voice.polarity.clauses`), so "Good product but support
is slow" is positive about the product and negative about support. The
sentiment of an aspect in an answer is the mean score of the clauses that
mention it: the sentence-level reading of aspect-based sentiment of Hu & Liu
(2004), one clause at a time.

The summary per group gives n, the mean score with its bounded 95% interval and the
shares of the three labels with 95% Wilson intervals (Wilson 1927).

References
----------
Hu, M. & Liu, B. (2004). Mining and summarizing customer reviews. *KDD '04*,
168–177.
Wilson, E.B. (1927). Probable inference, the law of succession, and
statistical inference. *JASA* 22, 209–212.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from cxgap.analysis._base import Result, finite
from cxgap.analysis.voice.polarity import clauses, sentences
from cxgap.analysis.voice.sentiment import (
    SentimentCache,
    SentimentSummary,
    sentiment_labels,
    sentiment_scores,
    summarise_sentiment,
)
from cxgap.analysis.voice.tagging import KINDS, Lexicon, tag_text
from cxgap.analysis.voice.text import analysis_text

__all__ = [
    "AnswerSentiment",
    "AspectSentiment",
    "GroupSentiment",
    "LabelShare",
    "SentenceSentiment",
    "answer_sentiment",
    "group_sentiment",
]


class SentenceSentiment(Result):
    """One sentence: its text, score and label."""

    text: str
    score: float
    label: str


class AspectSentiment(Result):
    """What one answer says about one aspect.

    ``kind`` is factor, touchpoint, moment or competitor.
    """

    kind: str
    key: str
    score: float
    label: str
    n_clauses: int


class AnswerSentiment(Result):
    """The sentiment of one answer; ``score``/``label`` are ``None`` for an empty answer."""

    score: float | None
    label: str | None
    sentences: list[SentenceSentiment]
    aspects: list[AspectSentiment]


def _competitor_patterns(names: Sequence[str]) -> list[tuple[str, re.Pattern[str]]]:
    return [
        (n, re.compile(r"\b" + re.escape(n) + r"\b", re.IGNORECASE)) for n in names if n.strip()
    ]


def answer_sentiment(
    texts: Sequence[object],
    *,
    lexicon: Lexicon | None = None,
    competitors: Sequence[str] = (),
    cache: SentimentCache | None = None,
) -> list[AnswerSentiment]:
    """Score each answer, each of its sentences, and each aspect its sentences name.

    Parameters
    ----------
    texts
        The answers, in order (``None``/empty for no answer).
    lexicon
        Factor, touchpoint and moment terms (:func:`cxgap.analysis.voice.tagging.build_lexicon`);
        ``None``: no such aspects.
    competitors
        Competitor names; a sentence naming one is about that competitor.
    cache
        Scores of texts already scored.

    Examples
    --------
    >>> from cxgap.analysis.voice.tagging import Lexicon
    >>> lex = Lexicon(terms={"factor": {}, "touchpoint": {"support": ["support"],
    ...                      "product": ["product"]}, "moment": {}}, labels={})
    >>> a = answer_sentiment(["The product is excellent but support is painfully slow."],
    ...                      lexicon=lex)[0]
    >>> [(x.key, x.label) for x in a.aspects]
    [('product', 'positive'), ('support', 'negative')]
    """
    cache = cache if cache is not None else SentimentCache()
    whole = sentiment_scores(texts, cache=cache)
    patterns = _competitor_patterns(competitors)
    out: list[AnswerSentiment] = []
    for raw, score in zip(texts, whole.tolist(), strict=True):
        clean = analysis_text(raw)
        if not clean:
            out.append(AnswerSentiment(score=None, label=None, sentences=[], aspects=[]))
            continue
        parts = sentences(clean)
        part_scores = sentiment_scores(parts, cache=cache).tolist()
        part_labels = sentiment_labels(part_scores)
        found: dict[tuple[str, str], list[float]] = {}
        pieces = [c for p in parts for c in clauses(p)]
        for part, s in zip(pieces, sentiment_scores(pieces, cache=cache).tolist(), strict=True):
            if lexicon is not None:
                tags = tag_text(part, lexicon)
                for kind in KINDS:
                    for key in tags[kind]:
                        found.setdefault((kind, key), []).append(s)
            for name, pattern in patterns:
                if pattern.search(part):
                    found.setdefault(("competitor", name), []).append(s)
        aspects = []
        for (kind, key), values in found.items():
            mean = round(float(np.mean(values)), 4)
            aspects.append(
                AspectSentiment(
                    kind=kind,
                    key=key,
                    score=mean,
                    label=str(sentiment_labels([mean])[0]),
                    n_clauses=len(values),
                )
            )
        out.append(
            AnswerSentiment(
                score=score,
                label=sentiment_labels([score])[0],
                sentences=[
                    SentenceSentiment(text=p, score=s, label=str(lab))
                    for p, s, lab in zip(parts, part_scores, part_labels, strict=True)
                ],
                aspects=aspects,
            )
        )
    return out


class LabelShare(Result):
    """The share of one label among a group's answers, with its 95% Wilson interval."""

    count: int
    share: float | None
    ci_low: float | None
    ci_high: float | None


class GroupSentiment(Result):
    """The sentiment of one group: ``n`` answers (the one denominator of every share)."""

    group: str | None
    n: int
    sentiment: SentimentSummary
    labels: dict[str, LabelShare]


def _share(count: int, n: int) -> LabelShare:
    if n == 0:
        return LabelShare(count=0, share=None, ci_low=None, ci_high=None)
    lo, hi = proportion_confint(count, n, alpha=0.05, method="wilson")
    return LabelShare(count=count, share=count / n, ci_low=finite(lo), ci_high=finite(hi))


def group_sentiment(
    answers: Sequence[AnswerSentiment], groups: Sequence[str | None] | None = None
) -> list[GroupSentiment]:
    """Sentiment per group (one entry, group ``None``, without groups), sorted by group.

    Empty answers are left out of every group, so ``n`` is the number of
    answers scored.

    Examples
    --------
    >>> rows = answer_sentiment(["Great people", "Slow support", "Awful billing errors", ""])
    >>> [(g.group, g.n, g.labels["negative"].count)
    ...  for g in group_sentiment(rows, ["a", "b", "b", "b"])]
    [('a', 1, 0), ('b', 2, 2)]
    """
    keys = list(groups) if groups is not None else [None] * len(answers)
    if len(keys) != len(answers):
        raise ValueError("one group per answer")
    names = sorted({k for k in keys if k is not None})
    if any(k is None for k in keys):
        names_or_none: list[str | None] = [*names, None]
    else:
        names_or_none = list(names)
    out: list[GroupSentiment] = []
    for name in names_or_none:
        scored = [
            a for a, k in zip(answers, keys, strict=True) if k == name and a.score is not None
        ]
        if name is None and groups is not None and not scored:
            continue
        scores = np.array([a.score for a in scored], dtype=float)
        n = len(scored)
        out.append(
            GroupSentiment(
                group=name,
                n=n,
                sentiment=summarise_sentiment(scores),
                labels={
                    lab: _share(sum(a.label == lab for a in scored), n)
                    for lab in ("negative", "neutral", "positive")
                },
            )
        )
    return out
