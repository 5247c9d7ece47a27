"""One edit of a study definition at a time: what the dashboard's set-up
forms change, as pure functions.

Each function takes a :class:`~cxgap.study.model.StudyDefinition` and the
values a form sent, as typed (text), and returns a new, validated
definition; or raises :class:`~cxgap.errors.InputError` with one
:class:`~cxgap.errors.Problem` per bad value: ``file`` names the part of the
set-up (``factors``, ``waves``, ``question``, ...), ``row`` the row in the
order shown (1-based; ``None`` for a single form) and ``column`` the field.
Nothing is saved here: :func:`cxgap.store.studies.save_study` saves the
result with the checks of ``cxgap study apply`` (a wave or question that
holds answers is never removed).

Keys of existing rows are fixed (they are what answers, events and actions
refer to); a row's key is chosen when it is added.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

from pydantic import ValidationError

from cxgap.errors import InputError, Problem
from cxgap.study.answers import parse_number
from cxgap.study.defaults import factor_questions, touchpoint_question
from cxgap.study.model import (
    AUDIENCES,
    CASE_PRIORITIES,
    Factor,
    Item,
    Question,
    QuestionKind,
    StudyDefinition,
    Wave,
)

__all__ = [
    "CASE_LIMITS",
    "ITEM_SECTIONS",
    "QUESTION_KINDS",
    "CaseRuleRow",
    "ItemRow",
    "ItemSection",
    "QuestionEdit",
    "WaveRow",
    "add_wave",
    "case_rule_rows",
    "edit_anonymity",
    "edit_cases",
    "edit_general",
    "edit_items",
    "edit_promise",
    "edit_waves",
    "move_question",
    "next_wave",
    "remove_question",
    "save_question",
    "used_by",
]

ItemSection = Literal["factors", "touchpoints", "moments", "segments"]
ITEM_SECTIONS: tuple[ItemSection, ...] = get_args(ItemSection)
QUESTION_KINDS: tuple[str, ...] = get_args(QuestionKind)
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_KEY_TEXT = "a key of lower-case letters, digits and underscores, starting with a letter"
_SCALED = ("rating", "nps", "share")
_LISTED = ("rank", "multi", "choice")


@dataclass(frozen=True)
class ItemRow:
    """One row of a factors/touchpoints/moments/segments table as sent.

    ``weight`` is a moment's ledger weight, ``lexicon`` a factor's words
    (separated by commas); ``remove`` asks to remove the row.
    """

    key: str
    label: str = ""
    description: str = ""
    weight: str = ""
    lexicon: str = ""
    remove: bool = False

    def blank(self) -> bool:
        """An "add" row left empty (a weight alone adds nothing)."""
        return not any(x.strip() for x in (self.key, self.label, self.description, self.lexicon))


@dataclass(frozen=True)
class WaveRow:
    """One row of the waves table as sent (dates as ``YYYY-MM-DD`` or empty)."""

    key: str
    label: str = ""
    opens: str = ""
    closes: str = ""
    remove: bool = False

    def blank(self) -> bool:
        return not any(x.strip() for x in (self.key, self.label, self.opens, self.closes))


@dataclass(frozen=True)
class QuestionEdit:
    """A question as its form sent it; ``items`` holds one key per line,
    ``internal_text`` is how leadership and staff read it (empty: derived
    from ``text``, see :func:`cxgap.study.wording.question_text`)."""

    key: str
    text: str
    kind: str
    audiences: Sequence[str]
    section: str = "general"
    scale_min: str = ""
    scale_max: str = ""
    items: str = ""
    required: bool = False
    factor: str = ""
    touchpoint: str = ""
    internal_text: str = ""


def _validated(
    data: dict[str, Any],
    file: str,
    field: str | None = None,
    rows: dict[int, int | None] | None = None,
) -> StudyDefinition:
    """``data`` as a definition; pydantic's problems as :class:`Problem` s.

    Problems inside list ``field`` name the form's row (``rows`` maps a
    position in the list to it) and the column; others name their path.
    """
    try:
        return StudyDefinition.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            if field is not None and len(loc) >= 2 and loc[0] == field and isinstance(loc[1], int):
                row = (rows or {}).get(loc[1], loc[1] + 1)
                column = ".".join(str(x) for x in loc[2:]) or None
                value = err.get("input") if column else None
                problems.append(Problem(file, row, column, value, message))
            else:
                path = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc)
                where = f"{path.lstrip('.')}: " if path else ""
                problems.append(Problem(file, None, None, None, where + message))
        raise InputError(problems) from None


def used_by(study: StudyDefinition, section: ItemSection, key: str) -> list[str]:
    """The questions (and defection reasons) that refer to factor or
    touchpoint ``key``, so it cannot be removed before them.

    >>> from cxgap.study.defaults import default_study
    >>> used_by(default_study("a", organisation="A"), "touchpoints", "billing")
    ['tp.billing']
    """
    if section == "factors":
        questions = [
            q.key
            for q in study.questions
            if q.factor == key or (q.kind == "rank" and key in q.items)
        ]
        reasons = [f"defection reason {r.key}" for r in study.defection_reasons if r.factor == key]
        return questions + reasons
    if section == "touchpoints":
        return [q.key for q in study.questions if q.touchpoint == key]
    return []


def _insert_after(questions: list[Question], prefix: str, new: Question) -> None:
    """Put ``new`` after the last question whose key starts with ``prefix``."""
    if any(q.key == new.key for q in questions):
        return
    last = max((i for i, q in enumerate(questions) if q.key.startswith(prefix)), default=None)
    questions.insert(len(questions) if last is None else last + 1, new)


def _with_questions(
    study: StudyDefinition, section: ItemSection, added: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The instrument with the standard questions of ``added`` factors or
    touchpoints (performance and importance ratings, a place in the ranking;
    a rating of the touchpoint)."""
    questions = list(study.questions)
    for values in added:
        if section == "factors":
            perf, imp = factor_questions(Factor(**values))
            _insert_after(questions, "perf.", perf)
            _insert_after(questions, "imp.", imp)
            questions = [
                q.model_copy(update={"items": [*q.items, values["key"]]})
                if q.key == "rank" and values["key"] not in q.items
                else q
                for q in questions
            ]
        elif section == "touchpoints":
            _insert_after(questions, "tp.", touchpoint_question(Item(**values)))
    return [q.model_dump() for q in questions]


