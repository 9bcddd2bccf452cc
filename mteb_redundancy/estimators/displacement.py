"""How far an instruction moves one model's query embeddings (Ogawa et al., section 4): per-query
cosine distance and centroid shift between two configurations of the same queries. Pure numpy."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mteb_redundancy.estimators._arrays import as_matrix, unit_rows, unknown_name_error

DEFAULT_BASE_CONDITION = "Base"


# --------------------------------------------------------------------------------------------
# displacement
# --------------------------------------------------------------------------------------------
def _cosine_distance_pairs(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Row-wise ``1 - cos(a_i, b_i)`` as ``||a_i/|a_i| - b_i/|b_i|||^2 / 2`` (exactly 0 for a_i = b_i)."""
    ua = unit_rows(A, "base")
    ub = unit_rows(B, "instructed")
    return np.clip(0.5 * np.sum((ua - ub) ** 2, axis=1), 0.0, 2.0)


def displacement(base, instructed) -> dict[str, float]:
    """How far an instruction moves one model's query embeddings (docs/methods.md: instruction displacement).

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
    base = as_matrix(base, "base")
    instructed = as_matrix(instructed, "instructed")
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
        raise unknown_name_error("base condition", base_condition, list(conditions))
    base = conditions[base_condition]
    return {c: displacement(base, X) for c, X in conditions.items() if c != base_condition}

