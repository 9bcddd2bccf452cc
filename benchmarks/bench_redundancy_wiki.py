"""Wall time of the full RedundancyWiki run on all-MiniLM-L6-v2, and which part dominates.

    python benchmarks/bench_redundancy_wiki.py [--task RedundancyWiki]

Runs the task twice through `mteb.evaluate` in one process: with an empty embedding cache (encode +
measure) and again with the cache warm (measure only); the difference is the encoding. Writes the
table to benchmarks/results/redundancy_wiki.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", default="RedundancyWiki")
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2 (prompt=none)")
    args = parser.parse_args()

    import mteb

    from mteb_redundancy import EmbeddingCache, get_encoder

    work = Path(tempfile.mkdtemp(prefix="bench-redundancy-"))
    cache = EmbeddingCache(work / "embeddings")
    timings = {}
    for label in ("cold cache (encode + measure)", "warm cache (measure only)"):
        model = get_encoder(args.model, device="cpu", cache=cache)
        task = mteb.get_task(args.task)
        start = time.perf_counter()
        result = mteb.evaluate(model, [task], cache=mteb.ResultCache(work / label.split()[0]), overwrite_strategy="always")
        timings[label] = (time.perf_counter() - start, model.texts_encoded)
    scores = result.task_results[0].scores["test"][0]
    cold, warm = timings["cold cache (encode + measure)"][0], timings["warm cache (measure only)"][0]
    lines = [
        f"`{args.task}` on {args.model}, {os.cpu_count()} CPU cores, {scores['n_texts']:,} texts.",
        "",
        "| run | seconds | texts encoded | share of the cold run |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {label} | {seconds:.1f} | {n:,} | {seconds / cold:.0%} |" for label, (seconds, n) in timings.items()],
        f"| encoding (difference) | {cold - warm:.1f} | | {(cold - warm) / cold:.0%} |",
        "",
        f"TwoNN ID (none): {scores['twonn_none']:.2f}; IsoScore: {scores['isoscore_none']:.4f}; "
        f"Gaussian IsoScore at the same (m, n): {scores['prompt_types']['none']['gaussian_isoscore']:.4f}.",
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "redundancy_wiki.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")


if __name__ == "__main__":
    main()