def edit_items(
    study: StudyDefinition,
    section: ItemSection,
    rows: Sequence[ItemRow],
    *,
    add_questions: bool = False,
) -> StudyDefinition:
    """Replace the factors, touchpoints, moments or segments with ``rows``.

    Rows come in the order shown; a blank row (an empty "add" row) is
    skipped. A row removed while a question refers to it is refused (remove
    or change those questions first). With ``add_questions``, each new
    factor gets its ``perf.`` and ``imp.`` questions and a place in the
    ``rank`` question, each new touchpoint its ``tp.`` question.

    Examples
    --------
    >>> from cxgap.study.defaults import default_study
    >>> study = default_study("acme", organisation="Acme")
    >>> rows = [ItemRow(t.key, t.label) for t in study.touchpoints]
    >>> rows.append(ItemRow("partners", "Partner channel"))
    >>> new = edit_items(study, "touchpoints", rows, add_questions=True)
    >>> [t.key for t in new.touchpoints][-1], new.question("tp.partners").touchpoint
    ('partners', 'partners')
    >>> from cxgap.errors import InputError
    >>> try:
    ...     edit_items(study, "factors", [ItemRow("empathy", "Empathy", remove=True)])
    ... except InputError as exc:
    ...     p = exc.problems[0]
    ...     print(p.row, p.column, p.expected.split(" (used by")[0])
    ...     print(p.expected.split("used by ")[1].split(")")[0])
    1 remove a factor nothing else refers to
    perf.empathy, imp.empathy, rank, defection reason uncaring_staff
    """
    if section not in ITEM_SECTIONS:
        raise ValueError(f"unknown section {section!r}")
    current = {x.key: x for x in getattr(study, section)}
    singular = section.removesuffix("s")
    problems: list[Problem] = []
    kept: list[dict[str, Any]] = []
    shown: dict[int, int | None] = {}
    added: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        key = row.key.strip()
        if row.blank() or (row.remove and key not in current):
            continue
        if row.remove:
            users = used_by(study, section, key)
            if users:
                problems.append(
                    Problem(
                        section,
                        number,
                        "remove",
                        key,
                        f"a {singular} nothing else refers to (used by {', '.join(users)}): "
                        "remove or change those first",
                    )
                )
            continue
        if not _KEY.match(key):
            problems.append(Problem(section, number, "key", key, _KEY_TEXT))
            continue
        if key in seen:
            problems.append(
                Problem(section, number, "key", key, f"a key no other row uses (row {seen[key]})")
            )
            continue
        seen[key] = number
        values: dict[str, Any] = {
            "key": key,
            "label": row.label.strip(),
            "description": row.description.strip(),
        }
        if not values["label"]:
            problems.append(Problem(section, number, "label", None, "a label"))
        if section == "moments":
            text = row.weight.strip() or "1"
            try:
                values["weight"] = float(text)
            except ValueError:
                problems.append(Problem(section, number, "weight", text, "a number above 0"))
                continue
        if section == "factors":
            words = [w.strip() for w in row.lexicon.split(",")]
            values["lexicon"] = list(dict.fromkeys(w for w in words if w))
        shown[len(kept)] = number
        kept.append(values)
        if key not in current:
            added.append(values)
    if problems:
        raise InputError(problems)
    data = study.model_dump()
    data[section] = kept
    if add_questions and added:
        data["questions"] = _with_questions(study, section, added)
    return _validated(data, section, section, dict(shown))


