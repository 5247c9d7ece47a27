"""What a column's header and values say: the roles, the scales and codes,
the words of known scales, keys made from headers, and a column's plan row
(:class:`ColumnPlan`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from cxgap.ingest._answer_cells import cell_text
from cxgap.ingest.formats import Export
from cxgap.ingest.mapping import normalise
from cxgap.study.defaults import FACTORS

Role = Literal[
    "nps",
    "rating",
    "outcome",
    "yes_no",
    "multi",
    "option",
    "share",
    "text",
    "attribute",
    "respondent",
    "response",
    "metadata",
    "ignored",
]

#: Standard scales, tried in this order, with the codes that may sit outside each.
SCALES: tuple[tuple[int, int, frozenset[int]], ...] = (
    (1, 5, frozenset({0, 9, 98, 99, 999, -1, -9, -99})),
    (1, 7, frozenset({0, 9, 98, 99, 999, -1, -9, -99})),
    (1, 10, frozenset({98, 99, 999, -1, -9, -99})),
    (0, 10, frozenset({98, 99, 999, -1, -9, -99})),
)
#: Most levels a categorical column may have to become an attribute.
MAX_LEVELS = 20
#: Most levels a whole-number column (not a scale) may have to become an attribute.
MAX_NUMERIC_LEVELS = 6
EXAMPLES = 3

# Words-for-numbers 5-point scales (Vagias 2006, "Likert-type scale response anchors").
WORD_SCALES: tuple[dict[str, int], ...] = (
    {"very dissatisfied": 1, "dissatisfied": 2, "neutral": 3, "satisfied": 4, "very satisfied": 5},
    {"poor": 1, "fair": 2, "good": 3, "very good": 4, "excellent": 5},
    {"very poor": 1, "poor": 2, "fair": 3, "good": 4, "very good": 5},
    {
        "strongly disagree": 1,
        "disagree": 2,
        "neither agree nor disagree": 3,
        "agree": 4,
        "strongly agree": 5,
    },
)
_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}
_NEGATIVE = re.compile(r"\b(not|no|un\w*|dis\w*|neutral|negative|bad|poor|never)\b")
_RECOMMEND = re.compile(r"recommend|\bnps\b|likely.*(tell|refer)|refer a (friend|colleague)")
_OUTCOME = re.compile(
    r"satisf|churn|renew|retain|retention|would (you )?(buy|use|return)|\bstay|"
    r"outcome|\bexcellent\b"
)
_LEAVE = re.compile(r"\bleave\b|leaving|switch|cancel|churn|stop using")
_QUESTION = re.compile(r"\?\s*$|^(did|do|does|would|will|is|are|was|were|have|has|can|could) ")
_ID_NAME = re.compile(r"(id|identifier|uuid|\bnumber|\bno)$")
_RESPONSE_ID = re.compile(r"^(response|respondent|submission|record)( id)?$|response id")
_DATE_NAME = re.compile(r"\b(date|time|timestamp|submitted|started|finished|created)\b")
_RANGE = re.compile(r"\((\d+)\s*(?:-|–|to)\s*(\d+)\)")
_ANCHORS = re.compile(r"\b(\d+)\s*=\s*[^,;=]+[,;]\s*(?:[^=]*[,;]\s*)?(\d+)\s*=")
_MULTI_HINT = re.compile(r"choose any|select all|all that apply|check all|tick all|choose all")
_PERCENT = re.compile(r"%|\bpercent|\bshare of\b")
_RANK = re.compile(r"^rank\b|\brank (the|these|each)\b")
_EXCELLENT = re.compile(r"\bexcellent\b")
_PERSONAL_NAME = re.compile(
    r"^(e ?mail( address)?|(first |last |full |respondent )?name|ip( address)?|phone( number)?)$"
)
_DURATION_NAME = re.compile(r"duration|seconds|time taken")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_DATE_VALUE = re.compile(
    r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}.*)?$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}( .*)?$"
    r"|^\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{2,4}$"
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")

# Words that suggest one of the six pillars for a rating item (beyond each
# pillar's own lexicon); only a suggestion shown in the plan.
_PILLAR_WORDS: dict[str, tuple[str, ...]] = {
    "personalisation": ("personal", "tailor", "individual", "custom"),
    "integrity": ("honest", "trust", "promise", "transparen", "reliab", "punctual", "on time"),
    "expectations": ("expect", "quality", "comfort", "clean", "food", "entertainment", "value"),
    "resolution": ("resolv", "problem", "complain", "fix", "issue", "handling"),
    "time_effort": (
        "ease",
        "easy",
        "convenien",
        "quick",
        "fast",
        "wait",
        "delay",
        "online",
        "booking",
        "check",
        "boarding",
        "gate",
        "time",
        "effort",
        "wifi",
    ),
    "empathy": ("friendl", "courte", "care", "empath", "staff", "on board service", "listen"),
}


@dataclass(frozen=True)
class ColumnPlan:
    """What :func:`classify_columns` decided for one export column."""

    column: str
    header: str
    role: Role
    key: str | None  # the question, attribute or meta key (None: left out)
    target: str | None  # the mapping target (perf.x, attr.x, respondent_id; None: ignored)
    scale: str  # "1-5", "0-10", "0/1", "" when none
    n_valid: int
    examples: tuple[str, ...]
    reason: str
    suggestion: str = ""  # a default pillar the header's words point to
    missing: tuple[str, ...] = ()  # answers declared "no answer"
    values: dict[str, float] = field(default_factory=dict)  # words -> numbers
    levels: tuple[str, ...] = ()  # attribute levels, or multi-select options
    low: int | None = None
    high: int | None = None
    stem: str = ""  # an option column's question (``Question - Option``)
    #: The roles a user may give the column instead (``cxgap init --role``,
    #: the dashboard's plan); the inferred role first.
    choices: tuple[str, ...] = ()


def slug_key(text: str, *, limit: int = 40) -> str:
    """A key (``[a-z][a-z0-9_]*``) from a header, cut at a word boundary.

    >>> slug_key("Departure/Arrival time convenient")
    'departure_arrival_time_convenient'
    >>> slug_key("1. Overall, how satisfied are you?")
    'q1_overall_how_satisfied_are_you'
    >>> slug_key("PaperlessBilling")
    'paperless_billing'
    """
    words = normalise(_CAMEL.sub(" ", text)).split()
    out = ""
    for w in words:
        nxt = f"{out}_{w}" if out else w
        if len(nxt) > limit and out:
            break
        out = nxt[:limit]
    out = out or "column"
    return out if out[0].isalpha() else f"q{out}"


def _unique_key(base: str, used: set[str]) -> str:
    key, n = base, 2
    while key in used:
        key = f"{base}_{n}"
        n += 1
    used.add(key)
    return key


def _pillar_patterns() -> dict[str, re.Pattern[str]]:
    out = {}
    for f in FACTORS:
        words = (*f.lexicon, normalise(f.label), *_PILLAR_WORDS.get(f.key, ()))
        alternatives = "|".join(re.escape(w) for w in words if len(w) >= 3)
        out[f.key] = re.compile(r"\b(" + alternatives + ")")
    return out


_PILLARS = _pillar_patterns()


def _suggest_pillar(header: str) -> str:
    """The default pillar whose words the header shares, if exactly one.

    >>> _suggest_pillar("Ease of Online booking"), _suggest_pillar("Leg room service")
    ('time_effort', '')
    """
    text = normalise(header)
    hits = [key for key, pattern in _PILLARS.items() if pattern.search(text)]
    return hits[0] if len(hits) == 1 else ""


def _scale_of(values: set[int]) -> tuple[int, int, list[int]] | None:
    """(low, high, codes) of the smallest standard scale holding ``values``
    once the codes outside it are set aside, or None."""
    for low, high, codes in SCALES:
        inside = {v for v in values if low <= v <= high}
        outside = values - inside
        if len(inside) >= 2 and outside <= codes and max(inside) > low + 1:
            return low, high, sorted(outside)
    return None


def _word_scale(levels: set[str]) -> dict[str, int] | None:
    for scale in WORD_SCALES:
        if len(levels) >= 2 and levels <= set(scale):
            return scale
    return None


def _stated_scale(header: str, values: set[int]) -> tuple[int, int, list[int]] | None:
    """The scale a header states (``(0-10)``, ``1 = poor ... 5 = excellent``)
    when the values fit it, the usual codes aside.

    >>> _stated_scale("How likely are you to recommend us? (0-10)", {3, 9, 10})
    (0, 10, [])
    >>> _stated_scale("Excellent? (1 = not at all, 5 = yes, excellent)", {2, 4, 5, 9})
    (1, 5, [9])
    """
    m = _RANGE.search(header) or _ANCHORS.search(header)
    if m is None:
        return None
    low, high = int(m.group(1)), int(m.group(2))
    if low >= high or high - low > 10:
        return None
    codes = {0, 9, 98, 99, 999, -1, -9, -99} - set(range(low, high + 1))
    outside = {v for v in values if not low <= v <= high}
    return (low, high, sorted(outside)) if outside <= codes else None


def _split_options(counts: Counter[str], header: str = "") -> Counter[str] | None:
    """The options of a multi-select column (cells like ``a; b``), or None.

    Free text has commas too: a column is multi-select when its options are
    fewer than its distinct cells, or the header says to choose several."""
    parts: Counter[str] = Counter()
    multi = 0
    for cell, c in counts.items():
        pieces = [p.strip() for p in re.split(r"\s*[;|]\s*|,\s+(?=[A-Z])", cell) if p.strip()]
        if len(pieces) > 1:
            multi += c
        for p in pieces:
            parts[p] += c
    if multi == 0 or len(parts) > 30:
        return None
    if len(parts) >= len(counts) and not _MULTI_HINT.search(header.lower()):
        return None
    return parts


def _counts(export: Export, col: str) -> tuple[Counter[str], int]:
    """Each answer of the column with its count, and the number of rows."""
    text = cell_text(export.frame[col])
    filled = text.dropna()
    counts: Counter[str] = Counter(
        {str(k): int(v) for k, v in filled.value_counts(sort=False).items()}
    )
    return counts, len(text)
