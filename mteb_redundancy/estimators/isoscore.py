"""IsoScore (Rudman et al. 2022): how evenly a point cloud uses its dimensions. Pure numpy.

Equal to ``IsoScore.IsoScore(X)`` of the ``IsoScore`` package, points as rows, also for fewer
points than dimensions; with the IsoScore of an isotropic Gaussian at the same (m, n) as the
baseline to read it against (IsoScore rises strongly with m).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mteb_redundancy.estimators._arrays import as_float_matrix
from mteb_redundancy.estimators.registry import Estimator

__all__ = ["ESTIMATOR", "isoscore", "isoscore_from_trace_and_frobenius", "isoscore_from_variances", "principal_variances", "gaussian_isoscore_baseline", "gaussian_isoscore_expected"]

# --------------------------------------------------------------------------------------------
# IsoScore
# --------------------------------------------------------------------------------------------


def _check_isoscore_shape(arr: np.ndarray) -> None:
    m, n = arr.shape
    if m < 2:
        raise ValueError(
            f"IsoScore needs at least 2 points to estimate a covariance, got {m}."
        )
    if n < 2:
        raise ValueError(
            f"IsoScore needs at least 2 dimensions (it divides by n - 1), got n_dims = {n}."
        )


def principal_variances(X: Any) -> np.ndarray:
    """Variances of the point cloud along its principal axes, all n of them (step 1 of IsoScore).

    The squared singular values of the centred data divided by ``m - 1`` (the eigenvalues of the
    sample covariance), in decreasing order, padded with zeros to length ``n_dims`` when there are
    fewer points than dimensions.

    Parameters
    ----------
    X : array-like of shape (m, n)
        Points as rows, m >= 2.

    Returns
    -------
    ndarray of shape (n,)
    """
    arr = as_float_matrix(X, purpose="principal variances")
    m, n = arr.shape
    if m < 2:
        raise ValueError(f"Variances need at least 2 points, got {m}.")
    centred = arr - arr.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    variances = np.zeros(n)
    variances[: singular.size] = singular**2 / (m - 1)
    return variances


def isoscore_from_variances(variances: Any) -> float:
    """IsoScore from the n principal variances (steps 2 to 6 of IsoScore in docs/methods.md).

    With Sigma the variance vector, S = sqrt(n) Sigma / |Sigma|, delta = |S - 1| /
    sqrt(2 (n - sqrt(n))), phi = (n - delta^2 (n - sqrt(n)))^2 / n^2 and
    IsoScore = (n phi - 1) / (n - 1). Since |S| = sqrt(n), n - delta^2 (n - sqrt(n)) = sum(S), so
    this equals ``((sum Sigma)^2 / sum(Sigma^2) - 1) / (n - 1)``, which is how it is computed.

    Parameters
    ----------
    variances : array-like of shape (n,)
        Non-negative variances along principal axes (zeros included), n >= 2.

    Returns
    -------
    float
        In [0, 1]: 0 for a cloud on one line, 1 for an isotropic one, (k - 1) / (n - 1) for
        variance spread evenly over k of n dimensions.
    """
    sigma = np.asarray(variances, dtype=np.float64)
    if sigma.ndim != 1 or sigma.size < 2:
        raise ValueError(
            f"variances must be a 1-D array of at least 2 values, got shape {sigma.shape}."
        )
    if not np.isfinite(sigma).all() or (sigma < 0).any():
        raise ValueError("variances must be finite and non-negative.")
    total = float(sigma.sum())
    square = float(np.dot(sigma, sigma))
    if total == 0.0:
        raise ValueError(
            "All variances are zero (every point is the same); IsoScore is undefined."
        )
    return float(isoscore_from_trace_and_frobenius(total, square, sigma.size))


def isoscore_from_trace_and_frobenius(trace: Any, frobenius_sq: Any, n: int) -> Any:
    """The IsoScore formula, ``(T^2 / Q - 1) / (n - 1)``, from the trace T and the squared Frobenius
    norm Q of the (scatter or covariance) matrix of n-dimensional points; arrays give one value per
    entry, and entries with Q <= 0 (all points equal) give nan. The one place the formula is written:
    :func:`isoscore` and the split-half intervals (all splits at once) both call it."""
    T = np.asarray(trace, dtype=np.float64)
    Q = np.asarray(frobenius_sq, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = (T * T / Q - 1.0) / (n - 1)
    values = np.where(Q > 0, values, np.nan)
    return values if values.ndim else float(values)


def isoscore(X: Any) -> float:
    """IsoScore (Rudman et al. 2022) of a point cloud, points as rows.

    Equal to ``IsoScore.IsoScore(X)`` of the ``IsoScore`` package (2.0.1), which also takes
    ``(num_samples, dimension)``. Works for fewer points than dimensions: the covariance then has
    at most m - 1 non-zero variances and the other n - m + 1 are zero.

    Only the sum and the sum of squares of the principal variances enter the score (see
    :func:`isoscore_from_variances`), and those are the trace and the squared Frobenius norm of the
    covariance, so no eigen-decomposition is needed: one Gram matrix of size min(m, n) squared.

    Parameters
    ----------
    X : array-like of shape (m, n)
        m >= 2 points in n >= 2 dimensions; float32 is accepted, arithmetic is float64.

    Returns
    -------
    float
        The IsoScore, in [0, 1]. It depends strongly on m (an isotropic Gaussian in 384 dims
        scores about 0.50 at m = 384 and 0.93 at m = 5000): compare clouds of equal m, and
        against :func:`gaussian_isoscore_baseline` at the same (m, n).

    Raises
    ------
    ValueError
        If ``X`` is not a 2-D numeric finite matrix, has fewer than 2 points or 2 dimensions,
        or all its points coincide.
    """
    arr = as_float_matrix(X, purpose="IsoScore")
    _check_isoscore_shape(arr)
    m, n = arr.shape
    centred = arr - arr.mean(axis=0)
    gram = centred @ centred.T if m <= n else centred.T @ centred  # same non-zero spectrum
    total = float(np.trace(gram))
    if total == 0.0:
        raise ValueError(
            "All points of X are identical (zero variance); IsoScore is undefined."
        )
    square = float(np.einsum("ij,ij->", gram, gram))
    return isoscore_from_trace_and_frobenius(total, square, n)


def _compute(X: Any, neighbours: Any = None) -> float:
    return isoscore(X)


ESTIMATOR = Estimator(
    name="isoscore",
    label="IsoScore",
    family="isotropy",
    compute=_compute,
    n_neighbors=0,
    scale_free=True,
    reference="IsoScore.IsoScore(X) of the IsoScore package 2.0.1 on all rows (Rudman et al. 2022)",
    digits=4,
)


def gaussian_isoscore_baseline(m: int, n: int, seed: int = 0, n_repeats: int = 1) -> float:
    """IsoScore of m points drawn from an isotropic Gaussian in n dimensions (mean over repeats).

    The reference to read an IsoScore against: even a perfectly isotropic distribution scores
    well below 1 when m is not much larger than n. Its value is close to
    :func:`gaussian_isoscore_expected` ``(m - 2) / (m + n)``.

    Parameters
    ----------
    m, n : int
        Points and dimensions, both >= 2 (use the m and n of the cloud being compared).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    n_repeats : int, default 1
        Independent samples averaged.

    Returns
    -------
    float
    """
    m, n, n_repeats = int(m), int(n), int(n_repeats)
    if m < 2 or n < 2:
        raise ValueError(f"The Gaussian baseline needs m >= 2 points and n >= 2 dims, got m={m}, n={n}.")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats}.")
    rng = np.random.default_rng(seed)
    return float(np.mean([isoscore(rng.standard_normal((m, n))) for _ in range(n_repeats)]))


def gaussian_isoscore_expected(m: int, n: int) -> float:
    """Closed-form approximation of :func:`gaussian_isoscore_baseline`: ``(m - 2) / (m + n)``.

    For an isotropic Gaussian, the scatter matrix of the centred sample is Wishart with
    nu = m - 1 degrees of freedom, with E[tr W]^2 + Var = (n nu)^2 + 2 n nu and
    E[tr W^2] = n nu (n + nu + 1). Putting the ratio of these expectations into
    ``((tr C)^2 / tr(C^2) - 1) / (n - 1)`` gives (nu - 1) / (n + nu + 1) = (m - 2) / (m + n);
    the sample value concentrates around it (error O(1 / (m n)) plus noise of the same order).
    """
    m, n = int(m), int(n)
    if m < 2 or n < 2:
        raise ValueError(f"Needs m >= 2 points and n >= 2 dims, got m={m}, n={n}.")
    return (m - 2) / (m + n)