def _date(text: str, file: str, row: int, column: str, problems: list[Problem]) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(file, row, column, text, "a date YYYY-MM-DD"))
        return None


def edit_waves(study: StudyDefinition, rows: Sequence[WaveRow]) -> StudyDefinition:
    """Replace the waves with ``rows`` (labels, opening and closing dates;
    new waves; removals). At least one wave stays; a wave that holds
    responses is kept by :func:`~cxgap.store.studies.save_study`.

    Examples
    --------
    >>> from cxgap.study.defaults import default_study
    >>> study = default_study("acme", organisation="Acme")
    >>> nxt = next_wave(study)
    >>> rows = [WaveRow("w1", "Spring"), WaveRow(nxt.key, nxt.label, "2027-03-01")]
    >>> new = edit_waves(study, rows)
    >>> [(w.key, w.label, str(w.opens)) for w in new.waves]
    [('w1', 'Spring', 'None'), ('w2', 'Wave 2', '2027-03-01')]
    """
    current = {w.key for w in study.waves}
    problems: list[Problem] = []
    kept: list[dict[str, Any]] = []
    shown: dict[int, int | None] = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        key = row.key.strip()
        if row.blank() or row.remove:
            continue
        if not _KEY.match(key):
            problems.append(Problem("waves", number, "key", key, _KEY_TEXT))
            continue
        if key in seen:
            problems.append(
                Problem("waves", number, "key", key, f"a key no other wave uses (row {seen[key]})")
            )
            continue
        seen[key] = number
        label = row.label.strip()
        if not label:
            problems.append(Problem("waves", number, "label", None, "a label"))
        opens = _date(row.opens, "waves", number, "opens", problems)
        closes = _date(row.closes, "waves", number, "closes", problems)
        if opens and closes and closes < opens:
            problems.append(
                Problem("waves", number, "closes", row.closes.strip(), "a date on or after opens")
            )
        shown[len(kept)] = number
        kept.append({"key": key, "label": label, "opens": opens, "closes": closes})
    if not kept and not problems:
        first = next((n for n, r in enumerate(rows, start=1) if r.key.strip() in current), None)
        problems.append(Problem("waves", first, "remove", None, "at least one wave kept"))
    if problems:
        raise InputError(problems)
    data = study.model_dump()
    data["waves"] = kept
    return _validated(data, "waves", "waves", dict(shown))


def add_wave(study: StudyDefinition, row: WaveRow) -> StudyDefinition:
    """The study with one more wave after the last (problems name the new
    row: one after the existing waves).

    >>> from cxgap.study.defaults import default_study
    >>> study = default_study("acme", organisation="Acme")
    >>> [w.key for w in add_wave(study, WaveRow("w2", "Spring 2027")).waves]
    ['w1', 'w2']
    """
    if row.blank():
        n = len(study.waves) + 1
        raise InputError([Problem("waves", n, "key", None, "the new wave's key and label")])
    existing = [
        WaveRow(
            w.key,
            w.label,
            w.opens.isoformat() if w.opens else "",
            w.closes.isoformat() if w.closes else "",
        )
        for w in study.waves
    ]
    return edit_waves(study, [*existing, row])


