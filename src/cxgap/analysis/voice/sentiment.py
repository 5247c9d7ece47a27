"""Sentiment of open answers, and its summaries per group.

cxgap scores a text with its own model (:mod:`cxgap.analysis.voice.sentiment_model`:
a multinomial logistic regression over words, word pairs with negation
marking and the contrast rule, customer-service cues and VADER's scores,
trained on human-labelled public data). Its score runs from -1 (most
negative) to +1 (most positive), ``P(positive) - P(negative)``; the label is
positive at ``score >= threshold``, negative at ``score <= -threshold``
(the model's threshold). :func:`sentiment_scores` gives the score, and
:func:`sentiment_labels` the label.

VADER itself (Hutto & Gilbert 2014: a human-rated lexicon and a few
grammatical rules, ``compound`` from -1 to +1, positive at ``>= 0.05``) stays
available as :func:`vader_scores` and :func:`vader_compound`, the baseline the
model is compared with (docs/VOICE.md). Both ship inside packages, so nothing
is downloaded.

Summaries give, for each group, the number of answers, the mean score with
its bounded 95% interval, and the shares of positive, neutral and negative answers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cxgap.analysis._base import Result, finite
from cxgap.analysis.perception.means import bounded_mean_interval
from cxgap.analysis.voice.text import analysis_text
from cxgap.errors import AnalysisError

__all__ = [
    "NEGATIVE",
    "POSITIVE",
    "SentimentCache",
    "SentimentGroup",
    "SentimentSummary",
    "SentimentTable",
    "sentiment_by",
    "sentiment_labels",
    "sentiment_scores",
    "summarise_sentiment",
    "vader_compound",
    "vader_scores",
]

POSITIVE = 0.05
"""Compound score at or above which VADER's authors call a text positive."""
NEGATIVE = -0.05
"""Compound score at or below which VADER's authors call a text negative."""


@functools.lru_cache(maxsize=1)
def _analyzer() -> object:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


class SentimentCache:
    """VADER scores of the texts already scored, by cleaned text.

    VADER is pure Python (about 0.1 ms a text) and one analysis asks for the
    same answers' sentiment several times (the voice per question, the themes,
    the hot spots). Pass one cache to every call of one analysis and each
    distinct text is scored once. The scores are those of an uncached call;
    only the time changes.

    Examples
    --------
    >>> cache = SentimentCache()
    >>> vader_compound(["Great support", "Great support"], cache=cache).tolist()
    [0.7783, 0.7783]
    >>> len(cache), vader_compound(["Great support"], cache=cache).tolist()
    (1, [0.7783])
    """

    def __init__(self) -> None:
        self.scores: dict[str, tuple[float, float, float, float]] = {}
        self.model: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self.scores)


def vader_scores(texts: Iterable[object], *, cache: SentimentCache | None = None) -> pd.DataFrame:
    """VADER's ``neg``, ``neu``, ``pos`` and ``compound`` for each text.

    Missing or empty texts get ``NaN`` in every column. HTML tags are removed
    before scoring (:func:`cxgap.analysis.voice.text.analysis_text`). Each distinct
    text is scored once (across calls that share ``cache``).

    Parameters
    ----------
    texts
        The answers, in order.
    cache
        Scores of texts already scored (see :class:`SentimentCache`).

    Returns
    -------
    pandas.DataFrame
        One row per text, columns ``neg, neu, pos, compound``.

    References
    ----------
    Hutto, C.J. & Gilbert, E. (2014). VADER: A parsimonious rule-based model for
    sentiment analysis of social media text. *Proceedings of ICWSM-14*.

    Examples
    --------
    >>> vader_scores(["VADER is smart, handsome, and funny.", None])["compound"].tolist()
    [0.8316, nan]
    """
    return pd.DataFrame(
        _vader_rows(texts, cache), columns=["neg", "neu", "pos", "compound"], dtype=float
    )


