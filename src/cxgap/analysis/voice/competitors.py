"""Competitors named in open answers, and whether each is seen as better or
worse.

From the answers to "what do our competitors do differently, and is that
better or worse?":

* **Names.** Each competitor of the study's list is found by its full name or
  its first word (``Northwind`` for "Northwind Systems"), case-insensitively.
  Other names are *detected*: runs of one to three capitalised words that are
  not at the start of a sentence, not an ordinary English word, not a known
  competitor nor one of ``own_names``, not a person's name (as
  :func:`cxgap.analysis.voice.text.mask_pii` sees it), and that appear in at least
  ``min_detected`` answers.
* **Judgement.** In the sentence that names the competitor, comparative cues
  say whether the competitor is better (``better``, ``faster``, ``cheaper``,
  ``more responsive``, ...) or worse (``worse``, ``slower``, ``clunky``, ``less
  stable``, ...). A negation within the three words before a cue flips it
  ("not better"); a cue followed by "than <competitor>" is about us and flips
  it too ("you are faster than Globex"). A sentence with cues both ways is
  *mixed*; with none, *unclear*.

This is a transparent rule-based reading (in the spirit of comparative
sentence mining, Jindal & Liu 2006), meant to be checked against the quotes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from cxgap.analysis._base import Result
from cxgap.analysis.voice.text import analysis_text, mask_pii, quote_text
from cxgap.errors import AnalysisError

__all__ = [
    "CompetitorAnalysis",
    "CompetitorView",
    "Judgement",
    "by_sentiment",
    "competitor_views",
    "judge",
]

Judgement = Literal["better", "worse", "mixed", "unclear"]

_BETTER = (
    "better",
    "faster",
    "cheaper",
    "quicker",
    "easier",
    "simpler",
    "superior",
    "more responsive",
    "more flexible",
    "more reliable",
    "lower price",
    "best",
    "nicer",
    "ahead",
)
_WORSE = (
    "worse",
    "slower",
    "pricier",
    "more expensive",
    "clunky",
    "clunkier",
    "weaker",
    "poorer",
    "inferior",
    "less stable",
    "less reliable",
    "unreliable",
    "harder",
    "behind",
    "worst",
)
_NEGATIONS = frozenset({"not", "no", "never", "isn't", "aren't", "wasn't", "hardly", "nor"})
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CAPS = re.compile(r"\b([A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*){0,2})")
_COMMON = frozenset(ENGLISH_STOP_WORDS) | {
    "we",
    "our",
    "they",
    "their",
    "you",
    "your",
    "i",
    "honestly",
    "mainly",
    "clearly",
    "for",
    "in",
    "with",
    "the",
    "a",
}


def _cue_pattern(cues: Sequence[str]) -> re.Pattern[str]:
    alt = "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in cues)
    return re.compile(rf"\b(?:{alt})\b", re.IGNORECASE)


_BETTER_RE = _cue_pattern(_BETTER)
_WORSE_RE = _cue_pattern(_WORSE)


def judge(sentence: str, name: str) -> Judgement:
    """Whether ``sentence`` says competitor ``name`` is better or worse.

    Parameters
    ----------
    sentence
        One sentence naming the competitor.
    name
        The competitor as written in the sentence.

    Returns
    -------
    "better", "worse", "mixed" or "unclear"

    References
    ----------
    Jindal, N. & Liu, B. (2006). Mining comparative sentences and relations.
    *AAAI-06*, 1331-1336.

    Examples
    --------
    >>> judge("Northwind answers faster, which is better", "Northwind")
    'better'
    >>> judge("Globex is not better, their product is clunky", "Globex")
    'worse'
    >>> judge("You are faster than Globex", "Globex")
    'worse'
    """
    votes = {"better": 0, "worse": 0}
    for pattern, side in ((_BETTER_RE, "better"), (_WORSE_RE, "worse")):
        for m in pattern.finditer(sentence):
            before = re.findall(r"[\w']+", sentence[: m.start()].lower())[-3:]
            flip = any(w in _NEGATIONS for w in before)
            after = sentence[m.end() : m.end() + len(name) + 12].lower()
            if re.match(rf"\s+than\s+(?:the\s+)?{re.escape(name.lower())}", after):
                flip = not flip
            votes[("worse" if side == "better" else "better") if flip else side] += 1
    if votes["better"] and votes["worse"]:
        return "mixed"
    if votes["better"]:
        return "better"
    if votes["worse"]:
        return "worse"
    return "unclear"


_US = re.compile(r"\b(?:you|your|yours|yourselves)\b", re.IGNORECASE)


def by_sentiment(sentence: str) -> Judgement:
    """The judgement of a sentence naming a competitor with no comparative cue,
    from its sentiment (:func:`cxgap.analysis.voice.sentiment.sentiment_scores`):
    a positive sentence praises the competitor and a negative one faults it,
    unless the sentence also speaks of us ("you", "your"): then its sentiment
    is about us and the competitor is judged the other way.

    Examples
    --------
    >>> by_sentiment("Globex keeps crashing and their support is rude")
    'worse'
    >>> by_sentiment("Northwind's account team is brilliant and really helpful")
    'better'
    """
    from cxgap.analysis.voice.sentiment import sentiment_labels, sentiment_scores

    label = sentiment_labels(sentiment_scores([sentence]))[0]
    if label not in ("positive", "negative"):
        return "unclear"
    good = label == "positive"
    if _US.search(sentence):
        good = not good
    return "better" if good else "worse"


class CompetitorView(Result):
    """How the answers see one competitor.

    ``answers`` counts the answers naming it; ``better``/``worse``/``mixed``/
    ``unclear`` count those answers by judgement; ``by_group`` counts answers
    per group; ``quotes`` are masked examples (never from answers that may not
    be quoted).
    """

    name: str
    known: bool
    answers: int
    better: int
    worse: int
    mixed: int
    unclear: int
    share_better: float | None
    by_group: dict[str, int]
    quotes: list[str]


class CompetitorAnalysis(Result):
    """Competitors named in a set of answers."""

    n: int
    n_naming: int
    competitors: list[CompetitorView]


def _name_pattern(name: str) -> re.Pattern[str]:
    forms = [re.escape(name).replace(r"\ ", r"\s+")]
    first = name.split()[0]
    if len(name.split()) > 1 and len(first) >= 4 and first.lower() not in _COMMON:
        forms.append(re.escape(first))
    return re.compile(r"\b(?:" + "|".join(forms) + r")\b", re.IGNORECASE)


def _detect(
    docs: list[str], known: Sequence[str], own: Sequence[str], min_answers: int
) -> list[str]:
    known_words = {w.lower() for n in [*known, *own] for w in n.split()}
    seen: dict[str, set[int]] = {}
    found: dict[str, list[str]] = {}  # answers repeat: read each distinct one once
    for i, doc in enumerate(docs):
        if doc not in found:
            found[doc] = _capitalised_names(doc, known_words)
        for name in found[doc]:
            seen.setdefault(name, set()).add(i)
    return sorted(
        name
        for name, rows in seen.items()
        if len(rows) >= min_answers and "[name]" not in mask_pii(name)  # people, not firms
    )


def _capitalised_names(doc: str, known_words: set[str]) -> list[str]:
    """Capitalised names in ``doc`` that are not sentence starts, common
    words or a known name's words."""
    out: list[str] = []
    for sentence in _SENTENCE.split(doc):
        for m in _CAPS.finditer(sentence):
            if m.start() == len(sentence) - len(sentence.lstrip()):
                continue  # first word of a sentence
            words = m.group(1).split()
            while words and words[0].lower() in _COMMON:
                words = words[1:]
            if not words or all(w.lower() in _COMMON for w in words):
                continue
            if any(w.lower() in known_words for w in words):
                continue
            if len(words) == 1 and len(words[0]) < 3:
                continue
            out.append(" ".join(words))
    return out


