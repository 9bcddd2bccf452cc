"""The full `study` for one model, against the naive way (one `mteb run` per variant and task).

    python benchmarks/bench_study.py [--model nomic-ai/nomic-embed-text-v1.5] [--prompt prefix] [--work DIR]

Runs `run_study` with an empty embedding cache, then again (which must encode nothing), and counts
what the naive way encodes: every (reduction, d) variant of the sweep as its own `mteb run`, each
encoding its task's texts again, plus the redundancy and displacement runs. The naive wall time is
that count at the encoding rate measured here (texts per second of the cold study); it is an
estimate, not a run, and says so. Writes benchmarks/results/study.md.
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
    parser.add_argument("--model", default="nomic-ai/nomic-embed-text-v1.5")
    parser.add_argument("--prompt", default="prefix")
    parser.add_argument("--work", default=None, help="keep the study (report, results, embeddings) here; default: a new temporary folder")
    args = parser.parse_args()

    import mteb  # noqa: F401  (registers the models and tasks)

    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.study.engine import run_study
    from mteb_redundancy.models.precision import resolve_precision

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-study-"))
    if (work / "embeddings").exists() or (work / "study").exists():
        raise SystemExit(f"{work} already holds a study: give an empty or new --work folder (the run must be cold)")
    cache = EmbeddingCache(work / "embeddings")
    start = time.perf_counter()
    cold = run_study(args.model, args.prompt, work / "study", embedding_cache=cache, show_progress=False)
    cold_seconds = time.perf_counter() - start
    start = time.perf_counter()
    warm = run_study(args.model, args.prompt, work / "study", embedding_cache=cache, show_progress=False)
    warm_seconds = time.perf_counter() - start

    # The naive way: each sweep variant is its own run and encodes its task's texts again.
    per_task: dict[str, int] = {}
    for count in cold.sweep.encodings:
        per_task[count.task] = per_task.get(count.task, 0) + count.texts_encoded
    variants = len({row.variant for row in cold.sweep.rows})
    sweep_naive = sum(variants * n for n in per_task.values())
    other = cold.texts_encoded - sum(per_task.values())  # redundancy and displacement: one run each either way
    naive_texts = sweep_naive + other
    rate = cold.texts_encoded / cold_seconds
    lines = [
        f"`mteb-redundancy study -m {args.model} --prompt {args.prompt}` with the default tasks, dims and reductions "
        f"(first, random), {os.cpu_count()} CPU cores, precision {resolve_precision(None, 'cpu')}.",
        "",
        "| run | wall time (min) | texts encoded |",
        "| --- | ---: | ---: |",
        f"| study, cold cache | {cold_seconds / 60:.1f} | {cold.texts_encoded:,} |",
        f"| study, second run | {warm_seconds / 60:.1f} | {warm.texts_encoded:,} |",
        f"| naive: one `mteb run` per variant and task ({variants} variants per task) | ~{naive_texts / rate / 60:.0f} (estimated at the same rate) | {naive_texts:,} |",
        "",
        f"Texts encoded, naive / study: {naive_texts / cold.texts_encoded:.1f}x. Sweep texts per task (encoded once): "
        + ", ".join(f"{task} {n:,}" for task, n in per_task.items()) + ".",
    ]
    table = "\n".join(lines)
    print(table)
    (Path(__file__).parent / "results" / "study.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