def _vader_rows(texts: Iterable[object], cache: SentimentCache | None) -> np.ndarray:
    analyzer = _analyzer()
    nan = math.nan
    empty = (nan, nan, nan, nan)
    seen = cache.scores if cache is not None else {}  # repeated answers scored once
    rows: list[tuple[float, float, float, float]] = []
    for raw in texts:
        text = analysis_text(raw)
        if not text:
            rows.append(empty)
            continue
        if text not in seen:
            s = analyzer.polarity_scores(text)  # type: ignore[attr-defined]
            seen[text] = (s["neg"], s["neu"], s["pos"], s["compound"])
        rows.append(seen[text])
    return np.array(rows, dtype=float).reshape(len(rows), 4)


def vader_compound(texts: Iterable[object], *, cache: SentimentCache | None = None) -> np.ndarray:
    """VADER's compound score per text (``NaN`` for missing or empty texts).

    Examples
    --------
    >>> vader_compound(["The book was good.", ""]).round(4).tolist()
    [0.4404, nan]
    """
    return np.ascontiguousarray(_vader_rows(texts, cache)[:, 3])


def sentiment_scores(texts: Iterable[object], *, cache: SentimentCache | None = None) -> np.ndarray:
    """cxgap's sentiment score per text, -1..+1 (``NaN`` for missing or empty texts).

    ``P(positive) - P(negative)`` under the shipped model
    (:mod:`cxgap.analysis.voice.sentiment_model`); HTML tags are removed
    first; each distinct text is scored once (across calls sharing ``cache``).

    References
    ----------
    Pang, Lee & Vaithyanathan (2002), Hutto & Gilbert (2014), Bishop (2006):
    see :mod:`cxgap.analysis.voice.sentiment_model`; docs/VOICE.md for the
    training data and the held-out evaluation.

    Examples
    --------
    >>> s = sentiment_scores(["Support is slow, we wait 2 days for a response to a ticket",
    ...                       "Our account manager is proactive and really helpful", None])
    >>> bool(s[0] < 0 < s[1]), bool(np.isnan(s[2]))
    (True, True)
    """
    from cxgap.analysis.voice.sentiment_model import load_model

    model = load_model()
    seen = cache.model if cache is not None else {}
    out: list[float] = []
    for raw in texts:
        text = analysis_text(raw)
        if not text:
            out.append(math.nan)
            continue
        if text not in seen:
            seen[text] = model.score(text)
        out.append(seen[text])
    return np.array(out, dtype=float)


def sentiment_labels(scores: Sequence[float] | np.ndarray) -> list[str | None]:
    """The label of each score (``None`` for ``NaN``): negative, neutral or positive.

    Examples
    --------
    >>> sentiment_labels([0.8, -0.8, 0.0, float("nan")])
    ['positive', 'negative', 'neutral', None]
    """
    from cxgap.analysis.voice.sentiment_model import load_model

    model = load_model()
    return [None if not math.isfinite(float(v)) else model.label(float(v)) for v in scores]


def _threshold() -> float:
    from cxgap.analysis.voice.sentiment_model import load_model

    return load_model().threshold


#: Every sentiment score (the model's and VADER's compound) lies on -1..1.
SCORE_SCALE = (-1.0, 1.0)


class SentimentSummary(Result):
    """Sentiment of a set of answers.

    ``mean`` is the mean score with its bounded 95% interval (``ci_low``/``ci_high``,
    ``None`` below two answers); the shares are those of the labels (the
    model's threshold, :func:`sentiment_labels`).
    """

    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    share_positive: float | None
    share_neutral: float | None
    share_negative: float | None


