"""The outcome a study's drivers explain, found in what the data holds
(:mod:`cxgap.analysis.drivers.outcome`), and the headline built from it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxgap.analysis.drivers.outcome import (
    choose_outcome,
    coded_outcome,
    headline,
    outcome_summary,
    positive_option,
)
from cxgap.study import default_study
from cxgap.study.model import Question, StudyDefinition
from tests.bounded import reference


def _with(study: StudyDefinition, *extra: Question) -> StudyDefinition:
    return study.model_copy(update={"questions": [*study.questions, *extra]})


SAT = Question(
    key="satisfaction",
    text="Overall, how satisfied are you?",
    kind="choice",
    audiences=["customer"],
    section="outcome",
    items=["satisfied", "neutral or dissatisfied"],
)
OVERALL = Question(
    key="overall",
    text="Overall rating",
    kind="rating",
    audiences=["customer"],
    section="outcome",
    scale_min=1,
    scale_max=5,
)


def test_ltr_wins_when_answered_then_the_marked_question_then_excellent() -> None:
    study = _with(default_study("x", organisation="X"), SAT)
    both = pd.DataFrame({"ltr": [9.0, 2.0], "satisfaction": ["satisfied", None], "excellent": 4.0})
    assert choose_outcome(study, both).key == "ltr"  # type: ignore[union-attr]
    no_ltr = both.assign(ltr=np.nan)
    got = choose_outcome(study, no_ltr)
    assert got is not None and (got.key, got.kind, got.positive) == (
        "satisfaction",
        "two-level",
        "satisfied",
    )
    assert "section 'outcome'" in got.basis
    only_excellent = no_ltr.assign(satisfaction=None)
    assert choose_outcome(study, only_excellent).key == "excellent"  # type: ignore[union-attr]


def test_among_marked_questions_the_most_answered_is_the_outcome() -> None:
    study = _with(default_study("x", organisation="X"), SAT, OVERALL)
    frame = pd.DataFrame({"satisfaction": ["satisfied", None, None], "overall": [4.0, 5.0, np.nan]})
    assert choose_outcome(study, frame).key == "overall"  # type: ignore[union-attr]
    frame["satisfaction"] = ["satisfied", "neutral or dissatisfied", "satisfied"]
    assert choose_outcome(study, frame).key == "satisfaction"  # type: ignore[union-attr]


def test_a_question_only_leadership_answers_or_of_three_options_is_never_the_outcome() -> None:
    staff_only = OVERALL.model_copy(update={"audiences": ["staff"]})
    three = SAT.model_copy(update={"items": ["yes", "no", "maybe"]})
    study = _with(default_study("x", organisation="X"), staff_only, three)
    frame = pd.DataFrame({"overall": [4.0], "satisfaction": ["yes"]})
    assert choose_outcome(study, frame) is None


@pytest.mark.parametrize(
    ("items", "one"),
    [
        (["neutral or dissatisfied", "satisfied"], "satisfied"),
        (["Yes", "No"], "Yes"),
        (["not renewed", "renewed"], "renewed"),
        (["Promoter", "Other"], "Promoter"),
        (["stayed", "left"], "stayed"),  # nothing reads as yes or no: the first listed
    ],
)
def test_the_option_coded_one(items: list[str], one: str) -> None:
    assert positive_option(items)[0] == one


def test_a_two_option_outcome_is_coded_and_stated_with_its_wilson_interval() -> None:
    study = _with(default_study("x", organisation="X"), SAT)
    answers = ["satisfied"] * 29 + ["neutral or dissatisfied"] * 21 + [None, "other"]
    frame = pd.DataFrame({"satisfaction": answers})
    choice = choose_outcome(study, frame)
    assert choice is not None
    coded = coded_outcome(frame, choice)
    assert np.nansum(coded) == 29 and np.isfinite(coded).sum() == 50
    s = outcome_summary(frame, choice)
    # Wilson (1927) by hand for 29 of 50
    z, n, p = 1.959963984540054, 50, 29 / 50
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert s.share is not None
    assert (s.share.ci_low, s.share.ci_high) == pytest.approx((centre - half, centre + half))
    lo, hi = round(100 * (centre - half)), round(100 * (centre + half))
    assert s.sentence == (
        f"58% of customers are satisfied [{lo}%, {hi}%] (n = 50, Wilson 95% interval)."
    )


def test_a_rating_outcome_is_stated_as_a_mean_with_its_bounded_interval() -> None:
    study = _with(default_study("x", organisation="X"), OVERALL)
    values = [4.0, 5.0, 3.0, 4.0, 2.0, 5.0, 4.0, np.nan]
    frame = pd.DataFrame({"overall": values})
    choice = choose_outcome(study, frame)
    assert choice is not None and choice.kind == "rating"
    s = outcome_summary(frame, choice)
    x = np.array(values[:-1])
    assert s.mean is not None
    # statsmodels' Wilson interval at the effective n on the 1-5 scale
    assert (s.mean.ci_low, s.mean.ci_high) == pytest.approx(reference(x, 1, 5))
    assert 1 <= s.mean.ci_low < s.mean.ci_high <= 5  # type: ignore[operator]
    assert s.sentence.startswith(f"Customers answer “Overall rating” {x.mean():.2f} on a 1-5 scale")
    assert "bounded (Wilson, effective n) 95% interval" in s.sentence


def test_a_rating_outcome_with_answers_off_its_scale_keeps_the_t_interval() -> None:
    from scipy import stats

    study = _with(default_study("x", organisation="X"), OVERALL)
    values = [4.0, 5.0, 3.0, 7.0, 2.0]
    frame = pd.DataFrame({"overall": values})
    choice = choose_outcome(study, frame)
    assert choice is not None
    s = outcome_summary(frame, choice)
    x = np.array(values)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    assert s.mean is not None
    assert (s.mean.ci_low, s.mean.ci_high) == pytest.approx((x.mean() - half, x.mean() + half))
    assert "t 95% interval" in s.sentence


def test_headline_keeps_the_gap_sentence_when_leadership_answered() -> None:
    lines = headline(
        outcome=None,
        nps_sentence=None,
        gap_sentence="80% of leadership call the service excellent; 8% of customers do.",
        audiences={"customer", "leadership"},
        drivers=None,
        labels={},
    )
    assert lines[0].startswith("No overall outcome to explain")
    assert lines[1] == "80% of leadership call the service excellent; 8% of customers do."
    assert len(lines) == 2


def test_a_two_level_outcome_stored_as_one_and_zero_is_a_share() -> None:
    """cxgap init --from stores "satisfied" / "neutral or dissatisfied" as a 0-1
    rating in section outcome, its levels in the text: the outcome is the share
    coded 1, with its Wilson interval (statsmodels as the reference)."""
    from statsmodels.stats.proportion import proportion_confint

    from cxgap.analysis.drivers.outcome import choose_outcome, outcome_summary
    from cxgap.study.defaults import default_study
    from cxgap.study.model import Question

    base = default_study("air", organisation="Air Co")
    q = Question(
        key="outcome.satisfaction",
        kind="rating",
        text="satisfaction (1 = satisfied, 0 = neutral or dissatisfied)",
        audiences=["customer"],
        section="outcome",
        scale_min=0,
        scale_max=1,
    )
    study = base.model_copy(
        update={"questions": [x for x in base.questions if x.key not in ("ltr", "excellent")] + [q]}
    )
    answers = pd.DataFrame({"outcome.satisfaction": [1.0] * 13 + [0.0] * 27 + [np.nan] * 3})
    choice = choose_outcome(study, answers)
    assert choice is not None and choice.kind == "two-level"
    assert (choice.label, choice.positive, choice.negative) == (
        "satisfaction",
        "satisfied",
        "neutral or dissatisfied",
    )
    summary = outcome_summary(answers, choice)
    assert summary.share is not None and summary.share.n == 40
    low, high = proportion_confint(13, 40, method="wilson")
    assert summary.share.ci_low == pytest.approx(low)
    assert summary.share.ci_high == pytest.approx(high)
    assert summary.sentence.startswith("32% of customers are satisfied [")
