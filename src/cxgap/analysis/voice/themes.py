"""Themes of open answers: TF-IDF and non-negative matrix factorisation.

The default engine (``"tfidf-nmf"``) needs no deep-learning stack:

1. **Vectorise.** Each answer (HTML removed, cut at ``max_chars``) becomes a
   TF-IDF vector of words and two-word phrases (English stop words removed,
   sublinear term frequency, terms in at least two answers and at most half of
   them).
2. **Factorise.** NMF ``X ~ W H`` with ``k`` themes (Lee & Seung 1999; scikit-
   learn's coordinate-descent solver, NNDSVDa start, fixed ``seed``): row ``k``
   of ``H`` weighs the terms of theme ``k``, row ``i`` of ``W`` the themes of
   answer ``i``. Each answer is assigned to its heaviest theme; an answer with
   no known term stays unassigned.
3. **Choose k automatically** by stability. For each candidate ``k``
   (``min_themes..max_themes``), NMF is fitted on a reference sample and on
   ``subsamples`` random 80% subsamples. Two fits agree by (a) the term
   agreement of Greene, O'Callaghan & Cunningham (2014): the average Jaccard
   similarity of the themes' top ``t = 10`` terms at depths 1..t, themes paired
   by the Hungarian algorithm; and (b) the assignment agreement: the adjusted
   Rand index of the answers' themes (Lange et al. 2004). ``stability(k)`` is
   mean (a) times mean (b); the smallest ``k`` whose stability is within
   0.02 of the highest is chosen. ``k`` is at most one theme per 12 answers.
   On large inputs the stability runs on a seeded random sample of
   ``stability_sample`` answers.
3b. **Fit on a sample, assign every answer.** With more than ``fit_sample``
   answers (default 3,000) the final model is the NMF fitted on a seeded
   random sample of that many answers (the stability's reference sample, so
   its reference fit is reused), and every answer gets its theme weights on
   those themes by ``NMF.transform``: the non-negative least-squares
   solution of ``x ~ w H`` with ``H`` fixed, by the same coordinate descent
   from ``w = 0`` (Cichocki & Phan 2009). This is the usual way to apply a
   topic model fitted on a training set to new documents; the themes of a
   few thousand answers are the themes of the whole (tested on the demo
   against the full fit), and the time no longer grows with the number of
   answers beyond the linear assignment. Sizes, shares, quotes and
   sentiment count every answer.
3b'. **Off-topic answers stay out.** An answer the themes barely explain,
   whose TF-IDF vector has cosine similarity below ``0.05`` with its
   reconstruction ``w H`` (the share of the answer's direction the themes
   reproduce; an answer sharing one stray word such as "team" with a theme
   scores about 0.01, the on-topic answers of the planted demo and of
   BANKING77 mostly above 0.3), is left without a theme rather than joined to
   its heaviest one ("Happy new year to the whole team!" is not about any
   theme). It counts in ``n_unassigned``, and a note says how many there are.
3c. **Complaints apart from praise.** Each theme holding both negative and
   positive answers (at least 3 and 10% of it each) is split in two, its complaints
   and the rest (:mod:`cxgap.analysis.voice.split`), so a complaint never
   hides in a theme of praise; themes are then ordered by size. ``k`` stays
   the number of topics (chosen or given); a note says how many were split,
   so there may be more themes than ``k``.
4. **Describe each theme**: its label (the key phrase most over-represented
   in its answers; for a theme of complaints, with the complaint word its
   answers use most in front: "slow support tickets"), its polarity (the
   most common sentiment label of its answers), its keywords, its size and share (with
   a Wilson interval), its share in each group, the mean sentiment of
   its answers, and two or three representative quotes: answers closest to the
   theme's centroid (typical), skipping any whose TF-IDF cosine similarity to a
   quote already chosen is above ``0.6`` (not near-duplicates). Quotes are
   masked (names, e-mails, phones) and kept as text.

Everything is deterministic for a fixed ``seed``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
from pydantic import Field
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from statsmodels.stats.proportion import proportion_confint

from cxgap.analysis._base import Result, finite
from cxgap.analysis.voice._topics import (
    STOP_WORDS,
    TOKENS,
    TOP_TERMS,
    KScore,
    assign_weights,
    fit_nmf,
    sample,
    stability,
    tfidf,
)
from cxgap.analysis.voice.disparity import Divergence, theme_divergence
from cxgap.analysis.voice.sentiment import (
    SentimentCache,
    SentimentSummary,
    sentiment_labels,
    sentiment_scores,
    summarise_sentiment,
)
from cxgap.analysis.voice.split import complaint_label, split_by_polarity, word_sets
from cxgap.analysis.voice.text import MAX_CHARS, analysis_text, cut, looks_english, quote_text
from cxgap.contracts.choices import ENGINES, Engine
from cxgap.errors import AnalysisError

__all__ = [
    "ENGINES",
    "GroupShare",
    "KScore",
    "Quote",
    "Theme",
    "ThemeAnalysis",
    "find_themes",
]


MIN_ANSWERS = 10
Polarity = Literal["negative", "neutral", "positive"]
_ANSWERS_PER_THEME = 12
_STABILITY_TOLERANCE = 0.02
_LABEL_SAMPLE = 5000
_DUPLICATE_COSINE = 0.6
#: an answer whose reconstruction by the themes has a lower cosine with it is
#: left without a theme (off-topic; see step 3b' above)
MIN_FIT = 0.05


class Quote(Result):
    """A representative answer, masked and cut; ``group`` is its group (if
    any) and ``note`` says e.g. that it is a workshop group answer."""

    text: str
    group: str | None = None
    note: str | None = None


class GroupShare(Result):
    """The share of a group's answers that fall in a theme, with its 95%
    Wilson interval."""

    n: int
    count: int
    share: float | None
    ci_low: float | None
    ci_high: float | None


class Theme(Result):
    """One theme: its id (``t1``, ``t2``, ... by size), label, keywords, size
    and share, sentiment, quotes and share in each group."""

    id: str
    label: str
    polarity: Polarity | None = None
    keywords: list[str]
    size: int
    share: GroupShare
    sentiment: SentimentSummary | None
    quotes: list[Quote]
    share_by_group: dict[str, GroupShare]


class ThemeAnalysis(Result):
    """The themes of a set of answers.

    ``n`` counts the non-empty answers; ``assignments`` (not in the JSON) gives
    the theme id of every input row, ``None`` for empty or unassigned ones.
    """

    n: int
    n_empty: int
    n_unassigned: int
    n_cut: int
    n_not_english: int
    engine: str
    seed: int
    k: int
    k_chosen_by: Literal["stability", "user", "data size"]
    k_scores: list[KScore]
    themes: list[Theme]
    divergence: Divergence | None = None
    notes: list[str] = Field(default_factory=list)
    assignments: list[str | None] = Field(default_factory=list, exclude=True)


def _wilson(count: int, n: int) -> GroupShare:
    if n == 0:
        return GroupShare(n=0, count=0, share=None, ci_low=None, ci_high=None)
    lo, hi = proportion_confint(count, n, alpha=0.05, method="wilson")
    return GroupShare(
        n=n, count=count, share=count / n, ci_low=finite(float(lo)), ci_high=finite(float(hi))
    )


def _phrases(docs: list[str], assign: np.ndarray, k: int, seed: int) -> list[list[str]]:
    """Key phrases (two or three words as written) of each theme: frequent in
    its answers and rarer in the others' (difference of document shares)."""
    rows = np.arange(len(docs))
    if rows.size > _LABEL_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(rows, _LABEL_SAMPLE, replace=False))
    counter = CountVectorizer(
        ngram_range=(2, 3),
        min_df=2,
        binary=True,
        token_pattern=TOKENS,
    )
    try:
        c = counter.fit_transform([docs[i] for i in rows]).tocsc()
    except ValueError:  # no phrase in two answers
        return [[] for _ in range(k)]
    names = counter.get_feature_names_out()
    stop = set(STOP_WORDS)
    # real phrases as written, neither starting nor ending with a stop word
    keep = np.array([not ({n.split()[0], n.split()[-1]} & stop) for n in names], dtype=bool)
    a = assign[rows]
    out: list[list[str]] = []
    for j in range(k):
        inside = a == j
        n_in, n_out = int(inside.sum()), int((~inside).sum())
        if n_in == 0:
            out.append([])
            continue
        df_in = np.asarray(c[inside].sum(axis=0)).ravel()
        df_out = np.asarray(c[~inside].sum(axis=0)).ravel()
        score = df_in / n_in - (df_out / n_out if n_out else 0.0)
        ok = keep & (df_in >= max(2, 0.05 * n_in)) & (score > 0)
        best = [int(i) for i in np.argsort(-score, kind="stable") if ok[i]][:6]
        out.append([str(names[i]) for i in best])
    return out


