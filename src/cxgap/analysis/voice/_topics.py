"""The topic model behind :func:`cxgap.analysis.voice.themes.find_themes`: TF-IDF of
answers that repeat, NMF fits, and the stability of a number of themes.

* :func:`tfidf` is scikit-learn's ``TfidfVectorizer`` (words, English and
  survey stop words, sublinear tf, ``min_df``/``max_df``/``max_features``)
  computed on the *distinct* answers and expanded to every answer: the same
  matrix, entry for entry (tested against ``TfidfVectorizer``), without
  tokenising the same answer thousands of times in a large study.
* :func:`fit_nmf` and :func:`assign_weights`: NMF by coordinate descent
  (Lee & Seung 1999; Cichocki & Phan 2009) and the weights of new rows on
  fitted themes (``NMF.transform``).
* :func:`stability`: term agreement (Greene et al. 2014) times assignment
  agreement (Lange et al. 2004) of fits on subsamples.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from numbers import Integral

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF, non_negative_factorization
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    TfidfTransformer,
)
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import ThreadpoolController

from cxgap.analysis._base import Result

TOP_TERMS = 10

# Words that carry no theme in survey answers, on top of scikit-learn's list.
_EXTRA_STOP = frozenset(
    """
    honestly really think view just like lot things thing way clearly mainly day sit
    experience make makes made need needs want ve ll don doesn didn isn wasn aren
    couldn wouldn shouldn
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | _EXTRA_STOP)
TOKENS = r"(?u)\b[^\W\d_][^\W\d_]+\b"


class KScore(Result):
    """The stability of one candidate number of themes: the product of the
    agreement of the themes' top terms and of the answers' assignments
    between fits on subsamples and the reference fit."""

    k: int
    stability: float
    term_agreement: float
    assignment_agreement: float


@functools.lru_cache(maxsize=1)
def blas() -> ThreadpoolController:
    return ThreadpoolController()


def fit_nmf(x: sparse.csr_matrix, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400, tol=1e-4)
    # One BLAS thread: on a shared machine OpenBLAS threads spin against each
    # other and made the NNDSVD start 30x slower (measured, benchmarks/bench_themes.py).
    with blas().limit(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        # a near-perfect fit makes the reported error sqrt(-tiny): harmless
        warnings.simplefilter("ignore", RuntimeWarning)
        w = model.fit_transform(x)
    converged = not any(issubclass(c.category, ConvergenceWarning) for c in caught)
    return w, model.components_, converged


def assign_weights(x: sparse.csr_matrix, h: np.ndarray, seed: int) -> np.ndarray:
    """The theme weights ``W`` of every row of ``x`` given fitted themes ``H``:
    the non-negative least-squares fit that ``NMF.transform`` computes
    (coordinate descent from zero with ``H`` fixed)."""
    with blas().limit(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        w, _, _ = non_negative_factorization(
            x,
            H=h,
            n_components=h.shape[0],
            init="custom",
            update_H=False,
            solver="cd",
            max_iter=400,
            tol=1e-4,
            random_state=seed,
        )
    return np.asarray(w)


def top_terms(h: np.ndarray, t: int) -> list[list[int]]:
    return [list(np.argsort(-row, kind="stable")[:t]) for row in h]


def average_jaccard(a: list[int], b: list[int]) -> float:
    total = 0.0
    for d in range(1, min(len(a), len(b)) + 1):
        sa, sb = set(a[:d]), set(b[:d])
        total += len(sa & sb) / len(sa | sb)
    return total / max(1, min(len(a), len(b)))


def agreement(ref: list[list[int]], other: list[list[int]]) -> float:
    sim = np.array([[average_jaccard(r, o) for o in other] for r in ref])
    rows, cols = linear_sum_assignment(-sim)
    return float(sim[rows, cols].mean())


def stability(
    x: sparse.csr_matrix, ks: Sequence[int], seed: int, subsamples: int
) -> tuple[list[KScore], dict[int, tuple[np.ndarray, bool]]]:
    """Stability of each ``k`` on the rows of ``x``: term-ranking agreement
    (Greene et al. 2014) times assignment agreement (Lange et al. 2004).
    Also returns each ``k``'s reference fit on all of ``x`` (``H`` and
    whether it converged)."""
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    size = max(2, round(0.8 * n))
    samples = [np.sort(rng.choice(n, size=size, replace=False)) for _ in range(subsamples)]
    scores = []
    references: dict[int, tuple[np.ndarray, bool]] = {}
    for k in ks:
        w_ref, h_ref, converged = fit_nmf(x, k, seed)
        references[int(k)] = (h_ref, converged)
        ref_terms = top_terms(h_ref, TOP_TERMS)
        ref_assign = w_ref.argmax(axis=1)
        terms, assign = [], []
        for j, rows in enumerate(samples):
            w, h, _ = fit_nmf(x[rows], k, seed + 1 + j)
            terms.append(agreement(ref_terms, top_terms(h, TOP_TERMS)))
            assign.append(adjusted_rand_score(ref_assign[rows], w.argmax(axis=1)))
        t, a = float(np.mean(terms)), float(np.mean(assign))
        scores.append(
            KScore(k=int(k), stability=t * max(a, 0.0), term_agreement=t, assignment_agreement=a)
        )
    return scores, references


def sample(rows: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """``size`` of ``rows`` drawn at random without replacement (seeded), in
    order; all of them when there are not more."""
    if size is None or rows.size <= size:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def tfidf(
    docs: Sequence[str],
    *,
    min_df: int = 2,
    max_df: float = 0.5,
    max_features: int = 20000,
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The TF-IDF rows of ``docs`` (float32, L2-normalised, sublinear tf) and
    the vocabulary: what ``TfidfVectorizer(stop_words=STOP_WORDS,
    token_pattern=TOKENS, min_df=min_df, max_df=max_df, sublinear_tf=True,
    max_features=max_features, dtype=np.float32).fit_transform(docs)`` gives.

    The distinct answers are counted once (``CountVectorizer``, vocabulary in
    order of first appearance, then sorted, as scikit-learn does) and their
    rows repeated for every answer; the document frequencies, the pruning
    and the weighting then see every answer, exactly as when each is
    tokenised. Raises ``ValueError`` as ``TfidfVectorizer`` does when no term
    is left.
    """
    distinct: dict[str, int] = {}
    rows = np.fromiter((distinct.setdefault(d, len(distinct)) for d in docs), np.int64, len(docs))
    counter = CountVectorizer(stop_words=STOP_WORDS, token_pattern=TOKENS, dtype=np.float32)
    counts = counter.fit_transform(list(distinct)).tocsr()[rows]
    names = counter.get_feature_names_out()
    n_doc = counts.shape[0]
    max_doc_count = max_df if isinstance(max_df, Integral) else max_df * n_doc
    if max_doc_count < min_df:
        raise ValueError("max_df corresponds to < documents than min_df")
    # as CountVectorizer._limit_features (scikit-learn 1.x)
    dfs = np.bincount(counts.indices, minlength=counts.shape[1])
    mask = (dfs <= max_doc_count) & (dfs >= min_df)
    if mask.sum() > max_features:
        tfs = np.asarray(counts.sum(axis=0)).ravel()
        keep = (-tfs[mask]).argsort()[:max_features]
        limited = np.zeros(len(dfs), dtype=bool)
        limited[np.where(mask)[0][keep]] = True
        mask = limited
    kept = np.where(mask)[0]
    if len(kept) == 0:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    weighting = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True)
    x = weighting.fit_transform(counts[:, kept])
    return sparse.csr_matrix(x), names[kept]
