"""bfloat16 against float32 on the Redundancy task: speed, and the change in TwoNN ID and IsoScore.

    python benchmarks/bench_precision.py [--texts 1000] [--nomic-texts 400]

For all-MiniLM-L6-v2 and nomic-embed-text-v1.5 (prefix style), the RedundancyWikiSmall texts (the
first ``--nomic-texts`` of them for nomic, whose float32 encoding is slow on a CPU) are embedded under
every prompt type in float32 and in bfloat16 (autocast), each with an empty cache, side by side in one
process; then ID and IsoScore per prompt type are measured on both. Intervals are switched off: the
point is the change of the point estimates. Writes benchmarks/results/precision.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": "prefix",
    "nomic-ai/nomic-embed-text-v1.5": "prefix",
}


def run(model: str, style: str, texts: list[str], precision: str, work: Path):
    from mteb_redundancy_tasks.redundancy import RedundancyWikiSmall

    from mteb_redundancy import EmbeddingCache, get_encoder

    class Bench(RedundancyWikiSmall):
        n_resamples = 0

    encoder = get_encoder(f"{model} (prompt={style})", device="cpu", cache=EmbeddingCache(work / f"{precision}-{model.replace('/', '_')}"),
                          precision=precision, show_progress=False)
    encoder.backend.load()
    start = time.perf_counter()
    scores = Bench().measure(encoder, texts, batch_size=32, hf_subset="default")
    return time.perf_counter() - start, encoder.texts_encoded, scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--nomic-texts", type=int, default=400)
    args = parser.parse_args()

    import mteb  # noqa: F401  (registers the models and tasks)
    import torch
    from mteb_redundancy_tasks.redundancy import wiki_sample

    from mteb_redundancy.models.precision import cpu_has_native_bfloat16

    work = Path(tempfile.mkdtemp(prefix="bench-precision-"))
    lines = [
        f"RedundancyWikiSmall texts, {os.cpu_count()} CPU cores, torch {torch.__version__}, native bfloat16: "
        f"{cpu_has_native_bfloat16()}; float32 and bfloat16 side by side in one run, each from an empty cache.",
        "",
        "| model | texts | float32 s | bfloat16 s | speed-up | prompt type | ID f32 | ID bf16 | change | IsoScore f32 | IsoScore bf16 | change |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    worst = 0.0
    for model, style in MODELS.items():
        n = args.nomic_texts if "nomic" in model else args.texts
        texts = wiki_sample(n)
        f32_time, f32_n, f32 = run(model, style, texts, "float32", work)
        b16_time, b16_n, b16 = run(model, style, texts, "bfloat16", work)
        for prompt_type, a in f32["prompt_types"].items():
            b = b16["prompt_types"][prompt_type]
            d_id = (b["twonn"] - a["twonn"]) / a["twonn"]
            d_iso = (b["isoscore"] - a["isoscore"]) / a["isoscore"]
            worst = max(worst, abs(d_id), abs(d_iso))
            lines.append(
                f"| {model.split('/')[-1]} | {n} | {f32_time:.0f} | {b16_time:.0f} | {f32_time / b16_time:.2f}x | {prompt_type} | "
                f"{a['twonn']:.3f} | {b['twonn']:.3f} | {100 * d_id:+.2f}% | {a['isoscore']:.4f} | {b['isoscore']:.4f} | {100 * d_iso:+.2f}% |"
            )
        print("\n".join(lines[-len(f32["prompt_types"]):]), flush=True)
    lines += [
        "",
        f"Largest relative change of ID or IsoScore: {100 * worst:.2f}% "
        f"({'within' if worst <= 0.005 else 'above'} the 0.5% the project allows for a bfloat16 default).",
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "precision.md"
    out.write_text(table + "\n")


if __name__ == "__main__":
    main()
