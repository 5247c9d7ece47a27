"""Map an export's columns onto the study's questions.

A column is matched, in this order, by the mapping file, by the question key
(``perf.resolution``), by the question text (compared after normalisation:
case, accents, punctuation, HTML tags and spacing ignored; a trailing
bracketed explanation may be left out), and finally by a close fuzzy match of
the text (similarity of at least 0.9, :class:`difflib.SequenceMatcher`).
A column whose name is a respondent attribute's key, label or
``attr.<key>`` fills that attribute. Item columns (ranking, multi-select,
matrix rows) match ``<question> -
<item label>`` (Qualtrics, SurveyMonkey), ``<question> [<item label>]``
(Google Forms grids) or the bare option label (Typeform multiple choice).

A YAML mapping file says the rest::

    columns:                     # header in the export: target (None = ignore)
      "Q7": ltr
      "How do we do on support?": tp.support
      "Customer ID": account_id  # also respondent_id, response_id, segment,
                                 # team, wave, audience
      "Customer Type": attr.customer_type  # a respondent attribute of the study
      "Internal notes": null
    values:                      # words -> numbers; by target, glob, or "*"
      ltr: {"Extremely likely": 10, "Not at all likely": 0}
      "perf.*": {"Very poor": 1, "Poor": 2, "Fair": 3, "Good": 4, "Excellent": 5}
    missing:                     # answers that mean "no answer"
      "perf.*": ["0", "N/A"]
    segments: {"Key account": top, "Churned": defected}
    teams: {"Customer Support": support}
    options:                     # multi-select / choice answers -> item keys
      leave: {"Too expensive": price, "7": price}
"""

from __future__ import annotations

import difflib
import fnmatch
import html
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxgap.errors import InputError, Problem
from cxgap.ingest.tables import parse_yaml, read_yaml_file
from cxgap.store.frames import attribute_column, question_columns
from cxgap.study.model import Audience, Question, StudyDefinition

__all__ = [
    "META_TARGETS",
    "ColumnMatch",
    "ResponseMapping",
    "Target",
    "attribute_targets",
    "load_response_mapping",
    "match_columns",
    "normalise",
    "response_mapping_from_text",
    "study_targets",
    "with_na_values",
]

META_TARGETS: tuple[str, ...] = (
    "respondent_id",
    "response_id",
    "audience",
    "segment",
    "team",
    "account_id",
    "wave",
)
FUZZY_CUTOFF = 0.9

_TAG = re.compile(r"<[^>]+>")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_TRAILING_BRACKET = re.compile(r"\s*\([^()]*\)\s*$")


def _meta_by_name() -> dict[str, str]:
    return {normalise(m): m for m in (*META_TARGETS, "source")}


def normalise(text: str) -> str:
    """Text reduced for comparison: no HTML, accents, case or punctuation.

    Examples
    --------
    >>> normalise("How <b>well</b> does Support  serve you?")
    'how well does support serve you'
    >>> normalise("Résolution – temps")
    'resolution temps'
    """
    text = html.unescape(_TAG.sub(" ", str(text)))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text.lower()).strip()


_META_BY_NAME = _meta_by_name()


