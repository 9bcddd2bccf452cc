"""Every registered estimator against its reference implementation at 10,000 x 768.

    python benchmarks/bench_estimators.py [--points 10000] [--dims 768] [--repeats 1]

For each registered estimator (``register_estimators``: TwoNN, IsoScore, MLE, lPCA and any a
plugin adds) the value and the time of ours and of the reference on the same input (scikit-dimension's
``TwoNN``, ``MLE`` and ``lPCA`` with their defaults, on the distinct rows where ours drops duplicates;
the IsoScore package), and one more row: all the neighbour-based estimators from one shared neighbour
computation against the references run one after the other (each finds its own neighbours). The input
is low rank plus noise with an uneven spectrum (``bench_metrics.make_data``). Prints a Markdown table
and writes it to ``benchmarks/results/estimators.md``. Each timing is the best of ``--repeats``
interleaved runs; the load average is recorded (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_metrics import best_times, make_data  # noqa: E402

from mteb_redundancy._io import atomic_write_text  # noqa: E402
from mteb_redundancy.estimators.neighbours import NeighbourLists  # noqa: E402
from mteb_redundancy.plugins import registered_estimators  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "estimators.md"


def references() -> dict:
    """Reference implementation per estimator name, as its ``reference`` field states."""
    import skdim
    from IsoScore import IsoScore as isoscore_package

    def quiet(function):
        def run(X):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return float(function(X))

        return run

    return {
        "twonn": ("skdim.id.TwoNN()", quiet(lambda X: skdim.id.TwoNN().fit(X).dimension_)),
        "isoscore": ("IsoScore.IsoScore", quiet(isoscore_package.IsoScore)),
        "mle": ("skdim.id.MLE()", quiet(lambda X: skdim.id.MLE().fit(X).dimension_)),
        "lpca": ("skdim.id.lPCA()", quiet(lambda X: skdim.id.lPCA().fit(X).dimension_)),
    }


def shared(estimators, X: np.ndarray) -> dict:
    """Every neighbour-based estimator from one neighbour computation."""
    lists = NeighbourLists(X, max(est.n_neighbors for est in estimators))
    view = lists.view()
    return {est.name: float(est.compute(view.points, view)) for est in estimators}


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[768])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    refs = references()
    estimators = registered_estimators()
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = []
    for n in args.dims:
        X = make_data(args.points, n, seed=n)
        shape = f"{args.points:,} x {n}"
        for est in estimators:
            if est.name not in refs:
                rows.append(f"| {est.label} {shape} | {est.reference or 'no reference'} | | | | | | |")
                continue
            ref_name, ref = refs[est.name]
            t = best_times({"ours": lambda: float(est.compute(X)), "reference": lambda: ref(X)}, args.repeats)
            (ours_s, ours), (ref_s, value) = t["ours"], t["reference"]
            rows.append(
                f"| {est.label} {shape} | {ref_name} | {ours_s:.3f} | {ref_s:.3f} | {ref_s / ours_s:.1f}x | "
                f"{ours:.10g} | {value:.10g} | {abs(ours - value) / max(abs(value), 1e-300):.1e} |"
            )
        neighbour_based = [est for est in estimators if est.n_neighbors and est.name in refs]
        if len(neighbour_based) > 1:
            names = " + ".join(est.label for est in neighbour_based)
            t = best_times(
                {
                    "ours": lambda: shared(neighbour_based, X),
                    "reference": lambda: {est.name: refs[est.name][1](X) for est in neighbour_based},
                },
                args.repeats,
            )
            (ours_s, ours), (ref_s, value) = t["ours"], t["reference"]
            worst = max(abs(ours[k] - value[k]) / abs(value[k]) for k in ours)
            rows.append(
                f"| {names} {shape}, one shared neighbour computation | each reference on its own | {ours_s:.3f} | "
                f"{ref_s:.3f} | {ref_s / ours_s:.1f}x | | | {worst:.1e} |"
            )
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    table = "\n".join([
        "# Estimators against their references",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, numpy "
        f"{np.__version__}, 1-min load average {load_start:.2f} at the start and {load_end:.2f} at the end "
        f"(other jobs share the machine). Best of {args.repeats} interleaved run(s) each; float64 input, rank 40 "
        "+ noise (no duplicate rows, so ours and the references see the same points). Ratio: the reference's "
        "time over ours.",
        "",
        "| case | reference | ours (s) | reference (s) | speed-up | ours value | reference value | rel diff |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])
    print(table)
    atomic_write_text(args.output, table)
    return table


if __name__ == "__main__":
    main()
