"""Quotes that speak about an action: chosen by their tags and their sentiment.

An action targets one factor at one touchpoint ("Time and effort at
Implementation"). A quote is evidence for it when its text is tagged with the
factor (the factor's lexicon) and with the touchpoint (the tagging lexicon of
:mod:`cxgap.analysis.voice.tagging`), or with the factor and no other
touchpoint; a quote about the factor at another touchpoint ("support tickets
take weeks" for an implementation action) is not. Among those, quotes that
also name the touchpoint come first, then the most negative (an action
answers a shortfall; the complaint is the evidence), by the sentiment score
of :func:`cxgap.analysis.voice.sentiment.sentiment_scores`. This is
dictionary-based content analysis (Krippendorff 2018, ch. 11) used to select
rather than to count.

References
----------
Krippendorff, K. (2018). *Content Analysis: An Introduction to Its
Methodology*, 4th ed. SAGE.
"""

from __future__ import annotations

from collections.abc import Sequence

from cxgap.analysis.voice.sentiment import SentimentCache, sentiment_scores
from cxgap.analysis.voice.tagging import Lexicon, tag_text

__all__ = ["Tagged", "rank_evidence"]


class Tagged:
    """Candidate quotes, tagged and scored once for every action."""

    __slots__ = ("scores", "tags")

    def __init__(
        self, texts: Sequence[str], lexicon: Lexicon, cache: SentimentCache | None = None
    ) -> None:
        self.tags = [tag_text(t, lexicon) for t in texts]
        self.scores = [
            float(v) if v == v else 0.0 for v in sentiment_scores(texts, cache=cache).tolist()
        ]


def rank_evidence(tagged: Tagged, *, factor: str, touchpoint: str, limit: int) -> list[int]:
    """Positions of the best evidence for ``factor`` at ``touchpoint`` among ``tagged``.

    Parameters
    ----------
    tagged
        The candidate quotes, tagged with the study's lexicon
        (:func:`cxgap.analysis.voice.tagging.build_lexicon`) and scored.
    factor, touchpoint
        The action's keys (as in the lexicon).
    limit
        How many positions at most.

    Examples
    --------
    >>> lex = Lexicon(terms={"factor": {"time": ["slow", "weeks", "late"]},
    ...     "touchpoint": {"support": ["ticket"], "implementation": ["go-live"]},
    ...     "moment": {}}, labels={})
    >>> texts = ["Tickets take weeks", "Go-live was late and painful", "Go-live went fine",
    ...          "Everything is slow"]
    >>> rank_evidence(Tagged(texts, lex), factor="time", touchpoint="implementation", limit=3)
    [1, 3]
    """
    ranked: list[tuple[int, float, int]] = []
    for pos, tag in enumerate(tagged.tags):
        if factor not in tag["factor"]:
            continue
        here = touchpoint in tag["touchpoint"]
        if not here and set(tag["touchpoint"]) - {touchpoint}:
            continue  # about the factor at another touchpoint
        ranked.append((0 if here else 1, tagged.scores[pos], pos))
    ranked.sort()
    return [pos for _, _, pos in ranked[:limit]]