def next_wave(study: StudyDefinition) -> Wave:
    """A suggestion for the study's next wave: the next number of the last
    key (``w2`` after ``w1``), opening the day after the last one closes.

    >>> from cxgap.study.defaults import default_study
    >>> next_wave(default_study("acme", organisation="Acme")).key
    'w2'
    """
    keys = {w.key for w in study.waves}
    last = study.waves[-1] if study.waves else None
    found = re.match(r"^(.*?)(\d+)$", last.key) if last else None
    prefix, n = (found.group(1), int(found.group(2))) if found else ("w", len(study.waves))
    while f"{prefix}{n + 1}" in keys:
        n += 1
    opens = None
    if last is not None and last.closes is not None:
        opens = date.fromordinal(last.closes.toordinal() + 1)
    return Wave(key=f"{prefix}{n + 1}", label=f"Wave {len(study.waves) + 1}", opens=opens)


def edit_general(study: StudyDefinition, *, name: str, description: str) -> StudyDefinition:
    """Change the study's title and description."""
    if not name.strip():
        raise InputError([Problem("general", None, "name", None, "a title for the study")])
    data = study.model_dump()
    data |= {"name": name.strip(), "description": description.strip()}
    return _validated(data, "general")


def edit_anonymity(study: StudyDefinition, threshold: str) -> StudyDefinition:
    """Change the anonymity threshold: the fewest staff or leadership
    respondents a group needs to be shown.

    >>> from cxgap.study.defaults import default_study
    >>> edit_anonymity(default_study("a", organisation="A"), "7").anonymity_threshold
    7
    """
    text = threshold.strip()
    if not text.isdigit() or int(text) < 1:
        raise InputError(
            [Problem("anonymity", None, "anonymity_threshold", text, "a whole number of 1 or more")]
        )
    data = study.model_dump()
    data["anonymity_threshold"] = int(text)
    return _validated(data, "anonymity")


def edit_promise(study: StudyDefinition, text: str) -> StudyDefinition:
    """Replace the customer promise: one statement per line (blank lines skipped).

    >>> from cxgap.study.defaults import default_study
    >>> study = default_study("a", organisation="A")
    >>> edit_promise(study, "We answer within a day\\n\\n We keep our word ").promise
    ['We answer within a day', 'We keep our word']
    """
    data = study.model_dump()
    data["promise"] = [line.strip() for line in text.splitlines() if line.strip()]
    return _validated(data, "promise")


def _number(text: str, column: str, problems: list[Problem]) -> float | None:
    """A scale bound as typed in the question form (``None`` when blank)."""
    try:
        # Read as the form always has: Python's syntax (no decimal comma), and
        # infinity left to the question's own checks.
        return parse_number(text, decimal_comma=False, finite=False)
    except ValueError:
        problems.append(Problem("question", None, column, text.strip(), "a number"))
        return None


def _question_values(study: StudyDefinition, edit: QuestionEdit) -> dict[str, Any]:
    problems: list[Problem] = []
    key = edit.key.strip()
    if not all(_KEY.match(part) for part in key.split(".")):
        problems.append(
            Problem(
                "question",
                None,
                "key",
                key,
                "dot-separated parts of lower-case letters, digits and underscores "
                "(perf.<factor>, tp.<touchpoint>, open.<name>, ...)",
            )
        )
    text = edit.text.strip()
    if not text:
        problems.append(Problem("question", None, "text", None, "the question's text"))
    kind = edit.kind.strip()
    if kind not in QUESTION_KINDS:
        problems.append(
            Problem("question", None, "kind", kind, f"one of {', '.join(QUESTION_KINDS)}")
        )
    audiences = [a for a in AUDIENCES if a in set(edit.audiences)]
    unknown = sorted(set(edit.audiences) - set(AUDIENCES))
    if unknown or not audiences:
        problems.append(
            Problem(
                "question",
                None,
                "audiences",
                ", ".join(unknown) or None,
                f"at least one of {', '.join(AUDIENCES)}",
            )
        )
    lo = _number(edit.scale_min, "scale_min", problems)
    hi = _number(edit.scale_max, "scale_max", problems)
    items = list(dict.fromkeys(line.strip() for line in edit.items.splitlines() if line.strip()))
    if kind in _SCALED:
        if lo is None and not edit.scale_min.strip():
            problems.append(
                Problem(
                    "question", None, "scale_min", None, f"a lowest value for a {kind} question"
                )
            )
        if hi is None and not edit.scale_max.strip():
            problems.append(
                Problem(
                    "question", None, "scale_max", None, f"a highest value for a {kind} question"
                )
            )
        if lo is not None and hi is not None and lo >= hi:
            problems.append(
                Problem(
                    "question",
                    None,
                    "scale_max",
                    edit.scale_max.strip(),
                    "a value above the lowest",
                )
            )
    if kind in _LISTED:
        bad = [i for i in items if not _KEY.match(i)]
        if bad:
            problems.append(
                Problem("question", None, "items", ", ".join(bad), f"one {_KEY_TEXT} per line")
            )
        elif not items:
            problems.append(
                Problem(
                    "question", None, "items", None, f"the items of a {kind} question, one per line"
                )
            )
    factor = edit.factor.strip() or None
    touchpoint = edit.touchpoint.strip() or None
    factors = [f.key for f in study.factors]
    touchpoints = [t.key for t in study.touchpoints]
    if factor is not None and factor not in factors:
        problems.append(Problem("question", None, "factor", factor, f"one of {', '.join(factors)}"))
    if touchpoint is not None and touchpoint not in touchpoints:
        problems.append(
            Problem("question", None, "touchpoint", touchpoint, f"one of {', '.join(touchpoints)}")
        )
    if problems:
        raise InputError(problems)
    return {
        "key": key,
        "text": text,
        "internal_text": edit.internal_text.strip() or None,
        "kind": kind,
        "audiences": audiences,
        "section": edit.section.strip() or "general",
        "scale_min": lo if kind in _SCALED else None,
        "scale_max": hi if kind in _SCALED else None,
        "items": items if kind in _LISTED else [],
        "required": edit.required,
        "factor": factor,
        "touchpoint": touchpoint,
    }


