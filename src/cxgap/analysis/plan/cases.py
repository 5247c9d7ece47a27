"""Which answers and which accounts open a case: the study's case rules,
evaluated without a database (``docs/CASES.md``).

Closed-loop feedback (Reichheld 2006, *The Ultimate Question*, ch. 7;
Markey, Reichheld & Dullweber 2009, "Closing the customer feedback loop",
*Harvard Business Review* 87(12)): every detractor is called back by the
person who owns the relationship, within days, and the root cause is coded so
the system, not only the one customer, gets fixed. The relationship bank
account adds what a survey cannot see: an account whose balance crosses
below its defection threshold, or whose failures compound, opens a case
before the customer says anything.

Two kinds of rule:

- *answer rules* (``detractor``, ``reason_to_leave``, ``negative_text``) read
  one customer response; at most one case per response and rule;
- *account rules* (``below_threshold``, ``failure_burst``) read the ledger;
  at most one case per triggering crossing or burst (the caller also keeps
  one *open* case per account and rule).

Only customers' answers open cases: leadership and staff answer for the
customer, anonymously, and a case names the person it is about.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import pandas as pd

from cxgap.analysis._base import Result
from cxgap.study.model import CaseRule, StudyDefinition

__all__ = [
    "AnswerRecord",
    "CaseCandidate",
    "account_cases",
    "answer_cases",
    "failure_bursts",
    "ltr_question",
]


class _Crossing(Protocol):
    account: str
    balance_before: float
    balance_now: float
    distance: float


class Crossings(Protocol):
    """Accounts that crossed below the threshold: the shape of
    :class:`cxgap.analysis.ledger.alerts.AlertsResult`."""

    since: datetime
    as_of: datetime
    threshold: float

    @property
    def crossed_below(self) -> Sequence[_Crossing]: ...


class AnswerRecord(Result):
    """One submitted response, as the case rules read it."""

    response_key: str
    audience: str
    submitted_at: datetime
    answers: dict[str, Any]
    account: str | None = None
    account_name: str | None = None
    respondent: str | None = None
    contact_name: str | None = None


class CaseCandidate(Result):
    """A case a rule would open; ``dedupe_key`` names what triggered it, so
    evaluating the same answers or events again opens nothing new."""

    rule_key: str
    trigger: str
    priority: str
    dedupe_key: str
    title: str
    opened_at: datetime
    due_at: datetime
    account: str | None = None
    respondent: str | None = None
    response_key: str | None = None
    evidence: dict[str, Any]
    root_factor: str | None = None
    root_touchpoint: str | None = None
    root_moment: str | None = None


def ltr_question(study: StudyDefinition) -> str | None:
    """The likelihood-to-recommend question: ``ltr`` when the study has it,
    else its first ``nps`` question."""
    keys = [q.key for q in study.questions if q.kind == "nps"]
    return "ltr" if "ltr" in keys else (keys[0] if keys else None)


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _chosen(value: Any) -> list[str]:
    """The options of a ``multi`` answer: a list, or text split on ``;``/``,``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    if isinstance(value, Iterable):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def _first(keys: Sequence[str] | None) -> str | None:
    return keys[0] if keys else None


def _due(rule: CaseRule, opened: datetime) -> datetime:
    return opened + timedelta(days=rule.sla_days)


def _who(record: AnswerRecord) -> str:
    return record.account_name or record.account or "an anonymous customer"