def _verdict(doc: str, pattern: re.Pattern[str]) -> Judgement | None:
    """How ``doc`` judges the competitor ``pattern`` finds in it (None: not
    named): one verdict per sentence naming it, "mixed" when they differ."""
    if not pattern.search(doc):
        return None
    verdicts = []
    for sentence in _SENTENCE.split(doc):
        m = pattern.search(sentence)
        if m:
            verdict = judge(sentence, m.group(0))
            verdicts.append(verdict if verdict != "unclear" else by_sentiment(sentence))
    decided = {v for v in verdicts if v != "unclear"}
    return "unclear" if not decided else decided.pop() if len(decided) == 1 else "mixed"


def competitor_views(
    texts: Sequence[object],
    *,
    competitors: Sequence[str],
    groups: Sequence[str | None] | None = None,
    quotable: Sequence[bool] | None = None,
    own_names: Sequence[str] = (),
    detect: bool = True,
    min_detected: int = 2,
    n_quotes: int = 3,
) -> CompetitorAnalysis:
    """The competitors named in ``texts`` and how each is judged.

    Parameters
    ----------
    texts
        Answers to the competitors question.
    competitors
        The study's competitor names.
    groups
        The group (audience) of each answer.
    quotable
        Per answer, whether it may be quoted.
    own_names
        Names never to report as competitors (the organisation, its products).
    detect
        Whether to report other capitalised names found in the answers.
    min_detected
        Answers a detected name must appear in.
    n_quotes
        Quotes per competitor.

    Returns
    -------
    CompetitorAnalysis
        Competitors ordered by the number of answers naming them.

    References
    ----------
    Jindal & Liu (2006), see :func:`judge`.

    Examples
    --------
    >>> r = competitor_views(["Northwind Systems is faster, that is better.",
    ...                       "Globex Software's product is worse.", "No idea"],
    ...                      competitors=["Northwind Systems", "Globex Software"])
    >>> [(c.name, c.answers, c.better, c.worse) for c in r.competitors]
    [('Globex Software', 1, 0, 1), ('Northwind Systems', 1, 1, 0)]
    """
    n_rows = len(texts)
    if groups is not None and len(groups) != n_rows:
        raise AnalysisError("one group per answer")
    if quotable is not None and len(quotable) != n_rows:
        raise AnalysisError("one quotable flag per answer")
    docs = [analysis_text(t) for t in texts]
    ok = np.ones(n_rows, bool) if quotable is None else np.asarray(quotable, bool)
    names = [(c, True) for c in competitors]
    if detect:
        names += [(d, False) for d in _detect(docs, competitors, own_names, min_detected)]
    naming: set[int] = set()
    views: list[CompetitorView] = []
    for name, known in names:
        pattern = _name_pattern(name)
        tally = {"better": 0, "worse": 0, "mixed": 0, "unclear": 0}
        by_group: dict[str, int] = {}
        quotes: list[str] = []
        count = 0
        verdicts_of: dict[str, Judgement | None] = {}  # answers repeat: judge each once
        for i, doc in enumerate(docs):
            if not doc:
                continue
            if doc not in verdicts_of:
                verdicts_of[doc] = _verdict(doc, pattern)
            verdict = verdicts_of[doc]
            if verdict is None:
                continue
            count += 1
            naming.add(i)
            tally[verdict] += 1
            if groups is not None and groups[i] is not None:
                by_group[str(groups[i])] = by_group.get(str(groups[i]), 0) + 1
            if ok[i] and len(quotes) < n_quotes:
                q = quote_text(texts[i])
                if q not in quotes:
                    quotes.append(q)
        if count == 0 and not known:
            continue
        judged = tally["better"] + tally["worse"]
        views.append(
            CompetitorView(
                name=name,
                known=known,
                answers=count,
                better=tally["better"],
                worse=tally["worse"],
                mixed=tally["mixed"],
                unclear=tally["unclear"],
                share_better=tally["better"] / judged if judged else None,
                by_group=dict(sorted(by_group.items())),
                quotes=quotes,
            )
        )
    views.sort(key=lambda v: (-v.answers, v.name))
    return CompetitorAnalysis(n=sum(bool(d) for d in docs), n_naming=len(naming), competitors=views)
