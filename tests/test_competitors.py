"""Competitors named in open answers and how each is judged."""

from __future__ import annotations

import numpy as np
import pytest

from cxgap.analysis.voice.competitors import competitor_views, judge
from cxgap.demo.texts import COMPETITORS, PLANTED_THEMES, open_answer


@pytest.mark.parametrize(
    ("sentence", "name", "expected"),
    [
        ("Northwind answers faster, which is better", "Northwind", "better"),
        ("Contoso is cheaper", "Contoso", "better"),
        ("Globex has a clunky product, worse than yours", "Globex", "worse"),
        ("Globex is not better at all", "Globex", "worse"),
        ("You are faster than Globex", "Globex", "worse"),
        ("Globex is cheaper but less stable", "Globex", "mixed"),
        ("We also looked at Globex", "Globex", "unclear"),
    ],
)
def test_judgement_of_one_sentence(sentence: str, name: str, expected: str) -> None:
    assert judge(sentence, name) == expected


def test_demo_answers_give_the_planted_judgements() -> None:
    rng = np.random.default_rng(2)
    texts, groups, planted = [], [], []
    for audience in PLANTED_THEMES["competitors"]:
        for _ in range(150):
            text, theme = open_answer(
                rng, question="competitors", audience=audience, segment="top", team=None, wave="w1"
            )
            texts.append(text)
            groups.append(audience)
            planted.append(theme)
    result = competitor_views(texts, competitors=COMPETITORS, groups=groups, own_names=["Acme"])
    views = {v.name: v for v in result.competitors}
    assert views["Northwind Systems"].share_better == 1.0
    assert views["Contoso Cloud"].share_better == 1.0
    assert views["Globex Software"].share_better == 0.0
    # leadership never name Northwind in the demo (planted)
    assert "leadership" not in views["Northwind Systems"].by_group
    # names of people in the answers are not reported as competitors
    assert all(v.known for v in result.competitors)
    # every answer with a planted theme names a competitor; off-topic ones do not
    assert result.n_naming == sum(theme is not None for theme in planted)


def test_first_word_of_a_competitor_name_is_enough() -> None:
    result = competitor_views(["northwind is faster"], competitors=["Northwind Systems"])
    assert result.competitors[0].answers == 1
    assert result.competitors[0].better == 1


def test_unknown_names_seen_in_several_answers_are_detected() -> None:
    texts = [
        "I think Initech is cheaper than you.",
        "We moved part of the work to Initech, their support is faster.",
        "Ask Sarah Jones about it. Sarah Jones knows.",
        "Nothing to add.",
    ]
    result = competitor_views(texts, competitors=["Globex Software"], own_names=["Acme"])
    names = {v.name: v for v in result.competitors}
    assert "Initech" in names and not names["Initech"].known
    assert names["Initech"].better == 2
    assert "Sarah Jones" not in names
    assert names["Globex Software"].answers == 0  # study competitors always listed


def test_quotes_are_masked_and_never_from_unquotable_answers() -> None:
    texts = ["Contoso is cheaper, mail bob.smith@corp.com", "Contoso is cheaper, says team X"]
    result = competitor_views(texts, competitors=["Contoso Cloud"], quotable=[True, False])
    quotes = result.competitors[0].quotes
    assert quotes == ["Contoso is cheaper, mail [email]"]


def test_a_comparative_about_us_is_worse_for_us_without_the_word_worse() -> None:
    from cxgap.analysis.voice.competitors import judge

    # "faster" is the competitor's: better for Northwind, worse for us
    assert judge("Northwind is faster than you", "Northwind") == "better"
    assert judge("You are faster than Northwind", "Northwind") == "worse"


def test_a_sentence_with_no_cue_is_judged_by_its_sentiment() -> None:
    from cxgap.analysis.voice.competitors import by_sentiment

    assert by_sentiment("Globex keeps crashing and their support is rude") == "worse"
    assert by_sentiment("Northwind's account team is brilliant and really helpful") == "better"


@pytest.mark.xfail(
    strict=True,
    reason="the model retrained without the CC BY-NC-SA airline tweets scores the first "
    "-0.04 (neutral, so 'unclear') and the second +0.33 (positive, so 'better'); "
    "docs/VOICE.md, Known limits",
)
def test_known_misreadings_of_the_model_without_airline_tweets() -> None:
    from cxgap.analysis.voice.competitors import by_sentiment

    assert by_sentiment("Northwind answers within the hour, you take days to reply") == "better"
    assert by_sentiment("We met Globex at a trade fair") == "unclear"
