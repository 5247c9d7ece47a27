"""Benchmark: themes and sentiment of N open answers with cxgap, beside a plain
scikit-learn pipeline (TfidfVectorizer + KMeans + VADER) on the same answers.

Each pipeline runs in its own child process (its own peak memory). Answers
are the demo company's, mixed over every open question and audience,
generated before the clock starts; ``cxgap-unique`` makes every answer
distinct, so no cache of repeated answers helps.

    .venv/bin/python benchmarks/bench_voice.py --scale 100000
    .venv/bin/python benchmarks/bench_voice.py --scale 10000 --pipeline cxgap
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from bench_themes import _answers


def _run(pipeline: str, n: int) -> dict[str, object]:
    texts, groups = _answers(n)
    if pipeline == "cxgap-unique":
        texts = [f"{t} (ref {i})" for i, t in enumerate(texts)]
    start = time.perf_counter()
    if pipeline in ("cxgap", "cxgap-unique"):
        from cxgap.analysis.voice.sentiment import SentimentCache
        from cxgap.analysis.voice.themes import find_themes

        result = find_themes(texts, groups=groups, seed=0, sentiment_cache=SentimentCache())
        k = result.k
    elif pipeline == "sklearn":
        from sklearn.cluster import KMeans
        from sklearn.feature_extraction.text import TfidfVectorizer
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        x = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5).fit_transform(texts)
        KMeans(n_clusters=8, n_init=1, random_state=0).fit_predict(x)
        analyzer = SentimentIntensityAnalyzer()
        [analyzer.polarity_scores(t)["compound"] for t in texts]
        k = 8
    else:
        raise SystemExit(f"unknown pipeline {pipeline}")
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "pipeline": pipeline,
        "n": n,
        "k": k,
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak_mib),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="number of answers")
    parser.add_argument("--pipeline", default=None, help="run one pipeline in this process")
    args = parser.parse_args()
    if args.pipeline:
        print(json.dumps(_run(args.pipeline, args.scale)))
        return
    for pipeline in ("sklearn", "cxgap", "cxgap-unique"):
        out = subprocess.run(
            [sys.executable, __file__, "--scale", str(args.scale), "--pipeline", pipeline],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['pipeline']:<14} n={r['n']:>7}  k={r['k']:>2}  {r['seconds']:>7.2f} s  "
            f"peak RSS {r['peak_rss_mib']:>5} MiB"
        )


if __name__ == "__main__":
    main()