def save_question(
    study: StudyDefinition, original: str | None, edit: QuestionEdit
) -> StudyDefinition:
    """Add a question (``original`` is ``None``; it goes last) or change
    question ``original`` in place: text (and how leadership and staff read
    it), kind, scale, items, audiences, section, factor, touchpoint, whether
    it is required, and its key.

    Examples
    --------
    >>> from cxgap.study.defaults import default_study
    >>> study = default_study("acme", organisation="Acme")
    >>> q = QuestionEdit("open.onboarding", "How was your first month?", "text", ["customer"])
    >>> save_question(study, None, q).questions[-1].key
    'open.onboarding'
    >>> again = QuestionEdit("ltr", "Again?", "nps", ["customer"], scale_min="0", scale_max="10")
    >>> save_question(study, None, again)
    Traceback (most recent call last):
    ...
    cxgap.errors.InputError: question, column 'key': got 'ltr', expected a key no other question ...
    """
    keys = [q.key for q in study.questions]
    if original is not None and original not in keys:
        raise InputError([Problem("question", None, "key", original, "an existing question")])
    values = _question_values(study, edit)
    if values["key"] != original and values["key"] in keys:
        raise InputError(
            [Problem("question", None, "key", values["key"], "a key no other question uses")]
        )
    questions = [q.model_dump() for q in study.questions]
    at = len(questions) if original is None else keys.index(original)
    questions[at : at + 1 if original is not None else at] = [values]
    data = study.model_dump()
    data["questions"] = questions
    return _validated(data, "question", "questions", {at: None})


def move_question(study: StudyDefinition, key: str, offset: int) -> StudyDefinition:
    """Move question ``key`` ``offset`` places (negative: earlier), within the list.

    >>> from cxgap.study.defaults import default_study
    >>> study = default_study("acme", organisation="Acme")
    >>> [q.key for q in move_question(study, "ltr", -1).questions][19:21]
    ['ltr', 'excellent']
    """
    keys = [q.key for q in study.questions]
    if key not in keys:
        raise InputError([Problem("questions", None, "key", key, "an existing question")])
    i = keys.index(key)
    j = min(max(i + offset, 0), len(keys) - 1)
    questions = list(study.questions)
    questions.insert(j, questions.pop(i))
    return study.model_copy(update={"questions": questions})


def remove_question(study: StudyDefinition, key: str) -> StudyDefinition:
    """The study without question ``key`` (saving refuses it while the
    question holds answers)."""
    if key not in [q.key for q in study.questions]:
        raise InputError([Problem("questions", None, "key", key, "an existing question")])
    return study.model_copy(update={"questions": [q for q in study.questions if q.key != key]})


