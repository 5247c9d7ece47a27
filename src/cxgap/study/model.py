"""The study definition: everything a CX lead can edit, validated.

A study belongs to an organisation and holds the customer promise, the
experience factors, touchpoints, moments that matter, customer segments,
waves, the instrument's questions, the defection reasons offered to
respondents, the competitors to look for in open answers, the anonymity
threshold and the parameters of the relationship bank account.

Question keys follow one convention that the storage layer and every analysis
rely on (see ``docs/DATA_MODEL.md``):

========================  ========  =============================================
key                       kind      meaning
========================  ========  =============================================
``perf.<factor>``         rating    performance on a factor (1-5)
``imp.<factor>``          rating    importance of a factor (1-5)
``rank``                  rank      importance ranking; one item per factor
``tp.<touchpoint>``       rating    performance of a touchpoint (1-5)
``excellent``             rating    "would you describe the service as excellent?"
``ltr``                   nps       likelihood to recommend (0-10), customers
``expected_promoters``    share     % of customers leadership/staff expect to be promoters
``expected_detractors``   share     % expected to be detractors
``leave``                 multi     what would make a customer leave; one item per reason
``open.<name>``           text      open questions
========================  ========  =============================================

In the wide analysis frame a question with items becomes one column per item,
``<key>.<item>`` (``rank.resolution``, ``leave.slow_response``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Audience = Literal["leadership", "staff", "customer"]
AUDIENCES: tuple[Audience, ...] = ("leadership", "staff", "customer")
QuestionKind = Literal["rating", "nps", "share", "rank", "multi", "choice", "text"]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError(
            "a key of lower-case letters, digits and underscores, starting with a letter"
        )
    return value


class Item(_Strict):
    """A named element of the study (factor, touchpoint, segment, ...)."""

    key: str
    label: str
    description: str = ""

    @field_validator("key")
    @classmethod
    def _valid_key(cls, v: str) -> str:
        return _check_key(v)


class Factor(Item):
    """An experience factor; ``lexicon`` lists words that tag open text to it."""

    lexicon: list[str] = Field(default_factory=list)


class Moment(Item):
    """A moment that matters; ``weight`` is its weight ``w_m`` in the ledger."""

    weight: float = Field(default=1.0, gt=0)


class DefectionReason(Item):
    """A reason a customer might leave, optionally tied to a factor."""

    factor: str | None = None


class Attribute(Item):
    """A property every respondent may carry (``Class``, ``Region``, ``Plan``).

    Attributes come from an export's categorical columns; they break results
    down and filter them wherever a segment does, under the same anonymity
    threshold. ``values`` lists the levels seen or allowed, in display order
    (empty: any text is kept).
    """

    values: list[str] = Field(default_factory=list)


class Wave(_Strict):
    """One round of data collection."""

    key: str
    label: str
    opens: date | None = None
    closes: date | None = None

    @field_validator("key")
    @classmethod
    def _valid_key(cls, v: str) -> str:
        return _check_key(v)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Wave:
        if self.opens is not None and self.closes is not None and self.closes < self.opens:
            raise ValueError("closes must not be before opens")
        return self


class Question(_Strict):
    """One question of the instrument.

    ``items`` are the options of a ``multi``/``choice`` question or the things
    ranked by a ``rank`` question. ``text`` is the question as written, as
    customers read it; ``internal_text``, where given, is how leadership and
    staff read it (they answer for the customer: "How important is empathy
    to our customers?"). Left out, :func:`cxgap.study.wording.question_text`
    derives their wording from ``text``.
    """

    key: str
    text: str
    internal_text: str | None = None
    kind: QuestionKind
    audiences: list[Audience]
    section: str = "general"
    scale_min: float | None = None
    scale_max: float | None = None
    factor: str | None = None
    touchpoint: str | None = None
    items: list[str] = Field(default_factory=list)
    required: bool = False

    @field_validator("key")
    @classmethod
    def _qkey(cls, v: str) -> str:
        if not all(_KEY.match(part) for part in v.split(".")):
            raise ValueError("dot-separated parts of lower-case letters, digits and underscores")
        return v

    @field_validator("internal_text")
    @classmethod
    def _blank_is_derived(cls, v: str | None) -> str | None:
        # An empty field of a form or a study file means "derive it".
        return v or None

    @model_validator(mode="after")
    def _scale(self) -> Question:
        if self.kind in ("rating", "nps", "share"):
            if self.scale_min is None or self.scale_max is None:
                raise ValueError(f"a {self.kind} question needs scale_min and scale_max")
            if self.scale_min >= self.scale_max:
                raise ValueError("scale_min must be below scale_max")
        if self.kind in ("rank", "multi", "choice") and not self.items:
            raise ValueError(f"a {self.kind} question needs items")
        if not self.audiences:
            raise ValueError("at least one audience")
        return self


class LedgerParameters(_Strict):
    """Parameters of the relationship bank account (see ``docs/LEDGER.md``)."""

    met: float = 1.0
    exceeded: float = 2.0
    loss_aversion: float = Field(default=2.0, gt=0)
    compounding_window_days: float = Field(default=30.0, ge=0)
    compounding_step: float = Field(default=0.5, ge=0)
    compounding_cap: int = Field(default=4, ge=0)
    credit_half_life_days: float = Field(default=90.0, gt=0)
    debit_half_life_days: float = Field(default=365.0, gt=0)
    threshold_lead_days: float = Field(default=30.0, ge=0)
    landmark_step_days: float = Field(default=30.0, gt=0)
    horizon_days: float = Field(default=90.0, gt=0)
    min_defections: int = Field(default=5, ge=1)
    default_threshold: float = -10.0


CaseTrigger = Literal[
    "detractor", "reason_to_leave", "below_threshold", "failure_burst", "negative_text"
]
CASE_TRIGGERS: tuple[CaseTrigger, ...] = (
    "detractor",
    "reason_to_leave",
    "below_threshold",
    "failure_burst",
    "negative_text",
)
CasePriority = Literal["low", "normal", "high", "urgent"]
CASE_PRIORITIES: tuple[CasePriority, ...] = ("low", "normal", "high", "urgent")


class CaseRule(_Strict):
    """A rule that opens a case for the account's owner (``docs/CASES.md``).

    ``trigger`` is what opens it:

    - ``detractor``: a customer's likelihood to recommend at or below
      ``max_ltr`` (0-6 by default, the NPS detractors);
    - ``reason_to_leave``: a customer who does not call the service excellent
      (at or below ``max_excellent``; left out, anything below the top of the
      ``excellent`` scale) and names a reason to leave (any, or one of
      ``reasons``);
    - ``below_threshold``: an account whose balance crosses below its
      threshold (the ledger's alerts);
    - ``failure_burst``: ``failures`` or more failed interactions of one
      account within ``within_days`` (the compounding of the ledger);
    - ``negative_text``: a customer's open answer with a sentiment at or
      below ``max_sentiment`` that names a touchpoint (or ``touchpoint``).

    Only customers' answers open cases: leadership and staff answer
    anonymously, so their answers never open a case that names them.
    ``sla_days`` sets the due date from the day the case opens.
    """

    key: str
    trigger: CaseTrigger
    label: str = ""
    enabled: bool = True
    priority: CasePriority = "normal"
    sla_days: float = Field(default=3.0, gt=0)
    max_ltr: float = Field(default=6.0, ge=0, le=10)
    max_excellent: float | None = None
    reasons: list[str] = Field(default_factory=list)
    failures: int = Field(default=3, ge=2)
    within_days: float = Field(default=30.0, gt=0)
    max_sentiment: float = Field(default=-0.3, ge=-1, le=1)
    touchpoint: str | None = None
    factor: str | None = None

    @field_validator("key")
    @classmethod
    def _valid_key(cls, v: str) -> str:
        return _check_key(v)


class CaseSettings(_Strict):
    """Case rules of a study; ``lookback_days``: how far back a scan looks
    for answers and events that open cases (older ones open none)."""

    rules: list[CaseRule] = Field(default_factory=list)
    lookback_days: int = Field(default=30, ge=1)

    def rule(self, key: str) -> CaseRule:
        for r in self.rules:
            if r.key == key:
                return r
        raise KeyError(key)


class StudyDefinition(_Strict):
    """The whole editable definition of a study."""

    slug: str
    name: str
    organisation: str
    description: str = ""
    anonymity_threshold: int = Field(default=5, ge=1)
    promise: list[str] = Field(default_factory=list)
    factors: list[Factor]
    touchpoints: list[Item]
    moments: list[Moment]
    segments: list[Item]
    waves: list[Wave]
    defection_reasons: list[DefectionReason] = Field(default_factory=list)
    attributes: list[Attribute] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    questions: list[Question]
    ledger: LedgerParameters = Field(default_factory=LedgerParameters)
    cases: CaseSettings = Field(default_factory=CaseSettings)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.match(r"^[a-z0-9][a-z0-9-]*$", v):
            raise ValueError("a slug of lower-case letters, digits and hyphens")
        return v

    @model_validator(mode="after")
    def _references(self) -> StudyDefinition:
        for name in (
            "factors",
            "touchpoints",
            "moments",
            "segments",
            "waves",
            "defection_reasons",
            "attributes",
            "questions",
        ):
            keys = [x.key for x in getattr(self, name)]
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"{name}: duplicate key(s) {', '.join(dupes)}")
        if not self.factors:
            raise ValueError("factors: at least one factor")
        if not self.waves:
            raise ValueError("waves: at least one wave")
        factors = {f.key for f in self.factors}
        touchpoints = {t.key for t in self.touchpoints}
        for i, q in enumerate(self.questions):
            if q.factor is not None and q.factor not in factors:
                raise ValueError(f"questions[{i}] ({q.key}): unknown factor {q.factor!r}")
            if q.touchpoint is not None and q.touchpoint not in touchpoints:
                raise ValueError(f"questions[{i}] ({q.key}): unknown touchpoint {q.touchpoint!r}")
        for i, r in enumerate(self.defection_reasons):
            if r.factor is not None and r.factor not in factors:
                raise ValueError(f"defection_reasons[{i}] ({r.key}): unknown factor {r.factor!r}")
        self._check_case_rules(factors, touchpoints)
        return self

    def _check_case_rules(self, factors: set[str], touchpoints: set[str]) -> None:
        keys = [r.key for r in self.cases.rules]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"cases.rules: duplicate key(s) {', '.join(dupes)}")
        reasons = {r.key for r in self.defection_reasons}
        for i, rule in enumerate(self.cases.rules):
            where = f"cases.rules[{i}] ({rule.key})"
            if rule.factor is not None and rule.factor not in factors:
                raise ValueError(
                    f"{where}: unknown factor {rule.factor!r} (the study's factors: "
                    f"{', '.join(sorted(factors))})"
                )
            if rule.touchpoint is not None and rule.touchpoint not in touchpoints:
                raise ValueError(
                    f"{where}: unknown touchpoint {rule.touchpoint!r} (the study's touchpoints: "
                    f"{', '.join(sorted(touchpoints)) or 'none'})"
                )
            unknown = [r for r in rule.reasons if r not in reasons]
            if unknown:
                raise ValueError(
                    f"{where}: unknown reason(s) to leave {', '.join(map(repr, unknown))} "
                    f"(the study's reasons: {', '.join(sorted(reasons)) or 'none'})"
                )

    # Convenience look-ups used across the library -------------------------
    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def questions_for(self, audience: Audience) -> list[Question]:
        return [q for q in self.questions if audience in q.audiences]

    def wave_keys(self) -> list[str]:
        return [w.key for w in self.waves]