def summarise_sentiment(
    compound: Sequence[float] | np.ndarray, *, threshold: float | None = None
) -> SentimentSummary:
    """Summarise sentiment scores: n, mean with its 95% interval, shares.

    ``NaN`` scores (no answer) are left out.

    Parameters
    ----------
    compound
        Sentiment scores (:func:`sentiment_scores`).
    threshold
        A score at or above it is positive, at or below its negative is
        negative; the model's threshold by default (VADER's is 0.05).

    Returns
    -------
    SentimentSummary

    References
    ----------
    Scores lie on -1..1, so the interval is the bounded interval of a mean
    (:func:`cxgap.analysis.perception.means.bounded_mean_interval`: Wilson's
    interval at the effective sample size, Korn & Graubard 1998), which
    never leaves -1..1 and keeps a width when every answer scored the same;
    the labels are those of :func:`sentiment_labels`.

    Examples
    --------
    >>> s = summarise_sentiment([0.5, -0.2, 0.0, float("nan")])
    >>> s.n, round(s.mean, 4), s.share_positive
    (3, 0.1, 0.3333333333333333)
    """
    x = np.asarray(compound, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return SentimentSummary(
            n=0,
            mean=None,
            ci_low=None,
            ci_high=None,
            share_positive=None,
            share_neutral=None,
            share_negative=None,
        )
    mean = float(x.mean())
    lo = hi = None
    if n >= 2:
        bounds = bounded_mean_interval(np.clip(x, -1.0, 1.0), SCORE_SCALE)
        assert bounds is not None  # n >= 2
        lo, hi = bounds
    t = _threshold() if threshold is None else threshold
    pos = float(np.mean(x >= t))
    neg = float(np.mean(x <= -t))
    return SentimentSummary(
        n=n,
        mean=finite(mean),
        ci_low=finite(lo),
        ci_high=finite(hi),
        share_positive=pos,
        share_neutral=1.0 - pos - neg,
        share_negative=neg,
    )


class SentimentGroup(Result):
    """The sentiment of one group (its keys in ``group``)."""

    group: dict[str, str | None]
    sentiment: SentimentSummary


class SentimentTable(Result):
    """Sentiment per group of answers."""

    by: list[str]
    groups: list[SentimentGroup]


def sentiment_by(
    frame: pd.DataFrame,
    *,
    by: Sequence[str],
    text_column: str | None = None,
    compound_column: str | None = None,
) -> SentimentTable:
    """Sentiment of answers summarised per group.

    Parameters
    ----------
    frame
        One row per answer.
    by
        Grouping columns (e.g. ``["audience"]`` or ``["theme"]``); rows with a
        missing key form their own group (shown as ``None``).
    text_column
        Column of texts to score (:func:`sentiment_scores`); or
    compound_column
        a column of scores already computed.

    Returns
    -------
    SentimentTable
        One :class:`SentimentGroup` per group, in sorted order.

    References
    ----------
    See :func:`sentiment_scores` and :func:`summarise_sentiment`.

    Examples
    --------
    >>> df = pd.DataFrame({"audience": ["staff", "customer", "customer"],
    ...                    "text": ["Great team", "Slow and painful", "Terrible delays"]})
    >>> t = sentiment_by(df, by=["audience"], text_column="text")
    >>> [(g.group["audience"], g.sentiment.n) for g in t.groups]
    [('customer', 2), ('staff', 1)]
    """
    if (text_column is None) == (compound_column is None):
        raise AnalysisError("give exactly one of text_column or compound_column")
    missing = [c for c in [*by, text_column or compound_column] if c not in frame.columns]
    if missing:
        raise AnalysisError(f"columns not in the data: {', '.join(map(str, missing))}")
    if text_column is not None:
        scores = sentiment_scores(frame[text_column].tolist())
    else:
        scores = pd.to_numeric(frame[str(compound_column)], errors="coerce").to_numpy(float)
    keys = frame[list(by)].astype(object).where(frame[list(by)].notna(), None)
    work = keys.assign(_score=scores)
    groups: list[SentimentGroup] = []
    for key, part in work.groupby(list(by), dropna=False, sort=True):
        values = key if isinstance(key, tuple) else (key,)
        labels = {
            col: (None if v is None or (isinstance(v, float) and v != v) else str(v))
            for col, v in zip(by, values, strict=True)
        }
        groups.append(
            SentimentGroup(group=labels, sentiment=summarise_sentiment(part["_score"].to_numpy()))
        )
    return SentimentTable(by=list(by), groups=groups)
