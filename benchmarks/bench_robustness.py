"""`robustness` cold against the naive way: a separate run per corpus, size and prompt.

    python benchmarks/bench_robustness.py                   # nomic-embed-text-v1.5, prefix, default corpora and sizes
    python benchmarks/bench_robustness.py -m sentence-transformers/all-MiniLM-L6-v2 \\
        --corpora RedundancyWikiDescriptionsSmall --sizes 100 200 --naive-sizes 50 100 --output /tmp/robustness.md

1. Plan: the texts the run will encode (each corpus's distinct texts once per distinct prompt) and
   an estimated time from their token counts (``--rate`` texts/s measured on Wikipedia leads).
2. ``robustness`` cold: a fresh embedding cache folder, every corpus and size; wall time (model load
   included) and texts encoded. Then the same run again on that cache (warm): it must encode 0 texts.
3. Side by side on a small configuration (``--naive-corpus`` at ``--naive-sizes``): the naive way
   (for each size and prompt, a run that encodes its own m texts with the cache off and computes its
   statistics) against ``robustness`` cold on the same configuration. Both measured in this run.
4. The naive cost of the full configuration is **extrapolated** from the cold run by texts encoded
   (naive texts / robustness texts x robustness wall time): the naive way was not run at full size.
   The naive runs here reuse one loaded model, so their measured cost is a lower bound.

Writes ``--output`` (benchmarks/results/robustness.md).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOMIC = "nomic-ai/nomic-embed-text-v1.5"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-m", "--model", default=NOMIC)
    p.add_argument("--prompt", default="prefix")
    p.add_argument("--corpora", nargs="+", help="Redundancy tasks (default: robustness's, the ...Small ones)")
    p.add_argument("--sizes", nargs="+", help="numbers of texts (default: robustness's)")
    p.add_argument("--estimators", nargs="+", help="default: every registered one")
    p.add_argument("--n-resamples", type=int, default=200)
    p.add_argument("--naive-corpus", default="RedundancyWikiSmall", help="corpus of the side-by-side comparison")
    p.add_argument("--naive-sizes", nargs="+", type=int, default=[50, 100])
    p.add_argument("--rate", type=float, default=16.0, help="texts/s on Wikipedia leads, for the estimate (nomic bfloat16 here: 16)")
    p.add_argument("--work", help="folder for the fresh caches and reports (default: a temporary one)")
    p.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "robustness.md"))
    p.add_argument("--plan-only", action="store_true", help="print the planned texts and the estimated time, then stop")
    return p.parse_args(argv)


def distinct_prompts(plan, encoder) -> dict[str, list]:
    """Per corpus, its distinct prompts (as ``robustness`` embeds them: the prompt types its claims compare)."""
    from mteb_redundancy.analyses.robustness.engine import _prompts_by_type, claim_prompt_types

    return {c.name: list(_prompts_by_type(c.task, encoder, claim_prompt_types())[0].values()) for c in plan.corpora}


def encoded_texts(corpus) -> list[str]:
    """The texts ``robustness`` encodes for a corpus: those of its largest nested subsample."""
    from mteb_redundancy.analyses.robustness.curves import nested_subsamples

    return [corpus.texts[i] for i in nested_subsamples(len(corpus.texts), [max(corpus.sizes)])[0]]


def estimate_seconds(plan, prompts, encoder, rate: float) -> tuple[int, float]:
    """Texts to encode and an estimate of the time: tokens (truncated at the model's maximum) at the
    token rate that ``rate`` texts/s on the first 1,000 Wikipedia leads implies."""
    import numpy as np
    from transformers import AutoTokenizer

    from mteb_redundancy_tasks.corpora import corpus_texts

    tokenizer = AutoTokenizer.from_pretrained(encoder.location)
    limit = encoder.spec.max_seq_length or 512

    def tokens(texts, prompt):
        ids = tokenizer([prompt.apply(t) for t in texts], truncation=True, max_length=limit)["input_ids"]
        return np.array([len(i) for i in ids])

    first = next(iter(prompts.values()))[0]
    per_second = rate * tokens(corpus_texts("RedundancyWiki", 1000), first).mean()
    n = sum(max(c.sizes) * len(prompts[c.name]) for c in plan.corpora)
    total = sum(tokens(encoded_texts(c), p).sum() for c in plan.corpora for p in prompts[c.name])
    return n, float(total / per_second)


def naive(plan, encoder, n_resamples: int) -> tuple[int, float]:
    """A run per (corpus, size, prompt), each encoding its own texts (no cache) and computing its statistics."""
    from mteb_redundancy.analyses.robustness.curves import nested_subsamples
    from mteb_redundancy.estimators.bootstrap import paired_bootstrap

    cache, encoder.cache = encoder.cache, None
    start_texts, start = encoder.texts_encoded, time.perf_counter()
    for corpus in plan.corpora:
        for rows in nested_subsamples(len(corpus.texts), corpus.sizes):
            texts = [corpus.texts[i] for i in rows]
            for prompt in distinct_prompts(plan, encoder)[corpus.name]:
                paired_bootstrap({"cloud": encoder.embed(texts, prompt, show_progress=False)}, n_resamples=n_resamples)
    encoder.cache = cache
    return encoder.texts_encoded - start_texts, time.perf_counter() - start


def cold(model, prompt, out, *, corpora, sizes, estimators, n_resamples, encoder, cache_dir) -> tuple[int, float]:
    from mteb_redundancy.analyses.robustness.engine import run_robustness
    from mteb_redundancy.models.cache import EmbeddingCache

    encoder.cache = EmbeddingCache(cache_dir)
    start = time.perf_counter()
    result = run_robustness(model, prompt, out, corpora=corpora, sizes=sizes, estimators=estimators,
                            n_resamples=n_resamples, encoder=encoder, show_progress=False)
    return result.texts_encoded, time.perf_counter() - start


def main(argv=None) -> int:
    args = parse_args(argv)
    from mteb_redundancy._io import atomic_write_text, markdown_table
    from mteb_redundancy.analyses.robustness.engine import check_robustness
    from mteb_redundancy.models.variants import get_encoder

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-robustness-"))
    options = {"estimators": args.estimators, "n_resamples": args.n_resamples}
    full = check_robustness(args.model, args.prompt, work / "report", corpora=args.corpora, sizes=args.sizes, estimators=args.estimators)
    small = check_robustness(args.model, args.prompt, work / "small", corpora=[args.naive_corpus], sizes=args.naive_sizes,
                             estimators=args.estimators)
    load_start = time.perf_counter()
    encoder = get_encoder(full.variant, cache=False, show_progress=False)
    prompts = distinct_prompts(full, encoder)
    n_full, seconds = estimate_seconds(full, prompts, encoder, args.rate)
    print(f"{full.variant}, precision {encoder.precision}; corpora and sizes:")
    for c in full.corpora:
        print(f"  {c.name}: {max(c.sizes)} of its {len(c.texts)} texts x {len(prompts[c.name])} prompts, m = {', '.join(map(str, c.sizes))}")
    n_small = sum(max(c.sizes) * len(prompts[c.name]) for c in small.corpora)
    n_naive_small = sum(sum(c.sizes) * len(prompts[c.name]) for c in small.corpora)
    print(f"planned: cold run {n_full} texts, ~{seconds / 60:.1f} min at {args.rate:g} leads/s scaled by tokens "
          f"(plus the estimators); side by side on {args.naive_corpus}: {n_naive_small} naive + {n_small} robustness texts", flush=True)

    if args.plan_only:
        return 0
    encoder.model  # noqa: B018  (load the weights once; the load is timed with the cold run)
    load_seconds = time.perf_counter() - load_start
    n_cold, t_cold = cold(args.model, args.prompt, work / "report", corpora=args.corpora, sizes=args.sizes,
                          encoder=encoder, cache_dir=work / "cache-full", **options)
    t_cold += load_seconds
    print(f"cold: {n_cold} texts encoded in {t_cold:.0f} s (model load {load_seconds:.0f} s included)", flush=True)
    n_warm, t_warm = cold(args.model, args.prompt, work / "report", corpora=args.corpora, sizes=args.sizes,
                          encoder=encoder, cache_dir=work / "cache-full", **options)
    print(f"warm: {n_warm} texts encoded in {t_warm:.0f} s", flush=True)
    n_rs, t_rs = cold(args.model, args.prompt, work / "small", corpora=[args.naive_corpus], sizes=args.naive_sizes,
                      encoder=encoder, cache_dir=work / "cache-small", **options)
    print(f"small, robustness cold: {n_rs} texts in {t_rs:.0f} s", flush=True)
    n_ns, t_ns = naive(small, encoder, args.n_resamples)
    print(f"small, naive: {n_ns} texts in {t_ns:.0f} s", flush=True)

    n_naive_full = sum(sum(c.sizes) * len(prompts[c.name]) for c in full.corpora)
    t_naive_full = t_cold * n_naive_full / max(n_cold, 1)
    rows = [
        [f"small: {args.naive_corpus}, m = {', '.join(map(str, args.naive_sizes))}", "naive (measured)", n_ns, f"{t_ns:.0f}", "1.00", "1.00"],
        ["", "robustness, cold (measured)", n_rs, f"{t_rs:.0f}", f"{n_rs / n_ns:.2f}", f"{t_rs / t_ns:.2f}"],
        [f"full: {len(full.corpora)} " + ("corpus" if len(full.corpora) == 1 else "corpora") + ("" if args.sizes else ", default sizes"),
         "naive (extrapolated by texts encoded)", n_naive_full, f"{t_naive_full:.0f}", "1.00", "1.00"],
        ["", "robustness, cold (measured)", n_cold, f"{t_cold:.0f}", f"{n_cold / n_naive_full:.2f}", f"{t_cold / t_naive_full:.2f}"],
        ["", "robustness, warm rerun (measured)", n_warm, f"{t_warm:.0f}", f"{n_warm / n_naive_full:.2f}", f"{t_warm / t_naive_full:.2f}"],
    ]
    command = shlex.join(["python", "benchmarks/bench_robustness.py", *(argv if argv is not None else sys.argv[1:])])
    corpora = "; ".join(f"{c.name} ({len(c.texts)} distinct texts, m = {', '.join(map(str, c.sizes))})" for c in full.corpora)
    text = "\n".join([
        "# `robustness`: cold run against the naive way",
        "",
        f"Model `{full.variant}`, precision {encoder.precision}, {len(next(iter(prompts.values())))} distinct prompts per corpus. "
        f"Corpora: {corpora}. Estimators: {', '.join(full.estimators)}; {args.n_resamples} split-half resamples per interval. "
        f"Machine: {os.cpu_count()} CPU cores, 1-min load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "Naive way: a separate run per corpus, size and prompt, each encoding its own m texts (cache off) and computing its "
        "statistics. It was measured on the small configuration only; its cost on the full configuration is **extrapolated** "
        "from the cold run by texts encoded (naive texts / robustness texts x robustness wall time). The naive runs share one "
        "loaded model, so they are a lower bound on separate processes. `robustness` embeds the texts of each corpus's "
        "largest m once per prompt and takes every smaller m as a nested subsample of those vectors, so its saving is "
        "the sum of the smaller sizes over the largest.",
        "",
        f"Estimated before the run: ~{seconds / 60:.1f} min of encoding for {n_full} texts "
        f"({args.rate:g} texts/s on leads, scaled by token counts).",
        "",
        markdown_table(["configuration", "way", "texts encoded", "wall s", "texts ratio", "time ratio"], rows,
                       align=["left", "left", "right", "right", "right", "right"]),
        "",
        f"Cold wall time includes the model load ({load_seconds:.0f} s), and `robustness`'s includes its report (figures) "
        "and every paired difference between prompt types, which the naive runs (each cloud's own intervals only) skip: with a "
        f"fast model that overhead can outweigh the encoding saved. The warm rerun encodes {n_warm} texts: only the "
        "estimators and the report run.",
        "",
        "```",
        command,
        "```",
        "",
    ])
    atomic_write_text(args.output, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