#: The field of each trigger's own limit: (field, what it takes, low, high, whole number).
CASE_LIMITS: dict[str, tuple[str, str, float, float, bool]] = {
    "detractor": ("max_ltr", "a likelihood to recommend from 0 to 10", 0, 10, False),
    "reason_to_leave": (
        "max_excellent",
        "an 'excellent' rating on its scale, or empty",
        0,
        100,
        False,
    ),
    "failure_burst": ("failures", "a whole number of failures, 2 or more", 2, 1000, True),
    "negative_text": ("max_sentiment", "a sentiment from -1 to 1", -1, 1, False),
}


@dataclass(frozen=True)
class CaseRuleRow:
    """One row of the case rules form: its switch, priority, SLA (days) and
    the trigger's own limit (``limit``; ``within_days`` for a burst)."""

    key: str
    enabled: bool
    priority: str
    sla_days: str
    limit: str = ""
    within_days: str = ""


def _form_number(text: str) -> float | None:
    """A form's number, ``None`` when empty or not a number."""
    try:
        return parse_number(text)
    except ValueError:
        return None


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def case_rule_rows(study: StudyDefinition) -> list[CaseRuleRow]:
    """The study's case rules as the form shows them (text values)."""
    rows = []
    for r in study.cases.rules:
        limit = CASE_LIMITS.get(r.trigger)
        value = getattr(r, limit[0]) if limit else None
        rows.append(
            CaseRuleRow(
                key=r.key,
                enabled=r.enabled,
                priority=r.priority,
                sla_days=_text(r.sla_days),
                limit=_text(value),
                within_days=_text(r.within_days) if r.trigger == "failure_burst" else "",
            )
        )
    return rows


def edit_cases(
    study: StudyDefinition, rows: Sequence[CaseRuleRow], lookback_days: str
) -> StudyDefinition:
    """Switch case rules on and off and set their priority, SLA and limit;
    rules are added or removed in the study file (``docs/CASES.md``).

    >>> from cxgap.study.defaults import default_study
    >>> s = default_study("a", organisation="A")
    >>> rows = [r if r.key != "negative_text" else CaseRuleRow(r.key, False, r.priority, "4",
    ...         r.limit) for r in case_rule_rows(s)]
    >>> e = edit_cases(s, rows, "14")
    >>> [(r.key, r.enabled, r.sla_days) for r in e.cases.rules][-1], e.cases.lookback_days
    (('negative_text', False, 4.0), 14)
    """
    problems: list[Problem] = []
    rules = {r.key: r for r in study.cases.rules}
    updated = []
    for number, row in enumerate(rows, 1):
        rule = rules.get(row.key.strip())
        if rule is None:
            problems.append(Problem("cases", number, "key", row.key, "a rule of the study"))
            continue
        changes: dict[str, Any] = {"enabled": row.enabled}
        if row.priority not in CASE_PRIORITIES:
            problems.append(
                Problem(
                    "cases",
                    number,
                    "priority",
                    row.priority,
                    f"one of {', '.join(CASE_PRIORITIES)}",
                )
            )
        else:
            changes["priority"] = row.priority
        sla = _form_number(row.sla_days)
        if sla is None or sla <= 0:
            problems.append(
                Problem("cases", number, "sla_days", row.sla_days, "a number of days above 0")
            )
        else:
            changes["sla_days"] = sla
        limit = CASE_LIMITS.get(rule.trigger)
        if limit is not None:
            field, expected, low, high, whole = limit
            text = row.limit.strip()
            value = _form_number(text) if text else None
            if text == "" and field == "max_excellent":
                changes[field] = None
            elif value is None or not low <= value <= high or (whole and value != int(value)):
                problems.append(Problem("cases", number, "limit", row.limit, expected))
            else:
                changes[field] = int(value) if whole else value
        if rule.trigger == "failure_burst":
            days = _form_number(row.within_days)
            if days is None or days <= 0:
                problems.append(
                    Problem(
                        "cases", number, "within_days", row.within_days, "a number of days above 0"
                    )
                )
            else:
                changes["within_days"] = days
        updated.append(rule.model_copy(update=changes))
    lookback = lookback_days.strip()
    if not lookback.isdigit() or int(lookback) < 1:
        problems.append(
            Problem("cases", None, "lookback_days", lookback, "a whole number of days, 1 or more")
        )
    if problems:
        raise InputError(problems)
    kept = {r.key for r in updated}
    data = study.model_dump()
    data["cases"] = {
        "rules": [r.model_dump() for r in updated]
        + [r.model_dump() for r in study.cases.rules if r.key not in kept],
        "lookback_days": int(lookback),
    }
    return _validated(data, "cases")
