"""Encoding through the wrapper vs raw sentence-transformers, and a warm cache vs a cold one.

    python benchmarks/bench_encoding.py [--n 2000]

Prints a Markdown table and writes it to benchmarks/results/encoding.md. Both paths use the same
loaded model (loading is not timed); the raw path is `SentenceTransformer.encode` with the same
batch size. Targets (issue 2): wrapper / raw <= 1.05; warm cache >= 20x faster than cold.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import mteb  # noqa: F401
    from mteb_redundancy_tasks.data import wiki_leads

    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.models.styles import NO_PROMPT

    texts = [lead.text for lead in wiki_leads()][: args.n]
    cache_root = Path(tempfile.mkdtemp(prefix="bench-encoding-"))
    name = "sentence-transformers/all-MiniLM-L6-v2 (prompt=none)"

    cold = get_encoder(name, device="cpu", cache=EmbeddingCache(cache_root), show_progress=False)
    model = cold.model  # load once, outside the timings
    model.encode(texts[:64], batch_size=args.batch_size)  # warm up threads and kernels

    raw_s, raw = timed(lambda: model.encode(texts, batch_size=args.batch_size, show_progress_bar=False))
    cold_s, wrapped = timed(lambda: cold.embed(texts, NO_PROMPT, batch_size=args.batch_size))
    warm = get_encoder(name, device="cpu", cache=EmbeddingCache(cache_root), show_progress=False)
    warm_s, served = timed(lambda: warm.embed(texts, NO_PROMPT, batch_size=args.batch_size))

    assert np.allclose(raw, wrapped, atol=1e-5) and np.array_equal(wrapped, served)
    assert warm.texts_encoded == 0 and warm.backend._model is None

    rows = [
        ("raw SentenceTransformer.encode", raw_s, 1.0, ""),
        ("wrapper, cold cache (encode + write)", cold_s, cold_s / raw_s, "target <= 1.05"),
        ("wrapper, warm cache (read, model never loaded)", warm_s, warm_s / raw_s, f"{cold_s / warm_s:.0f}x faster than cold; target >= 20x"),
    ]
    lines = [
        f"Encoding {len(texts)} Wikipedia leads with all-MiniLM-L6-v2 on {os.cpu_count()} CPU cores, batch size {args.batch_size}.",
        "",
        "| path | seconds | ratio to raw | note |",
        "| --- | ---: | ---: | --- |",
        *[f"| {label} | {seconds:.3f} | {ratio:.3f} | {note} |" for label, seconds, ratio, note in rows],
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "encoding.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")


if __name__ == "__main__":
    main()
