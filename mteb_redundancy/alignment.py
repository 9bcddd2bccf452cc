"""Cross-model alignment and instruction displacement (spec section 7; seed 001, section 4).

This module is pure numpy (scipy is allowed, scikit-learn is not needed); it never imports
mteb or torch, so it can be used and tested without a model.

The pipeline, for a set of models each embedding the same N queries under several
instruction conditions (``"Base"`` = no instruction, ``"Retrieval"``, ``"STS"``, ...):

1. :func:`pca_reduce_conditions` -- per model, one PCA basis fitted on all of its conditions
   stacked together, k = 200 components by default (capped at ``n_points - 1`` and at the
   model's width; the cap is reported in :class:`PCAResult`).
2. :func:`pad_to_common_width` -- if capping left models with different k, zero-pad the
   narrower ones so that all have the same width (zero columns do not change any distance,
   and an orthogonal map of the padded space contains every orthogonal map of the smaller one).
3. :func:`procrustes_distance_matrix` -- ``D[i, j]`` = normalized Procrustes distance of model
   ``i``'s Base embeddings aligned onto model ``j``'s Base embeddings.
4. :func:`select_reference` -- the model with the least mean distance to the others, i.e. the
   least mean over ``i != j`` of ``D[i, j]`` (column ``j`` = the others aligned onto ``j``).
5. :func:`align_to_reference` -- per model, Q fitted on Base vs the reference's Base, applied
   to all of that model's conditions.
6. :func:`cosine_distance_matrix` + :func:`classical_mds` / :func:`metric_mds` -- the 2-D map.
7. :func:`displacement` / :func:`displacement_by_condition` -- per model, how far each
   condition moves the queries away from Base; needs no other model.

Orientation convention used throughout: the *source* (the model "to align", ``S_tgt`` in the
seed) is multiplied on the right by Q, and the *target* (the reference, ``S_ref``) is left as is:
``Q = argmin_Q ||source @ Q - target||_F`` subject to ``Q.T @ Q = I``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

__all__ = [
    "PCAResult",
    "pca_reduce",
    "pca_reduce_conditions",
    "pad_columns",
    "pad_to_common_width",
    "orthogonal_procrustes",
    "normalized_procrustes_distance",
    "procrustes_distance_matrix",
    "reference_scores",
    "select_reference",
    "fit_rotations_to_reference",
    "align_to_reference",
    "cosine_distance_matrix",
    "classical_mds",
    "metric_mds",
    "kruskal_stress",
    "displacement",
    "displacement_by_condition",
]

DEFAULT_PCA_DIM = 200
DEFAULT_BASE_CONDITION = "Base"


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _as_matrix(X, name: str = "X", min_rows: int = 1) -> np.ndarray:
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


def _check_same_shape(source: np.ndarray, target: np.ndarray, what: str) -> None:
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


def _unknown_name_error(kind: str, name: str, available: Sequence[str]) -> ValueError:
    close = difflib.get_close_matches(str(name), [str(a) for a in available], n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(
        f"Unknown {kind} {name!r}.{hint} Available: {', '.join(repr(a) for a in available)}."
    )


def _as_distance_matrix(D, name: str = "D", atol: float = 1e-8) -> np.ndarray:
    """Validate a symmetric, non-negative, zero-diagonal square matrix (as MDS needs)."""
    D = _as_matrix(D, name)
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


def _unit_rows(X: np.ndarray, name: str) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(
            f"{name} has {zero.size} all-zero row(s) (rows {', '.join(map(str, zero[:10]))}); the "
            f"cosine distance is undefined for a zero vector. Drop those rows (in every condition)."
        )
    return X / norms[:, None]


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
        X = _as_matrix(X, "X")
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
        Requested number of components (spec section 7 uses 200). Centred data has rank at most
        ``n_points - 1``, so k is capped at ``min(k, n_points - 1, n_dims)``; the result reports
        ``k_requested``, ``k`` and ``capped``.

    Returns
    -------
    PCAResult
    """
    X = _as_matrix(X, "X", min_rows=2)
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


