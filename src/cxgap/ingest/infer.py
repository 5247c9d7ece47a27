"""Infer a study and its mapping file from a survey export (``cxgap init --from``).

Every column of the export gets one *role*, decided from its header and its
values alone, with the reason shown to the user:

==============  ==============================================================
role            what the column becomes
==============  ==============================================================
``nps``         0-10 likelihood to recommend (header speaks of recommending):
                the ``ltr`` question
``rating``      whole numbers on a standard scale (1-5, 1-7, 1-10, 0-10), or
                the words of a known 5-point scale: ``perf.<key>``, a factor
                of its own named after the header (the six pillars are only
                *suggested*, where the header's words match a pillar's)
``outcome``     two levels that read as a result (``satisfied`` / ``neutral
                or dissatisfied``; a yes/no ``Churn``): ``outcome.<key>``, a
                0-1 rating coded 1 for the positive level (stated in the
                question text and the mapping's ``values:``)
``yes_no``      a yes/no question (the header asks something):
                ``yes.<key>``, a 0-1 rating, 1 = yes
``multi``       cells listing several options (``a; b``, or a header saying
                "choose any"): ``multi.<key>`` (or ``leave``, the reasons to
                leave, when the header speaks of leaving), one item per option
``option``      one column per option (``Question - Option`` in Qualtrics
                and SurveyMonkey, the bare label in Typeform): the label or
                a tick where chosen; a run of them is one ``multi``/``leave``
                question, each column ``<key>.<item>``
``share``       a percentage (0-100) under a header with ``%``: ``share.<key>``
``text``        open answers: ``open.<key>``
``attribute``   a few short levels (``Class``, ``Region``, ``Gender``) or a
                whole number with few levels: ``attr.<key>``, a respondent
                attribute, never a driver
``respondent``  a column of unique ids named like one: ``respondent_id``
``response``    the tool's response id: ``response_id``
``metadata``    the tool's own columns, dates, e-mail and IP addresses,
                durations, row numbers: kept out (``null``)
``ignored``     anything else (a measurement such as a distance or a delay,
                a column with one value, short free text), with the reason
==============  ==============================================================

A 1-5 rating whose header speaks of *excellent* is the ``excellent``
headline item; a scale the header states (``(0-10)``, ``1 = ..., 5 = ...``)
wins over the one the values suggest; ranking columns (``Rank the ...``) are
left out with the reason (map them to ``rank.<item>`` by hand). Where rating
headers share their first words (``How well does the company perform on
...``), keys are made of the words that differ.

Missing-value codes: the scale of a numeric column is the smallest standard
scale (1-5, 1-7, 1-10, 0-10) that holds its values once the usual codes
outside it are set aside: 0 below a 1-5 or 1-7 scale, 9, 98, 99, 999 above
it, negative codes (-1, -9, -99). Those codes are declared in the mapping's
``missing:`` section for that column (the airline survey's 0 = "not
applicable" on its 1-5 service items). The rule follows the coding
conventions of survey data files (missing-value codes set outside the valid
range of a variable, e.g. the ICPSR *Guide to Social Science Data
Preparation and Archiving*, 6th ed., 2020, "missing data" codes), and is
tested against counts taken by hand from the files in
``tests/test_infer.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import yaml

from cxgap.errors import InputError, Problem
from cxgap.ingest._answer_cells import cell_text
from cxgap.ingest.formats import Export
from cxgap.ingest.mapping import ResponseMapping, normalise
from cxgap.study.defaults import FACTORS, default_study
from cxgap.study.model import (
    AUDIENCES,
    Attribute,
    Audience,
    DefectionReason,
    Factor,
    Question,
    StudyDefinition,
)

__all__ = [
    "ColumnPlan",
    "InferredStudy",
    "Role",
    "classify_columns",
    "ignoring",
    "infer_study",
    "slug_key",
]

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


@dataclass
class InferredStudy:
    """A study definition and the mapping of its export, with the plan."""

    file: str
    format: str
    plan: list[ColumnPlan]
    study: StudyDefinition
    mapping: ResponseMapping

    def mapping_yaml(self) -> str:
        """The mapping file, with a header saying how it was made."""
        body = self.mapping.model_dump(exclude_defaults=True)
        body.setdefault("columns", {})
        head = (
            f"# Mapping of {self.file} ({self.format} export) onto study {self.study.slug},\n"
            "# inferred by `cxgap init --from`. Edit it and import again with\n"
            "# `cxgap import responses FILE --study SLUG --mapping THIS_FILE`.\n"
            "# columns: header -> question (perf.*, ltr, outcome.*, open.*), attribute\n"
            "# (attr.*), respondent_id / response_id, or null (left out).\n"
            "# missing: answers that mean no answer (e.g. 0 = not applicable).\n"
        )
        text: str = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
        return head + text


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


def _examples(counts: Counter[str]) -> tuple[str, ...]:
    return tuple(v[:30] for v, _ in counts.most_common(EXAMPLES))


def _plan(
    col: str, header: str, role: Role, reason: str, n: int, counts: Counter[str], **kw: object
) -> ColumnPlan:
    return ColumnPlan(
        column=col,
        header=header,
        role=role,
        key=kw.pop("key", None),  # type: ignore[arg-type]
        target=kw.pop("target", None),  # type: ignore[arg-type]
        scale=str(kw.pop("scale", "")),
        n_valid=n,
        examples=_examples(counts),
        reason=reason,
        **kw,  # type: ignore[arg-type]
    )


def _classify_numeric(
    col: str, header: str, name: str, counts: Counter[str], n: int, rows: int
) -> ColumnPlan:
    numbers = {float(v) for v in counts}
    whole = all(x == int(x) for x in numbers)
    ints = {int(x) for x in numbers} if whole else set()
    lo, hi = min(numbers), max(numbers)
    span = f"{lo:g} to {hi:g}"
    if whole and ints <= {0, 1} and len(ints) == 2:
        return _two_levels(col, header, name, counts, n, {"1": 1.0, "0": 0.0}, "1")
    scale = (_stated_scale(header, ints) or _scale_of(ints)) if whole else None
    if scale is not None:
        low, high, codes = scale
        missing = tuple(str(c) for c in codes)
        n_codes = sum(c for v, c in counts.items() if int(float(v)) in codes)
        note = ""
        if codes:
            note = f"; {', '.join(missing)} ({n_codes}x) outside the scale: missing"
        if high == 10 and _RECOMMEND.search(name):
            return _plan(
                col,
                header,
                "nps",
                "0-10, asks about recommending" + note,
                n - n_codes,
                counts,
                key="ltr",
                target="ltr",
                scale="0-10",
                missing=missing,
                low=0,
                high=10,
            )
        return _plan(
            col,
            header,
            "rating",
            f"{low}-{high} scale" + note,
            n - n_codes,
            counts,
            scale=f"{low}-{high}",
            missing=missing,
            low=low,
            high=high,
            suggestion=_suggest_pillar(header),
        )
    if _PERCENT.search(header.lower()) and lo >= 0 and hi <= 100:
        return _plan(col, header, "share", "a percentage (0-100)", n, counts,
                     scale="0-100", low=0, high=100)  # fmt: skip
    if whole and len(ints) <= MAX_NUMERIC_LEVELS:
        return _plan(
            col,
            header,
            "attribute",
            f"{len(ints)} whole-number levels ({span}), not a scale",
            n,
            counts,
            levels=tuple(str(v) for v in sorted(ints)),
        )
    kind = "whole numbers" if whole else "numbers"
    return _plan(
        col,
        header,
        "ignored",
        f"{kind} {span}, {len(numbers)} values: a measurement, not a rating",
        n,
        counts,
    )


def _two_levels(
    col: str,
    header: str,
    name: str,
    counts: Counter[str],
    n: int,
    coding: dict[str, float],
    positive: str,
) -> ColumnPlan:
    """A two-level column: an outcome (or yes/no question) coded 1/0, else an attribute."""
    levels = sorted(counts)
    negative = next(lv for lv in levels if lv != positive)
    stated = f"1 = {positive}, 0 = {negative}"
    if _OUTCOME.search(name) or "satisf" in normalise(positive):
        return _plan(
            col,
            header,
            "outcome",
            f"an outcome: {stated}",
            n,
            counts,
            scale="0/1",
            values=coding,
            levels=(positive, negative),
            low=0,
            high=1,
        )
    if _QUESTION.search(header.strip().lower()) and set(map(normalise, levels)) <= _YES | _NO | {
        "1",
        "0",
    }:
        return _plan(
            col,
            header,
            "yes_no",
            f"a yes/no question: {stated}",
            n,
            counts,
            scale="0/1",
            values=coding,
            levels=(positive, negative),
            low=0,
            high=1,
        )
    return _plan(
        col,
        header,
        "attribute",
        "a category, 2 levels",
        n,
        counts,
        levels=tuple(levels),
    )


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


def _classify_text(
    col: str, header: str, name: str, counts: Counter[str], n: int, rows: int
) -> ColumnPlan:
    values = list(counts)
    share = lambda rx: sum(c for v, c in counts.items() if rx.match(v)) / n  # noqa: E731
    if share(_EMAIL) > 0.8:
        return _plan(col, header, "metadata", "e-mail addresses", n, counts)
    if share(_IP) > 0.8:
        return _plan(col, header, "metadata", "IP addresses", n, counts)
    if share(_DATE_VALUE) > 0.8:
        return _plan(col, header, "metadata", "dates", n, counts)
    norm = {normalise(v): v for v in values}
    hinted = _split_options(counts, header) if _MULTI_HINT.search(header.lower()) else None
    if hinted is not None:
        return _plan(col, header, "multi", f"lists of {len(hinted)} options",
                     n, counts, levels=tuple(sorted(hinted)))  # fmt: skip
    if len(counts) == 1:
        return _plan(col, header, "ignored", "one value only", n, counts)
    if len(norm) == 2:
        keys = set(norm)
        if keys <= _YES | _NO and keys & _YES:
            pos = norm[next(iter(keys & _YES))]
            coding = {norm[k]: (1.0 if k in _YES else 0.0) for k in keys}
            return _two_levels(col, header, name, counts, n, coding, pos)
        negatives = [v for k, v in norm.items() if _NEGATIVE.search(k)]
        pos = next((v for v in values if v not in negatives), values[0])
        if len(negatives) == 1:
            coding = {v: (0.0 if v in negatives else 1.0) for v in values}
            return _two_levels(col, header, name, counts, n, coding, pos)
    words = _word_scale(set(norm))
    if words is not None:
        coding = {norm[k]: float(words[k]) for k in norm}
        return _plan(
            col,
            header,
            "rating",
            "words of a 5-point scale: " + "/".join(words),
            n,
            counts,
            scale="1-5",
            values=coding,
            low=1,
            high=5,
            suggestion=_suggest_pillar(header),
        )
    options = _split_options(counts, header)
    if options is not None:
        return _plan(
            col,
            header,
            "multi",
            f"lists of {len(options)} options",
            n,
            counts,
            levels=tuple(sorted(options)),
        )
    mean_len = sum(len(v) * c for v, c in counts.items()) / n
    if len(counts) <= MAX_LEVELS and len(counts) < max(3, n // 5) and mean_len <= 40:
        return _plan(
            col,
            header,
            "attribute",
            f"a category, {len(counts)} levels",
            n,
            counts,
            levels=tuple(sorted(counts)),
        )
    if mean_len >= 15 or sum(c for v, c in counts.items() if " " in v) / n > 0.5:
        return _plan(col, header, "text", f"open text, {len(counts)} distinct", n, counts)
    return _plan(
        col,
        header,
        "ignored",
        f"short text, {len(counts)} distinct (names or codes?)",
        n,
        counts,
    )


def _counts(export: Export, col: str) -> tuple[Counter[str], int]:
    """Each answer of the column with its count, and the number of rows."""
    text = cell_text(export.frame[col])
    filled = text.dropna()
    counts: Counter[str] = Counter(
        {str(k): int(v) for k, v in filled.value_counts(sort=False).items()}
    )
    return counts, len(text)


def _classify(export: Export, col: str) -> ColumnPlan:
    counts, rows = _counts(export, col)
    p = _classify_counts(export, col, counts, rows)
    return replace(p, choices=_choices(p, counts))


def _classify_counts(export: Export, col: str, counts: Counter[str], rows: int) -> ColumnPlan:
    header = export.header(col)
    name = normalise(header if header != col else col)
    n = sum(counts.values())
    if col == export.id_column:
        return _plan(
            col,
            header,
            "response",
            "the tool's response id",
            n,
            counts,
            key="response_id",
            target="response_id",
        )
    if col in export.system:
        return _plan(col, header, "metadata", f"{export.format} system column", n, counts)
    stem, label = _stem(header)
    if _is_option(counts, stem, label):
        return _plan(col, header, "option", f"one option of a multi-select ({label[:30]})",
                     n, counts, levels=(label,), stem=stem)  # fmt: skip
    if _PERSONAL_NAME.match(name):
        return _plan(col, header, "metadata", "personal data (kept out)", n, counts)
    if n == 0:
        return _plan(col, header, "ignored", "empty", n, counts)
    numeric = all(_NUMBER.match(v) for v in counts)
    unique = len(counts) == n == rows
    if unique and numeric and name in ("", "column", "index", "unnamed"):
        return _plan(col, header, "metadata", "row numbers", n, counts)
    if unique and (_RESPONSE_ID.search(name) or _ID_NAME.search(name)):
        if export.id_column is None:
            # One row per response: the id keys re-imports (the response id).
            return _plan(col, header, "response", "a unique id per row", n, counts,
                         key="response_id", target="response_id")  # fmt: skip
        return _plan(col, header, "respondent", "a unique id per row", n, counts,
                     key="respondent_id", target="respondent_id")  # fmt: skip
    counting = (set(range(rows)), set(range(1, rows + 1)))
    if unique and numeric and set(map(int, map(float, counts))) in counting:
        return _plan(col, header, "metadata", "row numbers", n, counts)
    if _RANK.search(name):
        reason = "a ranking: not inferred (map its columns to rank.<item> by hand)"
        return _plan(col, header, "ignored", reason, n, counts)
    if _DURATION_NAME.search(name):
        return _plan(col, header, "metadata", "a duration", n, counts)
    if _DATE_NAME.search(name) and len(name.split()) <= 3 and not numeric:
        return _plan(col, header, "metadata", "dates", n, counts)
    if numeric:
        return _classify_numeric(col, header, name, counts, n, rows)
    return _classify_text(col, header, name, counts, n, rows)


#: The roles a user may choose for a column in place of the inferred one.
CHOOSABLE: tuple[str, ...] = ("rating", "nps", "outcome", "yes_no", "attribute", "text", "ignored")


def _whole_numbers(counts: Counter[str]) -> set[int] | None:
    """The answers as whole numbers, or None when any is not one."""
    if not counts or not all(_NUMBER.match(v) for v in counts):
        return None
    numbers = {float(v) for v in counts}
    return {int(x) for x in numbers} if all(x == int(x) for x in numbers) else None


def _zero_to_ten(ints: set[int]) -> list[int] | None:
    """The codes outside 0-10 when ``ints`` is a 0-10 item once they are set aside."""
    codes = {98, 99, 999, -1, -9, -99}
    inside = {v for v in ints if 0 <= v <= 10}
    outside = ints - inside
    fits = len(inside) >= 3 and max(inside) > 5 and outside <= codes
    return sorted(outside) if fits else None


def _choices(p: ColumnPlan, counts: Counter[str]) -> tuple[str, ...]:
    """The roles ``p``'s column may be given (its inferred role first): one
    the answers fit (a rating needs a scale, an attribute at most
    :data:`MAX_LEVELS` levels, a 0-10 score whole numbers 0 to 10), or
    ``ignored``. Ids, multi-select options and shares keep their role or
    are ignored."""
    out = [p.role]
    if p.role in ("rating", "nps", "outcome", "yes_no", "attribute", "text", "ignored", "metadata"):
        ints = _whole_numbers(counts)
        if p.role in ("outcome", "yes_no"):
            out.append("yes_no" if p.role == "outcome" else "outcome")
        if ints is not None and (_stated_scale(p.header, ints) or _scale_of(ints)):
            out.append("rating")
        if ints is not None and _zero_to_ten(ints) is not None:
            out.append("nps")
        if 2 <= len(counts) <= MAX_LEVELS:
            out.append("attribute")
        if counts and not all(_NUMBER.match(v) for v in counts):
            out.append("text")
    out.append("ignored")
    return tuple(dict.fromkeys(out))


def _with_role(export: Export, p: ColumnPlan, role: str) -> ColumnPlan:
    """``p`` given the role the user chose (one of ``p.choices``), its scale,
    levels and missing codes read off the column again; keys and targets are
    filled in by :func:`classify_columns` as for an inferred role."""
    if role == p.role:
        return p
    if role not in p.choices:
        raise InputError(
            [
                Problem(
                    export.file,
                    None,
                    p.column,
                    role,
                    f"a role the column's answers fit: {', '.join(p.choices)}",
                )
            ]
        )
    counts, _ = _counts(export, p.column)
    ints = _whole_numbers(counts)
    why = f"chosen (inferred: {p.role}, {p.reason})"
    plain = replace(p, role=role, key=None, target=None, reason=why, missing=(),  # type: ignore[arg-type]
                    values={}, levels=(), low=None, high=None, scale="", suggestion="")  # fmt: skip
    if role == "ignored":
        return plain
    if role in ("outcome", "yes_no"):
        return replace(p, role=role, key=None, target=None, reason=why)  # type: ignore[arg-type]
    if role == "text":
        return plain
    if role == "attribute":
        levels = sorted(counts, key=lambda v: (float(v), v)) if ints is not None else sorted(counts)
        return replace(plain, levels=tuple(levels))
    if role == "nps":
        assert ints is not None
        codes = _zero_to_ten(ints) or []
        n_codes = sum(c for v, c in counts.items() if int(float(v)) in codes)
        return replace(plain, key="ltr", target="ltr", scale="0-10", low=0, high=10,
                       missing=tuple(str(c) for c in codes),
                       n_valid=sum(counts.values()) - n_codes)  # fmt: skip
    # a rating: the stated or the smallest standard scale, the codes outside missing
    if p.role == "rating":
        return p
    assert ints is not None
    scale = _stated_scale(p.header, ints) or _scale_of(ints)
    assert scale is not None
    low, high, codes = scale
    n_codes = sum(c for v, c in counts.items() if int(float(v)) in codes)
    return replace(plain, scale=f"{low}-{high}", low=low, high=high,
                   missing=tuple(str(c) for c in codes), n_valid=sum(counts.values()) - n_codes,
                   suggestion=_suggest_pillar(p.header))  # fmt: skip


_TICKED = frozenset({"1", "x", "yes", "y", "true", "selected", "checked"})


def _stem(header: str) -> tuple[str, str]:
    """(question, option) of an item column: ``Question - Option`` (Qualtrics,
    SurveyMonkey) or ``Question [Option]`` (Google Forms); ("", header) else."""
    m = re.match(r"^(.*\S)\s*\[([^\]]+)\]\s*$", header)
    if m:
        return m.group(1), m.group(2).strip()
    if " - " in header:
        stem, option = header.rsplit(" - ", 1)
        return stem.strip(), option.strip()
    return "", header.strip()


def _is_option(counts: Counter[str], stem: str, label: str) -> bool:
    """A column that holds one option of a multi-select: its label (or a
    tick) where chosen, empty elsewhere (the label is the header, or the part
    after its question)."""
    values = {normalise(v) for v in counts}
    if not values:
        return bool(stem)
    ticks = _TICKED | {normalise(label)}
    if stem:
        return values <= ticks
    return values == {normalise(label)}


def _distinct_tails(headers: list[str]) -> list[str]:
    """Headers without the words all of them start with (``How well does the
    company perform on ...``), when at least two share two or more.

    >>> _distinct_tails(["How well do we do on price?", "How well do we do on support?"])
    ['price', 'support']
    """
    words = [normalise(h).split() for h in headers]
    if len(words) < 2:
        return headers
    common = 0
    while all(len(w) > common + 1 for w in words) and len({w[common] for w in words}) == 1:
        common += 1
    if common < 2:
        return headers
    return [" ".join(w[common:]) for w in words]


def _options(plans: list[ColumnPlan], used: dict[str, set[str]], seen: set[str]) -> None:
    """Give runs of option columns (same question) their multi-select key:
    ``leave`` for reasons to leave, else ``multi.<question>``; a lone option
    column is left out."""
    default_reasons = {
        normalise(r.label) for r in default_study("x", organisation="x").defection_reasons
    }
    i = 0
    while i < len(plans):
        if plans[i].role != "option":
            i += 1
            continue
        j = i
        while j < len(plans):
            if plans[j].role == "option" and plans[j].stem == plans[i].stem:
                j += 1
                continue
            # Typeform: an option nobody chose is an empty column named after it.
            k = j
            while k < len(plans) and not plans[i].stem and plans[k].reason == "empty":
                k += 1
            if k > j and k < len(plans) and plans[k].role == "option" and not plans[k].stem:
                none = "one option of a multi-select (none chose it)"
                for e in range(j, k):
                    plans[e] = ColumnPlan(**{**plans[e].__dict__, "role": "option", "reason": none,
                                             "levels": (plans[e].header.strip(),)})  # fmt: skip
                j = k
                continue
            break
        group = plans[i:j]
        stem = plans[i].stem
        if len(group) < 2:
            plans[i] = ColumnPlan(**{**plans[i].__dict__, "role": "ignored",
                                     "reason": "one value only"})  # fmt: skip
            i = j
            continue
        labels = [p.levels[0] for p in group]
        leave = _LEAVE.search(normalise(stem)) or (
            not stem and any(normalise(lb) in default_reasons for lb in labels)
        )
        if leave and "leave" not in seen:
            key = "leave"
        else:
            key = "multi." + _unique_key(
                slug_key(stem or "options"), used.setdefault("multi", set())
            )
        seen.add(key)
        items: set[str] = set()
        for k in range(i, j):
            item = _unique_key(slug_key(plans[k].levels[0]), items)
            plans[k] = ColumnPlan(**{**plans[k].__dict__, "key": key, "target": f"{key}.{item}",
                                     "values": {plans[k].levels[0]: 1.0}})  # fmt: skip
        i = j


def classify_columns(export: Export, roles: Mapping[str, str] | None = None) -> list[ColumnPlan]:
    """The role of every column of ``export``, in the file's order, with keys
    (unique within each kind) and mapping targets filled in.

    ``roles`` gives columns (by header) the role the user chose instead of
    the inferred one: one of the column's :attr:`ColumnPlan.choices`, else
    :class:`InputError` naming the column. A column chosen as the 0-10
    score (``nps``) makes an inferred one a rating.
    """
    if len(export.frame) == 0:
        raise InputError([Problem(export.file, None, None, None, "at least one data row")])
    plans = [_classify(export, col) for col in export.frame.columns]
    chosen = dict(roles or {})
    unknown = [c for c in chosen if c not in export.frame.columns]
    if unknown:
        raise InputError(
            [Problem(export.file, None, c, chosen[c], "a column of the file") for c in unknown]
        )
    if chosen:
        nps_chosen = any(r == "nps" for r in chosen.values())
        for i, p in enumerate(plans):
            role = chosen.get(p.column)
            if role is None and nps_chosen and p.role == "nps":
                role = "rating" if "rating" in p.choices else "ignored"
            if role is not None:
                plans[i] = _with_role(export, p, role)
    used: dict[str, set[str]] = {}
    seen: set[str] = set()
    _options(plans, used, seen)
    ratings = [i for i, p in enumerate(plans) if p.role == "rating"]
    tails = _distinct_tails([_short_header(plans[i].header) for i in ratings])
    short = dict(zip(ratings, tails, strict=True))
    out: list[ColumnPlan] = []
    for index, p in enumerate(plans):
        if p.role in ("respondent", "response", "nps") and p.target in seen:
            p = _demote(p)
        prefix = {
            "rating": "perf",
            "outcome": "outcome",
            "yes_no": "yes",
            "share": "share",
            "multi": "multi",
            "text": "open",
            "attribute": "attr",
        }.get(p.role)
        if prefix is not None:
            base = slug_key(short.get(index) or _short_header(p.header))
            if p.role == "multi" and _LEAVE.search(normalise(p.header)) and "leave" not in seen:
                key, target = "leave", "leave"
            elif (
                p.role == "rating"
                and p.scale == "1-5"
                and _EXCELLENT.search(normalise(p.header))
                and "excellent" not in seen
            ):
                # "Would you describe the service as excellent?": the headline item.
                key, target = "excellent", "excellent"
            else:
                key = _unique_key(base, used.setdefault(prefix, set()))
                target = f"{prefix}.{key}"
            p = ColumnPlan(**{**p.__dict__, "key": key, "target": target})
        if p.target is not None:
            seen.add(p.target)
        if p.choices[:1] != (p.role,):  # a role changed after classifying (a lone option...)
            others = [c for c in p.choices if c in CHOOSABLE]
            p = replace(p, choices=tuple(dict.fromkeys((p.role, *others, "ignored"))))
        out.append(p)
    return out


def _demote(p: ColumnPlan) -> ColumnPlan:
    if p.role == "nps":
        reason = p.reason + " (a second one: a 0-10 rating)"
        return ColumnPlan(**{**p.__dict__, "role": "rating", "reason": reason, "target": None})
    reason = p.reason + " (a second id: left out)"
    return ColumnPlan(
        **{**p.__dict__, "role": "metadata", "reason": reason, "target": None, "key": None}
    )


def _short_header(header: str) -> str:
    """A grid row's label (``Question [Row]``, ``Question - Row``), else the header."""
    m = re.search(r"\[([^\]]+)\]\s*$", header)
    if m:
        return m.group(1)
    if " - " in header:
        return header.rsplit(" - ", 1)[1]
    return header


