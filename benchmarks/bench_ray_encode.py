"""Ray engine vs the local path on the same 2,000 texts (all-MiniLM-L6-v2, one machine).

Each engine runs as ``mteb-redundancy encode`` in its own process on an empty cache, one after the
other: ``--engine local`` (one process, torch on all cores) and ``--engine ray`` (a local Ray cluster
of 2 CPUs, 2 actors of 1 CPU and 1 torch thread each). Wall time is measured around the process;
the breakdown comes from the command's ``--json`` record. The two caches are then compared (same
keys, largest difference of the values).

Run: ``python benchmarks/bench_ray_encode.py`` (a few minutes); writes benchmarks/results/ray_encode.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "ray_encode.md"
VARIANT = "sentence-transformers/all-MiniLM-L6-v2 (prompt=none)"


def corpus(n: int, chars: int) -> list[str]:
    from mteb_redundancy_tasks.redundancy import wiki_sample

    texts = list(dict.fromkeys(t.replace("\n", " ")[:chars].strip() for t in wiki_sample(n + 100)))
    return texts[:n]


def run(engine: str, texts_file: Path, root: Path, extra: list[str], env: dict | None = None) -> dict:
    record = root.parent / f"{engine}.json"
    command = [sys.executable, "-m", "mteb_redundancy.cli", "encode", "-m", VARIANT, "--texts", str(texts_file),
               "--engine", engine, "--cache", str(root), "--no-progress", "--json", str(record), *extra]
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, capture_output=True)
    wall = time.perf_counter() - started
    (done,) = json.loads(record.read_text())
    done["wall_seconds"] = wall
    return done


def compare(texts: list[str], a: Path, b: Path) -> tuple[int, float]:
    from mteb_redundancy.engines.plan import plan_jobs
    from mteb_redundancy.models.cache import EmbeddingCache
    from mteb_redundancy.models.variants import get_encoder
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file  # noqa: F401

    import mteb  # noqa: F401

    encoder = get_encoder(VARIANT, cache=False)
    from mteb_redundancy.models.styles import NO_PROMPT

    key = encoder.cache_key(NO_PROMPT)
    va, ma = EmbeddingCache(a).lookup(key, texts)
    vb, mb = EmbeddingCache(b).lookup(key, texts)
    assert not ma and not mb, "a cache is incomplete"
    return len(texts), float(np.abs(va - vb).max())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--chars", type=int, default=300, help="each text cut to this many characters")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    texts = corpus(args.texts, args.chars)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        texts_file = folder / "texts.txt"
        texts_file.write_text("\n".join(texts) + "\n", "utf-8")
        local = run("local", texts_file, folder / "local" / "cache", [])
        single = run("local", texts_file, folder / "single" / "cache", [], {"OMP_NUM_THREADS": "1"})
        on_ray = run("ray", texts_file, folder / "ray" / "cache", ["--num-cpus", "2", "--actors", "2", "--shard-size", "128"])
        n, diff = compare(texts, folder / "local" / "cache", folder / "ray" / "cache")
        _, diff_single = compare(texts, folder / "local" / "cache", folder / "single" / "cache")
    load_after = os.getloadavg()
    actors = on_ray["actors"]
    lines = [
        "# Ray engine vs the local path: 2,000 texts, all-MiniLM-L6-v2, one machine",
        "",
        f"`python benchmarks/bench_ray_encode.py`: {n:,} Wikipedia leads cut to {args.chars} characters, variant `{VARIANT}`,",
        "each engine as `mteb-redundancy encode` in its own process on an empty cache, one after the other.",
        f"Machine: {os.cpu_count()} CPU cores. Load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; "
        f"after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} (shared machine: other jobs ran meanwhile).",
        "",
        "| | local (1 process, torch threads: all cores) | local, 1 torch thread (OMP_NUM_THREADS=1) | Ray (local cluster, 2 actors x 1 CPU, 1 torch thread each) |",
        "|---|---|---|---|",
        f"| wall time of the command (s) | {local['wall_seconds']:.1f} | {single['wall_seconds']:.1f} | {on_ray['wall_seconds']:.1f} |",
        f"| ratio to the local path | 1 | {single['wall_seconds'] / local['wall_seconds']:.2f} | {on_ray['wall_seconds'] / local['wall_seconds']:.2f} |",
        f"| texts encoded | {local['texts_encoded']} | {single['texts_encoded']} | {on_ray['texts_encoded']} (in {on_ray['batches']} shards) |",
        f"| inside the command: plan + encode (s) | {local['seconds']:.1f} (incl. model load) | {single['seconds']:.1f} | {on_ray['seconds']:.1f} |",
        f"| Ray: starting the local cluster (s) | - | - | {on_ray['init_seconds']:.1f} |",
        f"| Ray: from submitting the dataset to the last batch (s) | - | - | {on_ray['run_seconds']:.1f} |",
        f"| Ray: actors building and loading the model (s, per actor) | - | - | {on_ray['model_load_seconds'] / actors:.1f} |",
        f"| Ray: forward passes (s, per actor) | - | - | {on_ray['encode_seconds'] / actors:.1f} |",
        f"| Ray: cache writes (s, per actor) | - | - | {on_ray['store_seconds'] / actors:.2f} |",
        "",
        f"Same cache keys in all three; largest absolute difference of the vectors, Ray vs local: {diff:.1e}, "
        f"1 thread vs local: {diff_single:.1e} (both sort by length and encode 32 texts per forward pass).",
        "",
    ]
    text = "\n".join(lines)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