def pca_reduce_conditions(
    conditions: Mapping[str, np.ndarray], k: int = DEFAULT_PCA_DIM
) -> tuple[dict[str, np.ndarray], PCAResult]:
    """Fit one PCA basis on all conditions of one model stacked together, and split back.

    Spec section 7 step 2: all conditions of a model share one basis, so that displacement
    between conditions is measured in the same coordinates.

    Parameters
    ----------
    conditions : mapping of condition name -> array of shape (n_queries_c, n_dims)
        The same model's embeddings under each condition (all with the same width).
    k : int, default 200
        Requested number of components; capped at ``min(k, total_rows - 1, n_dims)`` where
        ``total_rows`` counts the rows of all conditions together.

    Returns
    -------
    reduced : dict of condition name -> array of shape (n_queries_c, k_used)
        In the input order.
    pca : PCAResult
        The shared basis; ``pca.transformed`` is the stacked result, in input order.
    """
    if not isinstance(conditions, Mapping) or len(conditions) == 0:
        raise ValueError("conditions must be a non-empty mapping of condition name -> 2-D array.")
    names = list(conditions)
    arrays = [_as_matrix(conditions[c], f"conditions[{c!r}]") for c in names]
    widths = {a.shape[1] for a in arrays}
    if len(widths) != 1:
        detail = ", ".join(f"{c!r}: {a.shape[1]}" for c, a in zip(names, arrays))
        raise ValueError(
            f"All conditions of one model must have the same width; got {detail}. Were they "
            f"embedded by different models or truncated differently?"
        )
    result = pca_reduce(np.vstack(arrays), k=k)
    bounds = np.cumsum([0] + [a.shape[0] for a in arrays])
    reduced = {c: result.transformed[bounds[i] : bounds[i + 1]] for i, c in enumerate(names)}
    return reduced, result


def pad_columns(X, width: int) -> np.ndarray:
    """Append zero columns to ``X`` so that it has ``width`` columns.

    Zero columns change no norm, inner product or distance, so padding a model whose PCA k was
    capped lets it be Procrustes-aligned to wider models (the orthogonal maps of the padded
    space include every orthogonal map of the original one).
    """
    X = _as_matrix(X, "X")
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
            widths.extend(_as_matrix(v, f"arrays[{key!r}][{c!r}]").shape[1] for c, v in value.items())
        else:
            widths.append(_as_matrix(value, f"arrays[{key!r}]").shape[1])
    width = max(widths)
    out: dict = {}
    for key, value in arrays.items():
        if isinstance(value, Mapping):
            out[key] = {c: pad_columns(v, width) for c, v in value.items()}
        else:
            out[key] = pad_columns(value, width)
    return out


# --------------------------------------------------------------------------------------------
# Procrustes
# --------------------------------------------------------------------------------------------
def orthogonal_procrustes(source, target) -> np.ndarray:
    """Orthogonal ``Q`` minimising ``||source @ Q - target||_F`` (Schönemann 1966).

    ``Q = U @ Vt`` where ``U, S, Vt = svd(source.T @ target)``; this is the seed's
    ``Q*_{tgt->ref}`` with ``source = S_tgt^(Base)`` and ``target = S_ref^(Base)``, and agrees
    with ``scipy.linalg.orthogonal_procrustes(source, target)[0]``. No translation or scaling is
    fitted.

    Parameters
    ----------
    source : array-like of shape (n_points, k)
        The embeddings to rotate (the model being aligned).
    target : array-like of shape (n_points, k)
        The embeddings to rotate onto (the reference). Same shape as ``source``, rows = same
        queries in the same order; zero-pad with :func:`pad_to_common_width` if widths differ.

    Returns
    -------
    Q : ndarray of shape (k, k), orthogonal.
    """
    source = _as_matrix(source, "source")
    target = _as_matrix(target, "target")
    _check_same_shape(source, target, "orthogonal_procrustes")
    u, _, vt = np.linalg.svd(source.T @ target)
    return u @ vt


def normalized_procrustes_distance(source, target, Q: Optional[np.ndarray] = None) -> float:
    """Normalized Procrustes distance ``||source @ Q - target||_F^2 / ||target||_F^2``.

    This is the seed's ``D(S_i, S_j)`` with ``source = S_i`` and ``target = S_j``. It is **not
    symmetric**: the denominator is the target's norm and Q is fitted towards the target, so
    ``D(a, b) != D(b, a)`` in general.

    Parameters
    ----------
    source, target : array-like of shape (n_points, k)
    Q : ndarray of shape (k, k), optional
        A rotation to use; fitted with :func:`orthogonal_procrustes` when omitted.

    Returns
    -------
    float, >= 0 (0 when ``source`` is an exact rotation of ``target``).
    """
    source = _as_matrix(source, "source")
    target = _as_matrix(target, "target")
    _check_same_shape(source, target, "normalized_procrustes_distance")
    denom = float(np.sum(target**2))
    if denom == 0.0:
        raise ValueError("target is all zeros; the normalized Procrustes distance is undefined.")
    if Q is None:
        Q = orthogonal_procrustes(source, target)
    else:
        Q = _as_matrix(Q, "Q")
        if Q.shape != (source.shape[1], source.shape[1]):
            raise ValueError(f"Q must have shape {(source.shape[1],) * 2}; got {Q.shape}.")
    return float(np.sum((source @ Q - target) ** 2) / denom)