def _label(header: str) -> str:
    text = " ".join(header.split())
    return text if len(text) <= 80 else text[:77] + "..."


def infer_study(
    export: Export,
    slug: str,
    *,
    organisation: str,
    name: str | None = None,
    audience: Audience = "customer",
    roles: Mapping[str, str] | None = None,
) -> InferredStudy:
    """A study whose instrument is the export's own questions, and the
    mapping that imports the export into it.

    Ratings become factors of their own (``perf.<key>``); the defaults keep
    the touchpoints, moments, segments and one wave ``w1``. Rating, outcome,
    yes/no and open questions are asked of every audience (so leadership and
    staff can answer the same items later); ``ltr`` of customers, as in the
    default instrument. ``roles`` overrides the inferred role of columns
    (:func:`classify_columns`). Raises :class:`InputError` when no column of
    the file can be a question.
    """
    if export.format == "cxgap":
        raise InputError(
            [
                Problem(
                    export.file,
                    None,
                    None,
                    None,
                    "the export of a survey tool (this file is in cxgap's own format, "
                    "which needs no inference: create the study with `cxgap init SLUG --org "
                    "NAME` and import the file as it is)",
                )
            ]
        )
    plan = classify_columns(export, roles)
    base = default_study(slug, organisation=organisation, name=name)
    everyone: list[Audience] = list(AUDIENCES) if audience == "customer" else [audience]
    factors: list[Factor] = []
    questions: list[Question] = []
    attributes: list[Attribute] = []
    reasons: list[DefectionReason] = []
    mapping = ResponseMapping()
    option_groups: dict[str, tuple[int, str, dict[str, str]]] = {}
    for p in plan:
        mapping.columns[p.column] = p.target
        if p.target is None or p.key is None:
            continue
        label = _label(_short_header(p.header))
        if p.missing:
            mapping.missing[p.target] = list(p.missing)
        if p.values:
            mapping.values[p.target] = dict(p.values)
        if p.role == "rating" and p.target == "excellent":
            questions.append(
                Question(
                    key="excellent",
                    kind="rating",
                    text=p.header.strip(),
                    audiences=everyone,
                    section="overall",
                    scale_min=1,
                    scale_max=5,
                )
            )
        elif p.role == "rating":
            factors.append(Factor(key=p.key, label=label, description=_label(p.header)))
            questions.append(
                Question(
                    key=p.target,
                    kind="rating",
                    text=p.header.strip(),
                    audiences=everyone,
                    section="factors",
                    scale_min=p.low,
                    scale_max=p.high,
                    factor=p.key,
                )
            )
        elif p.role == "nps":
            questions.append(
                Question(
                    key="ltr",
                    kind="nps",
                    text=p.header.strip(),
                    audiences=[audience],
                    section="overall",
                    scale_min=0,
                    scale_max=10,
                )
            )
        elif p.role == "share":
            questions.append(
                Question(
                    key=p.target,
                    kind="share",
                    text=p.header.strip(),
                    audiences=everyone,
                    section="overall",
                    scale_min=0,
                    scale_max=100,
                )
            )
        elif p.role in ("outcome", "yes_no"):
            pos, neg = p.levels
            questions.append(
                Question(
                    key=p.target,
                    kind="rating",
                    audiences=everyone,
                    # the report's drivers and headline explain the outcome
                    # (cxgap.analysis.drivers.outcome)
                    section="outcome" if p.role == "outcome" else "overall",
                    text=f"{p.header.strip()} (1 = {pos}, 0 = {neg})",
                    scale_min=0,
                    scale_max=1,
                )
            )
        elif p.role == "multi":
            items: dict[str, str] = {}
            used: set[str] = set()
            for option in p.levels:
                items[option] = _unique_key(slug_key(option), used)
            mapping.options[p.key] = items
            if p.key == "leave":
                reasons = [DefectionReason(key=k, label=_label(o)) for o, k in items.items()]
            questions.append(
                Question(
                    key=p.target,
                    kind="multi",
                    text=p.header.strip(),
                    audiences=everyone,
                    section="overall",
                    items=list(items.values()),
                )
            )
        elif p.role == "text":
            questions.append(
                Question(
                    key=p.target,
                    kind="text",
                    text=p.header.strip(),
                    audiences=everyone,
                    section="open",
                )
            )
        elif p.role == "option":
            if p.key not in option_groups:
                option_groups[p.key] = (len(questions), p.stem, {})
                questions.append(questions[-1] if questions else _placeholder())
            option_groups[p.key][2][p.target.rsplit(".", 1)[1]] = p.levels[0]
        elif p.role == "attribute":
            attributes.append(Attribute(key=p.key, label=label, values=list(p.levels)))
    for key, (at, stem, labels) in option_groups.items():
        if key == "leave":
            reasons = [DefectionReason(key=k, label=_label(lb)) for k, lb in labels.items()]
        questions[at] = Question(
            key=key,
            kind="multi",
            text=stem or "Options chosen",
            audiences=everyone,
            section="overall",
            items=list(labels),
        )
    if not questions:
        raise InputError(
            [
                Problem(
                    export.file,
                    None,
                    None,
                    None,
                    "at least one column of ratings, 0-10 scores, outcomes, choices or open "
                    "answers (found only: " + _roles(plan) + ")",
                )
            ]
        )
    if factors and not reasons:
        # The default reasons name the pillars; with the export's own factors they stand alone.
        reasons = [r.model_copy(update={"factor": None}) for r in base.defection_reasons]
    study = base.model_copy(
        update={
            "description": f"Inferred from {export.file} ({export.format} export).",
            "factors": factors or base.factors,
            "questions": questions,
            "attributes": attributes,
            "defection_reasons": reasons or base.defection_reasons,
        }
    )
    # Validate the whole definition as a user's file would be.
    study = StudyDefinition.model_validate(study.model_dump())
    return InferredStudy(export.file, export.format, plan, study, mapping)


