"""Tests for mteb_redundancy.estimators (docs/methods.md: TwoNN, IsoScore): TwoNN and IsoScore.

The references are scikit-dimension's TwoNN and the IsoScore package; both are imported lazily
(per test) so that the module itself stays importable without them.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy.linalg import hadamard
from scipy.spatial.distance import cdist

from mteb_redundancy.estimators import (
    TwoNN,
    TwoNNResult,
    deduplicate_rows,
    gaussian_isoscore_baseline,
    gaussian_isoscore_expected,
    intrinsic_dimension,
    isoscore,
    isoscore_from_variances,
    principal_variances,
    two_nearest_distances,
    twonn,
)


def _skdim_twonn(X):
    skdim = pytest.importorskip("skdim")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skdim.id.TwoNN().fit(X).dimension_


def _package_isoscore(X):
    module = pytest.importorskip("IsoScore.IsoScore")
    return float(module.IsoScore(X))


def _random_subspace(rng, d, n):
    """An n x d matrix with orthonormal columns."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    return Q


def _manifold(rng, m=2000, n=50, d=3):
    """Points on a curved d-dimensional manifold in n dims."""
    Z = rng.uniform(-1, 1, size=(m, d))
    A = rng.standard_normal((d, n))
    B = rng.standard_normal((d, n))
    return np.tanh(Z @ A) + 0.5 * np.sin(2 * Z @ B)


# ----------------------------------------------------------------------------------------------
# Exact nearest neighbours
# ----------------------------------------------------------------------------------------------


def _brute_r1_r2(X):
    D = cdist(X, X)
    np.fill_diagonal(D, np.inf)
    D.sort(axis=1)
    return D[:, 0], D[:, 1]


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("block_size", [None, 16, 100, 300])
def test_two_nearest_distances_match_brute_force(precision, block_size):
    rng = np.random.default_rng(1)
    X = np.vstack([
        rng.standard_normal((700, 30)),
        # clusters of near-duplicates, where |x|^2 + |y|^2 - 2x.y cancels
        np.repeat(rng.standard_normal((40, 30)), 5, axis=0) + 1e-7 * rng.standard_normal((200, 30)),
    ]) + 50.0  # far from the origin, so squared norms are large against the distances
    r1, r2 = two_nearest_distances(X, block_size=block_size, precision=precision)
    b1, b2 = _brute_r1_r2(X)
    np.testing.assert_allclose(r1, b1, rtol=1e-9)
    np.testing.assert_allclose(r2, b2, rtol=1e-9)


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_two_nearest_distances_with_exact_ties(precision):
    # A regular grid: every distance is tied with several others.
    g = np.stack(np.meshgrid(*[np.arange(7)] * 3), axis=-1).reshape(-1, 3).astype(float)
    X = np.hstack([g, np.zeros((len(g), 20))])
    r1, r2 = two_nearest_distances(X, precision=precision)
    np.testing.assert_array_equal(r1, 1.0)
    np.testing.assert_array_equal(r2, 1.0)


def test_two_nearest_distances_tiny_inputs():
    X = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 1.0]])
    r1, r2 = two_nearest_distances(X)
    np.testing.assert_allclose(r1, [1.0, 3.0, 1.0])
    np.testing.assert_allclose(r2, [3.0, np.sqrt(10.0), np.sqrt(10.0)])


# ----------------------------------------------------------------------------------------------
# TwoNN against scikit-dimension
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1500, 40), (800, 10)])  # skdim: distance matrix / kd-tree
def test_twonn_matches_skdim_on_gaussian_data(shape):
    X = np.random.default_rng(2).standard_normal(shape)
    ours = twonn(X)
    assert isinstance(ours, TwoNNResult)
    assert ours.dimension == pytest.approx(_skdim_twonn(X), rel=1e-6)
    assert ours.n_points == shape[0] and ours.n_duplicates_dropped == 0
    assert ours.n_fit == int(shape[0] * 0.9)


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("block_size", [None, 256])
def test_twonn_matches_skdim_on_a_manifold(precision, block_size):
    X = _manifold(np.random.default_rng(3))
    ours = twonn(X, block_size=block_size, precision=precision).dimension
    reference = _skdim_twonn(X)
    assert ours == pytest.approx(reference, rel=1e-6)
    assert 2.0 < ours < 4.5  # a 3-dimensional manifold


def test_twonn_discard_fraction_matches_skdim():
    skdim = pytest.importorskip("skdim")
    X = _manifold(np.random.default_rng(4), m=1000)
    for fraction in (0.05, 0.3):
        reference = skdim.id.TwoNN(discard_fraction=fraction).fit(X).dimension_
        assert twonn(X, fraction).dimension == pytest.approx(reference, rel=1e-6)


def test_twonn_accepts_float32_and_lists():
    X = np.random.default_rng(5).standard_normal((600, 12)).astype(np.float32)
    as64 = twonn(X.astype(np.float64)).dimension
    assert twonn(X).dimension == pytest.approx(as64, rel=1e-12)
    assert twonn(X.tolist()).dimension == pytest.approx(as64, rel=1e-12)


