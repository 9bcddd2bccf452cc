"""A dimension sweep through the engine vs one `mteb run` per variant.

    python benchmarks/bench_sweep.py [--task WikiTopicClassification] [--dims 2,4,8,16,32,64,128,full]

On all-MiniLM-L6-v2, from an empty embedding cache each time, back to back in one invocation:

- one full-dimension run: `mteb run -m "<model> (prompt=none)" -t <task>`;
- the sweep: `mteb-redundancy sweep -m <model> --dims <dims> -t <task>` (one process, all d);
- the naive way: one `mteb run -m "<variant>"` per d, each with its own empty embedding cache
  (every run encodes the task again);
- the full-dimension run once more, to bracket drift in the machine's load.

Every command is a fresh process, as a user would run it; the wall time includes starting Python,
importing MTEB and loading the model. Prints a Markdown table and writes it to
benchmarks/results/sweep.md. Target (issue 6): the sweep costs at most 1.3x one full run (naive: ~8x).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def timed_run(command: list[str], cache: Path, env: dict[str, str]) -> tuple[float, int]:
    shutil.rmtree(cache, ignore_errors=True)
    start = time.perf_counter()
    completed = subprocess.run(
        command, env={**env, "MTEB_REDUNDANCY_CACHE": str(cache)}, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-4000:]}")
    return seconds, texts_in_cache(cache)


def variant_name(d: str) -> str:
    return f"{MODEL} (prompt=none)" if d == "full" else f"{MODEL} (prompt=none, dim={d})"


def main_score(output: Path, task: str) -> dict[str, float]:
    scores = {}
    for path in (output / "results").glob(f"*/*/{task}.json"):
        scores[path.parent.parent.name] = json.loads(path.read_text())["scores"]["test"][0]["main_score"]
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

    def full_run(tag: str) -> tuple[float, int]:
        return timed_run([*mteb, "-m", variant_name("full"), "--output-folder", str(work / tag)], cache, env)

    full_1 = full_run("full-1")
    sweep = timed_run(
        [str(BIN / "mteb-redundancy"), "sweep", "-m", MODEL, "--prompt", "none", "--dims", ",".join(dims),
         "--reduction", "first", "-t", args.task, "--output-folder", str(work / "sweep"), "--no-progress"],
        cache, env,
    )
    naive = [
        timed_run([*mteb, "-m", variant_name(d), "--output-folder", str(work / "naive")], cache, env) for d in dims
    ]
    full_2 = full_run("full-2")

    # Same numbers either way.
    swept, separate = main_score(work / "sweep", args.task), main_score(work / "naive", args.task)
    assert swept.keys() == separate.keys() and len(swept) == len(dims), (swept, separate)
    largest_gap = max(abs(swept[k] - separate[k]) for k in swept)

    full_s = (full_1[0] + full_2[0]) / 2
    naive_s = sum(seconds for seconds, _ in naive)
    naive_texts = sum(texts for _, texts in naive)
    rows = [
        ("one full-dimension `mteb run` (mean of the two)", full_s, full_1[1], "reference"),
        (f"sweep, {len(dims)} dims in one `mteb-redundancy sweep`", sweep[0], sweep[1], "target <= 1.3"),
        (f"naive, {len(dims)} separate `mteb run`", naive_s, naive_texts, "about one full run per d"),
    ]
    lines = [
        f"{MODEL} on {args.task}, d in {{{', '.join(dims)}}}, reduction `first`; "
        f"{os.cpu_count()} CPU cores; every run from an empty embedding cache, in a fresh process "
        f"(wall time includes Python start-up, `import mteb` and loading the model).",
        "",
        "| method | seconds | ratio to one full run | texts encoded | note |",
        "| --- | ---: | ---: | ---: | --- |",
        *[f"| {label} | {seconds:.1f} | {seconds / full_s:.2f} | {texts} | {note} |" for label, seconds, texts, note in rows],
        "",
        f"The two full runs took {full_1[0]:.1f} s and {full_2[0]:.1f} s. Sweep vs naive: "
        f"{naive_s / sweep[0]:.1f}x faster. Largest difference between a sweep score and the same "
        f"variant's separate run: {largest_gap:.2g} (main score, 0-1 scale).",
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "sweep.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
