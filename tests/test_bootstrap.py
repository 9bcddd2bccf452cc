"""Tests for mteb_redundancy.estimators.bootstrap: paired split-half intervals (docs/methods.md: redundancy per prompt type).

Exactness: the TwoNN and IsoScore of every half equal the estimators computed from scratch on the
same rows (this package's, scikit-dimension's, the IsoScore package's). Coverage: over many
independent synthetic datasets with a known answer, the 95% intervals cover it in about 95% of them.
Everything is seeded, so the observed coverages below are reproducible numbers, not flaky draws.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mteb_redundancy.estimators import isoscore, twonn
from mteb_redundancy.estimators.bootstrap import (
    SCHEME,
    BootstrapResult,
    Interval,
    format_difference,
    format_interval,
    paired_bootstrap,
    split_masks,
    twonn_from_distances,
)

MODULE = Path(__file__).resolve().parents[1] / "mteb_redundancy" / "estimators" / "bootstrap.py"


def _twonn(X):
    return twonn(X).dimension


def _dedup(X):
    return np.unique(np.asarray(X, dtype=np.float64) + 0.0, axis=0)


def _skdim_twonn(X):
    skdim = pytest.importorskip("skdim")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(skdim.id.TwoNN().fit(_dedup(X)).dimension_)


def _package_isoscore(X):
    module = pytest.importorskip("IsoScore.IsoScore")
    return float(module.IsoScore(X))


def _basis(seed, n, d):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, d)))
    return Q


def _curved(rng, m, n=30, d=4):
    """A curved d-dimensional manifold in n dims."""
    Z = rng.uniform(-1, 1, size=(m, d))
    A = rng.standard_normal((d, n))
    B = rng.standard_normal((d, n))
    return np.tanh(Z @ A) + 0.5 * np.sin(2 * Z @ B)


def _with_duplicates(X, rng, n_dup=40):
    """X with n_dup rows replaced by copies of other rows, and one copy written with -0.0 entries."""
    X = X.copy()
    m = X.shape[0]
    src = rng.choice(m // 2, size=n_dup, replace=False)
    dst = rng.choice(np.arange(m // 2, m), size=n_dup, replace=False)
    X[dst] = X[src]
    X[src[0]] = 0.0
    X[dst[0]] = -0.0  # equal to the row above for TwoNN
    return X


# ----------------------------------------------------------------------------------------------
# Exactness of the per-half statistics
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_neighbors", [32, 2])
def test_half_statistics_equal_estimators_on_the_same_rows(n_neighbors):
    rng = np.random.default_rng(0)
    X = _with_duplicates(_curved(rng, 401), rng)  # odd m: one row sits each split out
    Y = _curved(rng, 401) * 3.0 + 10.0
    result = paired_bootstrap(
        {"x": X, "y": Y},
        n_resamples=6,
        seed=3,
        n_neighbors=n_neighbors,
        statistics=("twonn", "isoscore", ("ref_twonn", _twonn), ("ref_isoscore", isoscore)),
    )
    for cloud in ("x", "y"):
        reps = result.replicates[cloud]
        assert reps["twonn"].shape == (6, 2)
        np.testing.assert_allclose(reps["twonn"], reps["ref_twonn"], rtol=1e-10)
        np.testing.assert_allclose(reps["isoscore"], reps["ref_isoscore"], rtol=1e-10)
        for fast, ref in (("twonn", "ref_twonn"), ("isoscore", "ref_isoscore")):
            assert result.interval(cloud, fast).estimate == pytest.approx(
                result.interval(cloud, ref).estimate, rel=1e-10
            )
    assert result.n_distinct == {"x": len(_dedup(X)), "y": 401} and len(_dedup(X)) == 401 - 40
    assert result.subsample_size == 200
    if n_neighbors == 2:  # short lists: many points need the exact search, results unchanged
        assert result.n_exact_fallbacks["x"] > 0 and result.n_exact_fallbacks["y"] > 0
    else:
        assert result.n_exact_fallbacks == {"x": 0, "y": 0}


def test_half_twonn_equals_scikit_dimension_and_isoscore_package():
    rng = np.random.default_rng(1)
    X = _with_duplicates(_curved(rng, 300, n=40), rng, n_dup=25)
    result = paired_bootstrap({"x": X}, n_resamples=3, seed=5)
    first, second = split_masks(300, 3, 5)
    for r in range(3):
        for h, mask in enumerate((first[:, r], second[:, r])):
            half = X[mask]
            assert result.replicates["x"]["twonn"][r, h] == pytest.approx(_skdim_twonn(half), rel=1e-9)
            assert result.replicates["x"]["isoscore"][r, h] == pytest.approx(_package_isoscore(half), rel=1e-5)
    assert result.interval("x", "twonn").estimate == pytest.approx(_skdim_twonn(X), rel=1e-9)


def test_half_twonn_exact_for_near_duplicate_clusters_far_from_the_origin():
    """|x|^2 + |y|^2 - 2 x.y loses its digits here; the safe radius must send such points to the
    exact search rather than trust the screening."""
    rng = np.random.default_rng(2)
    centres = rng.standard_normal((60, 20))
    X = np.vstack([
        rng.standard_normal((200, 20)),
        np.repeat(centres, 4, axis=0) + 1e-7 * rng.standard_normal((240, 20)),
    ]) + 50.0
    result = paired_bootstrap(
        {"x": X}, n_resamples=4, seed=0, statistics=("twonn", ("ref", _twonn)), n_neighbors=8
    )
    np.testing.assert_allclose(result.replicates["x"]["twonn"], result.replicates["x"]["ref"], rtol=1e-9)


def test_twonn_from_distances_matches_the_estimator():
    rng = np.random.default_rng(3)
    X = _curved(rng, 500)
    from scipy.spatial.distance import cdist

    D = cdist(X, X)
    np.fill_diagonal(D, np.inf)
    D.sort(axis=1)
    assert twonn_from_distances(D[:, 0], D[:, 1]) == pytest.approx(_twonn(X), rel=1e-12)
    assert np.isnan(twonn_from_distances(np.ones(5), np.ones(5)))  # all mu = 1: slope undefined


# ----------------------------------------------------------------------------------------------
# Interval behaviour
# ----------------------------------------------------------------------------------------------


def _gaussian(rng, m, n=20):
    return rng.standard_normal((m, n)) * np.geomspace(2.0, 0.2, n)


def test_interval_contains_estimate_and_narrows_as_m_grows():
    widths = {}
    for m in (300, 1200):
        rng = np.random.default_rng(m)
        result = paired_bootstrap({"c": _curved(rng, m), "g": _gaussian(rng, m)}, n_resamples=60, seed=1)
        for cloud in ("c", "g"):
            for stat in ("twonn", "isoscore"):
                iv = result.interval(cloud, stat)
                assert iv.low < iv.estimate < iv.high
                assert iv.contains(iv.estimate)
                widths[m, cloud, stat] = iv.width
    for cloud in ("c", "g"):
        for stat in ("twonn", "isoscore"):
            # width ~ 1/sqrt(m): expect about 0.5 for 4x the rows
            assert widths[1200, cloud, stat] < 0.75 * widths[300, cloud, stat], (cloud, stat, widths)


def test_reproducible_with_its_seed():
    rng = np.random.default_rng(4)
    clouds = {"a": _curved(rng, 200), "b": _gaussian(rng, 200)}
    one = paired_bootstrap(clouds, n_resamples=20, seed=7)
    two = paired_bootstrap(clouds, n_resamples=20, seed=7)
    other = paired_bootstrap(clouds, n_resamples=20, seed=8)
    assert one.to_dict(include_replicates=True) == two.to_dict(include_replicates=True)
    for stat in ("twonn", "isoscore"):
        assert one.interval("a", stat).estimate == other.interval("a", stat).estimate  # all rows
        assert not np.array_equal(one.replicates["a"][stat], other.replicates["a"][stat])
        assert one.interval("a", stat) != other.interval("a", stat)
    # split_masks reproduces the halves
    first, second = split_masks(200, 20, 7)
    assert not (first & second).any() and (first.sum(axis=0) == 100).all() and (second.sum(axis=0) == 100).all()
    assert one.replicates["b"]["isoscore"][4, 1] == pytest.approx(isoscore(clouds["b"][second[:, 4]]), rel=1e-10)


def test_difference_of_a_cloud_with_itself_is_exactly_zero():
    rng = np.random.default_rng(5)
    X = _curved(rng, 300)
    result = paired_bootstrap({"a": X, "same": X.copy(), "other": _gaussian(rng, 300)}, n_resamples=30)
    zero = Interval(0.0, 0.0, 0.0)
    for stat in ("twonn", "isoscore"):
        assert result.difference("a", "a", stat) == zero
        assert result.difference("other", "other", stat) == zero
        assert result.differences[("a", "same")][stat] == zero  # same rows, same values, same splits
        assert result.difference("same", "a", stat) == zero
        assert format_difference(result, "a", "same", stat).endswith("no different (difference 0, 95% CI 0..0)")
        # a real difference: reversing the order flips the sign
        ab, ba = result.difference("a", "other", stat), result.difference("other", "a", stat)
        assert ab.estimate == -ba.estimate and ab.low == pytest.approx(-ba.high) and ab.width > 0


def test_result_records_the_scheme_and_is_json_safe():
    rng = np.random.default_rng(6)
    result = paired_bootstrap(
        {"query": _curved(rng, 120), "document": _curved(rng, 120)}, n_resamples=10, seed=11, confidence=0.9
    )
    assert isinstance(result, BootstrapResult)
    d = result.to_dict(include_replicates=True)
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["scheme"] == SCHEME == "paired random split-half"
    assert (back["n_resamples"], back["seed"], back["confidence"]) == (10, 11, 0.9)
    assert (back["n_points"], back["subsample_size"]) == (120, 60)
    assert set(back["clouds"]) == {"query", "document"}
    assert back["differences"][0]["a"] == "query" and back["differences"][0]["b"] == "document"
    assert set(back["clouds"]["query"]["twonn"]) == {"estimate", "low", "high"}
    assert len(back["replicates"]["query"]["isoscore"]) == 10
    assert Interval(float("nan"), 1.0, float("inf")).to_dict() == {"estimate": None, "low": 1.0, "high": None}


def test_format_sentences():
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((400, 6))
    Q = _basis(0, 50, 6)
    s5 = (Z / np.linalg.norm(Z, axis=1, keepdims=True)) @ Q.T
    s3 = (Z[:, :4] / np.linalg.norm(Z[:, :4], axis=1, keepdims=True)) @ Q[:, :4].T
    result = paired_bootstrap({"classification": s3, "query": s5}, n_resamples=50)
    text = format_difference(result, "classification", "query")
    match = re.fullmatch(r"classification vs query: ID lower by (\d+\.\d) \(95% CI (\d+\.\d)\.\.(\d+\.\d)\)", text)
    assert match, text
    amount, low, high = map(float, match.groups())
    assert 0 < low <= amount <= high
    assert format_difference(result, "query", "classification").startswith("query vs classification: ID higher by ")
    assert re.fullmatch(
        r"query: IsoScore 0\.\d{4} \(95% CI 0\.\d{4}\.\.0\.\d{4}\)", format_interval(result, "query", "isoscore")
    )
    with pytest.raises(KeyError, match="Unknown cloud"):
        result.difference("query", "clustering", "twonn")


def test_input_checks():
    X = np.random.default_rng(8).standard_normal((50, 5))
    with pytest.raises(ValueError, match="same number of rows"):
        paired_bootstrap({"a": X, "b": X[:40]})
    with pytest.raises(ValueError, match="at least 8 rows"):
        paired_bootstrap({"a": X[:6]})
    with pytest.raises(ValueError, match="Unknown statistic"):
        paired_bootstrap({"a": X}, statistics=("danco",))
    with pytest.raises(ValueError, match="n_resamples"):
        paired_bootstrap({"a": X}, n_resamples=1)
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap({"a": X}, confidence=95)
    with pytest.raises(ValueError, match="NaN"):
        paired_bootstrap({"a": np.where(X > 2, np.nan, X)})
    with pytest.raises(ValueError, match="non-empty"):
        paired_bootstrap({})


def test_module_is_pure_numpy():
    tree = ast.parse(MODULE.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    # the project's own estimator modules only (the shared neighbour core, the TwoNN fit, IsoScore's formula)
    assert imported <= {"__future__", "math", "collections", "dataclasses", "typing", "numpy", "mteb_redundancy"}, imported
    assert all(
        node.module.startswith("mteb_redundancy.estimators")
        for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mteb_redundancy")
    )
    code = (
        "import sys, importlib.util; "
        f"spec = importlib.util.spec_from_file_location('bootstrap_alone', {str(MODULE)!r}); "
        "module = importlib.util.module_from_spec(spec); sys.modules[spec.name] = module; "
        "spec.loader.exec_module(module); "
        "print(sorted(m for m in ('torch', 'sklearn', 'mteb', 'skdim') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------------------------
# Coverage on synthetic data with a known answer
# ----------------------------------------------------------------------------------------------


def _coverage(intervals, truth):
    v = np.asarray(intervals)
    return float(np.mean((v[:, 0] <= truth) & (truth <= v[:, 1])))


def test_coverage_of_intrinsic_dimension_and_paired_difference():
    """Uniform points on the unit 5-sphere S^5 (6 coordinates) and, from the SAME rows, on S^3 (the
    first 4 coordinates, renormalised), each in a random subspace of R^50. True IDs 5 and 3, true
    paired difference 2; TwoNN is close to unbiased on spheres (no boundary) at this m. 100
    independent datasets of m = 400, 100 splits each. Observed: S^5 0.93, S^3 0.95, difference 0.96
    (the 5-cube would not do: at this m TwoNN's boundary bias is 1.4 standard deviations, see
    benchmarks/results/bootstrap_coverage.md).
    """
    m, n_datasets, R = 400, 100, 100
    Q = _basis(2024, 50, 6)
    ivs = {"s5": [], "s3": [], "diff": []}
    estimates = {"s5": [], "s3": []}
    for k in range(n_datasets):
        Z = np.random.default_rng([7, k]).standard_normal((m, 6))
        s5 = (Z / np.linalg.norm(Z, axis=1, keepdims=True)) @ Q.T
        s3 = (Z[:, :4] / np.linalg.norm(Z[:, :4], axis=1, keepdims=True)) @ Q[:, :4].T
        result = paired_bootstrap({"s5": s5, "s3": s3}, n_resamples=R, seed=k, statistics=("twonn",), n_neighbors=16)
        for name in ("s5", "s3"):
            iv = result.interval(name, "twonn")
            ivs[name].append((iv.low, iv.high))
            estimates[name].append(iv.estimate)
        iv = result.difference("s5", "s3", "twonn")
        ivs["diff"].append((iv.low, iv.high))
    coverage = {"s5": _coverage(ivs["s5"], 5.0), "s3": _coverage(ivs["s3"], 3.0), "diff": _coverage(ivs["diff"], 2.0)}
    print(f"\nID coverage (truth 5, 3, 2) over {n_datasets} datasets: {coverage}; "
          f"mean estimates {np.mean(estimates['s5']):.3f}, {np.mean(estimates['s3']):.3f}")
    for name, value in coverage.items():
        assert 0.85 <= value <= 0.995, (name, coverage)


def test_coverage_of_isoscore_and_paired_difference():
    """Anisotropic Gaussian in 20 dims (spectrum 2 .. 0.2), and from the SAME rows a linear map of
    it (the first 5 coordinates doubled). IsoScore depends on m, so the truth is its expectation at
    this m: the mean over 2,000 fresh samples of the same size (Monte Carlo standard error < 2% of
    the statistic's spread). 200 datasets of m = 400, 100 splits each. Observed: 0.935, 0.94 and
    0.935 for the difference.
    """
    m, n, n_datasets, R = 400, 20, 200, 100
    spectrum = np.geomspace(2.0, 0.2, n)
    stretch = np.where(np.arange(n) < 5, 2.0, 1.0)

    def sample(rng):
        G = rng.standard_normal((m, n)) * spectrum
        return G, G * stretch

    truth_a, truth_b = np.mean(
        [[isoscore(c) for c in sample(np.random.default_rng([11, k]))] for k in range(2000)], axis=0
    )
    ivs = {"a": [], "b": [], "diff": []}
    for k in range(n_datasets):
        A, B = sample(np.random.default_rng([13, k]))
        result = paired_bootstrap({"a": A, "b": B}, n_resamples=R, seed=k, statistics=("isoscore",))
        for name in ("a", "b"):
            iv = result.interval(name, "isoscore")
            ivs[name].append((iv.low, iv.high))
        iv = result.difference("a", "b", "isoscore")
        ivs["diff"].append((iv.low, iv.high))
    coverage = {
        "a": _coverage(ivs["a"], truth_a),
        "b": _coverage(ivs["b"], truth_b),
        "diff": _coverage(ivs["diff"], truth_a - truth_b),
    }
    print(f"\nIsoScore coverage (Monte Carlo truths {truth_a:.4f}, {truth_b:.4f}) over {n_datasets} datasets: {coverage}")
    for name, value in coverage.items():
        assert 0.85 <= value <= 0.995, (name, coverage)
