"""VADER sentiment: the package's documented examples, agreement with human
raters, and the summaries per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from cxgap.analysis.voice.sentiment import sentiment_by, summarise_sentiment, vader_scores
from cxgap.errors import AnalysisError
from tests.bounded import reference
from tests.realdata import real_data_path

# Compound scores printed in the vaderSentiment README (cjhutto/vaderSentiment,
# "Demo, including example of non-English text translations"), checked by
# running vaderSentiment 3.3.2 here.
README_EXAMPLES = [
    ("VADER is smart, handsome, and funny.", 0.8316),
    ("VADER is smart, handsome, and funny!", 0.8439),
    ("VADER is very smart, handsome, and funny.", 0.8545),
    ("VADER is VERY SMART, handsome, and FUNNY.", 0.9227),
    ("VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342),
    ("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.9469),
    ("VADER is not smart, handsome, nor funny.", -0.7424),
    ("The book was good.", 0.4404),
    ("At least it isn't a horrible book.", 0.431),
    (
        "The plot was good, but the characters are uncompelling and the dialog is not great.",
        -0.7042,
    ),
    ("Make sure you :) or :D today!", 0.8633),
    ("Today SUX!", -0.5461),
]


@pytest.mark.parametrize(("text", "compound"), README_EXAMPLES)
def test_vader_matches_its_readme_examples(text: str, compound: float) -> None:
    assert vader_scores([text])["compound"].iloc[0] == pytest.approx(compound, abs=5e-5)


def test_missing_and_empty_answers_score_nan_not_zero() -> None:
    scores = vader_scores([None, "", float("nan"), "Great!"])
    assert scores["compound"].isna().tolist() == [True, True, True, False]


def test_html_tags_are_not_scored_as_words() -> None:
    a = vader_scores(["<b>great</b> service"])["compound"].iloc[0]
    b = vader_scores(["great service"])["compound"].iloc[0]
    assert a == b


def test_vader_agrees_with_human_raters_on_amazon_snippets() -> None:
    truth = pd.read_csv(
        real_data_path("vader_amazon_review_snippets_ground_truth.tsv"),
        sep="\t",
        quoting=3,
        header=None,
        names=["id", "mean", "text"],
    )
    compound = vader_scores(truth["text"].tolist())["compound"].to_numpy()
    ok = np.isfinite(compound)
    r = stats.pearsonr(compound[ok], truth["mean"].to_numpy()[ok]).statistic
    # measured r = 0.590 on the 3,708 snippets (Hutto & Gilbert 2014 gold standard)
    assert ok.sum() == 3708
    assert r == pytest.approx(0.590, abs=0.005)


def test_summary_interval_is_the_bounded_interval_on_minus_one_to_one() -> None:
    x = np.array([0.5, -0.2, 0.0, 0.9, 0.3])
    s = summarise_sentiment(x, threshold=0.05)
    lo, hi = reference(x, -1, 1)  # statsmodels' Wilson at the effective n
    assert (s.n, s.mean) == (5, pytest.approx(x.mean()))
    assert (s.ci_low, s.ci_high) == (pytest.approx(lo), pytest.approx(hi))
    # VADER's thresholds: >= 0.05 positive, <= -0.05 negative
    assert (s.share_positive, s.share_neutral, s.share_negative) == pytest.approx((0.6, 0.2, 0.2))
    # at n = 200 it is close to Student's t interval
    big = np.random.default_rng(3).uniform(-0.6, 0.8, 200)
    t_lo, t_hi = stats.t.interval(0.95, 199, loc=big.mean(), scale=stats.sem(big))
    b = summarise_sentiment(big)
    assert (b.ci_low, b.ci_high) == (pytest.approx(t_lo, abs=0.01), pytest.approx(t_hi, abs=0.01))
    # never off the scale, and a width when every answer is at the top
    top = summarise_sentiment([1.0, 1.0, 1.0])
    assert -1 <= top.ci_low < top.mean <= top.ci_high <= 1  # type: ignore[operator]
    assert top.ci_high - top.ci_low > 0.1  # type: ignore[operator]


def test_summary_of_nothing_and_of_one_answer_has_no_interval() -> None:
    assert summarise_sentiment([]).mean is None
    one = summarise_sentiment([0.4, float("nan")])
    assert one.n == 1 and one.ci_low is None and one.mean == pytest.approx(0.4)


@given(st.lists(st.floats(-1, 1), min_size=2, max_size=30))
def test_summary_shares_add_to_one_and_interval_brackets_the_mean(values: list[float]) -> None:
    s = summarise_sentiment(values)
    assert s.share_positive + s.share_neutral + s.share_negative == pytest.approx(1.0)
    assert s.ci_low <= s.mean + 1e-12 and s.mean <= s.ci_high + 1e-12


def test_sentiment_by_audience_groups_and_counts() -> None:
    df = pd.DataFrame(
        {
            "audience": ["customer", "customer", "staff", None],
            "text": ["Awful delays", "Terrible support", "Great team", "fine"],
        }
    )
    table = sentiment_by(df, by=["audience"], text_column="text")
    got = {g.group["audience"]: g.sentiment for g in table.groups}
    assert got["customer"].n == 2 and got["customer"].mean < 0
    assert got["staff"].mean > 0
    assert got[None].n == 1


def test_sentiment_by_needs_exactly_one_source_and_known_columns() -> None:
    df = pd.DataFrame({"a": ["x"], "t": ["good"]})
    with pytest.raises(AnalysisError, match="exactly one"):
        sentiment_by(df, by=["a"])
    with pytest.raises(AnalysisError, match="not in the data"):
        sentiment_by(df, by=["nope"], text_column="t")
