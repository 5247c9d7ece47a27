"""Tagging open text to factors, touchpoints and moments that matter.

Every answer and interview passage is matched against a lexicon per key:

* **factors**: the ``lexicon`` of each factor in the study definition (the CX
  lead edits it in the study file), plus the words of the factor's label;
* **touchpoints** and **moments**: built-in terms for the default keys
  (``DEFAULT_TOUCHPOINT_TERMS``, ``DEFAULT_MOMENT_TERMS``), plus the words of
  each item's label, plus any ``extra`` terms the caller passes.

Matching is case-insensitive and starts at a word boundary. A term of five or
more characters matches as a stem (``escalat`` matches "escalated",
"escalation"); a shorter term matches the whole word with an optional plural
or verb ending (``fix`` matches "fix", "fixes", "fixed", not "fixture").
Multi-word terms match as phrases.

The tag summary counts, for each key and group, how many answers mention it
(with a Wilson interval on the share) and their mean sentiment, which is
how open text feeds the factor views and the hot spots.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from cxgap.analysis._base import Result, finite
from cxgap.analysis.voice.sentiment import SentimentSummary, summarise_sentiment
from cxgap.analysis.voice.text import analysis_text
from cxgap.errors import AnalysisError
from cxgap.study.model import StudyDefinition

__all__ = [
    "DEFAULT_MOMENT_TERMS",
    "DEFAULT_TOUCHPOINT_TERMS",
    "KINDS",
    "Lexicon",
    "TagCount",
    "TagSummary",
    "build_lexicon",
    "tag_frame",
    "tag_summary",
    "tag_text",
]

KINDS = ("factor", "touchpoint", "moment")

DEFAULT_TOUCHPOINT_TERMS: dict[str, list[str]] = {
    "sales": ["sales", "salesperson", "proposal", "contract", "deal", "pre-sale", "tender"],
    "implementation": ["implementation", "onboarding", "go-live", "go live", "rollout", "migrat"],
    "support": ["support", "help desk", "helpdesk", "ticket", "service desk", "incident"],
    "billing": ["billing", "invoice", "invoic", "payment", "renewal", "credit note"],
    "account_management": [
        "account manager",
        "account management",
        "account team",
        "account review",
        "customer success",
        "relationship manager",
    ],
    "product": ["product", "platform", "software", "feature", "roadmap", "release", "uptime"],
}

DEFAULT_MOMENT_TERMS: dict[str, list[str]] = {
    "knowledge": [
        "knowledge",
        "knowledgeable",
        "expertise",
        "expert",
        "industry",
        "know the product",
    ],
    "implementation": ["implementation", "onboarding", "go-live", "go live", "rollout"],
    "problem_resolution": [
        "problem",
        "issue",
        "incident",
        "outage",
        "escalat",
        "fix",
        "resolv",
        "ticket",
        "broke",
    ],
    "adding_value": ["value", "ideas", "best practice", "advice", "advise", "improvement"],
    "proactive": ["proactiv", "before we notice", "warn", "heads up", "in advance", "anticipat"],
    "routine": [
        "invoice",
        "call",
        "meeting",
        "e-mail",
        "email",
        "routine",
        "everyday",
        "day to day",
    ],
}

_SHORT_ENDINGS = r"(?:s|es|ed|d|ing)?"


class Lexicon(Result):
    """Terms per key for each kind (``factor``, ``touchpoint``, ``moment``)."""

    terms: dict[str, dict[str, list[str]]]
    labels: dict[str, dict[str, str]]


def _label_words(label: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z-]+", label.lower()) if w not in {"and", "the", "of"}]


def build_lexicon(
    study: StudyDefinition, extra: Mapping[str, Mapping[str, Sequence[str]]] | None = None
) -> Lexicon:
    """The tagging lexicon of a study.

    Parameters
    ----------
    study
        The study; its factors' ``lexicon`` lists are used as they are.
    extra
        More terms: ``{"touchpoint": {"support": ["service team"]}, ...}``.

    Returns
    -------
    Lexicon

    References
    ----------
    Dictionary-based content analysis: Krippendorff, K. (2018). *Content
    Analysis: An Introduction to Its Methodology*, 4th ed., ch. 11.

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> lex = build_lexicon(default_study("demo", organisation="X"))
    >>> "escalat" in lex.terms["factor"]["resolution"]
    True
    """
    terms: dict[str, dict[str, list[str]]] = {k: {} for k in KINDS}
    labels: dict[str, dict[str, str]] = {k: {} for k in KINDS}
    for f in study.factors:
        terms["factor"][f.key] = [*f.lexicon, *_label_words(f.label)]
        labels["factor"][f.key] = f.label
    for t in study.touchpoints:
        terms["touchpoint"][t.key] = [
            *DEFAULT_TOUCHPOINT_TERMS.get(t.key, []),
            *_label_words(t.label),
        ]
        labels["touchpoint"][t.key] = t.label
    for m in study.moments:
        terms["moment"][m.key] = [*DEFAULT_MOMENT_TERMS.get(m.key, []), *_label_words(m.label)]
        labels["moment"][m.key] = m.label
    for kind, by_key in (extra or {}).items():
        if kind not in terms:
            raise AnalysisError(f"unknown tag kind {kind!r}; expected one of {list(KINDS)}")
        for key, words in by_key.items():
            if key not in terms[kind]:
                raise AnalysisError(f"unknown {kind} {key!r} in the extra tagging terms")
            terms[kind][key] = [*terms[kind][key], *words]
    for kind in terms:
        for key, words in terms[kind].items():
            terms[kind][key] = sorted({w.strip().lower() for w in words if w.strip()})
    return Lexicon(terms=terms, labels=labels)


def _pattern(words: Sequence[str], flags: int = re.IGNORECASE) -> re.Pattern[str] | None:
    parts = []
    for w in sorted(words, key=len, reverse=True):
        body = re.escape(w).replace(r"\ ", r"\s+")
        if " " in w or len(w) >= 5:
            parts.append(body)
        else:
            parts.append(body + _SHORT_ENDINGS + r"\b")
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(parts) + ")", flags)


class _Matcher:
    """One key's terms as a case-insensitive pattern, and (lowercased) as a
    case-sensitive one for ASCII texts, which it searches lowercased: for an
    ASCII text the same matches in about 60% of the time."""

    __slots__ = ("ascii", "unicode")

    def __init__(self, words: Sequence[str]) -> None:
        unicode = _pattern(words)
        ascii_ = _pattern([w.lower() for w in words], flags=0)
        if unicode is None or ascii_ is None:
            raise ValueError("a matcher needs at least one term")
        self.unicode, self.ascii = unicode, ascii_

    def search(self, text: str, lowered: str | None) -> bool:
        """Whether ``text`` mentions a term; ``lowered`` is ``text.lower()``
        when ``text`` is ASCII, else None."""
        if lowered is not None:
            return self.ascii.search(lowered) is not None
        return self.unicode.search(text) is not None


def _lowered(text: str) -> str | None:
    return text.lower() if text.isascii() else None


def _compiled(lexicon: Lexicon) -> dict[str, dict[str, _Matcher]]:
    return _compile(
        tuple(
            (kind, tuple((key, tuple(words)) for key, words in by_key.items()))
            for kind, by_key in lexicon.terms.items()
        )
    )


@functools.lru_cache(maxsize=16)
def _compile(
    terms: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...],
) -> dict[str, dict[str, _Matcher]]:
    """One matcher per key with terms, compiled once per lexicon (callers
    must not change the dictionaries returned)."""
    return {
        kind: {key: _Matcher(words) for key, words in by_key if words} for kind, by_key in terms
    }


def tag_text(text: object, lexicon: Lexicon) -> dict[str, list[str]]:
    """The factor, touchpoint and moment keys one text is about.

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> lex = build_lexicon(default_study("demo", organisation="X"))
    >>> tag_text("Support tickets took weeks to get resolved", lex)["factor"]
    ['resolution', 'time_effort']
    """
    clean = analysis_text(text)
    lowered = _lowered(clean)
    patterns = _compiled(lexicon)
    return {
        kind: [key for key, m in patterns[kind].items() if m.search(clean, lowered)]
        for kind in KINDS
    }


def tag_frame(texts: Sequence[object], lexicon: Lexicon) -> pd.DataFrame:
    """One boolean column ``<kind>.<key>`` per key, one row per text.

    Each distinct text is matched once (answers repeat: a large study has
    far fewer distinct answers than answers).
    """
    clean = [analysis_text(t) for t in texts]
    codes, distinct = pd.factorize(pd.Series(clean, dtype=object))
    uniques = [str(u) for u in distinct]
    lowered = [_lowered(u) for u in uniques]
    cols: dict[str, np.ndarray] = {}
    for kind, by_key in _compiled(lexicon).items():
        for key, m in by_key.items():
            hit = np.array(
                [m.search(u, low) for u, low in zip(uniques, lowered, strict=True)], dtype=bool
            )
            cols[f"{kind}.{key}"] = hit[codes] if len(uniques) else np.zeros(len(clean), bool)
    return pd.DataFrame(cols, index=range(len(texts)))


class TagCount(Result):
    """How many answers of a group mention one key, with the 95% Wilson
    interval of the share and the answers' sentiment."""

    kind: str
    key: str
    label: str
    group: str | None
    count: int
    n: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    sentiment: SentimentSummary | None


