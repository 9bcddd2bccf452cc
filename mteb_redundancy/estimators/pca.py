"""PCA by SVD with a reproducible sign per axis, the one PCA of the project (dimension reduction
and the displacement analysis both use it). Pure numpy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mteb_redundancy.estimators._arrays import as_matrix, unknown_name_error

DEFAULT_PCA_DIM = 200


# --------------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PCAResult:
    """Result of :func:`pca_reduce`.

    Attributes
    ----------
    components : ndarray of shape (k, n_dims)
        Principal axes, one per row, orthonormal, by decreasing explained variance. The sign of
        each axis is fixed (its largest-magnitude entry is positive) so results are reproducible.
    mean : ndarray of shape (n_dims,)
        The mean that was subtracted before projecting.
    explained_variance : ndarray of shape (k,)
        Variance along each kept axis (squared singular value / (n_points - 1)).
    explained_variance_ratio : ndarray of shape (k,)
        ``explained_variance`` divided by the total variance of the data (all axes), so it is
        non-increasing and sums to at most 1.
    transformed : ndarray of shape (n_points, k)
        The centred data projected on the kept axes, ``(X - mean) @ components.T``.
    k_requested : int
        The k the caller asked for.
    k : int
        The k actually used: ``min(k_requested, n_points - 1, n_dims)``.
    capped : bool
        True when ``k < k_requested``; report this, since k then differs from the method's 200.
    n_points, n_dims : int
        Shape of the data the basis was fitted on.
    """

    components: np.ndarray
    mean: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    transformed: np.ndarray
    k_requested: int
    k: int
    capped: bool
    n_points: int
    n_dims: int

    def transform(self, X) -> np.ndarray:
        """Project new points of the same width onto this basis: ``(X - mean) @ components.T``."""
        X = as_matrix(X, "X")
        if X.shape[1] != self.n_dims:
            raise ValueError(
                f"X has {X.shape[1]} columns but this PCA basis was fitted on {self.n_dims}."
            )
        return (X - self.mean) @ self.components.T


def pca_reduce(X, k: int = DEFAULT_PCA_DIM) -> PCAResult:
    """Centre ``X`` and project it on its top-``k`` principal components (via SVD).

    Parameters
    ----------
    X : array-like of shape (n_points, n_dims)
        One row per text. At least 2 rows.
    k : int, default 200
        Requested number of components (Ogawa et al. use 200). Centred data has rank at most
        ``n_points - 1``, so k is capped at ``min(k, n_points - 1, n_dims)``; the result reports
        ``k_requested``, ``k`` and ``capped``.

    Returns
    -------
    PCAResult
    """
    X = as_matrix(X, "X", min_rows=2)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    n_points, n_dims = X.shape
    k_used = int(min(int(k), n_points - 1, n_dims))
    mean = X.mean(axis=0)
    centred = X - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:k_used].copy()
    # deterministic sign: the largest-|.| entry of every axis is positive
    pivot = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(k_used), pivot])
    signs[signs == 0] = 1.0
    components *= signs[:, None]
    variance = s**2 / (n_points - 1)
    total = float(variance.sum())
    explained = variance[:k_used].copy()
    ratio = explained / total if total > 0 else np.zeros_like(explained)
    transformed = centred @ components.T
    return PCAResult(
        components=components,
        mean=mean,
        explained_variance=explained,
        explained_variance_ratio=ratio,
        transformed=transformed,
        k_requested=int(k),
        k=k_used,
        capped=k_used < int(k),
        n_points=n_points,
        n_dims=n_dims,
    )


PCA_FITS = ("base", "all")


def pca_reduce_conditions(
    conditions: Mapping[str, np.ndarray],
    k: int = DEFAULT_PCA_DIM,
    *,
    fit_on: str | None = None,
) -> tuple[dict[str, np.ndarray], PCAResult]:
    """Project every condition of one model on one PCA basis.

    Ogawa et al. define the PCA on the N x d matrix of the analysis queries: the basis is fitted on
    the condition ``fit_on`` (the base condition) and applied to every condition, so the conditions
    share coordinates and the base embeddings' coordinates do not depend on the instructions.
    ``fit_on=None`` fits on all conditions stacked (an option, to be recorded when used).

    Parameters
    ----------
    conditions : mapping of condition name -> array of shape (n_queries_c, n_dims)
        The same model's embeddings under each condition (all with the same width).
    k : int, default 200
        Requested number of components; capped at ``min(k, fit_rows - 1, n_dims)``.
    fit_on : str, optional
        The condition the basis is fitted on; ``None``: all conditions together.

    Returns
    -------
    reduced : dict of condition name -> array of shape (n_queries_c, k_used)
        In the input order.
    pca : PCAResult
        The shared basis (``pca.transformed`` is the fitting set's projection).
    """
    if not isinstance(conditions, Mapping) or len(conditions) == 0:
        raise ValueError("conditions must be a non-empty mapping of condition name -> 2-D array.")
    names = list(conditions)
    arrays = {c: as_matrix(conditions[c], f"conditions[{c!r}]") for c in names}
    widths = {a.shape[1] for a in arrays.values()}
    if len(widths) != 1:
        detail = ", ".join(f"{c!r}: {a.shape[1]}" for c, a in arrays.items())
        raise ValueError(
            f"All conditions of one model must have the same width; got {detail}. Were they "
            f"embedded by different models or truncated differently?"
        )
    if fit_on is None:
        result = pca_reduce(np.vstack(list(arrays.values())), k=k)
    elif fit_on in arrays:
        result = pca_reduce(arrays[fit_on], k=k)
    else:
        raise unknown_name_error("condition to fit the PCA on", fit_on, names)
    reduced = {c: (X - result.mean) @ result.components.T for c, X in arrays.items()}
    return reduced, result


def residual_coordinates(
    conditions: Mapping[str, np.ndarray], pca: PCAResult, *, fit_on: str | None = None
) -> dict[str, np.ndarray]:
    """Each condition's part outside the span of the PCA's fitting rows, as extra coordinates.

    A basis fitted on N Base rows spans at most N - 1 directions, so projecting the instructed
    conditions on it drops whatever an instruction moved outside them: about sqrt((N - 1) / d) of a
    random offset is kept (0.51 at 768 dims, 0.22 at 4096 for N = 200), and wider models would look
    less displaced. Appending these coordinates to :func:`pca_reduce_conditions`' keeps every
    length of the centred space: with k = N - 1 (the default k = 200 for N <= 201 queries)
    ``[reduced | residual]`` has exactly the norms and inner products of ``X - pca.mean``.

    The residual is taken outside the whole span of the fitting rows (``fit_on``, or all conditions
    stacked when ``None``), so the fitting condition itself has none (a zero-width part when nothing
    lies outside) and its coordinates stay those of the basis; with k < N - 1 the fitting span's
    directions beyond the top k are left out for every condition, as before. The coordinates are
    those of an orthonormal basis of the residuals' span (an SVD of the stacked residuals): only
    norms and inner products within this one model are meaningful.

    Returns ``{condition: array (n_rows_c, r)}``, the same r for all, in the input order.
    """
    names = list(conditions)
    arrays = {c: as_matrix(conditions[c], f"conditions[{c!r}]") - pca.mean for c in names}
    fitting = np.vstack(list(arrays.values())) if fit_on is None else arrays[fit_on]
    _, s_fit, vt = np.linalg.svd(fitting, full_matrices=False)
    span = vt[s_fit > _rank_tolerance(s_fit, fitting.shape)]
    residual = {c: X - (X @ span.T) @ span for c, X in arrays.items()}
    stacked = np.vstack(list(residual.values()))
    _, s, vt = np.linalg.svd(stacked, full_matrices=False)
    # Measured against the data's own scale, not the residuals': rounding left in the fitting span is no offset.
    basis = vt[s > _rank_tolerance(s_fit, stacked.shape)]
    return {c: R @ basis.T for c, R in residual.items()}


def _rank_tolerance(singular_values: np.ndarray, shape: tuple[int, int]) -> float:
    """numpy.linalg.matrix_rank's default: largest singular value x max(shape) x float64 epsilon."""
    if singular_values.size == 0:
        return 0.0
    return float(singular_values.max()) * max(shape) * float(np.finfo(np.float64).eps)


def pad_columns(X, width: int) -> np.ndarray:
    """Append zero columns to ``X`` so that it has ``width`` columns.

    Zero columns change no norm, inner product or distance, so padding a model whose PCA k was
    capped lets it be Procrustes-aligned to wider models (the orthogonal maps of the padded
    space include every orthogonal map of the original one).
    """
    X = as_matrix(X, "X")
    if width < X.shape[1]:
        raise ValueError(f"width={width} is smaller than X's {X.shape[1]} columns; cannot pad down.")
    if width == X.shape[1]:
        return X.copy()
    out = np.zeros((X.shape[0], int(width)), dtype=np.float64)
    out[:, : X.shape[1]] = X
    return out


def pad_to_common_width(arrays: Mapping) -> dict:
    """Zero-pad every array to the largest width found, keeping the mapping's structure.

    Parameters
    ----------
    arrays : mapping of name -> 2-D array, or name -> (mapping of condition -> 2-D array)
        E.g. ``{"model": base_matrix}`` or ``{"model": {"Base": ..., "STS": ...}}``.

    Returns
    -------
    dict with the same keys (and nested keys), every array padded with :func:`pad_columns`.
    """
    if not isinstance(arrays, Mapping) or len(arrays) == 0:
        raise ValueError("arrays must be a non-empty mapping.")
    widths = []
    for key, value in arrays.items():
        if isinstance(value, Mapping):
            widths.extend(as_matrix(v, f"arrays[{key!r}][{c!r}]").shape[1] for c, v in value.items())
        else:
            widths.append(as_matrix(value, f"arrays[{key!r}]").shape[1])
    width = max(widths)
    out: dict = {}
    for key, value in arrays.items():
        if isinstance(value, Mapping):
            out[key] = {c: pad_columns(v, width) for c, v in value.items()}
        else:
            out[key] = pad_columns(value, width)
    return out


