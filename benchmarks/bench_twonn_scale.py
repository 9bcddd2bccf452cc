"""TwoNN at scale: exact two nearest neighbours for 20k, 50k and 100k points x 768 dims (float32).

For each size, in a fresh subprocess (so that peak memory is the run's own):
- the float32 matrix-multiply rate of this machine, measured in the same process with a plain
  ``np.matmul`` of exactly the shapes the estimator multiplies (one tile: block x (768 + 2) times
  (768 + 2) x block), before and after the estimator; the best rate sets the floor;
- ``twonn(X)`` (exact; float32 screening, float64 re-measurement), its wall time, the peak of numpy's
  traced allocations during the call and the process's peak RSS;
- the ratio of its time to the floor: the products it performs (upper-triangle tiles, about
  n^2 (d + 2) multiply-adds) and the full n x n product (2 n^2 d flops, 1.5e13 at 100k) at the
  measured rate;
- a check against brute force float64 on a random sample of points (exact distances to all points);
- IsoScore on the same points;
- at the sizes given with --skdim, scikit-dimension's ``TwoNN`` (pairwise distance chunks and a full
  sort of every row), and at those given with --approximate, the approximate mode (faiss HNSW) with
  its error on a sample.

Run: ``python benchmarks/bench_twonn_scale.py`` (about 10 minutes on 2 cores); writes
benchmarks/results/twonn_scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

DIM = 768
RESULTS = Path(__file__).resolve().parent / "results" / "twonn_scale.md"


def points(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Embedding-like float32 points: a power-law spectrum (intrinsic dimension far below 768), on
    the unit sphere, with 0.5% exact duplicates and some near-duplicates (ties for the estimator)."""
    rng = np.random.default_rng(seed)
    scales = (np.arange(1, dim + 1) ** -0.8).astype(np.float32)
    X = np.empty((n, dim), dtype=np.float32)
    step = 10_000
    for start in range(0, n, step):
        stop = min(n, start + step)
        X[start:stop] = rng.standard_normal((stop - start, dim), dtype=np.float32) * scales
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    dup = rng.choice(n, size=n // 200, replace=False)
    X[dup] = X[rng.choice(n, size=dup.size)]
    near = rng.choice(n, size=n // 200, replace=False)
    X[near] = X[rng.choice(n, size=near.size)] + np.float32(1e-6) * rng.standard_normal((near.size, dim), dtype=np.float32)
    return X


def matmul_rate(block: int, width: int, repeats: int = 6) -> float:
    """float32 flop/s of the estimator's tile product, (block x width) @ (width x block)."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((block, width), dtype=np.float32)
    b = rng.standard_normal((block, width), dtype=np.float32)
    out = np.empty((block, block), dtype=np.float32)
    np.matmul(a, b.T, out=out)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        np.matmul(a, b.T, out=out)
    return 2.0 * block * block * width * repeats / (time.perf_counter() - start)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(n: int, what: str) -> dict:
    import importlib

    twonn_module = importlib.import_module("mteb_redundancy.estimators.twonn")
    from mteb_redundancy.estimators import isoscore

    X = points(n)
    out: dict = {"n": n, "what": what, "rss_before_mib": rss_mib(), "input_mib": X.nbytes / 2**20}
    if what == "exact":
        n_blocks, block = twonn_module._tile_rows(n, None)
        width = DIM + 2
        rate_before = matmul_rate(block, width)
        tracemalloc.start()
        start = time.perf_counter()
        result = twonn_module.twonn(X)
        seconds = time.perf_counter() - start
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out["rss_twonn_mib"] = rss_mib()  # peak RSS up to the end of the estimator (before the checks)
        rate_after = matmul_rate(block, width)
        rate = max(rate_before, rate_after)
        tiles = n_blocks * (n_blocks + 1) // 2
        performed = 2.0 * tiles * block * block * width
        full = 2.0 * n * n * DIM
        out.update(
            seconds=seconds, dimension=result.dimension, n_points=result.n_points,
            duplicates=result.n_duplicates_dropped, traced_peak_mib=traced_peak / 2**20,
            rate_gflops=rate / 1e9, rate_before_gflops=rate_before / 1e9, rate_after_gflops=rate_after / 1e9,
            performed_flops=performed, full_flops=full, floor_performed_s=performed / rate,
            floor_full_s=full / rate, block=block,
        )
        # brute force float64 on a sample of the distinct points: distances to every other point
        Xd = np.asarray(X, dtype=np.float64)[twonn_module._unique_row_mask(np.asarray(X, dtype=np.float64))]
        r1, r2 = twonn_module._two_nearest_exact(Xd, None, "float32")
        rows = np.random.default_rng(2).choice(len(Xd), size=40, replace=False)
        mismatches = 0
        for row in rows:
            d = np.sqrt(np.einsum("ij,ij->i", Xd - Xd[row], Xd - Xd[row]))
            d[row] = np.inf
            two = np.partition(d, 1)[:2]
            mismatches += int(not (two[0] == r1[row] and two[1] == r2[row]))
        out["brute_force_sample"] = len(rows)
        out["brute_force_mismatches"] = mismatches
        start = time.perf_counter()
        tracemalloc.start()
        out["isoscore"] = isoscore(X)
        out["isoscore_traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        out["isoscore_seconds"] = time.perf_counter() - start
    elif what == "skdim":
        import skdim

        Xd = np.asarray(X, dtype=np.float64)
        Xd = Xd[twonn_module._unique_row_mask(Xd)]  # skdim cannot take duplicates (r1 = 0)
        start = time.perf_counter()
        out["dimension"] = float(skdim.id.TwoNN().fit(Xd).dimension_)
        out["seconds"] = time.perf_counter() - start
    elif what == "approximate":
        tracemalloc.start()
        start = time.perf_counter()
        result = twonn_module.twonn(X, neighbours="approximate")
        out["seconds"] = time.perf_counter() - start
        out["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        out["dimension"] = result.dimension
        out["approximation"] = result.approximation
    out["rss_peak_mib"] = rss_mib()
    return out


def run_child(n: int, what: str, timeout: float) -> dict:
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--what", what],
            capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"n": n, "what": what, "error": f"did not finish in {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"n": n, "what": what, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(rows: list[dict], load_before, load_after) -> str:
    lines = [
        "# TwoNN at scale: exact two nearest neighbours, 768 dimensions",
        "",
        "`python benchmarks/bench_twonn_scale.py`. Embedding-like float32 points (power-law spectrum, unit",
        "norm, 0.5% exact duplicates, 0.5% near-duplicates at 1e-6). Each row in its own process; the",
        "matmul floor is measured in that process, just before and after the estimator, with a plain",
        "float32 `np.matmul` of exactly the tile shapes the estimator multiplies (best of the two rates).",
        f"Machine: {os.cpu_count()} CPU cores, numpy {np.__version__}. Load average before: "
        f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} "
        "(the machine is shared: other jobs ran at the same time).",
        "",
        "## Exact (float32 screening, float64 re-measurement)",
        "",
        "| points | time (s) | matmul rate (GFLOP/s, before / after) | floor: products performed (s) | ratio | floor: full 2n^2d (s) | ratio | traced peak (MiB) | peak RSS (MiB) | input (MiB) | brute force, sample | ID | IsoScore (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["what"] != "exact":
            continue
        if "error" in r:
            lines.append(f"| {r['n']:,} | {r['error']} |||||||||||")
            continue
        lines.append(
            f"| {r['n']:,} | {r['seconds']:.1f} | {r['rate_before_gflops']:.0f} / {r['rate_after_gflops']:.0f} | "
            f"{r['floor_performed_s']:.1f} | {r['seconds'] / r['floor_performed_s']:.2f} | {r['floor_full_s']:.1f} | "
            f"{r['seconds'] / r['floor_full_s']:.2f} | {r['traced_peak_mib']:.0f} | {r['rss_twonn_mib']:.0f} | {r['input_mib']:.0f} | "
            f"{r['brute_force_sample'] - r['brute_force_mismatches']}/{r['brute_force_sample']} equal | {r['dimension']:.3f} | "
            f"{r['isoscore_seconds']:.1f} (IsoScore {r['isoscore']:.4f}, traced peak {r['isoscore_traced_peak_mib']:.0f} MiB) |"
        )
    others = [r for r in rows if r["what"] != "exact"]
    if others:
        lines += ["", "## scikit-dimension and the approximate mode", "",
                  "| points | estimator | time (s) | ID | peak RSS (MiB) | error on a sample |", "|---|---|---|---|---|---|"]
        for r in others:
            if "error" in r:
                lines.append(f"| {r['n']:,} | {r['what']} | {r['error']} | | | |")
                continue
            err = ""
            if r.get("approximation"):
                a = r["approximation"]
                err = (f"{a['sample']} points: {a['fraction_exact']:.1%} exact; mu rel. error mean {a['mu_relative_error_mean']:.2e}, "
                       f"max {a['mu_relative_error_max']:.2e}")
            name = {"skdim": "skdim.id.TwoNN", "approximate": "twonn(neighbours='approximate')"}[r["what"]]
            lines.append(f"| {r['n']:,} | {name} | {r['seconds']:.1f} | {r['dimension']:.3f} | {r['rss_peak_mib']:.0f} | {err} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", type=int)
    parser.add_argument("--what", default="exact")
    parser.add_argument("--sizes", default="20000,50000,100000")
    parser.add_argument("--skdim", default="20000", help="sizes at which to run scikit-dimension")
    parser.add_argument("--approximate", default="100000", help="sizes at which to run the approximate mode")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.what)))
        return
    load_before = os.getloadavg()
    rows = []
    sizes = [int(s) for s in args.sizes.split(",") if s]
    for n in sizes:
        for what, at in (("exact", sizes), ("skdim", args.skdim), ("approximate", args.approximate)):
            wanted = at if isinstance(at, list) else [int(s) for s in at.split(",") if s]
            if n in wanted:
                rows.append(run_child(n, what, args.timeout))
                print(json.dumps(rows[-1]), flush=True)
    text = report(rows, load_before, os.getloadavg())
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
