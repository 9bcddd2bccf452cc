"""Benchmark the paired split-half intervals (mteb_redundancy.estimators.bootstrap).

    python benchmarks/bench_bootstrap.py [--points 2000] [--dims 384] [--clouds 5] [--resamples 50]
                                         [--large-points 10000] [--large-dims 768]
                                         [--large-resamples 200] [--skip-large]

1. Fast path against the naive way, on ``--clouds`` clouds of ``--points`` x ``--dims`` structured
   random data sharing their rows, ``--resamples`` splits (two halves each), the same splits for
   both: the fast path (neighbour lists computed once per cloud on all rows, IsoScore of all halves
   from two products with the Gram blocks) against TwoNN (:func:`twonn`, exact, from scratch) and
   IsoScore (:func:`isoscore`) recomputed on every half. The values must agree (checked, printed).
2. The fast path alone on one ``--large-points`` x ``--large-dims`` float32 cloud with
   ``--large-resamples`` splits (the project's size), with the naive time extrapolated from a few
   halves.

Prints Markdown tables and writes them to ``benchmarks/results/bootstrap.md``. One run each
(the naive way is slow); the machine is shared, so the load average is reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mteb_redundancy.estimators import isoscore, twonn
from mteb_redundancy.estimators.bootstrap import paired_bootstrap, split_masks

RESULTS = ROOT / "benchmarks" / "results" / "bootstrap.md"


def make_clouds(m: int, n: int, n_clouds: int, seed: int = 0, dtype=np.float64) -> dict[str, np.ndarray]:
    """Clouds sharing their rows: one latent 8-dimensional point per text, mapped by a
    cloud-specific perturbation of a common nonlinear map into n dims, plus noise (embedding-like:
    curved, low intrinsic dimension, uneven spectrum)."""
    rng = np.random.default_rng(seed)
    latent = rng.uniform(-1, 1, size=(m, 8))
    A0 = rng.standard_normal((8, 48))
    P = rng.standard_normal((48, n)) * np.geomspace(1.0, 0.1, 48)[:, None]
    clouds = {}
    for c in range(n_clouds):
        A = A0 + 0.3 * rng.standard_normal((8, 48))
        X = np.tanh(latent @ A) @ P + 0.05 * rng.standard_normal((m, n))
        clouds[f"prompt{c}"] = X.astype(dtype)
    return clouds


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--clouds", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=50)
    parser.add_argument("--large-points", type=int, default=10_000)
    parser.add_argument("--large-dims", type=int, default=768)
    parser.add_argument("--large-resamples", type=int, default=200)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    load_start = load()
    clouds = make_clouds(args.points, args.dims, args.clouds)
    R = args.resamples
    naive = (("twonn", lambda X: twonn(X).dimension), ("isoscore", isoscore))
    rows = []
    worst = 0.0
    for label, stats in (
        ("TwoNN", ("twonn",)),
        ("IsoScore", ("isoscore",)),
        ("TwoNN + IsoScore", ("twonn", "isoscore")),
    ):
        functions = tuple(item for item in naive if item[0] in stats)
        t_fast, fast = timed(lambda s=stats: paired_bootstrap(clouds, n_resamples=R, statistics=s))
        t_naive, slow = timed(lambda f=functions: paired_bootstrap(clouds, n_resamples=R, statistics=f))
        for cloud in clouds:
            for stat in stats:
                a, b = fast.replicates[cloud][stat], slow.replicates[cloud][stat]
                worst = max(worst, float(np.max(np.abs(a - b) / np.abs(b))))
        rows.append((label, t_fast, t_naive))

    lines = [
        (
            f"## Fast path against the naive way: {args.clouds} clouds of {args.points:,} x {args.dims}, "
            f"{R} splits ({2 * R} halves of {args.points // 2:,} rows per cloud)"
        ),
        "",
        "| statistics | fast path (s) | naive (s) | naive / fast |",
        "|---|---:|---:|---:|",
    ]
    for label, t_fast, t_naive in rows:
        lines.append(f"| {label} | {t_fast:.2f} | {t_naive:.2f} | {t_naive / t_fast:.1f}x |")
    lines += [
        "",
        (
            f"Largest relative difference between the fast and the naive per-half values: {worst:.1e} "
            "(same splits; the naive way is `twonn(X[half]).dimension` and `isoscore(X[half])`)."
        ),
    ]

    if not args.skip_large:
        m, n, RL = args.large_points, args.large_dims, args.large_resamples
        big = make_clouds(m, n, 1, seed=1, dtype=np.float32)
        t_big, result = timed(lambda: paired_bootstrap(big, n_resamples=RL))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        X = big["prompt0"]
        first, _ = split_masks(m, 2, 0)
        halves = [X[first[:, r]] for r in range(2)]
        t_tw = min(timed(lambda h=h: twonn(h))[0] for h in halves)
        t_iso = min(timed(lambda h=h: isoscore(h))[0] for h in halves)
        est_naive = 2 * RL * (t_tw + t_iso)
        tw = result.interval("prompt0", "twonn")
        iso = result.interval("prompt0", "isoscore")
        lines += [
            "",
            f"## Fast path at the project's size: 1 cloud of {m:,} x {n} float32, {RL} splits",
            "",
            "| | time (s) |",
            "|---|---:|",
            f"| fast path, TwoNN + IsoScore, {RL} splits ({2 * RL} halves) | {t_big:.1f} |",
            f"| naive, extrapolated: {2 * RL} x (TwoNN {t_tw:.3f} s + IsoScore {t_iso:.4f} s per half) | {est_naive:.0f} |",
            "",
            (
                f"Speed-up about {est_naive / t_big:.0f}x; peak resident memory of the whole benchmark "
                f"process {rss:.0f} MiB. Result: ID {tw.estimate:.2f} [{tw.low:.2f}, {tw.high:.2f}], "
                f"IsoScore {iso.estimate:.4f} [{iso.low:.4f}, {iso.high:.4f}]; exact-search fallbacks: "
                f"{result.n_exact_fallbacks['prompt0']}. Five such clouds take about five times as long."
            ),
        ]

    header = (
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"numpy {np.__version__}; 1-min load average {load_start:.2f} at the start and {load():.2f} at "
        "the end (other jobs share the machine, so absolute times are inflated; the ratios are "
        "measured in the same run). One run per case. Coverage of the scheme on data with a known "
        "answer: `bootstrap_coverage.md` (`benchmarks/coverage_bootstrap.py`)."
    )
    report = "# Paired split-half intervals: speed\n\n" + header + "\n\n" + "\n".join(lines) + "\n"
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f"written to {args.output}")
    if worst > 1e-9:
        print("FAST AND NAIVE VALUES DISAGREE beyond 1e-9 relative", file=sys.stderr)
        sys.exit(1)
    return report


if __name__ == "__main__":
    main()