def procrustes_distance_matrix(
    embeddings: Mapping[str, np.ndarray],
) -> tuple[list[str], np.ndarray]:
    """All-pairs normalized Procrustes distances between models (seed 001, eq. 2 and App. C).

    Parameters
    ----------
    embeddings : mapping of model name -> array of shape (n_queries, k)
        One matrix per model, normally its PCA-reduced **Base** embeddings; same shape for all
        (zero-pad with :func:`pad_to_common_width` if PCA capped k differently).

    Returns
    -------
    names : list of str
        Model names in the mapping's order; row/column ``i`` of ``D`` is ``names[i]``.
    D : ndarray of shape (n_models, n_models)
        ``D[i, j] = normalized_procrustes_distance(embeddings[names[i]], embeddings[names[j]])``:
        **row i = the model aligned (source), column j = the reference (target)**. The diagonal is
        exactly 0. ``D`` is not symmetric in general.
    """
    if not isinstance(embeddings, Mapping) or len(embeddings) == 0:
        raise ValueError("embeddings must be a non-empty mapping of model name -> 2-D array.")
    names = [str(n) for n in embeddings]
    mats = [_as_matrix(embeddings[n], f"embeddings[{n!r}]") for n in embeddings]
    for name, mat in zip(names[1:], mats[1:]):
        _check_same_shape(mat, mats[0], f"procrustes_distance_matrix ({name!r} vs {names[0]!r})")
    n = len(mats)
    D = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(n):
            if i != j:
                D[i, j] = normalized_procrustes_distance(mats[i], mats[j])
    return names, D


def _check_names_and_matrix(names: Sequence[str], D) -> tuple[list[str], np.ndarray]:
    names = [str(n) for n in names]
    D = _as_matrix(D, "D")
    if D.shape != (len(names), len(names)):
        raise ValueError(
            f"D has shape {D.shape} but there are {len(names)} names; pass the (names, D) pair "
            f"returned by procrustes_distance_matrix."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"names contains duplicates: {names}.")
    return names, D


def reference_scores(names: Sequence[str], D) -> dict[str, float]:
    """Mean distance of the other models to each candidate reference.

    ``score[names[j]] = mean over i != j of D[i, j]`` -- the mean of column ``j`` without the
    diagonal, i.e. how far the other models remain after being aligned onto model ``j`` (the
    orientation of :func:`procrustes_distance_matrix`). With a single model the score is 0.
    """
    names, D = _check_names_and_matrix(names, D)
    n = len(names)
    if n == 1:
        return {names[0]: 0.0}
    col_sums = D.sum(axis=0) - np.diag(D)
    return {name: float(col_sums[j] / (n - 1)) for j, name in enumerate(names)}


def select_reference(names: Sequence[str], D, reference: Optional[str] = None) -> str:
    """Choose the reference model (spec section 7 step 5).

    Parameters
    ----------
    names : sequence of str
        Model names, in the order of ``D``'s rows/columns.
    D : ndarray of shape (n_models, n_models)
        As returned by :func:`procrustes_distance_matrix` (row = aligned model, column = reference).
    reference : str, optional
        A user-chosen reference; validated against ``names`` (ValueError with close matches).

    Returns
    -------
    str
        ``reference`` if given, else the model ``j`` minimising the mean over the other models
        ``i != j`` of ``D[i, j]`` (see :func:`reference_scores`); ties go to the earliest name.
    """
    names, D = _check_names_and_matrix(names, D)
    if reference is not None:
        if str(reference) not in names:
            raise _unknown_name_error("reference model", str(reference), names)
        return str(reference)
    scores = reference_scores(names, D)
    values = np.array([scores[n] for n in names])
    return names[int(np.argmin(values))]


