"""Agreement of cxgap's themes with human categories, beside TF-IDF + k-means.

Run: PYTHONPATH=src:. .venv/bin/python scripts/eval_themes.py

Data sets (each text has a category a person gave it): the BANKING77 excerpt
(tests/data/real/banking77_test_excerpt.csv, 190 messages, 5 intents) and the
planted four-topic corpus (tests/fixtures/voice/planted_four_topics.csv, 48
answers). Prints a Markdown table: adjusted Rand index (Hubert & Arabie 1985)
and normalised mutual information (Strehl & Ghosh 2002, arithmetic mean) of
each method's clusters against the categories.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cxgap.analysis.voice.themes import find_themes  # noqa: E402

DATA = {
    "BANKING77 excerpt (5 intents)": (
        ROOT / "tests" / "data" / "real" / "banking77_test_excerpt.csv",
        "text",
        "category",
    ),
    "planted four topics": (
        ROOT / "tests" / "fixtures" / "voice" / "planted_four_topics.csv",
        "text",
        "topic",
    ),
}


def _kmeans(texts: list[str], k: int) -> np.ndarray:
    x = TfidfVectorizer(stop_words="english").fit_transform(texts)
    return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(x)


def _cell(truth: pd.Series, pred: object) -> str:
    labels = [("none" if p is None else str(p)) for p in pred]  # type: ignore[attr-defined]
    ari = adjusted_rand_score(truth, labels)
    nmi = normalized_mutual_info_score(truth, labels)
    return f"{ari:.2f} / {nmi:.2f} ({len(set(labels))})"


def main() -> None:
    print(
        "| data set | n | categories | TF-IDF + k-means, k = categories | cxgap, k = categories "
        "| cxgap, k by stability | cxgap, k by stability, no polarity split |"
    )
    print("| --- | ---: | ---: | --- | --- | --- | --- |")
    for name, (path, text, label) in DATA.items():
        frame = pd.read_csv(path)
        texts = frame[text].tolist()
        truth = frame[label]
        k = truth.nunique()
        cells = [name, str(len(frame)), str(k), _cell(truth, _kmeans(texts, k))]
        cells.append(_cell(truth, find_themes(texts, n_themes=k, divergence=False).assignments))
        cells.append(_cell(truth, find_themes(texts, divergence=False).assignments))
        plain = find_themes(texts, divergence=False, split_polarity=False)
        cells.append(_cell(truth, plain.assignments))
        print("| " + " | ".join(cells) + " |")
    print("\nCells: ARI / NMI (number of clusters).")


if __name__ == "__main__":
    main()
