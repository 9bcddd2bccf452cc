"""Tests for the alignment estimators (docs/methods.md: instruction displacement). Pure numpy; runs in a few seconds."""

import numpy as np
import pytest
import scipy.linalg
from scipy.spatial.distance import cdist

from mteb_redundancy.estimators import (
    align_to_reference,
    classical_mds,
    cosine_distance_matrix,
    displacement,
    displacement_by_condition,
    kruskal_stress,
    metric_mds,
    normalized_procrustes_distance,
    orthogonal_procrustes,
    pad_to_common_width,
    pca_reduce,
    pca_reduce_conditions,
    procrustes_distance_matrix,
    reference_scores,
    select_reference,
)


def random_orthogonal(n, rng):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))[None, :]


def procrustes_residual(X, Y):
    """Relative residual of Y vs X after removing translation and an orthogonal map."""
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    return normalized_procrustes_distance(Yc, Xc)


# ----------------------------------------------------------------------------- Procrustes
def test_procrustes_recovers_rotation_in_both_orientations():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((60, 8))
    R = random_orthogonal(8, rng)
    # source @ Q ~ target with target = A @ R  =>  Q = R
    Q = orthogonal_procrustes(A, A @ R)
    np.testing.assert_allclose(Q, R, atol=1e-10)
    assert normalized_procrustes_distance(A, A @ R) < 1e-20
    # the other way round: source = A @ R, target = A  =>  Q = R^T
    Q_back = orthogonal_procrustes(A @ R, A)
    np.testing.assert_allclose(Q_back, R.T, atol=1e-10)
    np.testing.assert_allclose(Q @ Q.T, np.eye(8), atol=1e-12)


def test_procrustes_agrees_with_scipy():
    rng = np.random.default_rng(1)
    source = rng.standard_normal((40, 6))
    target = rng.standard_normal((40, 6))
    expected, _ = scipy.linalg.orthogonal_procrustes(source, target)
    np.testing.assert_allclose(orthogonal_procrustes(source, target), expected, atol=1e-10)
    # a fitted Q is at least as good as the identity and as any other random orthogonal map
    d_fit = normalized_procrustes_distance(source, target)
    assert d_fit <= normalized_procrustes_distance(source, target, Q=np.eye(6))
    assert d_fit <= normalized_procrustes_distance(source, target, Q=random_orthogonal(6, rng))


def test_normalized_distance_is_not_symmetric():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((30, 5))
    b = 2.0 * a @ random_orthogonal(5, rng)
    # a aligned onto b: ||aQ - b||^2 / ||b||^2 = ||a||^2 / (4 ||a||^2) = 1/4
    # b aligned onto a: ||bQ - a||^2 / ||a||^2 = 1
    d_ab = normalized_procrustes_distance(a, b)
    d_ba = normalized_procrustes_distance(b, a)
    assert d_ab == pytest.approx(0.25, rel=1e-10)
    assert d_ba == pytest.approx(1.0, rel=1e-10)
    assert d_ab != pytest.approx(d_ba)


def test_distance_matrix_keeps_orientation():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((25, 4))
    emb = {
        "a": a,
        "b": 2.0 * a @ random_orthogonal(4, rng),
        "c": rng.standard_normal((25, 4)),
    }
    names, D = procrustes_distance_matrix(emb)
    assert names == ["a", "b", "c"]
    assert np.all(np.diag(D) == 0.0)
    for i, src in enumerate(names):
        for j, ref in enumerate(names):
            if i != j:
                assert D[i, j] == pytest.approx(normalized_procrustes_distance(emb[src], emb[ref]))
    assert D[0, 1] == pytest.approx(0.25)  # row = aligned model, column = reference
    assert D[1, 0] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- reference
def test_select_reference_uses_column_mean_without_diagonal():
    names = ["a", "b", "c"]
    D = np.array(
        [
            [0.0, 1.0, 1.0],  # row means (excl. diag): a=1, b=5, c=4 -> argmin a
            [5.0, 0.0, 5.0],
            [4.0, 4.0, 0.0],  # column means: a=4.5, b=2.5, c=3 -> argmin b
        ]
    )
    scores = reference_scores(names, D)
    assert scores == pytest.approx({"a": 4.5, "b": 2.5, "c": 3.0})
    assert select_reference(names, D) == "b"
    assert select_reference(names, D, reference="c") == "c"