@pytest.mark.parametrize("d", [2, 5, 10])
def test_twonn_recovers_the_dimension_of_a_linear_subspace(d):
    rng = np.random.default_rng(10 + d)
    Q = _random_subspace(rng, d, 100)
    X = rng.standard_normal((3000, d)) @ Q.T  # isotropic in a d-dim subspace of R^100
    assert twonn(X).dimension == pytest.approx(d, rel=0.12)


@pytest.mark.parametrize("d", [2, 5])
def test_twonn_on_a_uniform_cube_in_a_subspace(d):
    rng = np.random.default_rng(20 + d)
    X = rng.uniform(size=(3000, d)) @ _random_subspace(rng, d, 100).T
    assert twonn(X).dimension == pytest.approx(d, rel=0.12)


def test_twonn_drops_duplicates_and_reports_them():
    rng = np.random.default_rng(6)
    base = _manifold(rng, m=800, n=30)
    repeats = rng.choice(800, size=120, replace=True)
    X = np.vstack([base, base[repeats]])
    X = X[rng.permutation(len(X))]
    result = twonn(X)
    assert np.isfinite(result.dimension)
    assert result.n_duplicates_dropped == 120
    assert result.n_points == 800
    clean = twonn(base)
    assert clean.n_duplicates_dropped == 0
    assert result.dimension == pytest.approx(clean.dimension, rel=1e-12)


def test_deduplicate_rows_keeps_first_occurrences_in_order():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [-0.0, 5.0], [0.0, 5.0], [3.0, 4.0]])
    unique, kept = deduplicate_rows(X)
    np.testing.assert_array_equal(kept, [0, 1, 3])
    np.testing.assert_array_equal(unique, X[[0, 1, 3]])
    # rows that differ only by sign flips (a structured case for a linear row hash) stay apart
    S = np.array([[0.5, 0.5], [-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5]])
    assert len(deduplicate_rows(S)[1]) == 4


def test_twonn_estimator_class():
    X = _manifold(np.random.default_rng(7), m=600, n=20)
    X = np.vstack([X, X[:5]])
    est = TwoNN(discard_fraction=0.2)
    assert est.fit(X) is est
    expected = twonn(X, 0.2)
    assert est.dimension_ == expected.dimension
    assert est.n_points_ == 600 and est.n_duplicates_dropped_ == 5
    assert est.n_features_in_ == 20
    assert est.get_params()["discard_fraction"] == 0.2
    assert est.set_params(discard_fraction=0.1) is est and est.discard_fraction == 0.1
    with pytest.raises(ValueError, match="Unknown parameter"):
        est.set_params(k=3)


# ----------------------------------------------------------------------------------------------
# IsoScore
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(500, 20), (30, 100), (64, 64)])
def test_isoscore_matches_the_isoscore_package(shape):
    rng = np.random.default_rng(8)
    m, n = shape
    scales = np.geomspace(0.05, 3.0, n)
    X = (rng.standard_normal((m, n)) * scales) @ _random_subspace(rng, n, n).T + 4.0
    ours = isoscore(X)
    assert 0.0 < ours < 1.0
    # the package computes sqrt(n) in float32, hence ~1e-7 relative differences
    assert ours == pytest.approx(_package_isoscore(X), rel=1e-6)
    assert isoscore_from_variances(principal_variances(X)) == pytest.approx(ours, rel=1e-10)


def _spec_isoscore(X):
    """docs/methods.md: IsoScore, written out literally."""
    m, n = X.shape
    sigma = principal_variances(X)  # step 1-2: n variances along the principal axes
    S = np.sqrt(n) * sigma / np.linalg.norm(sigma)  # step 3
    delta = np.linalg.norm(S - 1) / np.sqrt(2 * (n - np.sqrt(n)))  # step 4
    phi = (n - delta**2 * (n - np.sqrt(n))) ** 2 / n**2  # step 5
    return (n * phi - 1) / (n - 1)  # step 6


@pytest.mark.parametrize("shape", [(300, 12), (15, 60)])
def test_isoscore_equals_the_spec_formula_in_float64(shape):
    rng = np.random.default_rng(shape[0])
    X = rng.standard_normal(shape) * np.geomspace(0.01, 1.0, shape[1])
    assert isoscore(X) == pytest.approx(_spec_isoscore(X), rel=1e-10)


def test_principal_variances_pads_with_zeros_when_fewer_points_than_dims():
    X = np.random.default_rng(9).standard_normal((10, 40))
    variances = principal_variances(X)
    assert variances.shape == (40,)
    assert np.all(variances[9:] < 1e-12)  # rank of the centred data is at most m - 1 = 9
    assert variances.sum() == pytest.approx(np.var(X, axis=0, ddof=1).sum(), rel=1e-12)


