"""The roles a user may give a column instead of the inferred one
(``cxgap init --role``, the dashboard's plan)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from cxgap.errors import InputError, Problem
from cxgap.ingest.formats import Export
from cxgap.ingest.infer.rules import (
    _NUMBER,
    MAX_LEVELS,
    ColumnPlan,
    _counts,
    _scale_of,
    _stated_scale,
    _suggest_pillar,
)

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
