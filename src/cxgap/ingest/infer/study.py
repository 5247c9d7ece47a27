"""The study definition and mapping made from an export's plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import yaml

from cxgap.errors import InputError, Problem
from cxgap.ingest.formats import Export
from cxgap.ingest.infer.plan import _short_header, classify_columns
from cxgap.ingest.infer.rules import ColumnPlan, _unique_key, slug_key
from cxgap.ingest.mapping import ResponseMapping
from cxgap.study.defaults import default_study
from cxgap.study.model import (
    AUDIENCES,
    Attribute,
    Audience,
    DefectionReason,
    Factor,
    Question,
    StudyDefinition,
)


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