def fit_rotations_to_reference(
    models: Mapping[str, Mapping[str, np.ndarray]],
    reference: str,
    base_condition: str = DEFAULT_BASE_CONDITION,
) -> dict[str, np.ndarray]:
    """Per model, the orthogonal Q aligning its Base embeddings onto the reference's Base.

    Returns ``{model: Q}`` with ``Q = orthogonal_procrustes(models[m][base], models[ref][base])``;
    the reference's own Q is the identity. See :func:`align_to_reference` for the arguments.
    """
    if not isinstance(models, Mapping) or len(models) == 0:
        raise ValueError("models must be a non-empty mapping of model -> {condition: 2-D array}.")
    names = [str(m) for m in models]
    if reference not in models:
        raise _unknown_name_error("reference model", str(reference), names)
    for m, conds in models.items():
        if not isinstance(conds, Mapping):
            raise ValueError(
                f"models[{m!r}] must be a mapping of condition name -> 2-D array; got "
                f"{type(conds).__name__}."
            )
        if base_condition not in conds:
            raise _unknown_name_error(
                f"base condition for model {m!r} (base_condition)", base_condition, list(conds)
            )
    ref_base = _as_matrix(models[reference][base_condition], f"models[{reference!r}][{base_condition!r}]")
    rotations: dict[str, np.ndarray] = {}
    for m, conds in models.items():
        base = _as_matrix(conds[base_condition], f"models[{m!r}][{base_condition!r}]")
        _check_same_shape(base, ref_base, f"align {m!r} onto reference {reference!r} ({base_condition})")
        if m == reference:
            rotations[m] = np.eye(base.shape[1])
        else:
            rotations[m] = orthogonal_procrustes(base, ref_base)
    return rotations


def align_to_reference(
    models: Mapping[str, Mapping[str, np.ndarray]],
    reference: str,
    base_condition: str = DEFAULT_BASE_CONDITION,
) -> dict[str, dict[str, np.ndarray]]:
    """Rotate every model into the reference model's space (spec section 7 step 3).

    Parameters
    ----------
    models : mapping of model -> mapping of condition -> array of shape (n_queries, k)
        PCA-reduced embeddings (see :func:`pca_reduce_conditions`), the same k for all models
        (see :func:`pad_to_common_width`). Every model must have ``base_condition``.
    reference : str
        The reference model (e.g. from :func:`select_reference`); must be a key of ``models``.
    base_condition : str, default "Base"
        The condition (no instruction) on which Q is fitted.

    Returns
    -------
    dict of model -> dict of condition -> ndarray
        ``aligned[m][c] = models[m][c] @ Q_m`` where ``Q_m`` is fitted on ``models[m][base]``
        vs ``models[reference][base]`` (Q of the reference = identity, so its arrays are copies).
    """
    rotations = fit_rotations_to_reference(models, reference, base_condition)
    aligned: dict[str, dict[str, np.ndarray]] = {}
    for m, conds in models.items():
        Q = rotations[m]
        out = {}
        for c, X in conds.items():
            X = _as_matrix(X, f"models[{m!r}][{c!r}]")
            if X.shape[1] != Q.shape[0]:
                raise ValueError(
                    f"models[{m!r}][{c!r}] has {X.shape[1]} columns but its {base_condition!r} has "
                    f"{Q.shape[0]}; all conditions of a model must share one PCA basis "
                    f"(pca_reduce_conditions)."
                )
            out[c] = X @ Q
        aligned[m] = out
    return aligned


# --------------------------------------------------------------------------------------------
# distances and MDS
# --------------------------------------------------------------------------------------------
def cosine_distance_matrix(X) -> np.ndarray:
    """Pairwise cosine distances ``1 - cos(x_a, x_b)`` between the rows of ``X``.

    Returns a symmetric (n, n) matrix with values in [0, 2] and an exactly zero diagonal.
    All-zero rows raise ValueError (the cosine is undefined).
    """
    X = _as_matrix(X, "X")
    U = _unit_rows(X, "X")
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
    D = _as_distance_matrix(D)
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
    pivot = np.argmax(np.abs(coords), axis=0)
    signs = np.sign(coords[pivot, np.arange(coords.shape[1])])
    signs[signs == 0] = 1.0
    return coords * signs[None, :]