class TagSummary(Result):
    """Mentions of every factor, touchpoint and moment, per group."""

    n: int
    groups: list[str | None]
    counts: list[TagCount]


def tag_summary(
    texts: Sequence[object],
    lexicon: Lexicon,
    *,
    groups: Sequence[str | None] | None = None,
    compound: Sequence[float] | np.ndarray | None = None,
) -> TagSummary:
    """Count the answers that mention each factor, touchpoint and moment.

    Parameters
    ----------
    texts
        The answers (empty ones are left out).
    lexicon
        From :func:`build_lexicon`.
    groups
        The group of each answer (e.g. audience); ``None`` for one overall group.
    compound
        Sentiment score of each answer, for the mean sentiment per key.

    Returns
    -------
    TagSummary
        One :class:`TagCount` per key and group.

    References
    ----------
    Krippendorff (2018), see :func:`build_lexicon`; Wilson, E.B. (1927).
    Probable inference, the law of succession, and statistical inference.
    *JASA* 22, 209-212.

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> lex = build_lexicon(default_study("demo", organisation="X"))
    >>> s = tag_summary(["slow support", "great invoice", ""], lex)
    >>> [(c.key, c.count, c.n) for c in s.counts if c.count and c.kind == "touchpoint"]
    [('support', 1, 2), ('billing', 1, 2)]
    """
    if groups is not None and len(groups) != len(texts):
        raise AnalysisError("one group per answer")
    if compound is not None and len(compound) != len(texts):
        raise AnalysisError("one sentiment score per answer")
    present = np.array([bool(analysis_text(t)) for t in texts], dtype=bool)
    tags = tag_frame(texts, lexicon)
    g = np.array(
        [None] * len(texts) if groups is None else [None if x is None else str(x) for x in groups],
        dtype=object,
    )
    scores = None if compound is None else np.asarray(compound, dtype=float)
    group_names: list[str | None] = (
        [None] if groups is None else sorted({x for x in g[present] if x is not None})
    )
    counts: list[TagCount] = []
    for gname in group_names:
        in_group = present & (g == gname) if gname is not None else present
        n = int(in_group.sum())
        for col in tags.columns:
            kind, key = col.split(".", 1)
            hit = in_group & tags[col].to_numpy(bool)
            c = int(hit.sum())
            lo = hi = None
            if n:
                lo, hi = proportion_confint(c, n, alpha=0.05, method="wilson")
            counts.append(
                TagCount(
                    kind=kind,
                    key=key,
                    label=lexicon.labels[kind].get(key, key),
                    group=gname,
                    count=c,
                    n=n,
                    share=c / n if n else None,
                    ci_low=finite(lo),
                    ci_high=finite(hi),
                    sentiment=summarise_sentiment(scores[hit]) if scores is not None else None,
                )
            )
    return TagSummary(n=int(present.sum()), groups=group_names, counts=counts)
