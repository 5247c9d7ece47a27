"""Action evidence speaks about the action: quotes chosen by tags and sentiment (issue 17)."""

from __future__ import annotations

from cxgap.analysis.voice.evidence import Tagged, rank_evidence
from cxgap.analysis.voice.tagging import build_lexicon, tag_text
from cxgap.study import default_study

LEXICON = build_lexicon(default_study("acme", organisation="Acme"))
TEXTS = [
    "Support tickets take weeks to get resolved",  # time_effort at support
    "The implementation took weeks and the go-live slipped",  # ... at implementation
    "Onboarding went quickly, it took no time at all",  # ... at implementation, praise
    "Everything takes weeks",  # time_effort, no touchpoint
    "Great people",  # nothing
]


def test_quotes_for_an_implementation_action_never_come_from_support() -> None:
    tagged = Tagged(TEXTS, LEXICON)
    for pos in rank_evidence(tagged, factor="time_effort", touchpoint="implementation", limit=3):
        assert "support" not in tag_text(TEXTS[pos], LEXICON)["touchpoint"]
        assert "time_effort" in tag_text(TEXTS[pos], LEXICON)["factor"]


def test_the_touchpoint_first_then_the_most_negative() -> None:
    tagged = Tagged(TEXTS, LEXICON)
    picked = rank_evidence(tagged, factor="time_effort", touchpoint="implementation", limit=3)
    tags = [tag_text(t, LEXICON) for t in TEXTS]
    here = [p for p in picked if "implementation" in tags[p]["touchpoint"]]
    assert picked[: len(here)] == here  # naming the touchpoint comes first
    scores = [tagged.scores[p] for p in here]
    assert scores == sorted(scores)  # complaints before praise
    assert 0 not in picked