class ResponseMapping(BaseModel):
    """The mapping file of ``cxgap import responses --mapping``."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str | None] = Field(default_factory=dict)
    values: dict[str, dict[str, float]] = Field(default_factory=dict)
    missing: dict[str, list[str]] = Field(default_factory=dict)
    segments: dict[str, str] = Field(default_factory=dict)
    teams: dict[str, str] = Field(default_factory=dict)
    options: dict[str, dict[str, str]] = Field(default_factory=dict)

    def vocabulary(self, target: str) -> dict[str, float]:
        """Words (normalised) -> numbers for ``target``: "*" first, then globs,
        then the target itself, later entries winning."""
        out: dict[str, float] = {}
        for pattern in sorted(self.values, key=lambda p: (p != "*", p == target)):
            if pattern == target or fnmatch.fnmatchcase(target, pattern):
                out.update({normalise(k): v for k, v in self.values[pattern].items()})
        return out

    def missing_for(self, target: str) -> set[str]:
        """Answers (normalised) that mean "no answer" for ``target``."""
        out: set[str] = set()
        for pattern, words in self.missing.items():
            if pattern == target or fnmatch.fnmatchcase(target, pattern):
                out.update(normalise(str(w)) for w in words)
        return out


def load_response_mapping(path: str | Path) -> ResponseMapping:
    """Read a YAML mapping file; an :class:`InputError` names each problem."""
    return _validated_mapping(read_yaml_file(path) or {}, str(path))


def response_mapping_from_text(text: str, name: str) -> ResponseMapping:
    """A mapping from its YAML text (the one stored with a study); ``name``
    says where it comes from in any error."""
    return _validated_mapping(parse_yaml(text, name) or {}, name)


def with_na_values(mapping: ResponseMapping | None, na_values: list[str]) -> ResponseMapping:
    """``mapping`` with ``na_values`` meaning "no answer" in every column
    (``missing: {"*": [...]}``), the meaning of ``--na-value``.

    >>> sorted(with_na_values(None, ["0", "N/A"]).missing_for("perf.wifi"))
    ['0', 'n a']
    """
    base = mapping or ResponseMapping()
    if not na_values:
        return base
    missing = {k: list(v) for k, v in base.missing.items()}
    missing["*"] = [*missing.get("*", []), *na_values]
    return base.model_copy(update={"missing": missing})


def _validated_mapping(data: object, name: str) -> ResponseMapping:
    if not isinstance(data, dict):
        raise InputError([Problem(name, None, None, None, "a YAML mapping (key: value)")])
    # YAML reads `0`/`N/A` lists as ints; keep every "missing" word as text.
    if isinstance(data.get("missing"), dict):
        data["missing"] = {
            k: [str(x) for x in (v if isinstance(v, list) else [v])]
            for k, v in data["missing"].items()
        }
    if isinstance(data.get("options"), dict):
        data["options"] = {
            k: {str(w): v for w, v in opts.items()} if isinstance(opts, dict) else opts
            for k, opts in data["options"].items()
        }
    try:
        return ResponseMapping.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(name, None, ".".join(map(str, e["loc"])), e.get("input"), e["msg"])
                for e in exc.errors()
            ]
        ) from None


@dataclass(frozen=True)
class Target:
    """A column of the wide frame that an export column can fill."""

    column: str  # "perf.resolution", "leave.price", or "leave" (all items in one cell)
    question: Question
    item: str  # "" for a question without items or a whole multi question


def _item_labels(study: StudyDefinition, q: Question) -> dict[str, str]:
    labels: dict[str, str] = {}
    for group in (study.factors, study.defection_reasons, study.touchpoints, study.segments):
        labels.update({x.key: x.label for x in group})
    return {item: labels.get(item, item.replace("_", " ")) for item in q.items}


def item_labels(study: StudyDefinition, q: Question) -> dict[str, str]:
    """Item key -> label for the items of ``q`` (factor or reason labels)."""
    return _item_labels(study, q)


def study_targets(study: StudyDefinition, audience: Audience | None) -> dict[str, Target]:
    """Every column an export may fill for ``audience`` (all when None)."""
    out: dict[str, Target] = {}
    asked = {q.key for q in study.questions if audience is None or audience in q.audiences}
    for col, key, item, _ in question_columns(study):
        if key in asked:
            out[col] = Target(col, study.question(key), item)
    for q in study.questions:
        if q.kind == "multi" and q.key in asked:
            out[q.key] = Target(q.key, q, "")
    return out


def attribute_targets(study: StudyDefinition) -> dict[str, str]:
    """``attr.<key>`` -> attribute key, for every respondent attribute of the study."""
    return {attribute_column(a.key): a.key for a in study.attributes}


def _attribute_names(study: StudyDefinition) -> dict[str, str]:
    """Normalised ``attr.<key>``, key or label -> the attribute's column; a
    name two attributes share matches neither."""
    found: dict[str, set[str]] = {}
    for a in study.attributes:
        for name in (attribute_column(a.key), a.key, a.label):
            found.setdefault(normalise(name), set()).add(attribute_column(a.key))
    return {name: next(iter(cols)) for name, cols in found.items() if len(cols) == 1}


def _texts(study: StudyDefinition, target: Target) -> list[str]:
    q = target.question
    stems = [q.text, _TRAILING_BRACKET.sub("", q.text)]
    if not target.item:
        return [target.column, *stems]
    label = _item_labels(study, q)[target.item]
    out = [target.column, label]
    for stem in stems:
        for name in (label, target.item):
            out += [f"{stem} - {name}", f"{stem} [{name}]", f"{stem}: {name}"]
    return out


@dataclass(frozen=True)
class ColumnMatch:
    """How one export column was mapped: ``target`` None means not mapped."""

    column: str
    header: str
    target: str | None
    how: str


def match_columns(
    columns: list[str],
    headers: dict[str, str],
    study: StudyDefinition,
    *,
    audience: Audience | None,
    mapping: ResponseMapping,
    system: frozenset[str] = frozenset(),
    file: str = "<export>",
) -> list[ColumnMatch]:
    """Map each export column onto a question column or a meta field.

    Columns the mapping file names come first; then a tool's system columns
    are left out; then key, text and fuzzy matches. Two columns mapped onto
    the same target, or a mapping naming an unknown target or a column the
    file lacks, raise :class:`InputError`.
    """
    targets = study_targets(study, audience)
    every = study_targets(study, None)
    attributes = attribute_targets(study)
    attribute_names = _attribute_names(study)
    candidates: dict[str, set[str]] = {}
    for t in targets.values():
        for text in _texts(study, t):
            candidates.setdefault(normalise(text), set()).add(t.column)
    # A text shared by two targets (a label used by two questions) matches neither.
    by_text = {text: next(iter(cols)) for text, cols in candidates.items() if len(cols) == 1}
    mapped = {normalise(k): v for k, v in mapping.columns.items()}
    problems: list[Problem] = []
    known_cols = {normalise(c) for c in columns} | {normalise(h) for h in headers.values()}
    for header, target in mapping.columns.items():
        if normalise(header) not in known_cols:
            problems.append(
                Problem(file, None, header, None, "a column of the export (named in the mapping)")
            )
        if target is not None and target.startswith("attr.") and target not in attributes:
            known = ", ".join(attributes) or "none: the study has no attributes"
            problems.append(Problem(file, None, header, target, f"a study attribute ({known})"))
        elif (
            target is not None
            and target not in every
            and target not in META_TARGETS
            and target not in attributes
        ):
            problems.append(
                Problem(
                    file,
                    None,
                    header,
                    target,
                    "a question column of the study (e.g. perf.resolution), attr.<attribute> "
                    "or one of " + ", ".join(META_TARGETS),
                )
            )
        elif target in every and target not in targets:
            problems.append(
                Problem(file, None, header, target, f"a question asked of the {audience} audience")
            )
    for key, opts in mapping.options.items():
        q = next((q for q in study.questions if q.key == key), None)
        if q is None or q.kind not in ("multi", "choice"):
            problems.append(
                Problem(file, None, f"options.{key}", key, "a multi-select or choice question key")
            )
            continue
        problems += [
            Problem(file, None, f"options.{key}", item, "one of " + ", ".join(q.items))
            for item in opts.values()
            if item not in q.items
        ]
    if problems:
        raise InputError(problems)

    out: list[ColumnMatch] = []
    fuzzy_pool = list(by_text)
    for col in columns:
        header = headers.get(col, col)
        keys = [normalise(col), normalise(header)]
        named = next((k for k in keys if k in mapped), None)
        if named is not None:
            target = mapped[named]
            how = "mapping file" if target else "ignored (mapping)"
            out.append(ColumnMatch(col, header, target, how))
            continue
        if col in system:
            out.append(ColumnMatch(col, header, None, "system column"))
            continue
        meta = _META_BY_NAME.get(normalise(col))
        if meta is not None:
            out.append(ColumnMatch(col, header, meta, "column name"))
            continue
        attribute = next((attribute_names[k] for k in keys if k in attribute_names), None)
        if attribute is not None:
            out.append(ColumnMatch(col, header, attribute, "attribute name"))
            continue
        if col in targets:
            out.append(ColumnMatch(col, header, col, "question key"))
            continue
        if col in every:
            out.append(ColumnMatch(col, header, None, f"not asked of {audience}"))
            continue
        found = next((by_text[k] for k in keys if k in by_text), None)
        if found:
            out.append(ColumnMatch(col, header, found, "question text"))
            continue
        close = difflib.get_close_matches(keys[1], fuzzy_pool, n=1, cutoff=FUZZY_CUTOFF)
        if close and len(keys[1]) >= 12:
            score = difflib.SequenceMatcher(None, keys[1], close[0]).ratio()
            out.append(ColumnMatch(col, header, by_text[close[0]], f"fuzzy text ({score:.2f})"))
            continue
        out.append(ColumnMatch(col, header, None, "no match"))

    seen: dict[str, str] = {}
    for m in out:
        if m.target is None:
            continue
        if m.target in seen:
            problems.append(
                Problem(
                    file,
                    None,
                    m.column,
                    m.target,
                    f"one column per target ({seen[m.target]!r} is mapped to it too)",
                )
            )
        seen[m.target] = m.column
    multi_whole = {t for t in seen if t in targets and targets[t].question.kind == "multi"}
    for whole in multi_whole:
        if not targets[whole].item and any(
            s.startswith(whole + ".") for s in seen if s in targets and targets[s].item
        ):
            problems.append(
                Problem(
                    file,
                    None,
                    seen[whole],
                    whole,
                    "either one column for the whole question or one per option, not both",
                )
            )
    if problems:
        raise InputError(problems)
    return out
