"""TwoNN at scale: the blocked exact two-nearest-neighbour search equals brute force float64 (with
duplicates, exact ties and near-ties, over many tiles), and the approximate mode reports its true error."""

from __future__ import annotations

import numpy as np
import pytest

from mteb_redundancy.estimators.twonn import (
    TwoNN,
    approximate_two_nearest,
    approximation_error,
    two_nearest_distances,
    twonn,
)


def brute_force(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """r1, r2 by measuring every pair in float64, one row at a time."""
    X = np.asarray(X, dtype=np.float64)
    r = np.empty((len(X), 2))
    for i in range(len(X)):
        diff = X - X[i]
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        d[i] = np.inf
        r[i] = np.sort(np.partition(d, 1)[:2])
    return r[:, 0], r[:, 1]


def hard_points(seed: int = 0) -> np.ndarray:
    """float32 embedding-like points with exact duplicates, exact ties (a lattice) and near-duplicates."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((1200, 48)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    X[::97] = X[1::97][: len(X[::97])]  # exact duplicates
    near = rng.choice(1200, 60, replace=False)
    X[near] = X[rng.choice(1200, 60)] + np.float32(3e-7) * rng.standard_normal((60, 48)).astype(np.float32)
    lattice = np.stack(np.meshgrid(*[np.arange(4, dtype=np.float32)] * 3), -1).reshape(-1, 3) * np.float32(0.25)
    ties = np.zeros((len(lattice), 48), dtype=np.float32)
    ties[:, :3] = lattice + np.float32(5.0)  # far from the origin: large norms, small distances
    return np.vstack([X, ties])


@pytest.mark.parametrize("block_size", [None, 16, 250])
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_blocked_exact_search_equals_brute_force_float64_exactly(block_size, precision):
    X = hard_points()
    r1, r2 = two_nearest_distances(X, block_size=block_size, precision=precision)
    b1, b2 = brute_force(X)
    assert (b1 == 0).sum() > 0 and (b1 == b2).sum() > 50  # the input does hold duplicates and ties
    np.testing.assert_array_equal(r1, b1)
    np.testing.assert_array_equal(r2, b2)


def test_twonn_drops_duplicates_first_and_equals_the_estimate_on_the_distinct_points():
    X = hard_points(1)
    distinct = np.unique(X.astype(np.float64), axis=0)
    result = twonn(X, block_size=64)
    assert result.n_points == len(distinct) and result.n_duplicates_dropped == len(X) - len(distinct) > 0
    assert result.neighbours == "exact" and result.approximation is None
    # the same fit from brute-force distances of the distinct points
    from mteb_redundancy.estimators.twonn import twonn_fit

    expected, _, _ = twonn_fit(*brute_force(distinct), 0.1)
    assert result.dimension == pytest.approx(expected, rel=1e-12)
    assert TwoNN(block_size=64).fit(X).dimension_ == result.dimension


def test_approximate_mode_reports_its_true_error_on_a_sample():
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((1500, 8)) @ rng.standard_normal((8, 40))
    b1, b2 = brute_force(X)
    # a deliberately poor graph, so that some neighbours are missed
    r1, r2 = approximate_two_nearest(X, hnsw_m=4, ef_construction=8, ef_search=4)
    assert np.all(r1 >= b1) and np.all(r2 >= b2)  # true distances to other points: never below the exact ones
    truly_exact = (r1 == b1) & (r2 == b2)
    assert 0 < truly_exact.mean() < 1
    report = approximation_error(X, r1, r2, sample=len(X))
    assert report["sample"] == len(X)
    assert report["fraction_exact"] == pytest.approx(truly_exact.mean())
    mu_error = np.abs(r2 / r1 - b2 / b1) / (b2 / b1)
    assert report["mu_relative_error_max"] == pytest.approx(mu_error.max())
    assert report["mu_relative_error_mean"] == pytest.approx(mu_error.mean())
    # on a sample, the figures come from that sample
    small = approximation_error(X, r1, r2, sample=200, seed=1)
    assert small["sample"] == 200 and 0 <= small["fraction_exact"] <= 1


def test_twonn_approximate_mode_with_a_good_graph_matches_the_exact_estimate():
    pytest.importorskip("faiss")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2000, 6)) @ rng.standard_normal((6, 64))
    exact = twonn(X)
    approx = twonn(X, neighbours="approximate", error_sample=300)
    assert approx.neighbours == "approximate" and approx.approximation["sample"] == 300
    if approx.approximation["fraction_exact"] == 1.0:
        assert approx.dimension == pytest.approx(exact.dimension, rel=0.02)
    assert abs(approx.dimension - exact.dimension) < 0.1 * exact.dimension
    with pytest.raises(ValueError, match="neighbours must be"):
        twonn(X, neighbours="fast")


@pytest.mark.parametrize("scale", [1e-22, 2.0**-80, 1e22])
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_tiny_or_huge_coordinates_give_the_unscaled_neighbours_and_dimension(scale, precision):
    """The float32 screen would underflow (1e-22: squared distances near 1e-44) or overflow; the core
    rescales by a power of two first, so the neighbours are the unscaled ones, scaled exactly."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 20)) @ rng.standard_normal((20, 64))
    r1, r2 = two_nearest_distances(X, precision=precision)
    s1, s2 = two_nearest_distances(X * scale, precision=precision)
    np.testing.assert_allclose(s1 / scale, r1, rtol=1e-13)
    np.testing.assert_allclose(s2 / scale, r2, rtol=1e-13)
    assert twonn(X * scale, precision=precision).dimension == pytest.approx(twonn(X).dimension, rel=1e-12)
