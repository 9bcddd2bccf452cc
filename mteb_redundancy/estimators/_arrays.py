"""Input checks shared by the estimators: every estimator takes points as rows."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------------


def as_float_matrix(X: Any, *, name: str = "X", purpose: str = "") -> np.ndarray:
    """Return ``X`` as a 2-D float64 array of finite numbers, or raise a ValueError saying why."""
    where = f" for {purpose}" if purpose else ""
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"{name}{where} must be a numeric 2-D array of shape (n_points, n_dims), got a string."
        )
    try:
        arr = np.asarray(X)
    except Exception as error:  # ragged lists and the like
        raise ValueError(
            f"{name}{where} could not be read as an array ({type(error).__name__}: {error}); "
            "pass a numeric 2-D array of shape (n_points, n_dims) with rows of equal length."
        ) from None
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{name}{where} is not numeric (an object array whose entries cannot be read "
                    "as floats, or rows of unequal length); pass a numeric 2-D array of shape "
                    "(n_points, n_dims)."
                ) from None
        else:
            raise ValueError(
                f"{name}{where} must hold real numbers, got dtype {arr.dtype}; convert it with "
                "np.asarray(X, dtype=float) (complex values are not supported)."
            )
    if arr.ndim != 2:
        hint = (
            " A single vector is not a point cloud; stack the embeddings into one row per point."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name}{where} must be a 2-D array of shape (n_points, n_dims), got {arr.ndim}-D "
            f"with shape {arr.shape}.{hint}"
        )
    arr = np.asarray(arr, dtype=np.float64)
    # Fast path: a row sum is finite when every entry is (a huge finite row can overflow, so a
    # non-finite sum is only a hint, confirmed entry by entry).
    with np.errstate(over="ignore", invalid="ignore"):
        row_sums = arr.sum(axis=1)
    if not np.isfinite(row_sums).all():
        bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        if bad.size:
            shown = ", ".join(str(i) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
            raise ValueError(
                f"{name}{where} has {bad.size} row(s) out of {arr.shape[0]} containing NaN or "
                f"infinite values (rows {shown}); drop or re-embed them first, e.g. "
                "X = X[np.isfinite(X).all(axis=1)]."
            )
    return arr


def _check_discard_fraction(discard_fraction: Any) -> float:
    try:
        value = float(discard_fraction)
    except (TypeError, ValueError):
        raise ValueError(
            f"discard_fraction must be a number strictly between 0 and 1, got {discard_fraction!r}."
        ) from None
    if not 0.0 < value < 1.0:
        raise ValueError(
            f"discard_fraction must be strictly between 0 and 1 (0.1 in Facco et al. and "
            f"scikit-dimension), got {discard_fraction!r}. With 0 the largest ratio gets "
            "F = N / N = 1 and -log(1 - F) is infinite."
        )
    return value




# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def as_matrix(X, name: str = "X", min_rows: int = 1) -> np.ndarray:
    """Return ``X`` as a finite 2-D float64 array, or raise a ValueError that says what to do."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a numeric 2-D array of shape (n_points, n_dims); it could not be "
            f"converted to float ({exc}). Stack the embeddings row-wise, one row per text."
        ) from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_points, n_dims); got {arr.ndim}-D array of "
            f"shape {arr.shape}. Stack the embeddings row-wise (one row per text); for a single "
            f"vector use X.reshape(1, -1)."
        )
    if arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(
            f"{name} has shape {arr.shape}; at least {min_rows} row(s) and 1 column are needed."
        )
    if not np.all(np.isfinite(arr)):
        bad = ~np.isfinite(arr)
        bad_rows = np.flatnonzero(bad.any(axis=1))
        shown = ", ".join(str(i) for i in bad_rows[:10]) + (", ..." if bad_rows.size > 10 else "")
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN/inf value(s) in {bad_rows.size} row(s) "
            f"(rows {shown}). Check the encoder output (e.g. fp16 overflow, empty input text) and "
            f"re-encode or drop those rows in every condition/model so rows stay aligned."
        )
    return arr


def check_same_shape(source: np.ndarray, target: np.ndarray, what: str) -> None:
    if source.shape[0] != target.shape[0]:
        raise ValueError(
            f"{what}: source has {source.shape[0]} rows and target has {target.shape[0]}; the rows "
            f"must be the same queries in the same order. Embed the same query list with both."
        )
    if source.shape[1] != target.shape[1]:
        raise ValueError(
            f"{what}: source has {source.shape[1]} columns and target has {target.shape[1]}. "
            f"Reduce both to the same k with pca_reduce/pca_reduce_conditions; if PCA capped k "
            f"differently, zero-pad with pad_columns/pad_to_common_width."
        )


def unknown_name_error(kind: str, name: str, available: Sequence[str]) -> ValueError:
    close = difflib.get_close_matches(str(name), [str(a) for a in available], n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(
        f"Unknown {kind} {name!r}.{hint} Available: {', '.join(repr(a) for a in available)}."
    )


def as_distance_matrix(D, name: str = "D", atol: float = 1e-8) -> np.ndarray:
    """Validate a symmetric, non-negative, zero-diagonal square matrix (as MDS needs)."""
    D = as_matrix(D, name)
    n = D.shape[0]
    if D.shape != (n, n):
        raise ValueError(f"{name} must be a square (n, n) distance matrix; got shape {D.shape}.")
    scale = max(1.0, float(np.max(np.abs(D))))
    if not np.allclose(D, D.T, rtol=0.0, atol=atol * scale):
        raise ValueError(
            f"{name} is not symmetric (max |D - D.T| = {np.max(np.abs(D - D.T)):.3g}). MDS needs a "
            f"symmetric dissimilarity; symmetrize first, e.g. (D + D.T) / 2 for a Procrustes "
            f"distance matrix."
        )
    if np.any(D < -atol * scale):
        raise ValueError(f"{name} has negative entries (min {D.min():.3g}); distances must be >= 0.")
    if np.any(np.abs(np.diag(D)) > atol * scale):
        raise ValueError(f"{name} must have a zero diagonal (max |diag| = {np.abs(np.diag(D)).max():.3g}).")
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    return np.clip(D, 0.0, None)


def unit_rows(X: np.ndarray, name: str) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(
            f"{name} has {zero.size} all-zero row(s) (rows {', '.join(map(str, zero[:10]))}); the "
            f"cosine distance is undefined for a zero vector. Drop those rows (in every condition)."
        )
    return X / norms[:, None]