def kruskal_stress(D, coords) -> float:
    """Kruskal's stress-1 of an embedding: ``sqrt(sum (D_ab - d_ab)^2 / sum D_ab^2)`` over a < b,
    where ``d_ab`` are the Euclidean distances between rows of ``coords``. 0 = perfect."""
    D = _as_distance_matrix(D)
    coords = _as_matrix(coords, "coords")
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
    n_init: int = 4,
    max_iter: int = 1000,
    tol: float = 1e-9,
) -> np.ndarray:
    """Metric (least-squares stress) MDS by SMACOF, seeded and deterministic.

    Runs SMACOF from the classical MDS solution and from ``n_init - 1`` random starts drawn
    from ``numpy.random.default_rng(seed)``, and returns the configuration with the least raw
    stress ``sum_{a<b} (D_ab - d_ab)^2``. The same inputs always give the same output.

    Parameters
    ----------
    D : array-like of shape (n, n)
        Symmetric, non-negative, zero-diagonal dissimilarities (e.g. :func:`cosine_distance_matrix`).
    n_components : int, default 2
    seed : int, default 0
        Seed of the random starts.
    n_init : int, default 4
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
    D = _as_distance_matrix(D)
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
    return best_X - best_X.mean(axis=0)


# --------------------------------------------------------------------------------------------
# displacement
# --------------------------------------------------------------------------------------------
def _cosine_distance_pairs(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Row-wise ``1 - cos(a_i, b_i)`` as ``||a_i/|a_i| - b_i/|b_i|||^2 / 2`` (exactly 0 for a_i = b_i)."""
    ua = _unit_rows(A, "base")
    ub = _unit_rows(B, "instructed")
    return np.clip(0.5 * np.sum((ua - ub) ** 2, axis=1), 0.0, 2.0)


def displacement(base, instructed) -> dict[str, float]:
    """How far an instruction moves one model's query embeddings (spec section 7 step 7).

    Parameters
    ----------
    base : array-like of shape (n_queries, n_dims)
        The model's embeddings of the queries with no instruction.
    instructed : array-like of shape (n_queries, n_dims)
        The same model's embeddings of the **same queries in the same order** under one
        instruction, in the same coordinates (raw, or one shared PCA basis, or aligned).

    Returns
    -------
    dict with
        ``mean_cosine_distance`` : mean over queries of ``1 - cos(base_i, instructed_i)``;
        ``centroid_shift`` : Euclidean norm of ``mean(instructed) - mean(base)``;
        ``centroid_cosine_distance`` : ``1 - cos(mean(base), mean(instructed))`` (0.0 when the
        two centroids are equal, NaN when exactly one of them is the zero vector);
        ``n_queries`` : number of rows.
    ``displacement(X, X)`` gives exactly 0 for all three measures.
    """
    base = _as_matrix(base, "base")
    instructed = _as_matrix(instructed, "instructed")
    if base.shape != instructed.shape:
        raise ValueError(
            f"base has shape {base.shape} and instructed has shape {instructed.shape}; they must be "
            f"the same queries (same order) embedded by the same model in the same coordinates."
        )
    per_query = _cosine_distance_pairs(base, instructed)
    c_base = base.mean(axis=0)
    c_instr = instructed.mean(axis=0)
    shift = float(np.linalg.norm(c_instr - c_base))
    if np.array_equal(c_base, c_instr):
        centroid_cos = 0.0
    else:
        nb, ni = np.linalg.norm(c_base), np.linalg.norm(c_instr)
        if nb == 0 or ni == 0:
            centroid_cos = float("nan")
        else:
            centroid_cos = float(np.clip(0.5 * np.sum((c_base / nb - c_instr / ni) ** 2), 0.0, 2.0))
    return {
        "mean_cosine_distance": float(per_query.mean()),
        "centroid_shift": shift,
        "centroid_cosine_distance": centroid_cos,
        "n_queries": int(base.shape[0]),
    }


def displacement_by_condition(
    conditions: Mapping[str, np.ndarray], base_condition: str = DEFAULT_BASE_CONDITION
) -> dict[str, dict[str, float]]:
    """:func:`displacement` of every condition of one model relative to its ``base_condition``.

    Returns ``{condition: displacement(conditions[base], conditions[condition])}`` for every
    condition other than the base, in input order.
    """
    if not isinstance(conditions, Mapping) or len(conditions) == 0:
        raise ValueError("conditions must be a non-empty mapping of condition name -> 2-D array.")
    if base_condition not in conditions:
        raise _unknown_name_error("base condition", base_condition, list(conditions))
    base = conditions[base_condition]
    return {c: displacement(base, X) for c, X in conditions.items() if c != base_condition}
