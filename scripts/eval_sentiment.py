"""Evaluate cxgap's sentiment model against VADER on data held out of its training.

Run (DATA as for scripts/train_sentiment.py, plus ../shared/data for the Alexa reviews):

    PYTHONPATH=src:. .venv/bin/python scripts/eval_sentiment.py DATA [ALEXA_TSV]

Prints a Markdown table: data set, n, then for VADER (compound, the authors'
±0.05 thresholds) and cxgap the 3-class macro-F1, and for the VADER gold
standards Pearson's r with the human mean rating. None of these rows was used
for training or tuning.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from sentiment_data import (  # noqa: E402
    HELD_OUT_AIRLINES,
    HELD_OUT_GOLD,
    airline_tweets,
    alexa_reviews,
    gold_class,
    uci_sentences,
    vader_gold,
)

from cxgap.analysis.voice.sentiment import vader_compound  # noqa: E402
from cxgap.analysis.voice.sentiment_model import load_model  # noqa: E402


def vader_labels(scores: np.ndarray) -> list[str]:
    return ["positive" if s >= 0.05 else "negative" if s <= -0.05 else "neutral" for s in scores]


def evaluate(name: str, texts: list[str], truth: list[str], means: list[float] | None) -> str:
    model = load_model()
    ours = np.array([model.score(t) for t in texts])
    vader = vader_compound(texts)
    ours_labels = [model.label(s) for s in ours]
    classes = sorted(set(truth))
    f1: Callable[[list[str]], float] = lambda pred: float(  # noqa: E731
        f1_score(truth, pred, labels=classes, average="macro")
    )
    cells = [name, f"{len(texts):,}", ", ".join(classes), f"{f1(vader_labels(vader)):.3f}"]
    cells.append(f"{f1(ours_labels):.3f}")
    if means is not None:
        cells.append(f"{stats.pearsonr(vader, means)[0]:.3f}")
        cells.append(f"{stats.pearsonr(ours, means)[0]:.3f}")
    else:
        cells += ["", ""]
    return "| " + " | ".join(cells) + " |"


def main(data: Path, alexa: Path | None) -> None:
    print(
        "| data set (held out) | n | classes | VADER macro-F1 | cxgap macro-F1 "
        "| VADER r | cxgap r |\n| --- | ---: | --- | ---: | ---: | ---: | ---: |"
    )
    t, lab = airline_tweets(data, HELD_OUT_AIRLINES)
    print(evaluate("airline tweets, all six airlines", t, lab, None))
    t, lab = airline_tweets(data, ("Delta", "Virgin America"))
    print(evaluate("airline tweets, Delta + Virgin America", t, lab, None))
    gold = data / "hutto_ICWSM_2014"
    titles = {
        "amazonReviewSnippets": "VADER gold: Amazon review snippets",
        "tweets": "VADER gold: tweets",
    }
    for stem in HELD_OUT_GOLD:
        title = titles[stem]
        texts, means = vader_gold(gold / f"{stem}_GroundTruth.txt")
        print(evaluate(title, texts, [gold_class(m) for m in means], means))
    t, lab = uci_sentences(data / "imdb_labelled.csv")
    print(evaluate("UCI labelled sentences: IMDb", t, lab, None))
    if alexa is not None:
        t, lab = alexa_reviews(alexa)
        print(evaluate("Amazon Alexa reviews by stars", t, lab, None))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
