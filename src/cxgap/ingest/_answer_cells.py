"""An export's answer cells read column by column, by the kind of question.

How a survey tool writes an answer is read here: words become numbers
through the mapping file's vocabularies and a few built-in, unambiguous
anchor sets (agreement and importance scales as in Vagias 2006; the NPS end
labels "Not at all likely" = 0 and "Extremely likely" = 10); a scale point
may carry its label ("5 - Very satisfied"); choices may be written as their
key, their label or their code 1..k; a multi-select question comes as one
column per option (1/0, yes/no, the option's label) or as one cell listing
the options. Whether the number read is an answer to the question (on its
scale, whole when it must be) is decided by :mod:`cxgap.study.answers`.

Each function takes one column's cells as stripped text and returns
:class:`Cells`: the wide-frame columns it fills, the rows whose cell is
bad, what a good cell holds, and the rows it answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxgap.ingest.mapping import ResponseMapping, Target, item_labels, normalise
from cxgap.study.answers import parse_number, scale_of
from cxgap.study.model import Question, StudyDefinition

AGREEMENT = {
    "strongly disagree": 1.0,
    "disagree": 2.0,
    "neither agree nor disagree": 3.0,
    "neutral": 3.0,
    "agree": 4.0,
    "strongly agree": 5.0,
}
IMPORTANCE = {
    "not at all important": 1.0,
    "slightly important": 2.0,
    "moderately important": 3.0,
    "very important": 4.0,
    "extremely important": 5.0,
}
NPS_ANCHORS = {"not at all likely": 0.0, "extremely likely": 10.0}
CHOSEN = frozenset({"1", "yes", "y", "true", "x", "selected", "checked"})
NOT_CHOSEN = frozenset({"0", "no", "n", "false", "not selected", "unchecked"})
_MULTI_SPLIT = re.compile(r"\s*[;,|]\s*")


@dataclass(frozen=True)
class Cells:
    """What one export column gives.

    ``values`` are the wide-frame columns it fills (one per option for a
    multi-select cell), ``bad`` the rows whose cell is not a valid answer,
    ``expected`` what a valid cell holds, ``answered`` the rows it answers.
    """

    values: dict[str, pd.Series]
    bad: np.ndarray
    expected: str
    answered: np.ndarray


def cell_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, ``None`` when empty; each distinct value is
    stripped once (exports repeat the same few answers many times).

    >>> list(cell_text(pd.Series([" Agree ", "", None, "Agree"])))
    ['Agree', None, None, 'Agree']
    """
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    stripped = np.array([str(u).strip() or None for u in uniques] + [None], dtype=object)
    return pd.Series(stripped[codes], index=series.index, dtype=object)


def answer_cells(
    text: pd.Series, target: Target, study: StudyDefinition, mapping: ResponseMapping
) -> Cells:
    """Read the cells of the column mapped onto ``target``."""
    kind = target.question.kind
    if kind in ("rating", "nps", "share", "rank"):
        return _numeric(text, target, mapping)
    if kind == "choice":
        return _choice(text, target, study, mapping)
    if kind == "multi" and target.item:
        return _option(text, target, study, mapping)
    if kind == "multi":
        return _options(text, target, study, mapping)
    # Text is kept as written.
    return Cells(
        {target.column: text}, np.zeros(len(text), dtype=bool), "", text.notna().to_numpy()
    )


def _words(q: Question, own: dict[str, float]) -> dict[str, float]:
    """Words that stand for a number in an answer to ``q``: the built-in
    anchor sets of its scale, then the mapping file's (which win)."""
    words: dict[str, float] = {}
    if q.kind == "nps":
        words.update(NPS_ANCHORS)
    elif q.kind == "rating" and (q.scale_min, q.scale_max) == (1, 5):
        words.update(AGREEMENT)
        words.update(IMPORTANCE)
    return words | own