def ignoring(inferred: InferredStudy, columns: Collection[str]) -> InferredStudy:
    """``inferred`` with ``columns`` left out of its mapping (``null``) and
    shown as ``ignored`` in its plan, the reason saying the user chose so;
    the study definition is unchanged (a question nobody maps stays empty).
    Used by the dashboard's import page, where the user may set a column of
    the inferred plan to "ignore" (:func:`infer_study` itself is unchanged).
    """
    left = set(columns)
    mapping = inferred.mapping.model_copy(deep=True)
    plan: list[ColumnPlan] = []
    for p in inferred.plan:
        if p.column not in left or p.target is None:
            plan.append(p)
            continue
        mapping.columns[p.column] = None
        still = {t for t in mapping.columns.values() if t is not None}
        for table in (mapping.missing, mapping.values):
            if p.target not in still:
                table.pop(p.target, None)
        reason = f"left out on the import page (inferred: {p.role}, {p.reason})"
        plan.append(replace(p, role="ignored", target=None, reason=reason))
    return replace(inferred, plan=plan, mapping=mapping)


def _placeholder() -> Question:
    """A question that holds a place in the instrument until it is known."""
    return Question(key="placeholder", kind="text", text="-", audiences=["customer"])


def _roles(plan: Sequence[ColumnPlan]) -> str:
    counts = Counter(p.role for p in plan)
    return ", ".join(f"{n} {role}" for role, n in counts.most_common())
