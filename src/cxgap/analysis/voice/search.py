"""Keyword in context over every open answer of a study, with filters.

A query is one or more words; a word in double quotes is a phrase. Every term
must occur in an answer (at a word start, case-insensitively, so ``resolv``
finds "resolve" and "resolved"). Each occurrence becomes a hit showing
``window`` characters on each side (keyword in context, Luhn 1960).

Answers from staff teams below the study's anonymity threshold are never
shown: only their matching answers are counted, in ``n_suppressed`` with the
reason (``n_answers_searched`` leaves them out). Names, e-mail
addresses and phone numbers are masked before searching (a search for a name
finds nothing); HTML tags are removed from the context shown. A hit names its
respondent for customers only: a staff or leadership respondent id (often an
e-mail address) beside a quote would say who wrote it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

import pandas as pd

from cxgap.analysis._base import Result
from cxgap.analysis.voice.text import analysis_text, mask_pii
from cxgap.contracts.disclosure import counted_rows
from cxgap.errors import AnalysisError

__all__ = ["Hit", "SearchResult", "search_answers", "small_team_mask"]


class Hit(Result):
    """One occurrence of a query term in one answer."""

    respondent_id: str | None
    account_id: str | None
    audience: str | None
    segment: str | None
    team: str | None
    wave: str | None
    source: str | None
    question: str
    left: str
    match: str
    right: str


class SearchResult(Result):
    """The hits of a search; ``truncated`` when more than ``limit`` were found."""

    query: str
    terms: list[str]
    n_answers_searched: int
    n_answers_matched: int
    n_hits: int
    n_suppressed: int
    suppressed_reason: str | None
    truncated: bool
    hits: list[Hit]


def small_team_mask(frame: pd.DataFrame, threshold: int) -> pd.Series:
    """``True`` for rows of staff teams with fewer than ``threshold`` distinct
    counted respondents in their wave (answers through an open link do not
    count), whose answers must not be shown."""
    if "audience" not in frame.columns or "team" not in frame.columns:
        return pd.Series(False, index=frame.index)
    staff = frame["audience"].eq("staff")
    ids = frame["respondent_id"] if "respondent_id" in frame.columns else frame.index.to_series()
    keys = [frame["team"].fillna("(no team)")]
    if "wave" in frame.columns:
        keys.append(frame["wave"].fillna("(no wave)"))
    # Only answers that count toward the threshold (not an open link's) count here.
    counted = staff & counted_rows(frame)
    sizes = ids.where(counted).groupby(keys).transform("nunique")
    return staff & (sizes.fillna(0) < threshold)


def _terms(query: str) -> list[str]:
    try:
        parts = shlex.split(query)
    except ValueError:
        parts = query.replace('"', " ").split()
    terms = [p.strip() for p in parts if p.strip()]
    if not terms:
        raise AnalysisError("the search needs at least one word")
    return terms


def _value(row: pd.Series, col: str) -> str | None:
    v = row.get(col)
    if v is None or (isinstance(v, float) and v != v):
        return None
    return str(v)


def search_answers(
    frame: pd.DataFrame,
    query: str,
    *,
    questions: Sequence[str] | None = None,
    audience: str | None = None,
    segment: str | None = None,
    team: str | None = None,
    wave: str | None = None,
    anonymity_threshold: int = 5,
    window: int = 60,
    limit: int = 200,
) -> SearchResult:
    """Find a keyword or phrase in the open answers, shown in context.

    Parameters
    ----------
    frame
        The wide analysis frame (``open.<name>`` columns and the respondent
        columns ``respondent_id, audience, segment, team, account_id, wave,
        source``; any may be missing).
    query
        Words to find (all of them); ``"a phrase"`` in double quotes.
    questions
        Open-question names to search (default: every ``open.*`` column).
    audience, segment, team, wave
        Filters on the respondent columns.
    anonymity_threshold
        Staff teams with fewer respondents are not shown.
    window
        Characters of context on each side.
    limit
        Most hits returned.

    Returns
    -------
    SearchResult

    References
    ----------
    Luhn, H.P. (1960). Key word-in-context index for technical literature
    (KWIC index). *American Documentation* 11(4), 288-295.

    Examples
    --------
    >>> df = pd.DataFrame({"respondent_id": ["c1", "c2"], "audience": ["customer"] * 2,
    ...                    "open.improve": ["Tickets are resolved slowly", "Great team"]})
    >>> r = search_answers(df, "resolv", window=10)
    >>> (r.n_hits, r.hits[0].left, r.hits[0].match, r.hits[0].right)
    (1, 'ckets are ', 'resolv', 'ed slowly')
    """
    terms = _terms(query)
    cols = [c for c in frame.columns if str(c).startswith("open.")]
    if questions is not None:
        wanted = [f"open.{q}" if not q.startswith("open.") else q for q in questions]
        unknown = [q for q in wanted if q not in frame.columns]
        if unknown:
            raise AnalysisError(f"no open question {', '.join(unknown)} in the data")
        cols = wanted
    if not cols:
        raise AnalysisError("the data has no open-answer columns (open.<name>)")
    keep = pd.Series(True, index=frame.index)
    for col, value in (
        ("audience", audience),
        ("segment", segment),
        ("team", team),
        ("wave", wave),
    ):
        if value is not None:
            if col not in frame.columns:
                raise AnalysisError(f"cannot filter on {col}: the data has no {col!r} column")
            keep &= frame[col].eq(value)
    small = small_team_mask(frame, anonymity_threshold)
    patterns = [
        re.compile(r"\b" + re.escape(t).replace(r"\ ", r"\s+"), re.IGNORECASE) for t in terms
    ]
    hits: list[Hit] = []
    searched = matched = suppressed = 0
    total_hits = 0
    small_flags = small.to_numpy(bool)
    for pos, (_, row) in enumerate(frame.iterrows()):
        if not keep.iloc[pos]:
            continue
        for col in cols:
            # masked before matching, so a window never shows half a name
            text = mask_pii(analysis_text(row[col], max_chars=100_000))
            if not text:
                continue
            found = all(p.search(text) for p in patterns)
            if small_flags[pos]:
                # neither shown nor counted as searched: the count would give
                # the size of a small team
                suppressed += found
                continue
            searched += 1
            if not found:
                continue
            matched += 1
            for p in patterns:
                for m in p.finditer(text):
                    total_hits += 1
                    if len(hits) >= limit:
                        continue
                    hits.append(
                        Hit(
                            respondent_id=_value(row, "respondent_id")
                            if row.get("audience") == "customer"
                            else None,
                            account_id=_value(row, "account_id"),
                            audience=_value(row, "audience"),
                            segment=_value(row, "segment"),
                            team=_value(row, "team"),
                            wave=_value(row, "wave"),
                            source=_value(row, "source"),
                            question=str(col).removeprefix("open."),
                            left=text[max(0, m.start() - window) : m.start()],
                            match=m.group(0),
                            right=text[m.end() : m.end() + window],
                        )
                    )
    return SearchResult(
        query=query,
        terms=terms,
        n_answers_searched=searched,
        n_answers_matched=matched,
        n_hits=total_hits,
        n_suppressed=suppressed,
        suppressed_reason=(
            f"{suppressed} matching answer(s) from staff teams with fewer than "
            f"{anonymity_threshold} respondents are not shown"
            if suppressed
            else None
        ),
        truncated=total_hits > len(hits),
        hits=hits,
    )