def test_unknown_reference_suggests_close_name():
    names = ["alpha-small", "beta-large"]
    D = np.array([[0.0, 1.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match="Did you mean 'alpha-small'"):
        select_reference(names, D, reference="alpha-smal")
    with pytest.raises(ValueError, match="shape"):
        select_reference(["x"], D)


# ----------------------------------------------------------------------------- MDS
def test_classical_mds_recovers_euclidean_configuration():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((15, 2)) * [3.0, 1.0]
    D = cdist(X, X)
    Y = classical_mds(D, n_components=2)
    assert Y.shape == (15, 2)
    assert procrustes_residual(X, Y) < 1e-20
    np.testing.assert_allclose(cdist(Y, Y), D, atol=1e-10)
    assert kruskal_stress(D, Y) < 1e-10


def test_metric_mds_recovers_configuration_and_is_deterministic():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((15, 2))
    D = cdist(X, X)
    Y = metric_mds(D, n_components=2, seed=0)
    assert procrustes_residual(X, Y) < 1e-6
    # a non-Euclidean input (cosine distances of 40-D points): same output twice, and SMACOF
    # does not end with more stress than its classical-MDS start
    P = rng.standard_normal((20, 40))
    C = cosine_distance_matrix(P)
    Y1 = metric_mds(C, seed=7)
    np.testing.assert_array_equal(Y1, metric_mds(C, seed=7))
    assert kruskal_stress(C, Y1) <= kruskal_stress(C, classical_mds(C)) + 1e-12


def test_mds_rejects_asymmetric_matrix():
    with pytest.raises(ValueError, match="symmetric"):
        classical_mds(np.array([[0.0, 1.0], [2.0, 0.0]]))


def test_cosine_distance_matrix_matches_scipy():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((10, 7))
    D = cosine_distance_matrix(X)
    np.testing.assert_allclose(D, cdist(X, X, metric="cosine"), atol=1e-12)
    assert np.all(np.diag(D) == 0.0)
    np.testing.assert_array_equal(D, D.T)


# ----------------------------------------------------------------------------- PCA
def test_pca_caps_k_at_n_points_minus_one():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 300))
    res = pca_reduce(X, k=200)
    assert (res.k_requested, res.k, res.capped) == (200, 49, True)
    assert res.transformed.shape == (50, 49)
    assert res.components.shape == (49, 300)
    assert np.all(np.diff(res.explained_variance_ratio) <= 1e-15)
    assert res.explained_variance_ratio.sum() == pytest.approx(1.0)  # rank 49 keeps it all
    np.testing.assert_allclose(res.components @ res.components.T, np.eye(49), atol=1e-10)
    # variances agree with the covariance eigenvalues
    evals = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False)))[::-1][:49]
    np.testing.assert_allclose(res.explained_variance, evals, rtol=1e-8)
    # uncapped case, capped by width
    small = pca_reduce(rng.standard_normal((50, 10)), k=5)
    assert (small.k, small.capped) == (5, False)
    assert pca_reduce(rng.standard_normal((50, 10)), k=200).k == 10


def test_pca_reduce_conditions_shares_one_basis():
    rng = np.random.default_rng(8)
    conds = {"Base": rng.standard_normal((30, 20)), "STS": rng.standard_normal((30, 20)) + 1.0}
    reduced, res = pca_reduce_conditions(conds, k=200)
    assert list(reduced) == ["Base", "STS"]
    assert res.k == 20 and res.capped  # 60 points, 20 dims
    np.testing.assert_allclose(reduced["STS"], res.transform(conds["STS"]), atol=1e-10)
    np.testing.assert_allclose(np.vstack([reduced["Base"], reduced["STS"]]).mean(0), 0, atol=1e-12)


def test_end_to_end_same_geometry_in_different_widths_aligns_to_zero():
    """A model whose embeddings are an isometric copy of another's (wider space) has distance 0."""
    rng = np.random.default_rng(9)
    conds_a = {c: rng.standard_normal((40, 16)) for c in ["Base", "STS", "Retrieval"]}
    W = np.linalg.qr(rng.standard_normal((48, 16)))[0].T  # 16 -> 48, orthonormal rows
    conds_b = {c: X @ W + 0.5 for c, X in conds_a.items()}
    red_a, _ = pca_reduce_conditions(conds_a, k=10)
    red_b, _ = pca_reduce_conditions(conds_b, k=10)
    models = {"a": red_a, "b": red_b}
    names, D = procrustes_distance_matrix({m: r["Base"] for m, r in models.items()})
    assert np.max(D) < 1e-18
    aligned = align_to_reference(models, select_reference(names, D))
    for c in conds_a:
        np.testing.assert_allclose(aligned["b"][c], aligned["a"][c], atol=1e-9)


# ----------------------------------------------------------------------------- alignment
def test_align_to_reference_applies_base_rotation_to_all_conditions():
    rng = np.random.default_rng(10)
    ref = {c: rng.standard_normal((30, 6)) for c in ["Base", "STS"]}
    R = random_orthogonal(6, rng)
    other = {"Base": ref["Base"] @ R, "STS": rng.standard_normal((30, 6))}
    aligned = align_to_reference({"ref": ref, "other": other}, "ref")
    np.testing.assert_allclose(aligned["other"]["Base"], ref["Base"], atol=1e-10)
    # Q (= R^T) fitted on Base is applied unchanged to the other conditions
    np.testing.assert_allclose(aligned["other"]["STS"], other["STS"] @ R.T, atol=1e-10)
    np.testing.assert_array_equal(aligned["ref"]["STS"], ref["STS"])
    with pytest.raises(ValueError, match="Did you mean 'ref'"):
        align_to_reference({"ref": ref, "other": other}, "reff")


