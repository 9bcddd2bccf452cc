"""Orthogonal Procrustes alignment between models and the normalized Procrustes distance (Ogawa et
al., section 4). Pure numpy.

Orientation convention used throughout: the *source* (the model to align) is multiplied on the right
by Q, and the *target* (the reference) is left as is: ``Q = argmin_Q ||source @ Q - target||_F``
subject to ``Q.T @ Q = I`` (Schönemann 1966).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np

from mteb_redundancy.estimators._arrays import (
    as_matrix,
    check_same_shape,
    unknown_name_error,
)

DEFAULT_BASE_CONDITION = "Base"


# --------------------------------------------------------------------------------------------
# Procrustes
# --------------------------------------------------------------------------------------------
def orthogonal_procrustes(source, target) -> np.ndarray:
    """Orthogonal ``Q`` minimising ``||source @ Q - target||_F`` (Schönemann 1966).

    ``Q = U @ Vt`` where ``U, S, Vt = svd(source.T @ target)``; this is the paper's
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
    source = as_matrix(source, "source")
    target = as_matrix(target, "target")
    check_same_shape(source, target, "orthogonal_procrustes")
    u, _, vt = np.linalg.svd(source.T @ target)
    return u @ vt


def normalized_procrustes_distance(source, target, Q: Optional[np.ndarray] = None) -> float:
    """Normalized Procrustes distance ``||source @ Q - target||_F^2 / ||target||_F^2``.

    This is the paper's ``D(S_i, S_j)`` with ``source = S_i`` and ``target = S_j``. It is **not
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
    source = as_matrix(source, "source")
    target = as_matrix(target, "target")
    check_same_shape(source, target, "normalized_procrustes_distance")
    denom = float(np.sum(target**2))
    if denom == 0.0:
        raise ValueError("target is all zeros; the normalized Procrustes distance is undefined.")
    if Q is None:
        Q = orthogonal_procrustes(source, target)
    else:
        Q = as_matrix(Q, "Q")
        if Q.shape != (source.shape[1], source.shape[1]):
            raise ValueError(f"Q must have shape {(source.shape[1],) * 2}; got {Q.shape}.")
    return float(np.sum((source @ Q - target) ** 2) / denom)


def procrustes_distance_matrix(
    embeddings: Mapping[str, np.ndarray],
) -> tuple[list[str], np.ndarray]:
    """All-pairs normalized Procrustes distances between models (Ogawa et al., eq. 2 and App. C).

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
    mats = [as_matrix(embeddings[n], f"embeddings[{n!r}]") for n in embeddings]
    for name, mat in zip(names[1:], mats[1:]):
        check_same_shape(mat, mats[0], f"procrustes_distance_matrix ({name!r} vs {names[0]!r})")
    n = len(mats)
    D = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(n):
            if i != j:
                D[i, j] = normalized_procrustes_distance(mats[i], mats[j])
    return names, D


def _check_names_and_matrix(names: Sequence[str], D) -> tuple[list[str], np.ndarray]:
    names = [str(n) for n in names]
    D = as_matrix(D, "D")
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
    """Choose the reference model (docs/methods.md: instruction displacement).

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
            raise unknown_name_error("reference model", str(reference), names)
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
        raise unknown_name_error("reference model", str(reference), names)
    for m, conds in models.items():
        if not isinstance(conds, Mapping):
            raise ValueError(
                f"models[{m!r}] must be a mapping of condition name -> 2-D array; got "
                f"{type(conds).__name__}."
            )
        if base_condition not in conds:
            raise unknown_name_error(
                f"base condition for model {m!r} (base_condition)", base_condition, list(conds)
            )
    ref_base = as_matrix(models[reference][base_condition], f"models[{reference!r}][{base_condition!r}]")
    rotations: dict[str, np.ndarray] = {}
    for m, conds in models.items():
        base = as_matrix(conds[base_condition], f"models[{m!r}][{base_condition!r}]")
        check_same_shape(base, ref_base, f"align {m!r} onto reference {reference!r} ({base_condition})")
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
    """Rotate every model into the reference model's space (docs/methods.md: instruction displacement).

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
            X = as_matrix(X, f"models[{m!r}][{c!r}]")
            if X.shape[1] != Q.shape[0]:
                raise ValueError(
                    f"models[{m!r}][{c!r}] has {X.shape[1]} columns but its {base_condition!r} has "
                    f"{Q.shape[0]}; all conditions of a model must share one PCA basis "
                    f"(pca_reduce_conditions)."
                )
            out[c] = X @ Q
        aligned[m] = out
    return aligned


