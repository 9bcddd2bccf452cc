"""A dimension sweep through the engine vs one `mteb run` per variant.

    python benchmarks/bench_sweep.py [--task WikiTopicClassification] [--dims 2,4,8,16,32,64,128,full]

On all-MiniLM-L6-v2, from an empty embedding cache each time, back to back in one invocation:

- one full-dimension run: `mteb run -m "<model> (prompt=none)" -t <task>`;
- the sweep: `mteb-redundancy sweep -m <model> --dims <dims> -t <task>` (one process, all d);
- the naive way: one `mteb run -m "<variant>"` per d, each with its own empty embedding cache
  (every run encodes the task again);
- two more (full run, sweep) pairs, so that drift in the machine's load (shared cores) falls on
  both sides of the ratio: the table gives medians over the three pairs, and each pair's ratio.

Every command is a fresh process, as a user would run it; the times include starting Python,
importing MTEB and loading the model. Wall time and CPU time (user + system of the process) are both
reported; CPU time is the steadier on a machine other jobs share. Prints a Markdown table and writes
it to benchmarks/results/sweep.md. Target (issue 6): the sweep costs at most 1.3x one full run
(naive: ~8x).
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
BIN = Path(sys.executable).parent


def texts_in_cache(root: Path) -> int:
    """Texts stored in an embedding cache (each shard's manifest lists its text keys)."""
    return sum(
        len(json.loads(p.read_text())["keys"]) for p in root.glob("*/*.json") if p.name != "namespace.json"
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(command: list[str], cache: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and texts encoded of one command, from an empty embedding cache."""
    shutil.rmtree(cache, ignore_errors=True)
    cpu, start = children_cpu(), time.perf_counter()
    completed = subprocess.run(
        command, env={**env, "MTEB_REDUNDANCY_CACHE": str(cache)}, capture_output=True, text=True
    )
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-4000:]}")
    return seconds, cpu, texts_in_cache(cache)


def variant_name(d: str) -> str:
    return f"{MODEL} (prompt=none)" if d == "full" else f"{MODEL} (prompt=none, dim={d})"


def main_score(output: Path, task: str) -> dict[str, float]:
    scores = {}
    # A variant's results are an MTEB experiment of its base model: <base>/<revision>/experiments/<name>/.
    for path in (output / "results").glob(f"*/*/experiments/*/{task}.json"):
        scores[path.parent.name] = json.loads(path.read_text())["scores"]["test"][0]["main_score"]
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", default="WikiTopicClassification")
    parser.add_argument("--dims", default="2,4,8,16,32,64,128,full")
    args = parser.parse_args()
    dims = [d.strip() for d in args.dims.split(",")]

    work = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               MTEB_CACHE=str(work / "mteb-cache"))
    cache = work / "embeddings"
    mteb = [str(BIN / "mteb"), "run", "-t", args.task]

    def full_run(tag: str) -> tuple[float, float, int]:
        return timed_run([*mteb, "-m", variant_name("full"), "--output-folder", str(work / tag)], cache, env)

    def sweep_run(tag: str) -> tuple[float, float, int]:
        return timed_run(
            [str(BIN / "mteb-redundancy"), "sweep", "-m", MODEL, "--prompt", "none", "--dims", ",".join(dims),
             "--reduction", "first", "-t", args.task, "--output-folder", str(work / tag), "--no-progress"],
            cache, env,
        )

    fulls, sweeps = [full_run("full-1")], [sweep_run("sweep-1")]
    naive = [
        timed_run([*mteb, "-m", variant_name(d), "--output-folder", str(work / "naive")], cache, env) for d in dims
    ]
    for pair in (2, 3):
        fulls.append(full_run(f"full-{pair}"))
        sweeps.append(sweep_run(f"sweep-{pair}"))

    # Same numbers either way.
    swept, separate = main_score(work / "sweep-1", args.task), main_score(work / "naive", args.task)
    assert swept.keys() == separate.keys() and len(swept) == len(dims), (swept, separate)
    largest_gap = max(abs(swept[k] - separate[k]) for k in swept)

    def median(runs, i):
        return statistics.median(run[i] for run in runs)

    full_wall, full_cpu = median(fulls, 0), median(fulls, 1)
    rows = [
        ("one full-dimension `mteb run`", full_wall, full_cpu, fulls[0][2], "reference"),
        (f"sweep: {len(dims)} dims in one `mteb-redundancy sweep`", median(sweeps, 0), median(sweeps, 1),
         sweeps[0][2], "target <= 1.3"),
        (f"naive: {len(dims)} separate `mteb run`", sum(r[0] for r in naive), sum(r[1] for r in naive),
         sum(r[2] for r in naive), "about one full run per d"),
    ]
    lines = [
        f"{MODEL} on {args.task}, d in {{{', '.join(dims)}}}, reduction `first`; "
        f"{os.cpu_count()} CPU cores (shared with other jobs); every run from an empty embedding cache, in a "
        f"fresh process (times include Python start-up, `import mteb` and loading the model). Full run and "
        f"sweep: medians of three (full, sweep) pairs, one before and two after the naive runs.",
        "",
        "| method | wall s | wall ratio to one full run | CPU s | CPU ratio to one full run | texts encoded | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        *[
            f"| {label} | {wall:.1f} | {wall / full_wall:.2f} | {cpu:.1f} | {cpu / full_cpu:.2f} | {texts} | {note} |"
            for label, wall, cpu, texts, note in rows
        ],
        "",
        "Sweep / full in each pair: "
        + ", ".join(f"{s_[0] / f[0]:.2f} wall and {s_[1] / f[1]:.2f} CPU" for f, s_ in zip(fulls, sweeps))
        + f". Single runs (wall s): full {', '.join(f'{r[0]:.0f}' for r in fulls)}; sweep "
        f"{', '.join(f'{r[0]:.0f}' for r in sweeps)}; naive per d {', '.join(f'{r[0]:.0f}' for r in naive)}. "
        f"Largest difference between a sweep score and the same variant's separate run: {largest_gap:.2g} "
        f"(main score, 0-1 scale).",
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "sweep.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
