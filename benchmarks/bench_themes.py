"""Benchmark: theming N open answers with cxgap against a plain scikit-learn
pipeline, in the same run.

Each pipeline runs in its own child process so that its peak memory (maximum
resident set size) is its own. Answers are the demo company's, mixed over
every open question and audience, generated before the clock starts.

    .venv/bin/python benchmarks/bench_themes.py --scale 100000
    .venv/bin/python benchmarks/bench_themes.py --scale 10000 --pipeline cxgap
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def _answers(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    from cxgap.demo.texts import PLANTED_THEMES, open_answer

    rng = np.random.default_rng(seed)
    pairs = [(q, a) for q, by in PLANTED_THEMES.items() for a in by]
    texts: list[str] = []
    groups: list[str] = []
    while len(texts) < n:
        q, a = pairs[int(rng.integers(len(pairs)))]
        text, _ = open_answer(
            rng, question=q, audience=a, segment="other", team="support", wave="w1"
        )
        if text:
            texts.append(text)
            groups.append(a)
    return texts, groups


def _run(pipeline: str, n: int) -> dict[str, object]:
    texts, groups = _answers(n)
    if pipeline == "cxgap-unique":
        # every answer distinct, so VADER's cache of repeated answers cannot help
        texts = [f"{t} (ref {i})" for i, t in enumerate(texts)]
    start = time.perf_counter()
    if pipeline in ("cxgap", "cxgap-unique"):
        from cxgap.analysis.voice.themes import find_themes

        result = find_themes(texts, groups=groups, seed=0)
        k, extra = result.k, {"k_chosen_by": result.k_chosen_by}
    elif pipeline == "cxgap-fixed-k":
        from cxgap.analysis.voice.themes import find_themes

        result = find_themes(texts, groups=groups, seed=0, n_themes=8)
        k, extra = result.k, {}
    elif pipeline == "sklearn":
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfVectorizer

        x = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5).fit_transform(texts)
        w = NMF(n_components=8, init="nndsvda", random_state=0, max_iter=400).fit_transform(x)
        w.argmax(axis=1)
        k, extra = 8, {}
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
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="number of answers")
    parser.add_argument("--pipeline", default=None, help="run one pipeline in this process")
    args = parser.parse_args()
    if args.pipeline:
        print(json.dumps(_run(args.pipeline, args.scale)))
        return
    for pipeline in ("sklearn", "cxgap-fixed-k", "cxgap", "cxgap-unique"):
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
            + (f"  ({r.get('k_chosen_by')})" if "k_chosen_by" in r else "")
        )


if __name__ == "__main__":
    main()