def _label(phrases: list[str], terms: list[str]) -> str:
    """The theme's key phrase a person would write: the most over-represented
    phrase among the first four, the one holding the top keyword first; the
    top keyword when there is no phrase."""
    if terms:
        phrases = sorted(phrases[:4], key=lambda p: terms[0] not in p.split())
    if phrases:
        return phrases[0]
    return terms[0] if terms else ""


def _by_size(assign: np.ndarray, k: int) -> np.ndarray:
    """The themes ordered by size, largest first (ties by index)."""
    sizes = np.bincount(assign[assign >= 0], minlength=k)
    return np.argsort(-sizes, kind="stable")


def _quotes(
    rows: np.ndarray,
    x: sparse.csr_matrix,
    docs: Sequence[str],
    raw: Sequence[object],
    groups: Sequence[str | None] | None,
    notes: Sequence[str | None] | None,
    quotable: np.ndarray,
    n_quotes: int,
    duplicate: float = _DUPLICATE_COSINE,
) -> list[Quote]:
    """Typical answers of a theme: nearest to the centroid of ``x`` (TF-IDF
    rows, sparse, or unit embeddings, dense), skipping near-duplicates."""
    rows = rows[quotable[rows]]
    if rows.size == 0:
        return []
    sub = x[rows]
    centroid = np.asarray(sub.mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    if norm == 0:
        return []
    typical = np.asarray(sub @ (centroid / norm)).ravel()
    order = np.argsort(-typical, kind="stable")[: max(200, 20 * n_quotes)]
    candidates = rows[order]
    # cosine similarity between candidates (TF-IDF rows and embeddings are L2-normalised)
    prod = x[candidates] @ x[candidates].T
    sims = prod.toarray() if sparse.issparse(prod) else np.asarray(prod)
    chosen: list[int] = []
    seen: set[str] = set()
    for c, i in enumerate(candidates):
        key = docs[int(i)].lower()
        if key in seen or any(sims[c, d] > duplicate for d in chosen):
            continue
        chosen.append(c)
        seen.add(key)
        if len(chosen) == n_quotes:
            break
    out = []
    for c in chosen:
        i = int(candidates[c])
        out.append(
            Quote(
                text=quote_text(raw[i]),
                group=None if groups is None or groups[i] is None else str(groups[i]),
                note=None if notes is None else notes[i],
            )
        )
    return out


def _fit(x: sparse.csr_matrix, w: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The cosine of each row of ``x`` with its reconstruction ``w H``,
    without forming ``w H``: ``x_i . (w_i H) = (x_i H^T) . w_i`` and
    ``|w_i H|^2 = w_i (H H^T) w_i^T``."""
    dot = np.asarray((x @ h.T) * w).sum(axis=1)
    rec = np.sqrt(np.maximum(((w @ (h @ h.T)) * w).sum(axis=1), 0.0))
    norm = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    with np.errstate(invalid="ignore", divide="ignore"):
        out = dot / (rec * norm)
    return np.where((rec > 0) & (norm > 0), out, 0.0)


def _tfidf_nmf(
    docs: list[str],
    *,
    n_themes: int | None,
    min_themes: int,
    max_themes: int,
    seed: int,
    subsamples: int,
    stability_sample: int,
    fit_sample: int | None,
    notes: list[str],
) -> tuple[
    sparse.csr_matrix,
    np.ndarray,
    list[list[str]],
    int,
    Literal["stability", "user", "data size"],
    list[KScore],
]:
    """The default engine: TF-IDF rows, each answer's theme (-1: none; 0 the
    largest), each theme's keywords, k, how k was chosen, the k scores."""
    n = len(docs)
    try:
        x, vocab = tfidf(docs)  # TfidfVectorizer's matrix, each distinct answer tokenised once
    except ValueError:
        raise AnalysisError(
            f"the {n} answers share too few words to find themes (a theme word must "
            "appear in at least two answers and in at most half of them)"
        ) from None
    has_terms = np.asarray(x.getnnz(axis=1) > 0)
    n_terms = len(vocab)

    k_scores: list[KScore] = []
    references: dict[int, tuple[np.ndarray, bool]] = {}
    rows_with_terms = np.flatnonzero(has_terms)
    # at most one theme per 12 answers on average: smaller themes are noise
    per_theme = max(2, int(has_terms.sum()) // _ANSWERS_PER_THEME)
    upper = max(1, min(max_themes, n_terms - 1, per_theme))
    if n_themes is not None:
        k = min(n_themes, max(1, min(n_terms, int(has_terms.sum()))))
        chosen_by: Literal["stability", "user", "data size"] = "user"
        if k < n_themes:
            notes.append(
                f"only {n_terms} distinct terms in {int(has_terms.sum())} answers: "
                f"{k} themes instead of {n_themes}"
            )
    elif upper < max(2, min_themes):
        k, chosen_by = max(1, upper), "data size"
    else:
        rows = sample(rows_with_terms, stability_sample, seed)
        ks = range(max(2, min_themes), upper + 1)
        k_scores, fits = stability(x[rows], ks, seed, subsamples)
        if fit_sample is not None and np.array_equal(
            rows, sample(rows_with_terms, fit_sample, seed)
        ):
            references = fits  # the fit sample is the stability sample: reuse its fits
        most_stable = max(s.stability for s in k_scores)
        # the smallest k within a hair of the most stable one: stability
        # estimates from five subsamples differ by about this much by chance
        best = min(s.k for s in k_scores if s.stability >= most_stable - _STABILITY_TOLERANCE)
        k, chosen_by = best, "stability"

    if fit_sample is not None and rows_with_terms.size > fit_sample:
        # fit the themes on a sample, then give every answer its weights on them
        if k in references:
            h, converged = references[k]
        else:
            _, h, converged = fit_nmf(x[sample(rows_with_terms, fit_sample, seed)], k, seed)
        w = assign_weights(x, h, seed)
        notes.append(
            f"themes fitted on a random sample of {fit_sample} answers (of the "
            f"{rows_with_terms.size} sharing a word with others); every answer is then "
            "assigned to its heaviest theme, and every figure counts every answer"
        )
    else:
        w, h, converged = fit_nmf(x, k, seed)
    if not converged:
        notes.append("NMF stopped at its iteration limit before converging")
    weight = w.max(axis=1)
    fit = _fit(x, w, h)
    off_topic = int(np.sum((weight > 0) & (fit < MIN_FIT)))
    if off_topic:
        notes.append(
            f"{off_topic} answer(s) shared only a stray word with the themes (their fit, "
            f"the cosine with their reconstruction, is below {MIN_FIT}): no theme"
        )
    assign = np.where((weight > 0) & (fit >= MIN_FIT), w.argmax(axis=1), -1)
    order = np.argsort(-np.bincount(assign[assign >= 0], minlength=k), kind="stable")
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    assign = np.where(assign >= 0, rank[np.maximum(assign, 0)], -1)
    h = h[order]
    keywords = [
        [str(vocab[i]) for i in np.argsort(-h[j], kind="stable")[:TOP_TERMS] if h[j, i] > 0]
        for j in range(k)
    ]
    return x, assign, keywords, k, chosen_by, k_scores


def find_themes(
    texts: Sequence[object],
    *,
    groups: Sequence[str | None] | None = None,
    n_themes: int | None = None,
    min_themes: int = 3,
    max_themes: int = 10,
    seed: int = 0,
    n_quotes: int = 3,
    quotable: Sequence[bool] | None = None,
    quote_notes: Sequence[str | None] | None = None,
    sentiment: bool = True,
    divergence: bool = True,
    permutations: int = 999,
    max_chars: int = MAX_CHARS,
    subsamples: int = 5,
    stability_sample: int = 3000,
    fit_sample: int | None = 3000,
    engine: Engine = "tfidf-nmf",
    sentiment_cache: SentimentCache | None = None,
    split_polarity: bool = True,
) -> ThemeAnalysis:
    """Find the themes of a set of open answers.

    Parameters
    ----------
    texts
        The answers; ``None``/NaN/empty for no answer.
    groups
        The group of each answer (e.g. its audience), for the shares per group
        and the divergence between groups.
    n_themes
        Number of themes; ``None`` chooses it by stability among
        ``min_themes..max_themes``.
    seed
        Seed of the NMF start and of the stability subsamples.
    n_quotes
        Representative quotes per theme (fewer when there are not enough
        distinct answers).
    quotable
        Per answer, whether it may be quoted (``False`` for answers from a
        staff team below the anonymity threshold); all by default.
    quote_notes
        Per answer, a note shown with its quote (e.g. "workshop group answer").
    sentiment
        Whether to score each answer (cxgap's sentiment model) and summarise per theme.
    divergence
        Whether to compare the groups' theme distributions
        (:func:`cxgap.analysis.voice.disparity.theme_divergence`).
    permutations
        Permutations of the divergence test.
    max_chars
        Answers are cut at this many characters (a note says how many were).
    subsamples, stability_sample
        Subsamples per ``k`` in the stability criterion, and the largest number
        of answers the criterion runs on.
    fit_sample
        With more answers than this, the themes are fitted on a random sample
        of this many and every answer is assigned by ``NMF.transform``
        (``None``: fit on every answer, however many).
    engine
        ``"tfidf-nmf"`` (the default) or ``"embeddings"``: sentence embeddings
        clustered by k-means (:mod:`cxgap.analysis.voice.embeddings`; needs the
        optional extra ``pip install 'cxgap[embeddings]'``).
    split_polarity
        Whether to split each theme into its complaints and the rest
        (:func:`cxgap.analysis.voice.split.split_by_polarity`; needs
        ``sentiment``).
    sentiment_cache
        Sentiment scores shared with the other parts of one analysis
        (:class:`cxgap.analysis.voice.sentiment.SentimentCache`).

    Returns
    -------
    ThemeAnalysis
        Themes ordered by size (``t1`` the largest).

    References
    ----------
    Lee, D.D. & Seung, H.S. (1999). Learning the parts of objects by
    non-negative matrix factorization. *Nature* 401, 788-791.
    Greene, D., O'Callaghan, D. & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD 2014*, LNCS 8724, 498-513.
    Lange, T., Roth, V., Braun, M.L. & Buhmann, J.M. (2004). Stability-based
    validation of clustering solutions. *Neural Computation* 16(6), 1299-1323.
    Salton, G. & Buckley, C. (1988). Term-weighting approaches in automatic
    text retrieval. *Information Processing & Management* 24(5), 513-523.
    Cichocki, A. & Phan, A.-H. (2009). Fast local algorithms for large scale
    nonnegative matrix and tensor factorizations. *IEICE Transactions on
    Fundamentals* E92-A(3), 708-721 (the coordinate descent of the fit and
    of ``transform``).

    Examples
    --------
    >>> answers = ["support tickets are slow to resolve"] * 6 + ["pricing is too high"] * 6
    >>> result = find_themes(answers, n_themes=2, sentiment=False)
    >>> sorted(t.label for t in result.themes)
    ['high', 'slow to resolve']
    >>> [t.size for t in result.themes]
    [6, 6]
    """
    if engine not in ENGINES:
        raise AnalysisError(f"unknown theme engine {engine!r}; expected one of {list(ENGINES)}")
    n_rows = len(texts)
    if groups is not None and len(groups) != n_rows:
        raise AnalysisError("one group per answer")
    if quotable is not None and len(quotable) != n_rows:
        raise AnalysisError("one quotable flag per answer")
    if quote_notes is not None and len(quote_notes) != n_rows:
        raise AnalysisError("one quote note per answer")
    if n_themes is not None and n_themes < 1:
        raise AnalysisError("the number of themes must be at least 1")

    cleaned = [analysis_text(t, max_chars=sys.maxsize) for t in texts]
    n_cut = sum(len(c) > max_chars for c in cleaned)
    cleaned = [cut(c, max_chars)[0] if len(c) > max_chars else c for c in cleaned]
    present = np.array([bool(c) for c in cleaned])
    idx = np.flatnonzero(present)
    n = int(idx.size)
    if n < MIN_ANSWERS:
        raise AnalysisError(
            f"themes need at least {MIN_ANSWERS} non-empty answers; got {n} of {n_rows}"
        )
    docs = [cleaned[i] for i in idx]
    english = {d: looks_english(d) for d in set(docs)}  # each distinct answer once
    n_not_english = sum(not english[d] for d in docs)

    notes: list[str] = []
    quote_vectors: sparse.csr_matrix | np.ndarray
    if engine == "embeddings":
        from cxgap.analysis.voice.embeddings import DUPLICATE_COSINE, cluster_embeddings

        clusters = cluster_embeddings(
            docs,
            n_themes=n_themes,
            min_themes=min_themes,
            max_themes=max_themes,
            seed=seed,
            subsamples=subsamples,
            stability_sample=stability_sample,
        )
        assign, keywords, k = clusters.assign, clusters.keywords, clusters.k
        chosen_by, k_scores = clusters.chosen_by, clusters.k_scores
        quote_vectors, duplicate = clusters.vectors, DUPLICATE_COSINE
        if n_themes is not None and k < n_themes:
            notes.append(f"only {k} distinct answers: {k} themes instead of {n_themes}")
    else:
        x, assign, keywords, k, chosen_by, k_scores = _tfidf_nmf(
            docs,
            n_themes=n_themes,
            min_themes=min_themes,
            max_themes=max_themes,
            seed=seed,
            subsamples=subsamples,
            stability_sample=stability_sample,
            fit_sample=fit_sample,
            notes=notes,
        )
        quote_vectors, duplicate = x, _DUPLICATE_COSINE

    # per-answer extras over all input rows
    full_assign = np.full(n_rows, -1, dtype=np.int64)
    full_assign[idx] = assign
    compound = sentiment_scores(docs, cache=sentiment_cache) if sentiment else None
    quote_ok = np.ones(n, dtype=bool) if quotable is None else np.asarray(quotable, bool)[idx]
    positions = [int(i) for i in idx]
    doc_groups = None if groups is None else [groups[i] for i in positions]
    doc_notes = None if quote_notes is None else [quote_notes[i] for i in positions]
    raw_docs = [texts[i] for i in positions]
    group_names = (
        sorted({str(g) for g in doc_groups if g is not None}) if doc_groups is not None else []
    )
    group_arr = np.array(
        [None if g is None else str(g) for g in doc_groups] if doc_groups else [], dtype=object
    )

    labels_of = None
    n_topics = k
    is_negative = [False] * k
    if compound is not None:
        labels_of = np.array(sentiment_labels(compound), dtype=object)
        if split_polarity:
            assign, parents, is_negative = split_by_polarity(assign, labels_of, k)
            keywords = [keywords[p] for p in parents]
            if len(parents) > k:
                notes.append(
                    f"{len(parents) - k} of the {k} themes held both complaints and praise: "
                    "each was split into its complaints and the rest"
                )
            k = len(parents)
        order = _by_size(assign, k)
        remap = np.empty(k, dtype=np.int64)
        remap[order] = np.arange(k)
        assign = np.where(assign >= 0, remap[np.maximum(assign, 0)], -1)
        keywords = [keywords[i] for i in order]
        is_negative = [is_negative[i] for i in order]
        full_assign[idx] = assign

    phrases = _phrases(docs, assign, k, seed)
    label_rows = np.arange(min(n, _LABEL_SAMPLE))
    words_of = word_sets([docs[i] for i in label_rows]) if compound is not None else []
    themes: list[Theme] = []
    for j in range(k):
        members = np.flatnonzero(assign == j)
        top = keywords[j]
        label = _label(phrases[j], top) if top else f"theme {j + 1}"
        polarity: Polarity | None = None
        if labels_of is not None and members.size:
            values, counts = np.unique(labels_of[members], return_counts=True)
            polarity = cast(Polarity, str(values[int(np.argmax(counts))]))
        if is_negative[j] or polarity == "negative":
            label = complaint_label(label, words_of, assign[label_rows] == j)
        by_group: dict[str, GroupShare] = {}
        for gname in group_names:
            in_group = group_arr == gname
            by_group[gname] = _wilson(int(np.sum(in_group[members])), int(in_group.sum()))
        themes.append(
            Theme(
                id=f"t{j + 1}",
                label=label,
                polarity=polarity,
                keywords=top,
                size=int(members.size),
                share=_wilson(int(members.size), n),
                sentiment=summarise_sentiment(compound[members]) if compound is not None else None,
                quotes=_quotes(
                    members,
                    quote_vectors,
                    docs,
                    raw_docs,
                    doc_groups,
                    doc_notes,
                    quote_ok,
                    n_quotes,
                    duplicate,
                ),
                share_by_group=by_group,
            )
        )

    n_unassigned = int(np.sum(assign < 0))
    if n_unassigned:
        notes.append(
            f"{n_unassigned} answer(s) have no theme: no word shared with other "
            "answers, or only a stray one"
        )
    if n_cut:
        notes.append(f"{n_cut} answer(s) longer than {max_chars} characters were cut")
    if n_not_english:
        notes.append(
            f"{n_not_english} answer(s) ({n_not_english / n:.0%}) look not to be in English; "
            "the English stop words and sentiment lexicon do not fit them"
        )

    div = None
    if divergence and doc_groups is not None and len(group_names) >= 2:
        kept = [a if a >= 0 else None for a in assign.tolist()]
        if len({g for g, a in zip(doc_groups, kept, strict=True) if g and a is not None}) >= 2:
            div = theme_divergence(
                kept,
                doc_groups,
                theme_keys=[t.id for t in themes],
                theme_labels=[f"“{t.label}”" for t in themes],
                permutations=permutations,
                seed=seed,
            )

    ids = [t.id for t in themes]
    return ThemeAnalysis(
        n=n,
        n_empty=n_rows - n,
        n_unassigned=n_unassigned,
        n_cut=n_cut,
        n_not_english=n_not_english,
        engine=engine,
        seed=seed,
        k=n_topics,
        k_chosen_by=chosen_by,
        k_scores=k_scores,
        themes=themes,
        divergence=div,
        notes=notes,
        assignments=[ids[a] if a >= 0 else None for a in full_assign.tolist()],
    )
