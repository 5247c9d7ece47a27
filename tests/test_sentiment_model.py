"""cxgap's sentiment model against people, out of sample, and against VADER.

The human ratings here were never used to train or tune the model
(scripts/train_sentiment.py reads only the Amazon and Yelp labelled sentences
of Kotzias et al. 2015 and VADER's NYT editorial and movie review gold
standards): VADER's Amazon review and tweet gold standards (mean of 20 raters
per text, Hutto & Gilbert 2014) and the Amazon Alexa reviews' star ratings
(the writers' own).
"""

from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from cxgap.analysis.voice.polarity import DENSE, features, sentences
from cxgap.analysis.voice.sentiment import (
    sentiment_labels,
    sentiment_scores,
    summarise_sentiment,
    vader_compound,
)
from cxgap.analysis.voice.sentiment_model import MODEL_FILE, load_model
from tests.realdata import real_data_path


def _gold(name: str) -> pd.DataFrame:
    return pd.read_csv(
        real_data_path(name), sep="\t", quoting=3, header=None, names=["id", "mean", "text"]
    )


def _vader_labels(x: np.ndarray) -> list[str]:
    return ["positive" if v >= 0.05 else "negative" if v <= -0.05 else "neutral" for v in x]


def test_model_correlates_with_people_better_than_vader_on_vaders_own_gold_standard() -> None:
    truth = _gold("vader_amazon_review_snippets_ground_truth.tsv")
    ours = sentiment_scores(truth["text"].tolist())
    vader = vader_compound(truth["text"].tolist())
    r_ours = stats.pearsonr(ours, truth["mean"]).statistic
    r_vader = stats.pearsonr(vader, truth["mean"]).statistic
    # measured: VADER 0.590, cxgap 0.679 (3,708 snippets, held out)
    assert r_vader == pytest.approx(0.590, abs=0.005)
    assert r_ours > r_vader + 0.03


def test_model_correlates_with_people_at_least_as_well_as_vader_on_tweets() -> None:
    truth = _gold("vader_tweets_ground_truth.tsv")
    ours = sentiment_scores(truth["text"].tolist())
    vader = vader_compound(truth["text"].tolist())
    assert len(truth) == 4200
    r_ours = stats.pearsonr(ours, truth["mean"]).statistic
    r_vader = stats.pearsonr(vader, truth["mean"]).statistic
    # measured: VADER 0.873, cxgap 0.834: VADER was built on tweets like these,
    # and keeps the lead here; the model stays close
    assert r_ours >= r_vader - 0.04


def test_model_beats_vader_on_alexa_reviews_by_stars() -> None:
    frame = pd.read_csv(
        real_data_path("amazon_alexa_reviews.tsv"), sep="\t", quoting=csv.QUOTE_NONE
    )
    frame = frame[frame["verified_reviews"].fillna("").str.strip() != ""]
    truth = np.where(
        frame["rating"] <= 2, "negative", np.where(frame["rating"] == 3, "neutral", "positive")
    )
    texts = frame["verified_reviews"].tolist()
    ours = sentiment_labels(sentiment_scores(texts))
    vader = _vader_labels(vader_compound(texts))
    f_ours = f1_score(truth, ours, average="macro")
    f_vader = f1_score(truth, vader, average="macro")
    # measured: VADER 0.483, cxgap 0.492 (3,071 reviews; 1-2 stars negative, 3 neutral).
    # The model trained with the airline tweets had 0.511; without them the gain is small.
    assert f_vader == pytest.approx(0.483, abs=0.005)
    assert f_ours > f_vader


# Customer-service and B2B answers whose sentiment no person doubts; VADER
# gets the first ones wrong (issue 17).
CLEAR = [
    ("Support is slow, we wait 2 days for a response to a ticket", "negative"),
    ("Prices went up 20% with no warning", "negative"),
    ("We are still waiting for someone to fix the outage", "negative"),
    ("Our invoice was wrong again and we had to chase billing twice", "negative"),
    ("The implementation was three months late", "negative"),
    ("We had to escalate every ticket to get an answer", "negative"),
    ("Our account manager is proactive and really helpful", "positive"),
    ("Support resolved our issue quickly, thank you", "positive"),
    ("The rollout went smoothly and on time", "positive"),
    ("Not bad, but support is slow", "negative"),
]


