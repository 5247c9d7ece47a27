"""Agreement of cxgap's themes with human categories, beside TF-IDF + k-means.

Run: PYTHONPATH=src:. .venv/bin/python scripts/eval_themes.py [--embeddings]

``--embeddings`` adds the optional engine (``cxgap[embeddings]`` installed):
its themes with k given and k by stability, on the same data.

Data sets (each text has a category a person gave it): the BANKING77 excerpt
(tests/data/real/banking77_test_excerpt.csv, 190 messages, 5 intents), a
held-out excerpt of five other intents (banking77_test_heldout_excerpt.csv,
191 messages; added after the theme method was settled, never used to tune
it) and the
planted four-topic corpus (tests/fixtures/voice/planted_four_topics.csv, 48
answers). Prints a Markdown table: adjusted Rand index (Hubert & Arabie 1985)
and normalised mutual information (Strehl & Ghosh 2002, arithmetic mean) of
each method's clusters against the categories.
"""

from __future__ import annotations

import argparse
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
    "BANKING77 held-out excerpt (5 other intents)": (
        ROOT / "tests" / "data" / "real" / "banking77_test_heldout_excerpt.csv",
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", action="store_true", help="add the embeddings engine")
    args = parser.parse_args()
    head = (
        "| data set | n | categories | TF-IDF + k-means, k = categories | cxgap, k = categories "
        "| cxgap, k by stability | cxgap, k by stability, no polarity split |"
    )
    rule = "| --- | ---: | ---: | --- | --- | --- | --- |"
    if args.embeddings:
        head += " embeddings, k = categories | embeddings, k by stability |"
        rule += " --- | --- |"
    print(head)
    print(rule)
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
        if args.embeddings:
            for n_themes in (k, None):
                emb = find_themes(texts, n_themes=n_themes, divergence=False, engine="embeddings")
                cells.append(_cell(truth, emb.assignments))
        print("| " + " | ".join(cells) + " |")
    print("\nCells: ARI / NMI (number of clusters).")


if __name__ == "__main__":
    main()