def answer_cases(
    study: StudyDefinition,
    records: Sequence[AnswerRecord],
    *,
    sentiment: Callable[[Sequence[str]], Sequence[float]] | None = None,
    tags: Callable[[str], Mapping[str, list[str]]] | None = None,
) -> list[CaseCandidate]:
    """The cases the study's enabled answer rules open for ``records``.

    ``sentiment`` scores texts -1..+1 and ``tags`` names the factors,
    touchpoints and moments a text is about; both are needed only by a
    ``negative_text`` rule (without them it opens nothing). Responses of
    leadership and staff never open a case. A response opens at most one
    case, however many rules it meets (:func:`_one_per_response`).

    Examples
    --------
    >>> from datetime import datetime
    >>> from cxgap.study import default_study
    >>> s = default_study("x", organisation="X")
    >>> r = AnswerRecord(response_key="r1", audience="customer", account="A1",
    ...     submitted_at=datetime(2026, 1, 5), answers={"ltr": 3, "excellent": 2})
    >>> [(c.rule_key, c.due_at.day) for c in answer_cases(s, [r])]
    [('detractor', 7)]
    """
    rules = [r for r in study.cases.rules if r.enabled]
    ltr = ltr_question(study)
    excellent = next((q for q in study.questions if q.key == "excellent"), None)
    leave = next((q for q in study.questions if q.key == "leave" and q.kind == "multi"), None)
    reasons = {r.key: r for r in study.defection_reasons}
    texts = [q for q in study.questions if q.kind == "text" and "customer" in q.audiences]
    customers = [r for r in records if r.audience == "customer"]

    scored: dict[tuple[str, str], float] = {}
    if (
        sentiment is not None
        and tags is not None
        and any(r.trigger == "negative_text" for r in rules)
    ):
        pairs = [
            (rec.response_key, q.key, str(rec.answers[q.key]))
            for rec in customers
            for q in texts
            if isinstance(rec.answers.get(q.key), str) and rec.answers[q.key].strip()
        ]
        values = list(sentiment([p[2] for p in pairs])) if pairs else []
        scored = {(k, q): float(v) for (k, q, _), v in zip(pairs, values, strict=True)}

    out: list[CaseCandidate] = []
    for rec in customers:
        for rule in rules:
            base: dict[str, Any] = {
                "rule_key": rule.key,
                "trigger": rule.trigger,
                "priority": rule.priority,
                "dedupe_key": f"response:{rec.response_key}",
                "opened_at": rec.submitted_at,
                "due_at": _due(rule, rec.submitted_at),
                "account": rec.account,
                "respondent": rec.respondent,
                "response_key": rec.response_key,
            }
            answer = {"response": rec.response_key, "contact": rec.contact_name or "anonymous"}
            if rule.trigger == "detractor" and ltr is not None:
                score = _number(rec.answers.get(ltr))
                if score is not None and score <= rule.max_ltr:
                    out.append(
                        CaseCandidate(
                            **base,
                            title=f"{_who(rec)} would not recommend us (likelihood {score:g})",
                            evidence={**answer, "question": ltr, "ltr": score},
                            root_factor=rule.factor,
                            root_touchpoint=rule.touchpoint,
                        )
                    )
            elif rule.trigger == "reason_to_leave" and excellent is not None and leave is not None:
                rating = _number(rec.answers.get(excellent.key))
                named = [k for k in _chosen(rec.answers.get(leave.key)) if k in reasons]
                if rule.reasons:
                    named = [k for k in named if k in rule.reasons]
                top = excellent.scale_max
                low = rating is not None and (
                    rating <= rule.max_excellent
                    if rule.max_excellent is not None
                    else top is not None and rating < top
                )
                if low and named:
                    factor = rule.factor or next(
                        (reasons[k].factor for k in named if reasons[k].factor), None
                    )
                    out.append(
                        CaseCandidate(
                            **base,
                            title=f"{_who(rec)} names a reason to leave: "
                            + ", ".join(reasons[k].label for k in named),
                            evidence={
                                **answer,
                                "excellent": rating,
                                "reasons": named,
                                "reason_labels": [reasons[k].label for k in named],
                            },
                            root_factor=factor,
                            root_touchpoint=rule.touchpoint,
                        )
                    )
            elif rule.trigger == "negative_text" and tags is not None:
                hit = _negative_text(rec, rule, texts, scored, tags)
                if hit is not None:
                    question, text, score, about = hit
                    touchpoint = rule.touchpoint or _first(about["touchpoint"])
                    out.append(
                        CaseCandidate(
                            **base,
                            title=f"{_who(rec)}: a negative comment about "
                            f"{study_label(study, touchpoint)}",
                            evidence={
                                **answer,
                                "question": question,
                                "text": text,
                                "sentiment": round(score, 3),
                                "touchpoints": about["touchpoint"],
                                "factors": about["factor"],
                            },
                            root_factor=rule.factor or _first(about["factor"]),
                            root_touchpoint=touchpoint,
                            root_moment=_first(about.get("moment")),
                        )
                    )
    return _one_per_response(out)


