"""The topic model under the themes: TF-IDF of distinct answers equals
scikit-learn's TfidfVectorizer on every answer, entry for entry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from cxgap.analysis.voice._topics import STOP_WORDS, TOKENS, tfidf
from cxgap.demo.texts import open_answer
from tests.realdata import real_data_path


def _vectorizer(**limits: float) -> TfidfVectorizer:
    params = {"min_df": 2, "max_df": 0.5, "max_features": 20000, **limits}
    return TfidfVectorizer(
        stop_words=STOP_WORDS,
        sublinear_tf=True,
        token_pattern=TOKENS,
        dtype=np.float32,
        **params,  # type: ignore[arg-type]
    )


def _assert_same(docs: list[str], **limits: float) -> None:
    expected = _vectorizer(**limits)
    want = expected.fit_transform(docs).tocsr()
    got, vocab = tfidf(docs, **limits)  # type: ignore[arg-type]
    assert list(vocab) == list(expected.get_feature_names_out())
    assert got.dtype == want.dtype == np.float32
    assert got.shape == want.shape
    # the same stored entries, in the same order, with the same float32 values
    assert np.array_equal(got.indptr, want.indptr)
    assert np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)


def _demo_answers(n: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        audience = ("customer", "staff", "leadership")[i % 3]
        text, _ = open_answer(
            rng, question="improve", audience=audience, segment=None, team="support", wave="w1"
        )
        if text:
            out.append(text)
    return out


def test_tfidf_of_repeated_demo_answers_equals_the_vectorizer() -> None:
    docs = _demo_answers(20000)
    # many repeats, the case it is for (measured: 8,533 distinct of 16,006;
    # typos and casual lower case make about half the rough answers unique)
    assert len(set(docs)) < 0.6 * len(docs)
    _assert_same(docs)


def test_tfidf_equals_the_vectorizer_when_the_vocabulary_is_limited() -> None:
    # max_features keeps the most frequent terms over every answer, repeats counted
    _assert_same(_demo_answers(600), max_features=15)


def test_tfidf_of_real_reviews_equals_the_vectorizer() -> None:
    reviews = pd.read_csv(real_data_path("amazon_alexa_reviews.tsv"), sep="\t")
    docs = [str(t) for t in reviews["verified_reviews"].fillna("") if str(t).strip()]
    _assert_same(docs)


def test_tfidf_refuses_what_the_vectorizer_refuses() -> None:
    once = ["alpha beta", "gamma delta", "epsilon zeta", "theta iota"]  # no word twice
    for docs, message in (
        ([f"word{i}" for i in range(12)], "empty vocabulary"),
        (once, "no terms"),
    ):
        with pytest.raises(ValueError, match=message):
            tfidf(docs)
        with pytest.raises(ValueError, match=message):
            _vectorizer().fit_transform(docs)
