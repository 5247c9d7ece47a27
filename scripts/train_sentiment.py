"""Train cxgap's sentiment model and write src/cxgap/analysis/voice/sentiment_model.json.gz.

Run (DATA holds the files named in docs/VOICE.md, "Training data"):

    PYTHONPATH=src:. .venv/bin/python scripts/train_sentiment.py DATA

Training data, permissively licensed and labelled by people: the Amazon and
Yelp labelled sentences of Kotzias et al. (2015; UCI, CC BY 4.0; positive /
negative) and the VADER gold standards of NYT editorial and movie review
snippets (Hutto & Gilbert 2014; MIT; mean of 20 raters, three classes at
+-0.5), which bring the neutral class. Tuning
(the regularisation C and the label threshold) is by 5-fold stratified
cross-validation on those rows only. Nothing held out for evaluation
(scripts/eval_sentiment.py) is read here.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from sentiment_data import TRAIN_GOLD, gold_class, uci_sentences, vader_gold  # noqa: E402

from cxgap.analysis.voice.polarity import DENSE, features  # noqa: E402
from cxgap.analysis.voice.sentiment_model import LABELS, MODEL_FILE  # noqa: E402

MIN_DF = 3
C_GRID = (0.5, 1.0, 2.0)
SEED = 0


def design(texts: list[str]) -> tuple[sparse.csr_matrix, list[str]]:
    feats = [features(t) for t in texts]
    df: dict[str, int] = {}
    for f in feats:
        for name in f.ngrams:
            df[name] = df.get(name, 0) + 1
    vocab = sorted(n for n, c in df.items() if c >= MIN_DF)
    index = {n: i for i, n in enumerate(vocab)}
    rows, cols, vals = [], [], []
    for r, f in enumerate(feats):
        for name, value in f.ngrams.items():
            j = index.get(name)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(value)
        for k, value in enumerate(f.dense):
            rows.append(r)
            cols.append(len(vocab) + k)
            vals.append(value)
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocab) + len(DENSE)))
    return x, vocab


def labelled(scores: np.ndarray, threshold: float) -> np.ndarray:
    return np.where(scores >= threshold, 2, np.where(scores <= -threshold, 0, 1))


def main(data: Path) -> None:
    texts: list[str] = []
    labels: list[str] = []
    for stem in TRAIN_GOLD:
        t, means = vader_gold(data / "hutto_ICWSM_2014" / f"{stem}_GroundTruth.txt")
        texts += t
        labels += [gold_class(m) for m in means]
    for name in ("amazon_cells_labelled.txt", "yelp_labelled.txt"):
        t, lab = uci_sentences(data / name)
        texts += t
        labels += lab
    y = np.array([LABELS.index(v) for v in labels])
    start = time.perf_counter()
    x, vocab = design(texts)
    print(f"features in {time.perf_counter() - start:.1f} s", flush=True)
    print(f"{len(texts)} training texts, {len(vocab)} n-grams (df >= {MIN_DF})")
    folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y))
    best = (-1.0, 0.0, 0.0)
    for c in C_GRID:
        scores = np.zeros(len(y))
        for train, test in folds:
            m = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
            m.fit(x[train], y[train])
            print(
                f"  fold fitted in {time.perf_counter() - start:.1f} s ({m.n_iter_} it)", flush=True
            )
            p = m.predict_proba(x[test])
            scores[test] = p[:, 2] - p[:, 0]
        for threshold in np.arange(0.05, 0.61, 0.05):
            f1 = f1_score(y, labelled(scores, threshold), average="macro")
            if f1 > best[0]:
                best = (float(f1), c, float(threshold))
        print(
            f"C={c}: best CV macro-F1 so far {best[0]:.3f} (C={best[1]}, t={best[2]:.2f})",
            flush=True,
        )
    f1, c, threshold = best
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)
    coef = model.coef_.T  # (features, 3)
    ngrams = {
        name: [round(float(v), 4) for v in coef[i]]
        for i, name in enumerate(vocab)
        if np.abs(coef[i]).max() >= 0.005
    }
    out = {
        "version": 1,
        "classes": list(LABELS),
        "trained_on": {
            "vader_gold": [f"{stem}_GroundTruth.txt" for stem in TRAIN_GOLD],
            "uci_sentences": ["amazon_cells_labelled.txt", "yelp_labelled.txt"],
            "n": len(texts),
        },
        "c": c,
        "cv_macro_f1": round(f1, 4),
        "threshold": round(threshold, 2),
        "intercept": [round(float(v), 4) for v in model.intercept_],
        "dense_names": list(DENSE),
        "dense": [[round(float(v), 4) for v in coef[len(vocab) + k]] for k in range(len(DENSE))],
        "ngrams": ngrams,
    }
    with gzip.GzipFile(MODEL_FILE, "wb", mtime=0) as fh:
        fh.write(json.dumps(out, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    print(f"wrote {MODEL_FILE} ({MODEL_FILE.stat().st_size:,} bytes), {len(ngrams)} n-grams")
    print("dense weights (neg, neu, pos):", dict(zip(DENSE, out["dense"], strict=True)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
