"""Coverage of the paired split-half intervals in the regime of use: assumed variance ratio against the
ratio estimated from quarters.

    python benchmarks/coverage_bootstrap.py [--datasets 80] [--resamples 200] [--mc 2000]

The intervals of :mod:`mteb_redundancy.estimators.bootstrap` cover the expectation of the estimate at
the number of texts m (TwoNN's and IsoScore's values depend on m), so that is the truth here: the
Monte Carlo mean of the estimate over ``--mc`` fresh samples of m rows. Cases span m/n from 2.5 to
20 (n the number of dimensions) and IDs 10 to 30, with R = 200 splits per interval, for TwoNN, for
IsoScore (a high IsoScore at m/n = 2.5 among them, the setting of 4096-dimensional models on 10,000
texts) and for paired differences between two clouds of the same rows.

For each case, on each of ``--datasets`` independent datasets, two 95% intervals from the same splits:

* ``assumed r = 2``: estimate -/+ the 95% quantile of |theta(S) - theta(S')| / 2, i.e. the ratio
  r = Var(theta_{m/2}) / Var(theta_m) taken to be 2 (the scheme before the ratio was estimated);
* ``estimated r``: the same quantile times sqrt(2 / r_hat), r_hat = Var(delta_quarter) /
  Var(delta_half) from the quarters of the same halves, clipped to [1, 4] (the scheme now).

Reported per case: the truth and the true spread (Monte Carlo mean and standard deviation at m), the
true ratio r (Monte Carlo variances at m / 2 and m), the mean r_hat, and per interval the coverage of
the truth and the width ratio (mean half-width / (1.96 x the true standard deviation); 1 is right).
Writes ``benchmarks/results/bootstrap_coverage.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

# One core, as the header says: multi-threaded BLAS on a shared machine is many times slower for
# these small products.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mteb_redundancy._io import atomic_write_text
from mteb_redundancy.estimators import isoscore
from mteb_redundancy.estimators.bootstrap import _split_half_interval, paired_bootstrap, twonn_from_distances

RESULTS = ROOT / "benchmarks" / "results" / "bootstrap_coverage.md"


def _basis(n, d):
    return np.linalg.qr(np.random.default_rng(2024).standard_normal((n, d)))[0]


def sphere(d, n):
    """Uniform on the unit sphere S^d (ID d) in a random (d + 1)-dimensional subspace of R^n."""
    Q = _basis(n, d + 1)

    def draw(rng, m):
        Z = rng.standard_normal((m, d + 1))
        return (Z / np.linalg.norm(Z, axis=1, keepdims=True)) @ Q.T
    return draw


def spheres(d_a, d_b, n):
    """S^d_a and, from the same rows, S^d_b (the first d_b + 1 coordinates, renormalised), in R^n."""
    Q = _basis(n, d_a + 1)

    def draw(rng, m):
        Z = rng.standard_normal((m, d_a + 1))
        a = (Z / np.linalg.norm(Z, axis=1, keepdims=True)) @ Q.T
        W = Z[:, : d_b + 1]
        return a, (W / np.linalg.norm(W, axis=1, keepdims=True)) @ Q[:, : d_b + 1].T
    return draw


def gaussian(spectrum):
    def draw(rng, m):
        return rng.standard_normal((m, spectrum.size)) * spectrum
    return draw


def gaussian_and_stretched(spectrum, k):
    """A Gaussian and, from the same rows, its first k coordinates doubled."""
    stretch = np.where(np.arange(spectrum.size) < k, 2.0, 1.0)

    def draw(rng, m):
        G = rng.standard_normal((m, spectrum.size)) * spectrum
        return G, G * stretch
    return draw


CASES = [
    # name, statistic, draw, m; a draw returning a pair is a paired difference (first minus second)
    ("TwoNN, S^10 in R^100, m/n = 2", "twonn", sphere(10, 100), 200),
    ("TwoNN, S^30 in R^50, m/n = 20", "twonn", sphere(30, 50), 1000),
    ("TwoNN, S^20 minus S^10 of the same rows in R^40, m/n = 10 (paired)", "twonn", spheres(20, 10, 40), 400),
    ("IsoScore, isotropic Gaussian, n = 40, m/n = 2.5", "isoscore", gaussian(np.ones(40)), 100),
    ("IsoScore, isotropic Gaussian, n = 40, m/n = 5", "isoscore", gaussian(np.ones(40)), 200),
    ("IsoScore, Gaussian, spectrum 1..0.3, n = 40, m/n = 2.5", "isoscore", gaussian(np.geomspace(1.0, 0.3, 40)), 100),
    ("IsoScore, Gaussian, spectrum 2..0.2, n = 20, m/n = 20", "isoscore", gaussian(np.geomspace(2.0, 0.2, 20)), 400),
    (
        "IsoScore, Gaussian (1..0.3, n = 40) minus it with 10 coordinates doubled, m/n = 2.5 (paired)",
        "isoscore",
        gaussian_and_stretched(np.geomspace(1.0, 0.3, 40), 10),
        100,
    ),
]


def dense_twonn(X):
    """TwoNN from the full distance matrix: the estimator's value at these small m, faster for the
    thousands of Monte Carlo samples (tests/estimators/test_bootstrap.py checks twonn_from_distances against it)."""
    sq = np.einsum("ij,ij->i", X, X)
    D = sq[:, None] + sq[None, :] - 2.0 * X @ X.T
    np.fill_diagonal(D, np.inf)
    two = np.sqrt(np.maximum(np.partition(D, 1, axis=1)[:, :2], 0.0))
    return twonn_from_distances(two[:, 0], two[:, 1])


def monte_carlo(value, draw, m, count):
    """Mean and variance of the estimate over ``count`` fresh samples of m rows."""
    values = np.array([value(draw(np.random.default_rng([99, m, k]), m)) for k in range(count)])
    return values.mean(), values.var(ddof=1)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=80)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--mc", type=int, default=2000, help="fresh samples for the Monte Carlo truths")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    D, R = args.datasets, args.resamples
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    load_start = os.getloadavg()[0]

    lines = [
        "| case | m | truth (MC) | true sd | true r | mean r_hat | interval | coverage | width ratio |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, stat, draw, m in CASES:
        f = dense_twonn if stat == "twonn" else isoscore
        paired = isinstance(draw(np.random.default_rng(0), 8), tuple)

        def value(data, f=f, paired=paired):
            return f(data[0]) - f(data[1]) if paired else f(data)

        truth, var_m = monte_carlo(value, draw, m, args.mc)
        _, var_half = monte_carlo(value, draw, m // 2, args.mc)
        sd = np.sqrt(var_m)
        ivs = {"assumed r = 2": [], "estimated r": []}
        ratios = []
        for k in range(D):
            data = draw(np.random.default_rng([1, m, k]), m)
            clouds = {"a": data[0], "b": data[1]} if paired else {"a": data}
            result = paired_bootstrap(clouds, n_resamples=R, seed=k, statistics=(stat,))
            if paired:
                iv = result.difference("a", "b", stat)
                sets = result.replicates["a"][stat] - result.replicates["b"][stat]
            else:
                iv = result.interval("a", stat)
                sets = result.replicates["a"][stat]
            old = _split_half_interval(iv.estimate, sets[:, :2], result.confidence)
            ivs["assumed r = 2"].append((old.low, old.high))
            ivs["estimated r"].append((iv.low, iv.high))
            ratios.append(iv.variance_ratio)
        digits = 2 if stat == "twonn" else 4
        shown = len(lines)
        for scheme, values in ivs.items():
            v = np.array(values)
            coverage = np.mean((v[:, 0] <= truth) & (truth <= v[:, 1]))
            width = np.mean(v[:, 1] - v[:, 0]) / 2 / (1.96 * sd)
            lines.append(
                f"| {name} | {m} | {truth:.{digits}f} | {sd:.{digits}f} | {var_half / var_m:.2f} | "
                f"{np.mean(ratios):.2f} | {scheme} | {coverage:.3f} | {width:.2f} |"
            )
        print("\n".join(lines[shown:]), flush=True)  # progress

    elapsed = time.perf_counter() - start
    header = (
        f"{D} independent datasets per case, R = {R} splits per interval, 95% intervals, both intervals "
        f"from the same splits. Truth: the expectation of the estimate at m (Monte Carlo mean over {args.mc} "
        "fresh samples of m rows); true sd and true r = Var(theta_{m/2}) / Var(theta_m) from the same Monte "
        f"Carlo at m and m / 2. Coverage standard error about {np.sqrt(0.95 * 0.05 / D):.3f} at 0.95. Width "
        "ratio = mean half-width / (1.96 x true sd). r_hat is the clipped ratio the interval used. Machine: "
        f"{platform.machine()}, one thread ({os.cpu_count()} CPUs shared with other jobs, 1-min load average "
        f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end), numpy {np.__version__}; "
        f"{elapsed:.0f} s."
    )
    report = (
        "# Paired split-half intervals: coverage in the regime of use\n\n" + header + "\n\n" + "\n".join(lines) + "\n"
    )
    print(report)
    atomic_write_text(args.output, report)
    print(f"written to {args.output}")
    return report


if __name__ == "__main__":
    main()
