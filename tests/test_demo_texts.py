"""The demo company's open answers: deterministic, varied, with the planted
effects the voice analysis is checked against."""

from __future__ import annotations

import numpy as np
import pytest

from cxgap.analysis.voice.text import mask_pii
from cxgap.demo.texts import (
    COMPETITORS,
    PLANTED_THEMES,
    interview_note,
    open_answer,
    workshop_sheet,
)


def _answers(
    seed: int, question: str, audience: str, n: int, *, segment: str | None = None, wave: str = "w1"
) -> list[tuple[str | None, str | None]]:
    rng = np.random.default_rng(seed)
    team = "support" if audience == "staff" else None
    return [
        open_answer(
            rng, question=question, audience=audience, segment=segment, team=team, wave=wave
        )
        for _ in range(n)
    ]


def test_same_generator_state_gives_the_same_answers() -> None:
    assert _answers(3, "improve", "customer", 50) == _answers(3, "improve", "customer", 50)
    assert _answers(3, "improve", "customer", 50) != _answers(4, "improve", "customer", 50)


@pytest.mark.parametrize(
    ("question", "audience"),
    [(q, a) for q, by_aud in PLANTED_THEMES.items() for a in by_aud],
)
def test_answers_carry_only_the_themes_planted_for_their_audience(
    question: str, audience: str
) -> None:
    answers = _answers(1, question, audience, 300)
    themes = {t for _, t in answers if t is not None}
    assert themes == set(PLANTED_THEMES[question][audience])


def test_about_one_answer_in_five_is_skipped_and_skips_have_no_theme() -> None:
    answers = _answers(2, "well", "customer", 2000)
    skipped = [a for a in answers if a[0] is None]
    assert 0.15 <= len(skipped) / len(answers) <= 0.25
    assert all(t is None for _, t in skipped)


def test_answers_are_varied_paraphrases_not_one_sentence_repeated() -> None:
    texts = [
        t for t, theme in _answers(5, "improve", "customer", 600) if theme == "slow_resolution"
    ]
    assert len(set(texts)) / len(texts) > 0.5
    lengths = [len(t.split()) for t in texts]
    assert max(lengths) - min(lengths) >= 10


def test_a_few_answers_hold_names_emails_or_phones_to_mask() -> None:
    texts = [t for t, _ in _answers(6, "improve", "customer", 3000) if t]
    with_pii = [t for t in texts if mask_pii(t) != t]
    assert 0.01 < len(with_pii) / len(texts) < 0.08
    assert any("@" in t for t in with_pii)


def _share(answers: list[tuple[str | None, str | None]], themes: set[str]) -> float:
    given = [t for _, t in answers if t is not None]
    return sum(t in themes for t in given) / len(given)


def test_customers_raise_slow_resolution_far_more_than_leadership() -> None:
    customers = _share(
        _answers(7, "improve", "customer", 3000, segment="other"), {"slow_resolution"}
    )
    leaders = _share(_answers(7, "improve", "leadership", 3000), {"slow_resolution"})
    assert customers > 3 * leaders


def test_defected_customers_mention_resolution_and_effort_more() -> None:
    tied = {"slow_resolution", "chasing_updates"}
    defected = _share(_answers(8, "improve", "customer", 3000, segment="defected"), tied)
    top = _share(_answers(8, "improve", "customer", 3000, segment="top"), tied)
    assert defected > top + 0.05


def test_resolution_and_effort_themes_fall_among_customers_in_wave_two() -> None:
    tied = {"slow_resolution", "chasing_updates"}
    w1 = _share(_answers(9, "improve", "customer", 3000, segment="other", wave="w1"), tied)
    w2 = _share(_answers(9, "improve", "customer", 3000, segment="other", wave="w2"), tied)
    assert w2 < w1 - 0.1


def test_competitor_answers_name_the_study_competitors() -> None:
    texts = [t for t, _ in _answers(10, "competitors", "customer", 300) if t]
    for name in COMPETITORS:
        assert any(name in t for t in texts)


def test_questions_not_asked_of_an_audience_are_always_skipped() -> None:
    assert set(_answers(11, "barriers", "customer", 50)) == {(None, None)}


def test_unknown_question_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown open question"):
        _answers(1, "nope", "customer", 1)


def test_interview_note_is_markdown_with_sections_and_keys() -> None:
    text, keys = interview_note(np.random.default_rng(1), account_name="Acme", segment="defected")
    assert text.startswith("# Discovery interview: Acme")
    assert "## Why they buy" in text and "## Why they left" in text
    assert keys == sorted(keys) and len(keys) >= 3
    text2, _ = interview_note(np.random.default_rng(1), account_name="Acme", segment="top")
    assert "## Why they left" not in text2


def test_workshop_sheet_is_a_group_answer_with_several_points() -> None:
    sheet = workshop_sheet(np.random.default_rng(1), question="improve")
    assert sheet.startswith("Our table agreed:")
    assert sheet.count("\n- ") >= 2
    with pytest.raises(ValueError, match="no leadership workshop"):
        workshop_sheet(np.random.default_rng(1), question="barriers")
