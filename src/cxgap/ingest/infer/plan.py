"""The plan of a whole export: every column's role, keys unique within each
kind, runs of option columns made one question, the user's roles applied."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from cxgap.errors import InputError, Problem
from cxgap.ingest.formats import Export
from cxgap.ingest.infer.choices import CHOOSABLE, _with_role
from cxgap.ingest.infer.columns import _classify
from cxgap.ingest.infer.rules import _EXCELLENT, _LEAVE, ColumnPlan, _unique_key, slug_key
from cxgap.ingest.mapping import normalise
from cxgap.study.defaults import default_study


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