@pytest.mark.parametrize("k, n", [(1, 10), (3, 10), (7, 32), (16, 50), (8, 8)])
def test_isoscore_of_variance_spread_evenly_over_k_of_n_dims(k, n):
    # Columns 1..k of a Hadamard matrix: balanced +-1 columns, mutually orthogonal, so the
    # sample covariance is exactly c * I_k on those coordinates and 0 elsewhere.
    H = hadamard(32)
    X = np.zeros((32, n))
    X[:, :k] = H[:, 1 : k + 1]
    expected = (k - 1) / (n - 1)
    assert isoscore(X) == pytest.approx(expected, abs=1e-12)
    # invariant under rotation and translation
    rng = np.random.default_rng(k + n)
    rotated = X @ _random_subspace(rng, n, n).T + rng.standard_normal(n)
    assert isoscore(rotated) == pytest.approx(expected, abs=1e-9)
    assert isoscore_from_variances(np.r_[np.ones(k), np.zeros(n - k)]) == pytest.approx(
        expected, abs=1e-15
    )


@pytest.mark.parametrize("m, spec_value", [(384, 0.50), (1000, 0.72), (5000, 0.93)])
def test_gaussian_baseline_matches_the_spec(m, spec_value):
    value = gaussian_isoscore_baseline(m, 384, seed=0)
    assert value == pytest.approx(spec_value, abs=0.03)
    assert value == pytest.approx(gaussian_isoscore_expected(m, 384), abs=0.01)


def test_gaussian_baseline_with_fewer_points_than_dims_and_repeats():
    value = gaussian_isoscore_baseline(100, 384, seed=1, n_repeats=3)
    assert value == pytest.approx(gaussian_isoscore_expected(100, 384), abs=0.01)
    assert gaussian_isoscore_baseline(100, 384, seed=1, n_repeats=3) == value  # seeded
    assert gaussian_isoscore_baseline(100, 384, seed=2) != value


def test_isoscore_accepts_float32():
    X = np.random.default_rng(11).standard_normal((200, 16)) * np.arange(1, 17)
    assert isoscore(X.astype(np.float32)) == pytest.approx(
        isoscore(X.astype(np.float32).astype(np.float64)), rel=1e-12
    )


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


def test_nan_rows_are_reported_with_their_count():
    X = np.random.default_rng(12).standard_normal((50, 5))
    X[[3, 17], 1] = np.nan
    X[20, 0] = np.inf
    for function in (twonn, isoscore):
        with pytest.raises(ValueError, match=r"3 row\(s\).*NaN or infinite.*rows 3, 17, 20"):
            function(X)


@pytest.mark.parametrize("function", [twonn, isoscore])
def test_one_dimensional_input_is_rejected(function):
    with pytest.raises(ValueError, match=r"2-D array of shape \(n_points, n_dims\), got 1-D"):
        function(np.arange(10.0))


def test_too_few_points():
    with pytest.raises(ValueError, match="at least 3 distinct points, got 2"):
        twonn(np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="at least 2 points"):
        isoscore(np.ones((1, 5)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        isoscore(np.random.default_rng(0).standard_normal((10, 1)))


def test_all_duplicates():
    X = np.tile([[1.0, 2.0, 3.0]], (20, 1))
    with pytest.raises(ValueError, match=r"1 distinct point\(s\) among 20 row\(s\) \(19 exact duplicate"):
        twonn(X)
    with pytest.raises(ValueError, match="identical"):
        isoscore(X)


def test_non_numeric_and_bad_parameters():
    with pytest.raises(ValueError, match="real numbers"):
        twonn(np.array([["a", "b"], ["c", "d"], ["e", "f"]]))
    with pytest.raises(ValueError, match="not numeric"):
        isoscore(np.array([[1.0, "x"], [2.0, 3.0]], dtype=object))
    X = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        twonn(X, discard_fraction=0.0)
    with pytest.raises(ValueError, match="precision must be"):
        twonn(X, precision="float16")
    with pytest.raises(ValueError, match="at least 2"):
        twonn(X[:3], discard_fraction=0.5)  # int(3 * 0.5) = 1 ratio left


# ----------------------------------------------------------------------------------------------
# Extras
# ----------------------------------------------------------------------------------------------


def test_intrinsic_dimension_by_name():
    X = _manifold(np.random.default_rng(13), m=600, n=20)
    assert intrinsic_dimension(X) == twonn(X).dimension
    assert intrinsic_dimension(X, "skdim.TwoNN") == pytest.approx(twonn(X).dimension, rel=1e-6)
    value = intrinsic_dimension(X, "lpca")  # case-insensitive lookup of skdim.id.lPCA
    assert np.isfinite(value) and value >= 1
    with pytest.raises(ValueError, match=r"Unknown intrinsic-dimension method 'twonm'.*'twonn'"):
        intrinsic_dimension(X, "twonm")
    with pytest.raises(ValueError, match=r"Did you mean.*'DANCo'"):
        intrinsic_dimension(X, "danko")


def test_importing_metrics_stays_light():
    code = (
        "import sys, mteb_redundancy.estimators; "
        "print(sorted(m for m in ('torch', 'sklearn', 'mteb', 'skdim') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