@pytest.mark.parametrize(("text", "label"), CLEAR)
def test_clear_customer_service_answers_get_the_label_a_person_gives(text: str, label: str) -> None:
    assert sentiment_labels(sentiment_scores([text])) == [label]


def test_contrast_leans_to_what_follows_and_aspects_split_at_but() -> None:
    from cxgap.analysis.voice.aspects import answer_sentiment
    from cxgap.analysis.voice.tagging import DEFAULT_TOUCHPOINT_TERMS, Lexicon

    mixed, good = sentiment_scores(["Good product but support is slow", "Good product"])
    # measured: +0.05 (neutral) and +0.98; VADER gives the mixed one +0.67
    assert mixed < good
    assert sentiment_labels([mixed, good]) == ["neutral", "positive"]
    lex = Lexicon(
        terms={"factor": {}, "touchpoint": DEFAULT_TOUCHPOINT_TERMS, "moment": {}}, labels={}
    )
    (a,) = answer_sentiment(["Good product but support is slow"], lexicon=lex)
    got = {x.key: x.label for x in a.aspects}
    assert got == {"product": "positive", "support": "negative"}


def test_negation_and_contrast_change_the_reading() -> None:
    good, not_good = sentiment_scores(["The support was good", "The support was not good"])
    assert good > 0 > not_good
    a, b = sentiment_scores(
        [
            "Support is slow but the product is excellent",
            "The product is excellent but support is slow",
        ]
    )
    assert a > b  # what comes after "but" weighs more


def test_features_mark_negation_and_weigh_contrast_by_hand() -> None:
    f = features("not slow but late")
    # tokens: not | slow (negated, before "but": 0.5) | late (after "but": 1.5);
    # "but" itself is dropped, so "NOT_slow late" is a pair (weighed as its first word)
    assert set(f.ngrams) == {"not", "not NOT_slow", "NOT_slow", "NOT_slow late", "late"}
    assert f.dense[DENSE.index("domain_negative")] == pytest.approx(1.5)
    assert f.dense[DENSE.index("domain_positive")] == pytest.approx(0.5)  # "not slow"
    norm = 1 / np.sqrt(5)
    assert f.ngrams["late"] == pytest.approx(1.5 * norm)
    assert f.ngrams["NOT_slow"] == pytest.approx(0.5 * norm)
    assert f.ngrams["NOT_slow late"] == pytest.approx(0.5 * norm)


def test_score_is_softmax_of_the_stored_weights_computed_by_hand() -> None:
    with gzip.open(MODEL_FILE, "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    text = "Support is slow"
    f = features(text)
    z = np.array(raw["intercept"], dtype=float)
    for name, value in f.ngrams.items():
        if name in raw["ngrams"]:
            z += value * np.array(raw["ngrams"][name])
    z += np.array(f.dense) @ np.array(raw["dense"])
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert load_model().score(text) == pytest.approx(p[2] - p[0], abs=1e-4)


def test_scores_are_deterministic_bounded_and_nan_for_no_answer() -> None:
    texts = ["Great", "Awful", None, "", "ok"]
    a, b = sentiment_scores(texts), sentiment_scores(texts)
    assert np.array_equal(a, b, equal_nan=True)
    assert np.isnan(a[2]) and np.isnan(a[3])
    ok = a[np.isfinite(a)]
    assert (ok >= -1).all() and (ok <= 1).all()


def test_summary_shares_use_the_model_threshold_by_default() -> None:
    t = load_model().threshold
    s = summarise_sentiment([t, -t, 0.0, t / 2])
    assert (s.share_positive, s.share_negative) == (0.25, 0.25)
    assert sentiment_labels([t, -t, 0.0]) == ["positive", "negative", "neutral"]


def test_sentences_split_at_end_marks_and_line_breaks() -> None:
    assert sentences("One. Two!\nThree? Four") == ["One.", "Two!", "Three?", "Four"]
