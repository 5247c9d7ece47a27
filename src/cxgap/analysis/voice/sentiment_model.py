"""cxgap's sentiment model: a multinomial logistic regression shipped as weights.

The model reads the features of :mod:`cxgap.analysis.voice.polarity` (word
and word-pair presence with negation marking and the contrast rule, domain
cues of customer service, and VADER's scores) and gives the probabilities of
three classes, negative, neutral and positive (multinomial logistic
regression, i.e. softmax regression; Bishop 2006, section 4.3.4). The
**score** of a text is ``P(positive) − P(negative)``, from −1 to +1; its
**label** is positive at ``score >= threshold``, negative at ``score <=
-threshold``, neutral between (the threshold chosen by cross-validation on
the training data only).

The weights (``sentiment_model.json.gz`` beside this module, about 0.35 MB)
were fitted by ``scripts/train_sentiment.py`` on human-labelled public data
(docs/VOICE.md says which, how, and how the model does on data sets held out
of training and tuning). Loading them needs no network and no package beyond
``vaderSentiment``; scoring is pure Python and deterministic.

References
----------
Bishop, C.M. (2006). *Pattern Recognition and Machine Learning*, 4.3.4.
Hutto, C.J. & Gilbert, E. (2014). VADER. *ICWSM-14*.
Pang, B., Lee, L. & Vaithyanathan, S. (2002). Thumbs up? Sentiment
classification using machine learning techniques. *EMNLP 2002*, 79–86.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

from cxgap.analysis.voice.polarity import DENSE, features

__all__ = ["LABELS", "MODEL_FILE", "Model", "load_model", "score_text"]

LABELS = ("negative", "neutral", "positive")
MODEL_FILE = Path(__file__).with_name("sentiment_model.json.gz")


@dataclass(frozen=True)
class Model:
    """Weights of the three classes (in :data:`LABELS` order) and the label threshold."""

    intercept: tuple[float, float, float]
    dense: tuple[tuple[float, float, float], ...]
    ngrams: dict[str, tuple[float, float, float]]
    threshold: float

    def probabilities(self, text: str) -> tuple[float, float, float]:
        """``P(negative), P(neutral), P(positive)`` of ``text``."""
        f = features(text)
        z = list(self.intercept)
        for name, value in f.ngrams.items():
            w = self.ngrams.get(name)
            if w is not None:
                z[0] += value * w[0]
                z[1] += value * w[1]
                z[2] += value * w[2]
        for value, w in zip(f.dense, self.dense, strict=True):
            z[0] += value * w[0]
            z[1] += value * w[1]
            z[2] += value * w[2]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return e[0] / total, e[1] / total, e[2] / total

    def score(self, text: str) -> float:
        """``P(positive) − P(negative)``, rounded to 4 decimals."""
        p = self.probabilities(text)
        return round(p[2] - p[0], 4)

    def label(self, score: float) -> str:
        """The class of a score (see the module's description)."""
        if score >= self.threshold:
            return "positive"
        if score <= -self.threshold:
            return "negative"
        return "neutral"


def model_from_json(data: dict[str, object]) -> Model:
    """A :class:`Model` from the stored JSON (as written by the training script)."""
    dense_names = list(data["dense_names"])  # type: ignore[call-overload]
    if dense_names != list(DENSE):
        raise ValueError(f"model dense features {dense_names} are not {list(DENSE)}")
    intercept = tuple(float(v) for v in data["intercept"])  # type: ignore[attr-defined]
    dense = tuple(tuple(float(v) for v in row) for row in data["dense"])  # type: ignore[attr-defined]
    ngrams = {str(k): tuple(float(x) for x in v) for k, v in data["ngrams"].items()}  # type: ignore[attr-defined]
    return Model(
        intercept=intercept,  # type: ignore[arg-type]
        dense=dense,  # type: ignore[arg-type]
        ngrams=ngrams,  # type: ignore[arg-type]
        threshold=float(data["threshold"]),  # type: ignore[arg-type]
    )


@functools.lru_cache(maxsize=1)
def load_model() -> Model:
    """The shipped model (read once per process)."""
    with gzip.open(MODEL_FILE, "rt", encoding="utf-8") as fh:
        return model_from_json(json.load(fh))


def score_text(text: str) -> float:
    """The shipped model's score of one text.

    Examples
    --------
    >>> score_text("Support is slow, we wait 2 days for a response to a ticket") < 0
    True
    """
    return load_model().score(text)
