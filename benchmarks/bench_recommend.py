"""`mteb-redundancy recommend` vs the naive way (one `mteb run` per configuration).

    python benchmarks/bench_recommend.py [--naive-configs "pca,64,int8;first,16,binary"]

On all-MiniLM-L6-v2, back to back in one invocation, every command a fresh process (times include
Python start-up, `import mteb` and loading the model):

- `recommend` over 4 tasks (WikiTopicClassification, WikiTopicClustering, WikiRetrieval,
  STSBenchmarkOffline) x 3 reductions (first, random, pca) x 8 dims (2, 4, ..., 128, full) x 3
  encodings (float32, int8, binary), from an empty embedding cache;
- the same `recommend` again (warm: it finds every result and encodes nothing);
- the naive way: one `mteb run -m "<variant>" -t <task>` per configuration, each from an empty
  embedding cache (as separate runs re-encode their task). All 4 x 72 would take hours on 2 shared
  cores, so it runs a documented subset (``--naive-configs``, on every task) and extrapolates to the
  full grid by its per-run means: texts encoded per run x runs, seconds per run x runs.

Prints a Markdown table and writes it to benchmarks/results/recommend.md, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TASKS = ["WikiTopicClassification", "WikiTopicClustering", "WikiRetrieval", "STSBenchmarkOffline"]
DIMS = ["2", "4", "8", "16", "32", "64", "128", "full"]
REDUCTIONS = ["first", "random", "pca"]
QUANTIZATIONS = ["float32", "int8", "binary"]
BIN = Path(sys.executable).parent


def texts_in_cache(root: Path) -> int:
    return sum(len(json.loads(p.read_text())["keys"]) for p in root.glob("*/*.json") if p.name != "namespace.json")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], cache: Path, *, fresh: bool) -> tuple[float, float, int, str]:
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
    before = texts_in_cache(cache) if cache.exists() else 0
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(command, env={**env, "MTEB_REDUNDANCY_CACHE": str(cache)}, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return seconds, cpu, texts_in_cache(cache) - before, done.stdout + done.stderr


def variant(reduction: str, d: str, quantization: str) -> str:
    options = ["prompt=none"]
    if d != "full":
        options.append(f"dim={d}")
        if reduction != "first":
            options.append(f"reduction={reduction}")
    if quantization != "float32":
        options.append(f"quantization={quantization}")
    return f"{MODEL} ({', '.join(options)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--naive-configs", default="pca,64,int8",
                        help="';'-separated reduction,d,quantization run the naive way on every task")
    args = parser.parse_args()
    naive_configs = [tuple(c.split(",")) for c in args.naive_configs.split(";") if c.strip()]

    work = Path(tempfile.mkdtemp(prefix="bench-recommend-"))
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", MTEB_CACHE=str(work / "mteb-cache"),
               MTEB_REDUNDANCY_PRECISION="float32")
    load_before = os.getloadavg()
    recommend = [str(BIN / "mteb-redundancy"), "recommend", "-m", MODEL, "--prompt", "none", "-t", *TASKS,
                 "--keep", "0.99", "--dims", ",".join(DIMS), "--reduction", ",".join(REDUCTIONS),
                 "--quantization", ",".join(QUANTIZATIONS), "--output-folder", str(work / "rec"), "--no-progress"]
    cold = timed(recommend, env, work / "emb-rec", fresh=True)
    warm = timed(recommend, env, work / "emb-rec", fresh=False)
    naive = []
    for reduction, d, quantization in naive_configs:
        for task in TASKS:
            run = timed([str(BIN / "mteb"), "run", "-m", variant(reduction, d, quantization), "-t", task,
                         "--output-folder", str(work / "naive")], env, work / "emb-naive", fresh=True)
            naive.append((task, reduction, d, quantization, run))
    load_after = os.getloadavg()

    # the naive scores equal the recommend run's (same variants, same MTEB evaluators)
    gaps = []
    for task, reduction, d, quantization, _ in naive:
        for folder in (work / "naive" / "results").glob(f"*/*/experiments/*/{task}.json"):
            twin = work / "rec" / folder.relative_to(work / "naive")
            a = json.loads(folder.read_text())["scores"]["test"][0]["main_score"]
            b = json.loads(twin.read_text())["scores"]["test"][0]["main_score"]
            gaps.append(abs(a - b))

    n_configs = len(REDUCTIONS) * len(DIMS) * len(QUANTIZATIONS)  # 72 as the issue counts them
    n_distinct = len(QUANTIZATIONS) * (1 + len(REDUCTIONS) * (len(DIMS) - 1))  # at full d the reductions coincide
    runs = len(TASKS) * n_distinct
    per_run_wall = statistics.mean(r[4][0] for r in naive)
    per_run_cpu = statistics.mean(r[4][1] for r in naive)
    per_run_texts = {task: statistics.mean(r[4][2] for r in naive if r[0] == task) for task in TASKS}
    naive_texts = sum(per_run_texts[t] * n_distinct for t in TASKS)
    naive_wall, naive_cpu = per_run_wall * runs, per_run_cpu * runs
    summary = cold[3].strip().splitlines()
    rows = [
        (f"`recommend`, cold (empty cache): {len(TASKS)} tasks x {n_configs} configurations", cold[0], cold[1], cold[2], "measured"),
        ("`recommend` again, same folder (warm)", warm[0], warm[1], warm[2], "measured"),
        (f"naive: one `mteb run` per configuration ({runs} runs)", naive_wall, naive_cpu, naive_texts,
         f"extrapolated from {len(naive)} measured runs"),
    ]
    lines = [
        f"{MODEL}, prompt none, tasks {', '.join(TASKS)}; reductions {', '.join(REDUCTIONS)}, d in "
        f"{{{', '.join(DIMS)}}}, encodings {', '.join(QUANTIZATIONS)}: {n_configs} configurations per task as the issue "
        f"counts them, {n_distinct} distinct variants (at full d the three reductions are one vector), so the naive way "
        f"is {runs} `mteb run`s. {os.cpu_count()} CPU cores, **not quiet**: load average {load_before[0]:.1f} / "
        f"{load_before[1]:.1f} / {load_before[2]:.1f} before and {load_after[0]:.1f} / {load_after[1]:.1f} / "
        f"{load_after[2]:.1f} after (other agents' jobs shared the cores). Every command a fresh process, float32.",
        "",
        "| method | wall s | CPU s | texts encoded | note |",
        "| --- | ---: | ---: | ---: | --- |",
        *[f"| {label} | {wall:.0f} | {cpu:.0f} | {texts:.0f} | {note} |" for label, wall, cpu, texts, note in rows],
        "",
        f"Ratios, naive / recommend (cold): wall {naive_wall / cold[0]:.1f}x, CPU {naive_cpu / cold[1]:.1f}x, texts "
        f"encoded {naive_texts / max(cold[2], 1):.1f}x. Warm recommend / cold: wall {warm[0] / cold[0]:.2f}, "
        f"{warm[2]} texts encoded.",
        "",
        "Naive runs measured (each from an empty embedding cache): "
        + "; ".join(f"{t} {variant(r, d, q).split(' (')[1].rstrip(')')}: {run[0]:.0f} s wall, {run[2]} texts"
                    for t, r, d, q, run in naive)
        + f". Extrapolation: mean {per_run_wall:.0f} s wall and {per_run_cpu:.0f} s CPU per run x {runs} runs; texts per "
        f"run per task x {n_distinct} variants. Largest difference between a naive run's main score and recommend's "
        f"for the same variant: {max(gaps) if gaps else float('nan'):.2g}.",
        "",
        "recommend's own summary line: " + (next((s for s in summary if "texts encoded" in s), "")),
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "recommend.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# recommend vs one `mteb run` per configuration\n\n" + table + "\n")
    keep = Path(__file__).parent / "results" / "recommend-report"
    keep.mkdir(exist_ok=True)
    for name in ("recommend.md", "recommend.png"):
        if (work / "rec" / name).exists():
            shutil.copy(work / "rec" / name, keep / name)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