_RANK = {"urgent": 3, "high": 2, "normal": 1, "low": 0}


def _one_per_response(found: list[CaseCandidate]) -> list[CaseCandidate]:
    """One case per response: the rule of highest priority (then the
    study's order) opens it, and its evidence names every rule the
    response met, with their evidence, so the owner calls the customer once."""
    by_response: dict[str, list[CaseCandidate]] = {}
    for c in found:
        by_response.setdefault(c.response_key or c.dedupe_key, []).append(c)
    out = []
    for group in by_response.values():
        first = max(group, key=lambda c: _RANK.get(c.priority, 0))  # max keeps the first of ties
        if len(group) > 1:
            also = [
                {"rule": c.rule_key, "title": c.title, **c.evidence}
                for c in group
                if c is not first
            ]
            first = first.model_copy(
                update={
                    "dedupe_key": f"response:{first.response_key}",
                    "evidence": {**first.evidence, "also": also},
                    "root_factor": first.root_factor
                    or next((c.root_factor for c in group if c.root_factor), None),
                    "root_touchpoint": first.root_touchpoint
                    or next((c.root_touchpoint for c in group if c.root_touchpoint), None),
                    "root_moment": first.root_moment
                    or next((c.root_moment for c in group if c.root_moment), None),
                }
            )
        else:
            first = first.model_copy(update={"dedupe_key": f"response:{first.response_key}"})
        out.append(first)
    return out


def _negative_text(
    rec: AnswerRecord,
    rule: CaseRule,
    texts: Sequence[Any],
    scored: Mapping[tuple[str, str], float],
    tags: Callable[[str], Mapping[str, list[str]]],
) -> tuple[str, str, float, Mapping[str, list[str]]] | None:
    """The most negative open answer of ``rec`` that the rule reads, if any."""
    best: tuple[str, str, float, Mapping[str, list[str]]] | None = None
    for q in texts:
        score = scored.get((rec.response_key, q.key))
        if score is None or score > rule.max_sentiment:
            continue
        text = str(rec.answers[q.key])
        about = tags(text)
        if not about.get("touchpoint"):
            continue
        if rule.touchpoint is not None and rule.touchpoint not in about["touchpoint"]:
            continue
        if best is None or score < best[2]:
            best = (q.key, text, score, about)
    return best


def study_label(study: StudyDefinition, key: str | None) -> str:
    """The label of a touchpoint, factor or moment key (``key`` if unknown)."""
    if key is None:
        return "a touchpoint"
    for group in (study.touchpoints, study.factors, study.moments):
        for item in group:
            if item.key == key:
                return item.label
    return key


def failure_bursts(
    events: pd.DataFrame, *, failures: int, within_days: float, since: Any, as_of: Any
) -> list[dict[str, Any]]:
    """Bursts of failures: for each account, the first failed event in
    ``(since, as_of]`` that is the ``failures``-th failure within
    ``within_days`` (counting itself; one exactly ``within_days`` earlier is
    inside, as in the ledger's compounding,
    :func:`cxgap.analysis.ledger.balance.score_events`), with the failures of
    its window.

    ``events`` needs ``account_id``, ``timestamp``, ``outcome`` and, when
    present, ``touchpoint``, ``moment``, ``severity`` and ``source_id``.

    Examples
    --------
    >>> ev = pd.DataFrame({"account_id": ["a"] * 3 + ["b"],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-10", "2026-01-20", "2026-01-20"]),
    ...     "outcome": ["failed"] * 4})
    >>> [(b["account"], b["at"].day, b["count"]) for b in failure_bursts(
    ...     ev, failures=3, within_days=30, since="2025-12-01", as_of="2026-02-01")]
    [('a', 20, 3)]
    """
    start, end = pd.Timestamp(since), pd.Timestamp(as_of)
    window = pd.Timedelta(days=within_days)
    failed = events[events["outcome"] == "failed"].sort_values("timestamp", kind="stable")
    out: list[dict[str, Any]] = []
    for account, group in failed.groupby("account_id", sort=True):
        times = group["timestamp"].to_numpy()
        for i in range(len(group)):
            t = pd.Timestamp(times[i])
            if t <= start or t > end:
                continue
            inside = group[(group["timestamp"] >= t - window) & (group["timestamp"] <= t)]
            if len(inside) >= failures:
                rows = inside.to_dict("records")
                out.append(
                    {
                        "account": str(account),
                        "at": t.to_pydatetime(),
                        "count": len(inside),
                        "source_id": rows[-1].get("source_id"),
                        "failures": [
                            {
                                "timestamp": pd.Timestamp(r["timestamp"]).isoformat(),
                                "touchpoint": r.get("touchpoint"),
                                "moment": r.get("moment"),
                                "severity": _number(r.get("severity")),
                            }
                            for r in rows
                        ],
                    }
                )
                break
    return out