def test_padding_makes_capped_models_alignable():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((20, 5))
    b = rng.standard_normal((20, 3))
    with pytest.raises(ValueError, match="pad"):
        orthogonal_procrustes(b, a)
    padded = pad_to_common_width({"a": a, "b": b})
    assert padded["b"].shape == (20, 5)
    np.testing.assert_array_equal(padded["b"][:, 3:], 0.0)
    names, D = procrustes_distance_matrix(padded)
    assert D.shape == (2, 2) and np.all(D[~np.eye(2, dtype=bool)] > 0)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN/inf"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "NaN/inf"),
        (np.ones(4), "2-D"),
        (np.ones((2, 2, 2)), "2-D"),
    ],
)
def test_invalid_inputs_raise_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        pca_reduce(bad)
    with pytest.raises(ValueError, match=match):
        orthogonal_procrustes(bad, bad)


def test_mismatched_rows_raise():
    with pytest.raises(ValueError, match="same queries"):
        orthogonal_procrustes(np.ones((5, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="shape"):
        displacement(np.ones((5, 3)), np.ones((4, 3)))


# ----------------------------------------------------------------------------- displacement
def test_displacement_base_vs_base_is_exactly_zero():
    rng = np.random.default_rng(12)
    base = rng.standard_normal((50, 9))
    d = displacement(base, base.copy())
    assert d["mean_cosine_distance"] == 0.0
    assert d["centroid_shift"] == 0.0
    assert d["centroid_cosine_distance"] == 0.0
    assert d["n_queries"] == 50


def test_displacement_known_shift():
    rng = np.random.default_rng(13)
    base = rng.standard_normal((40, 4))
    shift = np.array([3.0, 0.0, 4.0, 0.0])  # norm 5
    d = displacement(base, base + shift)
    assert d["centroid_shift"] == pytest.approx(5.0, rel=1e-12)
    assert d["mean_cosine_distance"] > 0.0
    # centroids along e1 and e2 -> orthogonal -> centroid cosine distance 1
    e1 = np.tile([1.0, 0.0], (6, 1)) + np.array([[0.0, 0.1]] * 3 + [[0.0, -0.1]] * 3)
    e2 = e1[:, ::-1]
    d2 = displacement(e1, e2)
    assert d2["centroid_cosine_distance"] == pytest.approx(1.0)
    # a 90-degree turn of every query -> per-query cosine distance 1
    assert displacement(np.eye(3), np.roll(np.eye(3), 1, axis=1))["mean_cosine_distance"] == pytest.approx(1.0)


def test_displacement_by_condition_skips_base_and_orders():
    rng = np.random.default_rng(14)
    base = rng.standard_normal((10, 3))
    out = displacement_by_condition({"Base": base, "STS": base * 2.0, "Clustering": -base})
    assert list(out) == ["STS", "Clustering"]
    assert out["STS"]["mean_cosine_distance"] == pytest.approx(0.0, abs=1e-15)  # scaling only
    assert out["Clustering"]["mean_cosine_distance"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="Did you mean 'Base'"):
        displacement_by_condition({"Base": base}, base_condition="base")


@pytest.mark.parametrize("dim", [768, 4096])
def test_a_known_offset_keeps_its_length_through_the_base_basis(dim):
    """N = 200 Base rows span 199 directions: projected on the Base basis alone, an offset in a random
    direction kept about sqrt(199 / d) of its length (0.51 at 768 dims, 0.22 at 4096)."""
    from mteb_redundancy.analyses.displacement.map import build_displacement_map
    from mteb_redundancy.analyses.displacement.measure import measure_displacement

    rng = np.random.default_rng(dim)
    base = rng.standard_normal((200, dim))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    direction = rng.standard_normal(dim)
    offset = 0.3 * direction / np.linalg.norm(direction)
    # instructed rows already unit length, so the L2 normalisation leaves the offset exact
    shifted = base + offset
    shifted /= np.linalg.norm(shifted, axis=1, keepdims=True)
    expected = float(np.linalg.norm(shifted.mean(axis=0) - base.mean(axis=0)))
    conditions = {"Base": base, "Shifted": shifted}
    scores = measure_displacement(conditions, base_condition="Base").to_scores()
    assert scores["Shifted_centroid_shift"] == pytest.approx(expected, rel=1e-9)
    assert scores["Shifted_pca_centroid_shift"] == pytest.approx(expected, rel=1e-9)
    assert scores["pca_k"] == 199 and scores["out_of_basis"] == "appended"
    # the map: two models (the same one with its coordinates permuted and flipped, an orthogonal map)
    order, signs = rng.permutation(dim), rng.choice([-1.0, 1.0], size=dim)
    result = build_displacement_map({"m": conditions, "m rotated": {c: X[:, order] * signs for c, X in conditions.items()}})
    for model in result.models:
        assert result.displacements[model]["Shifted"]["centroid_shift"] == pytest.approx(expected, rel=1e-9)
    assert result.distances.max() == pytest.approx(0.0, abs=1e-10)
    points = dict(zip(result.points, result.coords))
    assert np.allclose(points[("m", "Base")], points[("m rotated", "Base")], atol=1e-6)
