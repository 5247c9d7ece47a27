"""The features of cxgap's sentiment model, shared by its training and its use.

An answer becomes a sparse set of features, each with a weight:

* **words and word pairs** (lower case, ``@name`` and links removed, digits
  folded to ``0``), as in the bag-of-n-grams classifiers of Pang, Lee &
  Vaithyanathan (2002);
* **negation marking** (Das & Chen 2001; Pang et al. 2002): after "not",
  "no", "never", "n't", "without", ... the next three words, up to a
  punctuation mark or "but", are read as ``NOT_word``, so "not bad" and
  "bad" are different features;
* **contrast** (the rule of Hutto & Gilbert 2014): in a sentence with "but",
  "however", "although", ... the words before it count half and the words
  after it one and a half times ("good product but support is slow" is
  mostly about the support);
* **intensifiers** ("very", "extremely", "so", ...) raise the weight of the
  next word by half;
* **domain cues** of customer service and B2B relationships
  (:data:`DOMAIN_NEGATIVE`, :data:`DOMAIN_POSITIVE`: "slow", "still waiting",
  "escalate", "outage", "invoice error", "price increase", "proactive",
  ...), counted as two dense features with the same negation and contrast
  rules, so that their learned weight carries to words the training data
  rarely holds;
* **VADER** (Hutto & Gilbert 2014) ``neg``, ``neu``, ``pos`` and
  ``compound`` of the text, from VADER's lexicon with words that name a
  department or a document rather than a feeling removed ("support",
  "credit", "care", ...: in "support is slow", VADER reads "support" as
  praise).

The n-gram features are divided by the square root of their number (the
answer's length does not decide its strength). Everything is pure Python and
deterministic.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator

__all__ = [
    "DENSE",
    "DOMAIN_NEGATIVE",
    "DOMAIN_POSITIVE",
    "Features",
    "clauses",
    "features",
    "sentences",
]

DENSE = (
    "vader_neg",
    "vader_neu",
    "vader_pos",
    "vader_compound",
    "domain_negative",
    "domain_positive",
)
"""The dense features, in the order the model stores their weights."""

DOMAIN_NEGATIVE = (
    "slow",
    "slowly",
    "slower",
    "late",
    "later than",
    "delay",
    "delayed",
    "delays",
    "wait",
    "waiting",
    "waited",
    "still waiting",
    "on hold",
    "hold",
    "chase",
    "chasing",
    "chased",
    "escalate",
    "escalated",
    "escalation",
    "outage",
    "outages",
    "downtime",
    "down again",
    "crash",
    "crashes",
    "crashed",
    "bug",
    "bugs",
    "broken",
    "error",
    "errors",
    "invoice error",
    "billing error",
    "wrong invoice",
    "overcharged",
    "charged twice",
    "price increase",
    "prices went up",
    "price went up",
    "went up",
    "hidden fees",
    "no warning",
    "without warning",
    "no response",
    "no reply",
    "no answer",
    "never heard back",
    "unanswered",
    "ignored",
    "rude",
    "unhelpful",
    "unresponsive",
    "lost",
    "cancelled",
    "canceled",
    "missed",
    "deadline",
    "overdue",
    "behind schedule",
    "again",
    "days",
    "weeks",
    "months",
    "hours",
    "nobody",
    "no one",
    "hassle",
    "painful",
    "painfully",
    "frustrating",
    "frustrated",
    "disappointed",
    "expensive",
    "too long",
    "takes forever",
    "forever",
    "generic",
    "churn",
    "leave",
    "leaving",
    "switch",
    "switching",
)
"""Words and phrases that, in customer-service and B2B answers, mark a complaint."""

DOMAIN_POSITIVE = (
    "quick",
    "quickly",
    "fast",
    "faster",
    "prompt",
    "promptly",
    "responsive",
    "proactive",
    "proactively",
    "resolved",
    "fixed",
    "sorted",
    "on time",
    "on budget",
    "smooth",
    "smoothly",
    "seamless",
    "reliable",
    "easy",
    "helpful",
    "knowledgeable",
    "thank",
    "thanks",
    "thank you",
    "recommend",
    "well done",
    "goes above and beyond",
    "above and beyond",
    "ahead of",
    "in advance",
    "heads up",
    "partner",
    "value",
)
"""Words and phrases that, in customer-service and B2B answers, mark praise."""

_NEUTRAL_IN_CX = (
    "support",
    "supports",
    "supported",
    "supporting",
    "credit",
    "credits",
    "care",
    "cares",
    "interest",
    "share",
    "shares",
    "party",
    "pretty",
    "please",
    "matter",
    "solid",
    "yes",
    "no",
    "ok",
    "okay",
)
"""VADER lexicon entries that name a department, a document or a filler in
customer answers rather than a feeling ("customer care", "credit note",
"pretty slow"); removed from the VADER lexicon used as a feature."""

_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "nowhere",
        "without",
        "cannot",
        "cant",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "dont",
        "doesnt",
        "didnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "couldnt",
        "hasnt",
        "havent",
        "hadnt",
        "aint",
    ]
)
_CONTRASTS = frozenset({"but", "however", "although", "though", "yet", "except", "whereas"})
_INTENSIFIERS = frozenset(
    [
        "very",
        "really",
        "extremely",
        "so",
        "too",
        "incredibly",
        "absolutely",
        "totally",
        "completely",
        "super",
        "highly",
        "hugely",
        "terribly",
        "awfully",
        "utterly",
    ]
)
_NEGATION_SCOPE = 3
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]+")
_STRIP = re.compile(r"@\w+|https?://\S+|www\.\S+|&\w+;")
_DIGITS = re.compile(r"[0-9]+")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def _lookup() -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """Domain cues by first word: (the cue's words, its sign), longest first."""
    table: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for sign, items in ((1, DOMAIN_POSITIVE), (-1, DOMAIN_NEGATIVE)):
        for item in items:
            words = tuple(item.split())
            table.setdefault(words[0], []).append((words, sign))
    for entries in table.values():
        entries.sort(key=lambda e: -len(e[0]))
    return table


_DOMAIN = _lookup()


@functools.lru_cache(maxsize=1)
def _vader() -> object:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for word in _NEUTRAL_IN_CX:
        analyzer.lexicon.pop(word, None)
    return analyzer


def sentences(text: str) -> list[str]:
    """The sentences of a text: split after ``.``, ``!``, ``?``, ``;`` and at line breaks.

    Examples
    --------
    >>> sentences("Good product. But support is slow!  We wait days")
    ['Good product.', 'But support is slow!', 'We wait days']
    """
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _tokens(text: str) -> list[str]:
    lowered = _STRIP.sub(" ", text.lower()).replace("\u2019", "'")
    lowered = lowered.replace("n't", " not").replace("cannot", "can not")
    return [_DIGITS.sub("0", t) for t in _TOKEN.findall(lowered)]


def _weighted(tokens: list[str]) -> Iterator[tuple[str, float, bool]]:
    """Each word with its weight (contrast, intensifier) and whether it is negated."""
    clauses: list[list[str]] = [[]]
    for t in tokens:
        if t in _CONTRASTS:
            clauses.append([])
        else:
            clauses[-1].append(t)
    for c, clause in enumerate(clauses):
        base = 1.0 if len(clauses) == 1 else 1.5 if c == len(clauses) - 1 else 0.5
        scope = 0
        boost = 1.0
        for t in clause:
            if t[0] in ".,;:!?":
                scope = 0
                boost = 1.0
                yield t[0], base, False
                continue
            if t in _NEGATIONS:
                scope = _NEGATION_SCOPE
                yield t, base, False
                continue
            weight = base * boost
            boost = 1.5 if t in _INTENSIFIERS else 1.0
            yield t, weight, scope > 0
            if scope:
                scope -= 1


_CLAUSE = re.compile(
    r"\s*(?:,\s*)?\b(?:but|however|although|though|whereas|except)\b\s*", re.IGNORECASE
)


def clauses(sentence: str) -> list[str]:
    """The parts of a sentence around contrast words ("but", "however", ...).

    Examples
    --------
    >>> clauses("Good product, but support is slow")
    ['Good product', 'support is slow']
    """
    return [c.strip(" ,;") for c in _CLAUSE.split(sentence) if c.strip(" ,;")]


class Features:
    """The features of one text: sparse ``ngrams`` (name → value) and ``dense`` values."""

    __slots__ = ("dense", "ngrams")

    def __init__(self, ngrams: dict[str, float], dense: tuple[float, ...]) -> None:
        self.ngrams = ngrams
        self.dense = dense


def _domain_counts(words: list[tuple[str, float, bool]]) -> tuple[float, float]:
    plain = [w for w, _, _ in words]
    counts = {1: 0.0, -1: 0.0}
    i = 0
    while i < len(words):
        word, weight, negated = words[i]
        length = 1
        for phrase, sign in _DOMAIN.get(word, ()):
            n = len(phrase)
            if n == 1 or tuple(plain[i : i + n]) == phrase:
                counts[-sign if negated else sign] += weight
                length = n
                break
        i += length
    return counts[-1], counts[1]


def features(text: str) -> Features:
    """The features of ``text`` (see the module's description).

    Examples
    --------
    >>> f = features("Not bad, but support is slow")
    >>> sorted(f.ngrams)[:4]
    [', support', 'NOT_bad', 'NOT_bad ,', 'is']
    >>> f.dense[4:]  # domain cues: "slow" after "but" weighs 1.5
    (1.5, 0.0)
    """
    words = list(_weighted(_tokens(text)))
    grams: dict[str, float] = {}
    names = [("NOT_" + w if neg else w) for w, _, neg in words]
    for i, (_, weight, _) in enumerate(words):
        if names[i][0] not in ".,;:!?":
            grams[names[i]] = max(grams.get(names[i], 0.0), weight)
        if i + 1 < len(words):
            pair = names[i] + " " + names[i + 1]
            grams[pair] = max(grams.get(pair, 0.0), weight)
    if grams:
        norm = 1.0 / math.sqrt(len(grams))
        grams = {k: v * norm for k, v in grams.items()}
    neg, pos = _domain_counts(words)
    v = _vader().polarity_scores(text)  # type: ignore[attr-defined]
    dense = (v["neg"], v["neu"], v["pos"], v["compound"], neg, pos)
    return Features(grams, dense)
