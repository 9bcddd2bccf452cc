"""lPCA intrinsic dimension (Fukunaga & Olsen 1971), exactly as scikit-dimension's
``skdim.id.lPCA().fit(X).dimension_`` computes it with its defaults (``ver="FO"``, ``alphaFO=0.05``,
``center=True``): the number of principal variances larger than 0.05 times the largest one.

Pure numpy, no neighbours: a global, linear estimate (another family than TwoNN and MLE). Points are
rows, all of them (duplicates included, as scikit-dimension takes them).

Bias: a linear count. On a curved manifold it counts the dimensions the curvature spans, so it
overestimates (a circle needs 2); on a flat k-dimensional piece with isotropic spread it gives k;
directions with less than 5% of the largest variance are missed, so an anisotropic cloud is
underestimated. Integer-valued.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mteb_redundancy.estimators._arrays import as_float_matrix
from mteb_redundancy.estimators.registry import Estimator

__all__ = ["DEFAULT_ALPHA", "ESTIMATOR", "lpca"]

DEFAULT_ALPHA = 0.05  # scikit-dimension's alphaFO


def _covariance_eigenvalues(arr: np.ndarray) -> np.ndarray:
    """The non-zero-spectrum eigenvalues of the sample covariance, decreasing (from the smaller Gram
    matrix of the centred points: the same non-zero spectrum)."""
    m, n = arr.shape
    centred = arr - arr.mean(axis=0)
    gram = centred @ centred.T if m <= n else centred.T @ centred
    return np.linalg.eigvalsh(gram)[::-1] / (m - 1)


def lpca(X: Any, alpha: float = DEFAULT_ALPHA) -> int:
    """Number of principal variances above ``alpha`` times the largest (Fukunaga & Olsen's rule).

    Equals ``skdim.id.lPCA(alphaFO=alpha).fit(X).dimension_``.
    """
    arr = as_float_matrix(X, purpose="lPCA")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"lPCA needs at least 2 points in at least 2 dimensions, got shape {arr.shape}.")
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be strictly between 0 and 1 (scikit-dimension's alphaFO, 0.05), got {alpha!r}.")
    variances = _covariance_eigenvalues(arr)
    if not variances[0] > 0:
        raise ValueError("All points of X are identical; lPCA is undefined.")
    return int(np.count_nonzero(variances > alpha * variances[0]))


def _compute(X: Any, neighbours: Any = None) -> float:
    return float(lpca(X))


def _on_rows(X: Any):
    """lPCA of any subset of X's rows. A subset with no more rows than coordinates is read from one
    Gram matrix of the centred rows (a subset's own centring is a double centring of its block: the
    same non-zero spectrum as its covariance, to rounding), so it costs one symmetric eigenvalue
    problem of its own size instead of a product with every coordinate. A larger subset's covariance
    is the smaller problem; the Gram matrix is only built once such a small subset is asked for."""
    arr = as_float_matrix(X, purpose="lPCA")
    gram: np.ndarray | None = None

    def on(rows: np.ndarray) -> float:
        nonlocal gram
        rows = np.asarray(rows)
        count = int(np.count_nonzero(rows)) if rows.dtype == bool else len(rows)  # a mask or indices
        if count > arr.shape[1]:
            return _compute(arr[rows])
        if gram is None:
            centred = arr - arr.mean(axis=0)
            gram = centred @ centred.T
        block = gram[np.ix_(rows, rows)]
        means = block.mean(axis=0)
        block = block - means[None, :] - means[:, None] + means.mean()
        variances = np.linalg.eigvalsh(block)[::-1]
        if not variances[0] > 0:
            raise ValueError("All points of the subset are identical; lPCA is undefined.")
        return float(np.count_nonzero(variances > DEFAULT_ALPHA * variances[0]))

    return on


ESTIMATOR = Estimator(
    name="lpca",
    label="lPCA ID",
    family="intrinsic_dimension",
    compute=_compute,
    n_neighbors=0,
    scale_free=True,
    reference="skdim.id.lPCA().fit(X).dimension_ on all rows: ver='FO', alphaFO=0.05, center=True (Fukunaga & Olsen 1971)",
    digits=0,
    on_rows=_on_rows,
)
