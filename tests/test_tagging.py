"""Tagging open text to factors, touchpoints and moments from the study's
lexicons."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cxgap.analysis.voice.tagging import build_lexicon, tag_frame, tag_summary, tag_text
from cxgap.demo.texts import interview_note
from cxgap.errors import AnalysisError
from cxgap.study import default_study
from cxgap.study.model import StudyDefinition


@pytest.fixture(scope="module")
def study() -> StudyDefinition:
    return default_study("demo", organisation="Acme")


def test_factor_lexicon_words_and_stems_tag_text(study: StudyDefinition) -> None:
    lex = build_lexicon(study)
    tags = tag_text("The problem was escalated twice and we waited for weeks", lex)
    assert tags["factor"] == ["resolution", "time_effort"]
    assert "problem_resolution" in tags["moment"]


def test_short_terms_match_whole_words_only(study: StudyDefinition) -> None:
    lex = build_lexicon(study)
    assert "resolution" in tag_text("They fixed it", lex)["factor"]
    assert "resolution" not in tag_text("A new light fixture", lex)["factor"]


def test_touchpoints_and_moments_use_built_in_and_label_terms(study: StudyDefinition) -> None:
    lex = build_lexicon(study)
    tags = tag_text("Our account manager warned us proactively about the invoice", lex)
    assert {"account_management", "billing"} <= set(tags["touchpoint"])
    assert {"proactive", "routine"} <= set(tags["moment"])


def test_editing_the_study_lexicon_changes_the_tags(study: StudyDefinition) -> None:
    text = "They never return our calls"
    assert "empathy" not in tag_text(text, build_lexicon(study))["factor"]
    factors = [
        f.model_copy(update={"lexicon": [*f.lexicon, "return our calls"]})
        if f.key == "empathy"
        else f
        for f in study.factors
    ]
    edited = study.model_copy(update={"factors": factors})
    assert "empathy" in tag_text(text, build_lexicon(edited))["factor"]


def test_extra_terms_are_added_and_unknown_keys_rejected(study: StudyDefinition) -> None:
    lex = build_lexicon(study, extra={"touchpoint": {"support": ["service crew"]}})
    assert tag_text("the service crew", lex)["touchpoint"] == ["support"]
    with pytest.raises(AnalysisError, match="unknown touchpoint"):
        build_lexicon(study, extra={"touchpoint": {"nope": ["x"]}})
    with pytest.raises(AnalysisError, match="unknown tag kind"):
        build_lexicon(study, extra={"colour": {"support": ["x"]}})


def test_tag_frame_has_one_boolean_column_per_key(study: StudyDefinition) -> None:
    lex = build_lexicon(study)
    frame = tag_frame(["slow invoices", None, "<b>great</b> support"], lex)
    assert frame.shape == (3, 6 + 6 + 6)
    assert frame["factor.time_effort"].tolist() == [True, False, False]
    assert frame["touchpoint.support"].tolist() == [False, False, True]


def test_summary_counts_per_group_with_wilson_interval(study: StudyDefinition) -> None:
    lex = build_lexicon(study)
    texts = ["tickets are slow"] * 3 + ["nice people"] * 7 + ["slow support"] * 1 + [""]
    groups = ["customer"] * 10 + ["staff"] + ["staff"]
    compound = np.linspace(-1, 1, len(texts))
    s = tag_summary(texts, lex, groups=groups, compound=compound)
    row = next(
        c
        for c in s.counts
        if c.kind == "factor" and c.key == "time_effort" and c.group == "customer"
    )
    assert (row.count, row.n, row.share) == (3, 10, 0.3)
    # Wilson interval for 3/10 by hand (Wilson 1927)
    z = stats.norm.ppf(0.975)
    centre = (0.3 + z * z / 20) / (1 + z * z / 10)
    half = z * math.sqrt(0.3 * 0.7 / 10 + z * z / 400) / (1 + z * z / 10)
    assert (row.ci_low, row.ci_high) == (pytest.approx(centre - half), pytest.approx(centre + half))
    assert row.sentiment is not None and row.sentiment.n == 3
    assert row.sentiment.mean == pytest.approx(compound[:3].mean())
    assert s.groups == ["customer", "staff"] and s.n == 11


def test_interview_notes_are_tagged_to_most_of_their_planted_keys(study: StudyDefinition) -> None:
    lex = build_lexicon(study)
    rng = np.random.default_rng(4)
    found = planted = 0
    for i in range(20):
        text, keys = interview_note(rng, account_name=f"A{i}", segment=["top", "defected"][i % 2])
        tags = tag_text(text, lex)
        got = {k for kind in tags.values() for k in kind}
        found += len(set(keys) & got)
        planted += len(keys)
    assert found / planted >= 0.7


def test_summary_rejects_mismatched_lengths(study: StudyDefinition) -> None:
    lex = build_lexicon(study)
    with pytest.raises(AnalysisError, match="one group per answer"):
        tag_summary(["a", "b"], lex, groups=["x"])
