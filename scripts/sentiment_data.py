"""Readers of the public human-labelled sentiment data sets used to train and to
evaluate cxgap's sentiment model (scripts/train_sentiment.py,
scripts/eval_sentiment.py). docs/VOICE.md says where each file comes from.

Every reader returns ``(texts, labels)`` with labels in ``negative``,
``neutral``, ``positive`` (or, for the VADER gold standards, the human mean
rating as a float).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

# Airline tweets (Figure Eight "Twitter US Airline Sentiment", 14,640 tweets,
# each labelled by crowd workers; CC BY-NC-SA 4.0): used for evaluation only,
# never for training or tuning, and never committed to the repository, since
# weights derived from non-commercial data cannot ship in an MIT package.
HELD_OUT_AIRLINES = ("United", "US Airways", "American", "Southwest", "Delta", "Virgin America")

# The VADER gold standards used for training (their texts put in three classes
# by gold_class; they bring the neutral class the Kotzias sentences lack); the
# other two, nearest to customer-service text, are held out for evaluation.
TRAIN_GOLD = ("nytEditorialSnippets", "movieReviewSnippets")
HELD_OUT_GOLD = ("amazonReviewSnippets", "tweets")

# GoEmotions (Demszky et al. 2020; Apache 2.0): Reddit comments labelled by
# people with 27 emotions or neutral. The authors' own sentiment grouping
# (google-research goemotions data/sentiment_dict.json) puts the emotions in
# positive, negative and ambiguous; a comment is kept when all its labels fall
# in one of positive, negative or neutral (ambiguous and mixed comments are
# left out). Not read by scripts/train_sentiment.py: training with it made the
# held-out figures worse (docs/VOICE.md, "Tried and not kept").
GOEMOTIONS_SPLITS = ("train", "dev", "test")
GOEMOTIONS_SENTIMENT = {
    "positive": [
        "admiration",
        "amusement",
        "approval",
        "caring",
        "desire",
        "excitement",
        "gratitude",
        "joy",
        "love",
        "optimism",
        "pride",
        "relief",
    ],
    "negative": [
        "anger",
        "annoyance",
        "disappointment",
        "disapproval",
        "disgust",
        "embarrassment",
        "fear",
        "grief",
        "nervousness",
        "remorse",
        "sadness",
    ],
    "ambiguous": ["confusion", "curiosity", "realization", "surprise"],
    "neutral": ["neutral"],
}
# The masks the authors put in place of names ("[NAME]", "[RELIGION]").
_GOEMOTIONS_MASK = re.compile(r"\[[A-Z]*\]")


def airline_tweets(data: Path, airlines: tuple[str, ...]) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    with (data / "Tweets.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["airline"] in airlines:
                texts.append(row["text"])
                labels.append(row["airline_sentiment"])
    return texts, labels


def uci_sentences(path: Path) -> tuple[list[str], list[str]]:
    """Kotzias et al. (2015) labelled sentences (``text<TAB>0|1``; a CSV copy ``text,0|1``)."""
    texts: list[str] = []
    labels: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix == ".csv":
            reader = csv.reader(fh)
        else:
            reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            if len(row) < 2 or row[-1].strip() not in {"0", "1"}:
                continue  # a header line
            texts.append(row[0].strip())
            labels.append("positive" if row[-1].strip() == "1" else "negative")
    return texts, labels


def vader_gold(path: Path) -> tuple[list[str], list[float]]:
    """A VADER gold standard (``id<TAB>mean rating<TAB>text``, −4..+4)."""
    texts: list[str] = []
    means: list[float] = []
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 3:
                means.append(float(row[1]))
                texts.append(row[2])
    return texts, means


def goemotions(directory: Path) -> tuple[list[str], list[str]]:
    """GoEmotions comments whose labels all map to one of positive / negative / neutral.

    ``directory`` holds the authors' ``train.tsv``, ``dev.tsv``, ``test.tsv``
    (``text<TAB>emotion ids<TAB>comment id``, no header) and the emotion names,
    one a line, in id order (``emotions.txt``; some copies call it ``labels.txt``).
    All three splits are read: none of them is used for evaluation here.
    """
    names_file = directory / "emotions.txt"
    if not names_file.exists():
        names_file = directory / "labels.txt"
    emotions = names_file.read_text(encoding="utf-8").split()
    group = {e: g for g, members in GOEMOTIONS_SENTIMENT.items() for e in members}
    if sorted(emotions) != sorted(group):
        raise ValueError(f"{names_file}: not the 28 GoEmotions labels")
    texts: list[str] = []
    labels: list[str] = []
    for split in GOEMOTIONS_SPLITS:
        with (directory / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                groups = {group[emotions[int(i)]] for i in row[1].split(",")}
                if len(groups) != 1 or "ambiguous" in groups:
                    continue
                text = " ".join(_GOEMOTIONS_MASK.sub(" ", row[0]).split())
                if text:
                    texts.append(text)
                    labels.append(groups.pop())
    return texts, labels


def gold_class(mean: float) -> str:
    """Three classes from a VADER gold mean: beyond ±0.5 on the −4..+4 scale is polar."""
    if mean > 0.5:
        return "positive"
    if mean < -0.5:
        return "negative"
    return "neutral"


def alexa_reviews(path: Path) -> tuple[list[str], list[str]]:
    """Amazon Alexa reviews: 1–2 stars negative, 3 neutral, 4–5 positive."""
    texts: list[str] = []
    labels: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = (row.get("verified_reviews") or "").strip()
            if not text:
                continue
            stars = int(row["rating"])
            texts.append(text)
            labels.append("negative" if stars <= 2 else "neutral" if stars == 3 else "positive")
    return texts, labels
