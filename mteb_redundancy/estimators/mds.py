"""Cosine distance matrices and multidimensional scaling (classical and metric SMACOF) for the
displacement map. Pure numpy."""

from __future__ import annotations

import numpy as np

from mteb_redundancy.estimators._arrays import as_distance_matrix, as_matrix, unit_rows


# --------------------------------------------------------------------------------------------
# distances and MDS
# --------------------------------------------------------------------------------------------
def cosine_distance_matrix(X) -> np.ndarray:
    """Pairwise cosine distances ``1 - cos(x_a, x_b)`` between the rows of ``X``.

    Returns a symmetric (n, n) matrix with values in [0, 2] and an exactly zero diagonal.
    All-zero rows raise ValueError (the cosine is undefined).
    """
    X = as_matrix(X, "X")
    U = unit_rows(X, "X")
    D = 1.0 - U @ U.T
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    return np.clip(D, 0.0, 2.0)


def _double_centre_squared(D: np.ndarray) -> np.ndarray:
    D2 = D**2
    row = D2.mean(axis=1, keepdims=True)
    col = D2.mean(axis=0, keepdims=True)
    return -0.5 * (D2 - row - col + D2.mean())


def classical_mds(D, n_components: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS of a distance matrix.

    Double-centres ``-D**2 / 2`` and uses the top ``n_components`` eigenpairs; eigenvalues
    <= 0 (non-Euclidean part of ``D``) give zero coordinates. Deterministic: the sign of each
    axis is fixed so that its largest-magnitude coordinate is positive.

    Parameters
    ----------
    D : array-like of shape (n, n)
        Symmetric, non-negative, zero-diagonal dissimilarities.
    n_components : int, default 2

    Returns
    -------
    ndarray of shape (n, n_components)
        Centred coordinates whose pairwise Euclidean distances reproduce ``D`` exactly when ``D``
        is Euclidean of dimension <= ``n_components``.
    """
    D = as_distance_matrix(D)
    n = D.shape[0]
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise ValueError(f"n_components must be a positive integer; got {n_components!r}.")
    B = _double_centre_squared(D)
    evals, evecs = np.linalg.eigh(B)
    order = np.argsort(evals)[::-1][:n_components]
    evals = np.clip(evals[order], 0.0, None)
    evecs = evecs[:, order]
    coords = evecs * np.sqrt(evals)[None, :]
    if coords.shape[1] < n_components:  # fewer points than requested dims
        coords = np.hstack([coords, np.zeros((n, n_components - coords.shape[1]))])
    return _fix_signs(coords)


def kruskal_stress(D, coords) -> float:
    """Kruskal's stress-1 of an embedding: ``sqrt(sum (D_ab - d_ab)^2 / sum D_ab^2)`` over a < b,
    where ``d_ab`` are the Euclidean distances between rows of ``coords``. 0 = perfect."""
    D = as_distance_matrix(D)
    coords = as_matrix(coords, "coords")
    if coords.shape[0] != D.shape[0]:
        raise ValueError(f"coords has {coords.shape[0]} rows but D is {D.shape[0]} x {D.shape[0]}.")
    iu = np.triu_indices(D.shape[0], k=1)
    d = _euclidean(coords)[iu]
    denom = float(np.sum(D[iu] ** 2))
    if denom == 0.0:
        return 0.0
    return float(np.sqrt(np.sum((D[iu] - d) ** 2) / denom))


def _euclidean(X: np.ndarray) -> np.ndarray:
    sq = np.sum(X**2, axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * X @ X.T
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(np.clip(d2, 0.0, None))


def _smacof_single(D: np.ndarray, X: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, float]:
    """Unweighted metric SMACOF (Guttman transform) from the start configuration X."""
    n = D.shape[0]
    iu = np.triu_indices(n, k=1)
    stress_old = None
    for _ in range(max_iter):
        dist = _euclidean(X)
        stress = float(np.sum((dist[iu] - D[iu]) ** 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(dist > 0, D / dist, 0.0)
        B = -ratio
        np.fill_diagonal(B, 0.0)
        np.fill_diagonal(B, -B.sum(axis=1))
        X = B @ X / n
        if stress_old is not None and stress_old - stress <= tol * max(stress_old, 1e-300):
            break
        stress_old = stress
    dist = _euclidean(X)
    return X, float(np.sum((dist[iu] - D[iu]) ** 2))


def metric_mds(
    D,
    n_components: int = 2,
    seed: int = 0,
    n_init: int = 1,
    max_iter: int = 1000,
    tol: float = 1e-9,
) -> np.ndarray:
    """Metric (least-squares stress) MDS by SMACOF, deterministic.

    Runs SMACOF from the classical MDS solution (and, with ``n_init > 1``, from ``n_init - 1``
    random starts drawn from ``numpy.random.default_rng(seed)``), and returns the configuration with
    the least raw stress ``sum_{a<b} (D_ab - d_ab)^2``, each axis's sign fixed as classical MDS
    fixes it. With the default single classical start the result does not depend on the order of
    the points: permuting ``D`` permutes the rows of the result (random starts are drawn per row,
    so they would break that).

    Parameters
    ----------
    D : array-like of shape (n, n)
        Symmetric, non-negative, zero-diagonal dissimilarities (e.g. :func:`cosine_distance_matrix`).
    n_components : int, default 2
    seed : int, default 0
        Seed of the random starts.
    n_init : int, default 1
        Number of starts (the first is classical MDS).
    max_iter : int, default 1000
        Maximum Guttman iterations per start.
    tol : float, default 1e-9
        Stop a start when the relative decrease of stress falls below ``tol``.

    Returns
    -------
    ndarray of shape (n, n_components), centred. Use :func:`kruskal_stress` to report the fit.
    """
    if n_init < 1:
        raise ValueError(f"n_init must be >= 1; got {n_init}.")
    D = as_distance_matrix(D)
    n = D.shape[0]
    start = classical_mds(D, n_components)
    if n < 2:
        return start
    rng = np.random.default_rng(seed)
    scale = float(np.sqrt(np.mean(D[np.triu_indices(n, k=1)] ** 2))) or 1.0
    best_X, best_stress = _smacof_single(D, start, max_iter, tol)
    for _ in range(n_init - 1):
        X0 = rng.standard_normal((n, n_components)) * scale
        X, stress = _smacof_single(D, X0, max_iter, tol)
        if stress < best_stress - 1e-12 * max(best_stress, 1.0):
            best_X, best_stress = X, stress
    return _fix_signs(best_X - best_X.mean(axis=0))


def _fix_signs(coords: np.ndarray) -> np.ndarray:
    """Each axis's largest-magnitude coordinate positive: a sign choice that does not depend on the
    order of the points."""
    pivot = np.argmax(np.abs(coords), axis=0)
    signs = np.sign(coords[pivot, np.arange(coords.shape[1])])
    signs[signs == 0] = 1.0
    return coords * signs[None, :]


