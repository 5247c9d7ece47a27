"""One column's inferred role, from its header and its answers."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from cxgap.ingest.formats import Export
from cxgap.ingest.infer.choices import _choices
from cxgap.ingest.infer.rules import (
    _DATE_NAME,
    _DATE_VALUE,
    _DURATION_NAME,
    _EMAIL,
    _ID_NAME,
    _IP,
    _MULTI_HINT,
    _NEGATIVE,
    _NO,
    _NUMBER,
    _OUTCOME,
    _PERCENT,
    _PERSONAL_NAME,
    _QUESTION,
    _RANK,
    _RECOMMEND,
    _RESPONSE_ID,
    _YES,
    EXAMPLES,
    MAX_LEVELS,
    MAX_NUMERIC_LEVELS,
    ColumnPlan,
    Role,
    _counts,
    _scale_of,
    _split_options,
    _stated_scale,
    _suggest_pillar,
    _word_scale,
)
from cxgap.ingest.mapping import normalise


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