def account_cases(
    study: StudyDefinition,
    *,
    alerts: Crossings | None,
    events: pd.DataFrame | None,
    since: Any,
    as_of: Any,
    names: Mapping[str, str] | None = None,
) -> list[CaseCandidate]:
    """The cases the study's enabled account rules open between ``since``
    and ``as_of``: accounts that crossed below the threshold (``alerts``,
    :func:`cxgap.analysis.ledger.alerts.threshold_alerts`) and bursts of
    failures in ``events`` (:func:`failure_bursts`).

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> s = default_study("x", organisation="X")
    >>> ev = pd.DataFrame({"account_id": ["a"] * 3, "outcome": ["failed"] * 3,
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-10", "2026-01-20"]),
    ...     "touchpoint": ["support"] * 3, "moment": ["routine"] * 3})
    >>> [c.dedupe_key for c in account_cases(s, alerts=None, events=ev,
    ...     since="2026-01-15", as_of="2026-01-31")]
    ['failure_burst:account:a:2026-01-20T00:00:00']
    """
    names = names or {}
    as_of_dt = pd.Timestamp(as_of).to_pydatetime()
    out: list[CaseCandidate] = []
    for rule in (r for r in study.cases.rules if r.enabled):
        if rule.trigger == "below_threshold" and alerts is not None:
            for alert in alerts.crossed_below:
                if rule.touchpoint is not None:
                    continue  # a threshold is the account's, not a touchpoint's
                out.append(
                    CaseCandidate(
                        rule_key=rule.key,
                        trigger=rule.trigger,
                        priority=rule.priority,
                        dedupe_key=f"{rule.key}:account:{alert.account}:{alerts.as_of:%Y-%m-%d}",
                        title=f"{names.get(alert.account, alert.account)} fell below its "
                        f"defection threshold (balance {alert.balance_now:.1f})",
                        opened_at=as_of_dt,
                        due_at=_due(rule, as_of_dt),
                        account=alert.account,
                        evidence={
                            "balance_before": alert.balance_before,
                            "balance": alert.balance_now,
                            "threshold": alerts.threshold,
                            "distance": alert.distance,
                            "since": alerts.since.isoformat(),
                            "as_of": alerts.as_of.isoformat(),
                        },
                        root_factor=rule.factor,
                    )
                )
        elif rule.trigger == "failure_burst" and events is not None and len(events):
            chosen = events
            if rule.touchpoint is not None and "touchpoint" in events:
                chosen = events[events["touchpoint"] == rule.touchpoint]
            for burst in failure_bursts(
                chosen,
                failures=rule.failures,
                within_days=rule.within_days,
                since=since,
                as_of=as_of,
            ):
                at: datetime = burst["at"]
                tps = [f["touchpoint"] for f in burst["failures"] if f["touchpoint"]]
                moments = [f["moment"] for f in burst["failures"] if f["moment"]]
                touchpoint = rule.touchpoint or (max(set(tps), key=tps.count) if tps else None)
                out.append(
                    CaseCandidate(
                        rule_key=rule.key,
                        trigger=rule.trigger,
                        priority=rule.priority,
                        dedupe_key=f"{rule.key}:account:{burst['account']}:{at.isoformat()}",
                        title=f"{names.get(burst['account'], burst['account'])}: "
                        f"{burst['count']} failures within {rule.within_days:g} days",
                        opened_at=at,
                        due_at=_due(rule, at),
                        account=burst["account"],
                        evidence={"failures": burst["failures"], "within_days": rule.within_days},
                        root_factor=rule.factor,
                        root_touchpoint=touchpoint,
                        root_moment=max(set(moments), key=moments.count) if moments else None,
                    )
                )
    return out
