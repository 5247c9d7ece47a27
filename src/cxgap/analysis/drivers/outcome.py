"""The outcome a study's drivers explain, found in what the data holds, and
the headline built from it.

A study set up by cxgap asks customers for likelihood to recommend (``ltr``,
0-10) and whether the service is excellent; a study imported from a survey
export may hold neither, only, say, a two-level satisfaction question. The
**outcome** is chosen from the customers' answers of the wave, first match:

1. the likelihood-to-recommend question ``ltr`` (kind ``nps``);
2. a question whose ``section`` is ``"outcome"`` (an NPS, rating or share
   question, or a choice between exactly two options), the one with the most
   answers (first in the instrument on a tie);
3. the ``excellent`` rating;
4. a ``share`` question asked of customers, the one with the most answers.

A 0-1 rating whose text ends ``(1 = satisfied, 0 = not satisfied)`` (how
``cxgap init --from`` stores a two-level outcome) is a two-option outcome
too. Nothing else is guessed: a study whose overall question is none of these
marks it with ``section: outcome`` (``cxgap study edit``). A choice between
two options is coded 1 for the option that reads as yes (the other option
reads as no: ``no``, ``not``, ``neutral``, ``dissatisfied``...; else the one
that reads as yes, :mod:`cxgap.contracts.levels`; else the first option of
the question) and 0 for the other.

:func:`outcome_summary` states the outcome with its uncertainty: a share with
its Wilson (1927) interval for a two-option outcome, a mean with its t
interval for a rating or share, the NPS for ``ltr`` (from the perception
analysis). :func:`headline` writes the report's lead sentences from what
exists: the outcome, the leadership and staff gap where they answered (else
one sentence saying the gap needs their answers), and the top drivers.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from cxgap.analysis._base import Result
from cxgap.analysis.drivers.keydrivers import DriversResult
from cxgap.analysis.perception.means import MeanEstimate, mean_estimate
from cxgap.analysis.perception.proportions import ProportionEstimate, proportion_estimate
from cxgap.contracts.levels import reads_as_no, reads_as_yes
from cxgap.study.model import Question, StudyDefinition

__all__ = [
    "OutcomeChoice",
    "OutcomeSummary",
    "choose_outcome",
    "coded_outcome",
    "headline",
    "outcome_summary",
    "positive_option",
]

OutcomeKind = Literal["nps", "rating", "share", "two-level"]


class OutcomeChoice(Result):
    """The question the drivers explain, and why it was chosen."""

    key: str
    label: str
    kind: OutcomeKind
    basis: str
    positive: str | None = None
    negative: str | None = None
    scale_min: float | None = None
    scale_max: float | None = None


class OutcomeSummary(Result):
    """The outcome with its uncertainty: ``share`` (two options) or ``mean``."""

    outcome: OutcomeChoice
    share: ProportionEstimate | None = None
    mean: MeanEstimate | None = None
    sentence: str


def positive_option(items: list[str]) -> tuple[str, str]:
    """(option coded 1, option coded 0) of a two-option question.

    Examples
    --------
    >>> positive_option(["neutral or dissatisfied", "satisfied"])
    ('satisfied', 'neutral or dissatisfied')
    >>> positive_option(["No", "Yes"]), positive_option(["stayed", "left"])
    (('Yes', 'No'), ('stayed', 'left'))
    """
    a, b = items
    no = [x for x in items if reads_as_no(x)]
    if len(no) == 1:
        return (b, a) if no[0] == a else (a, b)
    yes = [x for x in items if reads_as_yes(x) and x not in no]
    if len(yes) == 1:
        return (a, b) if yes[0] == a else (b, a)
    return a, b


def _answers(customers: pd.DataFrame, q: Question) -> int:
    if q.key not in customers.columns:
        return 0
    col = customers[q.key]
    if q.kind == "choice":
        return int(col.isin(q.items).sum())
    return int(pd.to_numeric(col, errors="coerce").notna().sum())


def _usable(q: Question) -> bool:
    if "customer" not in q.audiences:
        return False
    if q.kind in ("nps", "rating", "share"):
        return True
    return q.kind == "choice" and len(q.items) == 2


_CODED = re.compile(r"\s*\(1 = (?P<one>[^,()]+), 0 = (?P<zero>[^()]+)\)\s*$")


def _choice(q: Question, basis: str) -> OutcomeChoice:
    coded = _CODED.search(q.text) if q.kind == "rating" else None
    if coded is not None and (q.scale_min, q.scale_max) == (0, 1):
        # a two-level answer stored as 1/0 (cxgap init --from writes the
        # levels into the text: "satisfaction (1 = satisfied, 0 = neutral ...)")
        return OutcomeChoice(
            key=q.key,
            label=q.text[: coded.start()].strip(),
            kind="two-level",
            basis=basis,
            positive=coded["one"].strip(),
            negative=coded["zero"].strip(),
            scale_min=0,
            scale_max=1,
        )
    if q.kind == "choice":
        one, zero = positive_option(list(q.items))
        return OutcomeChoice(
            key=q.key, label=q.text, kind="two-level", basis=basis, positive=one, negative=zero
        )
    kind: OutcomeKind = "nps" if q.kind == "nps" else "rating" if q.kind == "rating" else "share"
    return OutcomeChoice(
        key=q.key,
        label=q.text,
        kind=kind,
        basis=basis,
        scale_min=q.scale_min,
        scale_max=q.scale_max,
    )


def choose_outcome(study: StudyDefinition, customers: pd.DataFrame) -> OutcomeChoice | None:
    """The outcome of the customers' answers (rules in the module docstring),
    or None when no question qualifies.

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> s = default_study("x", organisation="X")
    >>> choose_outcome(s, pd.DataFrame({"ltr": [9.0, 3.0]})).key
    'ltr'
    >>> choose_outcome(s, pd.DataFrame({"excellent": [5.0]})).basis
    "the 'excellent' rating (no likelihood-to-recommend answers)"
    >>> choose_outcome(s, pd.DataFrame({"perf.empathy": [4.0]})) is None
    True
    """
    answered = {q.key: _answers(customers, q) for q in study.questions if _usable(q)}
    by_key = {q.key: q for q in study.questions if _usable(q)}

    def most(cands: list[Question]) -> Question | None:
        cands = [q for q in cands if answered[q.key] > 0]
        return max(cands, key=lambda q: answered[q.key]) if cands else None  # first on ties

    ltr = by_key.get("ltr")
    if ltr is not None and ltr.kind == "nps" and answered["ltr"] > 0:
        return _choice(ltr, "the 0-10 likelihood-to-recommend question")
    marked = most([q for q in by_key.values() if q.section == "outcome"])
    if marked is not None:
        return _choice(marked, "the question marked as the outcome (section 'outcome')")
    exc = by_key.get("excellent")
    if exc is not None and exc.kind == "rating" and answered["excellent"] > 0:
        return _choice(exc, "the 'excellent' rating (no likelihood-to-recommend answers)")
    share = most([q for q in by_key.values() if q.kind == "share"])
    if share is not None:
        return _choice(share, "the share question with the most customer answers")
    return None


def coded_outcome(customers: pd.DataFrame, choice: OutcomeChoice) -> npt.NDArray[np.float64]:
    """The outcome as floats per customer row: 1/0 for a two-option outcome
    (NaN for no answer or another value), the numbers otherwise."""
    if choice.key not in customers.columns:
        return np.full(len(customers), np.nan)
    col = customers[choice.key]
    if choice.kind == "two-level" and (choice.scale_min, choice.scale_max) == (0, 1):
        v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        return np.where(np.isin(v, (0.0, 1.0)), v, np.nan)
    if choice.kind == "two-level":
        out = np.full(len(col), np.nan)
        out[(col == choice.positive).to_numpy(bool)] = 1.0
        out[(col == choice.negative).to_numpy(bool)] = 0.0
        return out
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{round(100 * x):.0f}%"


def outcome_summary(
    customers: pd.DataFrame, choice: OutcomeChoice, confidence: float = 0.95
) -> OutcomeSummary:
    """The outcome with its n and interval, and the sentence that states it.

    A two-option outcome: the share coded 1, Wilson interval
    (:func:`cxgap.analysis.perception.proportions.proportion_estimate`); a
    rating, share or NPS question: the mean, with the bounded interval when
    every answer lies on its stated scale, else the t interval
    (:func:`cxgap.analysis.perception.means.mean_estimate`).

    Examples
    --------
    >>> c = OutcomeChoice(key="sat", label="Satisfied?", kind="two-level", basis="b",
    ...                   positive="satisfied", negative="neutral or dissatisfied")
    >>> df = pd.DataFrame({"sat": ["satisfied"] * 58 + ["neutral or dissatisfied"] * 42})
    >>> outcome_summary(df, c).sentence
    '58% of customers are satisfied [48%, 67%] (n = 100, Wilson 95% interval).'
    """
    values = coded_outcome(customers, choice)
    level = f"{round(100 * confidence)}%"
    if choice.kind == "two-level":
        ok = values[np.isfinite(values)]
        est = proportion_estimate(int(ok.sum()), len(ok), confidence)
        sentence = (
            f"{_pct(est.share)} of customers are {choice.positive} "
            f"[{_pct(est.ci_low)}, {_pct(est.ci_high)}] (n = {est.n:,}, Wilson {level} interval)."
        )
        return OutcomeSummary(outcome=choice, share=est, sentence=sentence)
    scale = ""
    bounds: tuple[float, float] | None = None
    if choice.scale_min is not None and choice.scale_max is not None:
        scale = f" on a {choice.scale_min:g}-{choice.scale_max:g} scale"
        ok = values[np.isfinite(values)]
        if not ((ok < choice.scale_min) | (ok > choice.scale_max)).any():
            bounds = (float(choice.scale_min), float(choice.scale_max))
    m = mean_estimate(values, confidence, scale=bounds)
    method = "t" if bounds is None else "bounded (Wilson, effective n)"

    def f2(x: float | None) -> str:
        return "–" if x is None else f"{(round(x, 2) or 0.0):.2f}"

    sentence = (
        f"Customers answer “{choice.label}” {f2(m.mean)}{scale} on average "
        f"[{f2(m.ci_low)}, {f2(m.ci_high)}] (n = {m.n:,}, {method} {level} interval)."
    )
    return OutcomeSummary(outcome=choice, mean=m, sentence=sentence)


def headline(
    *,
    outcome: OutcomeSummary | None,
    nps_sentence: str | None,
    gap_sentence: str | None,
    audiences: set[str],
    drivers: DriversResult | None,
    labels: dict[str, str],
) -> list[str]:
    """The report's lead sentences, from what the data holds.

    ``nps_sentence`` states the customers' NPS when ``ltr`` is the outcome;
    ``gap_sentence`` the leadership / staff gap when either audience answered
    (``audiences`` are those with answers in the wave). Without them one
    sentence says what to collect. ``drivers`` are those of the outcome.

    Examples
    --------
    >>> lines = headline(outcome=None, nps_sentence=None, gap_sentence=None,
    ...                  audiences={"customer"}, drivers=None, labels={})
    >>> lines[1].startswith("The perception gap needs leadership and staff answers")
    True
    """
    lines: list[str] = []
    if outcome is not None and outcome.outcome.kind == "nps" and nps_sentence:
        lines.append(nps_sentence)
    elif outcome is not None:
        lines.append(outcome.sentence)
    else:
        lines.append(
            "No overall outcome to explain: add a 0-10 likelihood-to-recommend question "
            "(ltr) or mark the overall satisfaction question with section: outcome."
        )
    if audiences & {"leadership", "staff"}:
        if gap_sentence:
            lines.append(gap_sentence)
    else:
        lines.append(
            "The perception gap needs leadership and staff answers to the same questions "
            "(cxgap invite); only customers have answered."
        )
    if drivers is not None and drivers.drivers:
        top = [
            f"{labels.get(d.factor, d.factor)} ({_pct(d.share)} of R²)"
            for d in drivers.drivers[:3]
            if d.share is not None
        ]
        what = outcome.outcome.label if outcome is not None else drivers.outcome
        if top:
            lines.append(
                f"What moves “{what}” most: {', '.join(top)}; R² = {drivers.r2:.2f} "
                f"(n = {drivers.n:,})."
            )
    return lines
