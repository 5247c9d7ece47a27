"""The voice of the three audiences: the study-level assembly of the open-text
analyses.

For each open question of the study (``open.<name>`` columns of the wide
frame) :func:`analyze_voice` gives the themes with their share per audience,
the divergence between the audiences' theme distributions and the themes one
audience raises more than another (:mod:`cxgap.analysis.voice.themes`,
:mod:`cxgap.analysis.voice.disparity`), sentiment per audience (and per
customer segment), the factor/touchpoint/moment tags per audience
(:mod:`cxgap.analysis.voice.tagging`), and for the competitors question the
competitors named and how they are judged (:mod:`cxgap.analysis.voice.competitors`).
Discovery interview notes are split into passages, tagged and themed.

Privacy: answers from staff teams with fewer respondents than the study's
anonymity threshold are never quoted (they still count in the audience's
totals when the staff audience as a whole reaches the threshold; when it does
not, staff answers are left out of the per-audience figures). Quotes have
names, e-mail addresses and phone numbers masked. Leadership workshop rows
(``source == "workshop"``) are group answers and their quotes say so.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cxgap.analysis._base import Result
from cxgap.analysis.voice.competitors import CompetitorAnalysis, competitor_views
from cxgap.analysis.voice.search import small_team_mask
from cxgap.analysis.voice.sentiment import (
    SentimentCache,
    SentimentSummary,
    sentiment_scores,
    summarise_sentiment,
)
from cxgap.analysis.voice.tagging import TagSummary, build_lexicon, tag_summary, tag_text
from cxgap.analysis.voice.text import analysis_text
from cxgap.analysis.voice.themes import MIN_ANSWERS, ThemeAnalysis, find_themes
from cxgap.errors import AnalysisError, NotFoundError
from cxgap.study.model import StudyDefinition

__all__ = [
    "InterviewNote",
    "InterviewVoice",
    "QuestionVoice",
    "SuppressedGroup",
    "VoiceAnalysis",
    "analyze_voice",
]

WORKSHOP_NOTE = "leadership workshop group answer"
_INTERVIEW_COLUMNS = ("account_id", "segment", "date", "interviewer", "text")


class SuppressedGroup(Result):
    """A group whose answers are not shown, and why."""

    audience: str
    team: str | None
    wave: str | None
    n: int
    reason: str


class QuestionVoice(Result):
    """Everything about one open question."""

    question: str
    text: str | None
    n: int
    n_by_audience: dict[str, int]
    themes: ThemeAnalysis | None
    themes_note: str | None
    sentiment_by_audience: dict[str, SentimentSummary]
    sentiment_by_segment: dict[str, SentimentSummary]
    tags: TagSummary
    competitors: CompetitorAnalysis | None = None


class InterviewNote(Result):
    """One discovery interview: its tags and sentiment."""

    account_id: str | None
    segment: str | None
    date: str | None
    passages: int
    tags: dict[str, list[str]]
    sentiment: SentimentSummary


class InterviewVoice(Result):
    """The discovery interviews: per note, and their passages themed and
    tagged per segment."""

    n: int
    n_passages: int
    notes: list[InterviewNote]
    tags: TagSummary
    themes: ThemeAnalysis | None
    themes_note: str | None


class VoiceAnalysis(Result):
    """The voice of the three audiences for one study (and wave)."""

    study: str
    wave: str | None
    n_responses: int
    anonymity_threshold: int
    questions: list[QuestionVoice]
    interviews: InterviewVoice | None
    suppressed: list[SuppressedGroup]
    notes: list[str]


def _str_or_none(v: object) -> str | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    return str(v)


def _passages(markdown: str) -> list[str]:
    """Paragraphs of a note, without headings and front lines like "Segment:"."""
    out = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = [ln for ln in block.strip().splitlines() if not ln.lstrip().startswith("#")]
        text = " ".join(ln.strip() for ln in lines).strip()
        if len(text.split()) >= 4:
            out.append(text)
    return out


def _interviews(
    study: StudyDefinition,
    interviews: pd.DataFrame,
    seed: int,
    permutations: int,
    cache: SentimentCache,
) -> InterviewVoice:
    missing = [c for c in _INTERVIEW_COLUMNS if c not in interviews.columns]
    if missing:
        raise AnalysisError(f"the interviews need the column(s) {', '.join(missing)}")
    lexicon = build_lexicon(study)
    notes: list[InterviewNote] = []
    passages: list[str] = []
    segments: list[str | None] = []
    for _, row in interviews.iterrows():
        parts = _passages(str(row["text"]) if _str_or_none(row["text"]) else "")
        passages.extend(parts)
        segments.extend([_str_or_none(row["segment"])] * len(parts))
        notes.append(
            InterviewNote(
                account_id=_str_or_none(row["account_id"]),
                segment=_str_or_none(row["segment"]),
                date=_str_or_none(row["date"]),
                passages=len(parts),
                tags=tag_text(" ".join(parts), lexicon),
                sentiment=summarise_sentiment(sentiment_scores(parts, cache=cache)),
            )
        )
    compound = sentiment_scores(passages, cache=cache)
    themes = None
    note = None
    if len(passages) >= MIN_ANSWERS:
        try:
            themes = find_themes(
                passages,
                groups=segments,
                seed=seed,
                permutations=permutations,
                sentiment_cache=cache,
            )
        except AnalysisError as exc:
            note = str(exc)
    else:
        note = f"themes need at least {MIN_ANSWERS} passages; the notes have {len(passages)}"
    return InterviewVoice(
        n=len(notes),
        n_passages=len(passages),
        notes=notes,
        tags=tag_summary(passages, lexicon, groups=segments, compound=compound),
        themes=themes,
        themes_note=note,
    )


def analyze_voice(
    study: StudyDefinition,
    frame: pd.DataFrame,
    *,
    wave: str | None = None,
    interviews: pd.DataFrame | None = None,
    seed: int = 0,
    permutations: int = 999,
    sentiment_cache: SentimentCache | None = None,
) -> VoiceAnalysis:
    """Themes, sentiment, tags, disparities and competitors of a study's open
    answers, per audience.

    Parameters
    ----------
    study
        The study definition (open questions, lexicons, competitors,
        anonymity threshold).
    frame
        The wide analysis frame: one row per response with ``respondent_id,
        audience, segment, team, account_id, wave, source`` and ``open.<name>``
        columns.
    wave
        Analyse this wave only (default: all rows).
    interviews
        Discovery interview notes: ``account_id, segment, date, interviewer,
        text`` (Markdown).
    seed
        Seed of the theme models and permutation tests.
    permutations
        Permutations of the divergence tests.
    sentiment_cache
        Sentiment scores shared with the rest of one analysis: each distinct text
        is scored once (:class:`cxgap.analysis.voice.sentiment.SentimentCache`).

    Returns
    -------
    VoiceAnalysis

    References
    ----------
    See :func:`cxgap.analysis.voice.themes.find_themes` (Lee & Seung 1999; Greene et
    al. 2014), :func:`cxgap.analysis.voice.disparity.theme_divergence` (Lin 1991;
    Monroe, Colaresi & Quinn 2008), :func:`cxgap.analysis.voice.sentiment.sentiment_scores`
    (Hutto & Gilbert 2014).

    Examples
    --------
    >>> from cxgap.study import default_study
    >>> study = default_study("demo", organisation="X")
    >>> frame = pd.DataFrame({
    ...     "respondent_id": [f"c{i}" for i in range(12)],
    ...     "audience": ["customer"] * 12, "segment": ["top"] * 12, "team": [None] * 12,
    ...     "account_id": ["a"] * 12, "wave": ["w1"] * 12, "source": ["individual"] * 12,
    ...     "open.improve": ["Support tickets are slow to resolve"] * 6
    ...                     + ["Invoices are wrong every month"] * 6})
    >>> v = analyze_voice(study, frame, permutations=0)
    >>> [q.question for q in v.questions], v.questions[0].themes.n
    (['improve'], 12)
    """
    for col in ("respondent_id", "audience"):
        if col not in frame.columns:
            raise AnalysisError(f"the answers need a {col!r} column")
    data = frame
    notes: list[str] = []
    if wave is not None:
        if wave not in study.wave_keys():
            raise NotFoundError(
                f"wave {wave!r} is not in study {study.slug!r} (waves: "
                f"{', '.join(study.wave_keys())})"
            )
        if "wave" not in frame.columns:
            raise AnalysisError("the answers have no 'wave' column to select a wave")
        data = frame[frame["wave"].eq(wave)]
    data = data.reset_index(drop=True)
    threshold = study.anonymity_threshold

    small = small_team_mask(data, threshold).to_numpy(bool)
    suppressed: list[SuppressedGroup] = []
    if small.any():
        sub = data[small]
        keys = ["team"] + (["wave"] if "wave" in data.columns else [])
        for key, part in sub.groupby(keys, dropna=False):
            values = key if isinstance(key, tuple) else (key,)
            team_v = _str_or_none(values[0])
            wave_v = _str_or_none(values[1]) if len(values) > 1 else None
            suppressed.append(
                SuppressedGroup(
                    audience="staff",
                    team=team_v,
                    wave=wave_v,
                    n=int(part["respondent_id"].nunique()),
                    reason=f"fewer than {threshold} respondents: answers are not quoted",
                )
            )
    audience = data["audience"].astype(object).where(data["audience"].notna(), None)
    sizes = data.groupby("audience")["respondent_id"].nunique()
    for aud, size in sizes.items():
        if aud == "staff" and int(size) < threshold:
            audience = audience.where(data["audience"].ne("staff"), None)
            suppressed.append(
                SuppressedGroup(
                    audience="staff",
                    team=None,
                    wave=wave,
                    n=int(size),
                    reason=f"the staff audience has fewer than {threshold} respondents: "
                    "not shown as a group",
                )
            )
    groups = audience.tolist()
    quotable = ~small
    source = data["source"] if "source" in data.columns else pd.Series(None, index=data.index)
    quote_notes = [WORKSHOP_NOTE if s == "workshop" else None for s in source]
    segment = (
        data["segment"].where(data["audience"].eq("customer"))
        if "segment" in data.columns
        else pd.Series(None, index=data.index)
    )

    cache = sentiment_cache if sentiment_cache is not None else SentimentCache()
    lexicon = build_lexicon(study)
    questions: list[QuestionVoice] = []
    open_questions = [q for q in study.questions if q.kind == "text" and q.key.startswith("open.")]
    for q in open_questions:
        name = q.key.removeprefix("open.")
        if q.key not in data.columns:
            notes.append(f"no column {q.key!r} in the answers: question {name!r} left out")
            continue
        texts = data[q.key].tolist()
        present = np.array([bool(analysis_text(t)) for t in texts], dtype=bool)
        n = int(present.sum())
        compound = sentiment_scores(texts, cache=cache)
        n_by_audience = {
            str(a): int(present[np.asarray([g == a for g in groups])].sum())
            for a in sorted({g for g in groups if g is not None})
        }
        sent_aud = {
            a: summarise_sentiment(compound[np.asarray([g == a for g in groups], dtype=bool)])
            for a in n_by_audience
        }
        sent_seg = {
            str(s): summarise_sentiment(compound[segment.eq(s).to_numpy(bool)])
            for s in sorted(segment.dropna().unique())
        }
        themes = None
        themes_note = None
        if n >= MIN_ANSWERS:
            try:
                themes = find_themes(
                    texts,
                    groups=groups,
                    quotable=quotable.tolist(),
                    quote_notes=quote_notes,
                    seed=seed,
                    permutations=permutations,
                    sentiment_cache=cache,
                )
            except AnalysisError as exc:
                themes_note = str(exc)
        else:
            themes_note = f"themes need at least {MIN_ANSWERS} answers; {n} given"
        competitors = None
        if name == "competitors":
            competitors = competitor_views(
                texts,
                competitors=study.competitors,
                groups=groups,
                quotable=quotable.tolist(),
                own_names=[study.organisation],
            )
        questions.append(
            QuestionVoice(
                question=name,
                text=q.text,
                n=n,
                n_by_audience=n_by_audience,
                themes=themes,
                themes_note=themes_note,
                sentiment_by_audience=sent_aud,
                sentiment_by_segment=sent_seg,
                tags=tag_summary(texts, lexicon, groups=groups, compound=compound),
                competitors=competitors,
            )
        )
    if not questions:
        notes.append("the answers hold no open question of this study")
    return VoiceAnalysis(
        study=study.slug,
        wave=wave,
        n_responses=len(data),
        anonymity_threshold=threshold,
        questions=questions,
        interviews=(
            _interviews(study, interviews, seed, permutations, cache)
            if interviews is not None
            else None
        ),
        suppressed=suppressed,
        notes=notes,
    )