def _numeric(text: pd.Series, target: Target, mapping: ResponseMapping) -> Cells:
    """Ratings, NPS, shares and ranks: numbers (or words for them) on the scale."""
    q = target.question
    own = mapping.vocabulary(target.column)
    words = _words(q, own)
    missing = mapping.missing_for(target.column)
    scale = scale_of(q)
    if q.kind == "rank":
        expected = f"a whole number from 1 to {len(q.items)} (a rank)"
    else:
        kind = "a whole number" if scale.whole else "a number"
        expected = f"{kind} from {scale.low:g} to {scale.high:g}"
        if own:
            expected += " or one of: " + ", ".join(sorted(own)[:8])
    codes, uniques = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=True)
    numbers = np.full(len(uniques) + 1, np.nan)  # the last slot: empty cells
    invalid = np.zeros(len(uniques) + 1, dtype=bool)
    for i, raw in enumerate(uniques):
        if normalise(raw) in missing:
            continue
        try:
            # Exports write a scale point with its label ("5 - Very satisfied").
            v = parse_number(str(raw), labels=words, label_key=normalise, with_label=True)
        except ValueError:
            v = None
        if v is None or not scale.admits(v):
            invalid[i] = True
        else:
            numbers[i] = v
    values = pd.Series(numbers[codes], index=text.index, dtype=float)
    return Cells({target.column: values}, invalid[codes], expected, values.notna().to_numpy())


def _choices(study: StudyDefinition, target: Target, mapping: ResponseMapping) -> dict[str, str]:
    """Normalised label, key or code -> item key.

    The codes 1..k stand for the items in the study's order (Qualtrics'
    "numeric values" export with its default recode values); the mapping's
    ``options`` for the question win over everything.
    """
    labels = item_labels(study, target.question)
    out = {str(i + 1): k for i, k in enumerate(labels)}
    out.update({normalise(k): k for k in labels})
    out.update({normalise(v): k for k, v in labels.items()})
    out.update({normalise(w): k for w, k in mapping.options.get(target.question.key, {}).items()})
    return out


def _choice(
    text: pd.Series, target: Target, study: StudyDefinition, mapping: ResponseMapping
) -> Cells:
    """A choice: one item, by its key, label or code."""
    choices = _choices(study, target, mapping)
    val = text.map(lambda v: choices.get(normalise(v)) if isinstance(v, str) else None)
    bad = (text.notna() & val.isna()).to_numpy(dtype=bool)
    expected = "one of " + ", ".join(target.question.items)
    return Cells({target.column: val}, bad, expected, val.notna().to_numpy())


def _option(
    text: pd.Series, target: Target, study: StudyDefinition, mapping: ResponseMapping
) -> Cells:
    """One option of a multi-select question in a column of its own: chosen
    (1, yes, its label, ...), not chosen (0, no, ...) or empty."""
    label = item_labels(study, target.question)[target.item]
    labels = {normalise(target.item), normalise(label)}
    vocab = mapping.vocabulary(target.column)

    def chosen(v: str) -> float | None:
        k = normalise(v)
        if k in vocab:
            return vocab[k] if vocab[k] in (0.0, 1.0) else None
        if k in CHOSEN or k in labels:
            return 1.0
        if k in NOT_CHOSEN:
            return 0.0
        return None

    val = text.map({v: chosen(v) for v in text.dropna().unique()})
    bad = (text.notna() & val.isna()).to_numpy(dtype=bool)
    values = pd.to_numeric(val, errors="coerce").astype(float)
    expected = f"the option label {label!r}, 1/0 or yes/no"
    return Cells({target.column: values}, bad, expected, values.notna().to_numpy())


def _options(
    text: pd.Series, target: Target, study: StudyDefinition, mapping: ResponseMapping
) -> Cells:
    """A multi-select question in one cell: options separated by commas,
    semicolons or bars, one column of 1/0 per option."""
    q = target.question
    choices = _choices(study, target, mapping)
    parsed: dict[str, tuple[set[str], bool]] = {}  # cell -> (items, every part known)
    for raw in text.dropna().unique():
        parts = [p for p in _MULTI_SPLIT.split(str(raw)) if p]
        picked = {choices.get(normalise(p)) for p in parts}
        parsed[raw] = ({p for p in picked if p}, None not in picked)
    ok = text.map(lambda v: parsed[v][1] if isinstance(v, str) else True)
    values = {
        f"{q.key}.{item}": text.map(
            lambda v, it=item: (
                (1.0 if it in parsed[v][0] else 0.0) if isinstance(v, str) else np.nan
            )
        ).astype(float)
        for item in q.items
    }
    expected = "options separated by commas or semicolons, from: " + "; ".join(
        item_labels(study, q).values()
    )
    return Cells(values, ~ok.to_numpy(dtype=bool), expected, text.notna().to_numpy())
